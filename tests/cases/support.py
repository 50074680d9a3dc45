"""Shared steps of the case-management tests: a case taken through the lifecycle by the real services."""

from __future__ import annotations

from datetime import timedelta

from dolbom.cases.models import Case, ConferenceKind, Proposal
from dolbom.cases.services.cases import propose_case
from dolbom.cases.services.conferences import (
    DecisionEntry,
    add_attendee,
    decide,
    hold_conference,
    plan_conference,
    put_on_agenda,
)
from dolbom.cases.services.plans import GoalEntry, draft_plan, record_agreement
from dolbom.core.dates import today_kst
from dolbom.core.needs import NeedDomain


def candidate(city, *, dong_index: int = 0, user_key: str = "dong_officer") -> Case:
    user = city.users[user_key]
    return propose_case(
        user=user,
        household_id=city.household_in(dong_index).pk,
        intake_on=today_kst() - timedelta(days=3),
        reason="복합 위기 가구, 사례회의 상정",
    )


def conference(city, *, user_key: str = "district_manager", held: bool = True):
    user = city.users[user_key]
    conf = plan_conference(
        user=user, kind=ConferenceKind.DISTRICT, held_on=today_kst(), district_code=city.districts[0].code
    )
    add_attendee(user=user, conference_id=conf.pk, name="박팀장", agency_id=city.agencies["district"].pk)
    add_attendee(user=user, conference_id=conf.pk, name="최복지사", agency_id=city.agencies["welfare"].pk)
    if held:
        hold_conference(user=user, conference_id=conf.pk)
    return conf


def decided(city, case, proposal, outcome, conf=None, **entry):
    user = city.users["district_manager"]
    if conf is None:
        conf = conference(city, held=False)
        put_on_agenda(user=user, conference_id=conf.pk, case_id=case.pk, proposal=proposal)
        hold_conference(user=user, conference_id=conf.pk)
    else:
        put_on_agenda(user=user, conference_id=conf.pk, case_id=case.pk, proposal=proposal)
    item = conf.agenda.get(case=case)
    decide(user=user, item_id=item.pk, entry=DecisionEntry(outcome=outcome, note="회의 결정", **entry))
    case.refresh_from_db()
    return item


def selected(city, **kwargs) -> Case:
    case = candidate(city, **kwargs)
    decided(city, case, Proposal.SELECTION, "select")
    return case


def agreed_plan(city, case, user_key: str = "dong_officer"):
    user = city.users[user_key]
    plan = draft_plan(
        user=user,
        case_id=case.pk,
        made_on=today_kst(),
        goals=[
            GoalEntry(NeedDomain.ECONOMY, "생계 안정", "월 소득 100만원 확보", today_kst() + timedelta(days=90)),
            GoalEntry(NeedDomain.HEALTH, "치료 지속", "월 2회 진료", today_kst() + timedelta(days=60)),
        ],
    )
    record_agreement(user=user, case_id=case.pk, plan_id=plan.pk, agreed_on=today_kst(), method="signed_form")
    return plan


def in_service(city, **kwargs) -> Case:
    case = selected(city, **kwargs)
    agreed_plan(city, case, user_key=kwargs.get("user_key", "dong_officer"))
    decided(city, case, Proposal.PLAN, "approve_plan")
    return case
