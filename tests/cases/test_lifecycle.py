"""The case lifecycle through its services on a real database: every move a row and an audit event, illegal moves
refused with the reason, one open case per household and district, closure with follow-up, reopening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from dolbom.cases.models import Case, CaseState, FollowUpCheck, Move, Proposal, Transition
from dolbom.cases.services.cases import (
    change_phase,
    close_case,
    propose_case,
    record_follow_up,
    record_monitoring,
    reopen_case,
    transfer_case,
)
from dolbom.core.audit import AuditEvent
from dolbom.core.dates import today_kst
from tests.cases.support import agreed_plan, candidate, decided, in_service, selected


def _moves(case):
    return list(Transition.objects.filter(case=case).order_by("at", "pk").values_list("move", "to_state"))


def test_a_case_goes_from_candidate_to_closed_with_a_row_and_an_audit_event_per_move(city):
    case = in_service(city)
    assert case.state == CaseState.IN_SERVICE
    assert case.selected_on == today_kst() and case.ends_on is not None
    record_monitoring(user=city.users["dong_officer"], case_id=case.pk, held_on=today_kst(), note="생활 안정 중")
    close_case(user=city.users["dong_officer"], case_id=case.pk, reason="goals_met", on=today_kst())
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOW_UP and case.closed_on == today_kst()
    assert _moves(case) == [
        (Move.PROPOSE, CaseState.CANDIDATE),
        (Move.SELECT, CaseState.SELECTED),
        (Move.PLAN, CaseState.PLANNING),
        (Move.APPROVE_PLAN, CaseState.IN_SERVICE),
        (Move.CLOSE, CaseState.FOLLOW_UP),
    ]
    audited = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
    for move, _state in _moves(case):
        assert audited.filter(action=f"cases.{move}").count() == 1
    checks = list(FollowUpCheck.objects.filter(case=case).order_by("number"))
    assert len(checks) == 2 and checks[0].due_on < checks[1].due_on
    for check in checks:
        record_follow_up(
            user=city.users["dong_officer"],
            case_id=case.pk,
            check_id=check.pk,
            done_on=today_kst(),
            finding="안정적 생활",
        )
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_an_illegal_move_is_refused_with_the_state_and_nothing_is_written(city):
    case = candidate(city)
    before = Transition.objects.count()
    with pytest.raises(ValidationError) as refused:
        change_phase(user=city.users["dong_officer"], case_id=case.pk, how=Move.START_MONITORING)
    assert "후보" in str(refused.value) or "Candidate" in str(refused.value)
    assert Transition.objects.count() == before
    case.refresh_from_db()
    assert case.state == CaseState.CANDIDATE


def test_a_plan_is_approved_only_once_the_household_agreed(city):
    from dolbom.cases.services.plans import GoalEntry, draft_plan
    from dolbom.core.needs import NeedDomain

    case = selected(city)
    draft_plan(
        user=city.users["dong_officer"],
        case_id=case.pk,
        made_on=today_kst(),
        goals=[GoalEntry(NeedDomain.ECONOMY, "생계", "소득 확보", today_kst() + timedelta(days=30))],
    )
    with pytest.raises(ValidationError):
        decided(city, case, Proposal.PLAN, "approve_plan")
    case.refresh_from_db()
    assert case.state == CaseState.PLANNING


def test_never_two_open_cases_for_one_household_in_one_district(city):
    case = candidate(city)
    with pytest.raises(ValidationError) as refused:
        candidate(city, user_key="district_manager")
    assert "household" in refused.value.message_dict
    assert Case.objects.filter(household=case.household).count() == 1


def test_reopening_is_a_new_transition_and_refused_while_another_case_is_open(city):
    case = in_service(city)
    close_case(user=city.users["dong_officer"], case_id=case.pk, reason="refused", on=today_kst())
    other = propose_case(
        user=city.users["dong_officer"],
        household_id=case.household_id,
        intake_on=today_kst(),
        reason="다시 위기 신고 접수",
    )
    with pytest.raises(ValidationError):
        reopen_case(user=city.users["dong_officer"], case_id=case.pk, reason="위기 재발")
    close_case(user=city.users["dong_officer"], case_id=other.pk, reason="refused", on=today_kst())
    reopen_case(user=city.users["dong_officer"], case_id=case.pk, reason="위기 재발")
    case.refresh_from_db()
    assert case.state == CaseState.PLANNING and case.closed_on is None
    assert [m for m, _s in _moves(case)][-2:] == [Move.CLOSE, Move.REOPEN]


def test_a_closure_after_a_death_has_no_follow_up(city):
    case = in_service(city)
    close_case(user=city.users["dong_officer"], case_id=case.pk, reason="deceased", on=today_kst())
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and not FollowUpCheck.objects.filter(case=case).exists()


def test_a_reassessment_moves_the_case_and_a_new_agreed_plan_brings_it_back_in_service(city):
    case = in_service(city)
    record_monitoring(
        user=city.users["dong_officer"],
        case_id=case.pk,
        held_on=today_kst(),
        note="실직으로 재사정 필요",
        reassessment=True,
        needs={"economy": "serious"},
        crisis_level="위기",
    )
    case.refresh_from_db()
    assert case.state == CaseState.REASSESSMENT
    plan = agreed_plan(city, case)
    assert plan.version == 2
    decided(city, case, Proposal.PLAN, "approve_plan")
    case.refresh_from_db()
    assert case.state == CaseState.IN_SERVICE


def test_extensions_are_bounded_by_the_district(city):
    case = in_service(city)
    first_end = case.ends_on
    decided(city, case, Proposal.EXTENSION, "extend")
    decided(city, case, Proposal.EXTENSION, "extend")
    case.refresh_from_db()
    assert case.extensions == 2 and case.ends_on > first_end
    with pytest.raises(ValidationError):
        decided(city, case, Proposal.EXTENSION, "extend")


def test_a_private_agency_leads_only_a_household_that_consented_to_it(city):
    case = in_service(city, dong_index=1, user_key="district_manager")  # household 1 consented to nobody
    with pytest.raises(ValidationError) as refused:
        transfer_case(
            user=city.users["district_manager"],
            case_id=case.pk,
            reason="복지관 주관으로 변경",
            lead_agency_id=city.agencies["welfare"].pk,
        )
    assert "lead_agency" in refused.value.message_dict
    case.refresh_from_db()
    assert case.lead_agency_id != city.agencies["welfare"].pk


def test_a_reopened_case_leaves_its_old_follow_up_checks_behind(city):
    officer = city.users["dong_officer"]
    case = in_service(city)
    close_case(user=officer, case_id=case.pk, reason="goals_met", on=today_kst())
    old = list(FollowUpCheck.objects.filter(case=case).order_by("number"))
    reopen_case(user=officer, case_id=case.pk, reason="위기 재발")
    assert set(FollowUpCheck.objects.filter(case=case).values_list("superseded_on", flat=True)) == {today_kst()}
    with pytest.raises(ValidationError):
        record_follow_up(user=officer, case_id=case.pk, check_id=old[0].pk, done_on=today_kst(), finding="점검")
    # Planned, approved and closed again: only the new closure's two checks are due, and they close the case.
    decided(city, case, Proposal.PLAN, "approve_plan")
    close_case(user=officer, case_id=case.pk, reason="goals_met", on=today_kst())
    pending = FollowUpCheck.objects.filter(case=case, done_on=None, superseded_on=None).order_by("number")
    assert [c.number for c in pending] == [3, 4]
    for check in pending:
        record_follow_up(
            user=officer, case_id=case.pk, check_id=check.pk, done_on=today_kst(), finding="생활 안정 확인"
        )
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_closing_a_case_withdraws_the_requests_nobody_answered(city):
    from dolbom.cases.models import Linkage, LinkageState
    from dolbom.cases.services.linkages import LinkageEntry, answer_linkage, request_linkage

    officer = city.users["dong_officer"]
    case = in_service(city)

    def request(service: str) -> Linkage:
        entry = LinkageEntry(
            domain="health", service=service, frequency="periodic", requested_on=today_kst(),
            provider_id=city.agencies["welfare"].pk,
        )  # fmt: skip
        return request_linkage(user=officer, case_id=case.pk, entry=entry)

    waiting, running = request("방문 간호"), request("밑반찬 배달")
    answer_linkage(user=city.users["agency_worker"], linkage_id=running.pk, accept=True, on=today_kst())
    close_case(user=officer, case_id=case.pk, reason="moved", on=today_kst())
    waiting.refresh_from_db()
    running.refresh_from_db()
    assert waiting.state == LinkageState.CANCELLED and running.state == LinkageState.ACCEPTED
    assert waiting.steps.order_by("pk").last().note == "사례가 종결되었습니다."
