"""Property-based tests of case management: random sequences of actions by every role, through the public services
on a real database, with the invariants of issue 19 checked against the database after every step.

The state machine is built inside the test so that it closes over the `city` fixture; each example runs in its own
savepoint, rolled back at its end, so that examples never see each other's rows. A refusal (ValidationError,
PermissionDenied, Http404) is a legitimate answer, but it must write nothing; where the outcome is certain from what
the machine itself did (who may do what, the state a case or linkage is in, which consents it gave or withdrew),
the machine also insists on the refusal or on the success.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dolbom.cases.models import (
    LINKAGE_MOVES,
    MOVES,
    OPEN_STATES,
    SERVING_STATES,
    AgendaItem,
    Attendee,
    Case,
    CasePlan,
    CaseState,
    ClosureReason,
    Conference,
    FollowUpCheck,
    Frequency,
    Goal,
    GoalProgress,
    Linkage,
    LinkageMove,
    LinkageState,
    LinkageStep,
    MonitoringNote,
    Move,
    Outcome,
    Proposal,
    Transition,
)
from dolbom.cases.selectors import cases_visible_to, linkages_visible_to
from dolbom.cases.services.cases import (
    change_phase,
    close_case,
    propose_case,
    record_follow_up,
    record_monitoring,
    reopen_case,
    transfer_case,
)
from dolbom.cases.services.conferences import (
    DecisionEntry,
    add_attendee,
    close_minutes,
    decide,
    hold_conference,
    plan_conference,
    put_on_agenda,
)
from dolbom.cases.services.linkages import (
    LinkageEntry,
    answer_linkage,
    cancel_linkage,
    end_linkage,
    record_delivery,
    request_linkage,
)
from dolbom.cases.services.plans import GoalEntry, draft_plan, record_agreement
from dolbom.core.audit import AuditEvent
from dolbom.core.dates import today_kst
from dolbom.core.needs import NeedDomain
from dolbom.core.scope import district_of
from dolbom.registry.models import Consent, Membership, consent_active_on
from dolbom.registry.services import record_consent, withdraw_consent
from tests.cases.support import candidate, in_service

REFUSALS = (ValidationError, PermissionDenied, Http404)
USERS = ("dong_officer", "district_manager", "district_admin", "agency_worker", "safety_net", "analyst")
# Half of the draws go to the users who may act, so that sequences get deep; the other half to anyone, so that the
# refusals of every role are tried too.
STAFF = st.one_of(st.sampled_from(("dong_officer", "district_manager")), st.sampled_from(USERS))
# A new lead: an agency and one of its workers, an agency alone, or a worker of another agency (refused).
LEADS = (
    None,
    ("dong0", "dong_officer"),
    ("district", "district_manager"),
    ("welfare", "agency_worker"),
    ("welfare", None),
    ("district", "agency_worker"),
)
# Who may propose a case for which household (by index in city.households): household 2 lies in the other district,
# which none of the fixture's users works in.
PROPOSERS = {"dong_officer": {0}, "district_manager": {0, 1}}
CONSENT_KEEPERS = {"dong_officer": {0, 3}, "district_manager": {0, 1, 3}, "district_admin": {0, 1, 3}}
LINKABLE = frozenset({CaseState.PLANNING}) | SERVING_STATES
PLANNABLE = frozenset({CaseState.SELECTED, CaseState.PLANNING, CaseState.REASSESSMENT})
SERVICES = ("밑반찬 배달", "병원 동행")
REASON = "가구 상황 변화 확인"
# Linkage steps are recorded on the day they happened, often a few days late: requests, answers, deliveries and
# ends are dated up to four days back, so that the order of their dates is tried as well as the order of the rows.
DAYS_AGO = st.sampled_from([0, 1, 2, 4])

# What a conference sensibly decides in each state; the machine draws those half of the time and any outcome
# otherwise (an outcome the case's state does not allow must be refused).
SENSIBLE = {
    CaseState.CANDIDATE: (Outcome.SELECT, Outcome.NOT_SELECT),
    CaseState.SELECTED: (Outcome.TRANSFER, Outcome.DEFER),
    CaseState.PLANNING: (Outcome.APPROVE_PLAN, Outcome.EXTEND),
    CaseState.IN_SERVICE: (Outcome.EXTEND, Outcome.CLOSE, Outcome.TRANSFER),
    CaseState.MONITORING: (Outcome.CLOSE, Outcome.CONTINUE),
    CaseState.REASSESSMENT: (Outcome.APPROVE_PLAN,),
}
DECISION_MOVES = {
    Outcome.SELECT: Move.SELECT,
    Outcome.NOT_SELECT: Move.NOT_SELECT,
    Outcome.APPROVE_PLAN: Move.APPROVE_PLAN,
    Outcome.EXTEND: Move.EXTEND,
    Outcome.TRANSFER: Move.TRANSFER,
    Outcome.CLOSE: Move.CLOSE,
}
PROPOSAL_FOR = {
    Outcome.SELECT: Proposal.SELECTION,
    Outcome.NOT_SELECT: Proposal.SELECTION,
    Outcome.APPROVE_PLAN: Proposal.PLAN,
    Outcome.EXTEND: Proposal.EXTENSION,
    Outcome.TRANSFER: Proposal.TRANSFER,
    Outcome.CLOSE: Proposal.CLOSURE,
}

MACHINE_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# The tables whose rows a refused action must leave as they were: counted in one query.
COUNTED = (
    Transition, LinkageStep, AuditEvent, Case, Linkage, Conference, Attendee, AgendaItem, CasePlan, Goal,
    MonitoringNote, GoalProgress, FollowUpCheck, Consent,
)  # fmt: skip


def _snapshot() -> tuple:
    """Everything a refused action could have written: row counts, and the changing columns of existing rows."""
    counts = ", ".join(f"(SELECT COUNT(*) FROM {m._meta.db_table})" for m in COUNTED)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = tuple(cursor.fetchone())
    return (
        row,
        list(Case.objects.order_by("pk").values_list("pk", "state", "version", "lead_agency", "dong", "closed_on")),
        list(Linkage.objects.order_by("pk").values_list("pk", "state", "version", "delivered_won", "answered_on")),
        list(Consent.objects.order_by("pk").values_list("pk", "withdrawn_on")),
        list(AgendaItem.objects.order_by("pk").values_list("pk", "outcome")),
        list(Conference.objects.order_by("pk").values_list("pk", "status")),
        list(CasePlan.objects.order_by("pk").values_list("pk", "agreed_on")),
        list(FollowUpCheck.objects.order_by("pk").values_list("pk", "done_on")),
    )


def attempt(label: str, call, /, *, must_refuse: bool = False, must_succeed: bool = False, **kwargs):
    """Run one service: its result, or None when it refused; a refusal that wrote anything fails the test, and so
    does an answer the machine knows to be wrong."""
    before = _snapshot()
    try:
        result = call(**kwargs)
    except REFUSALS as refusal:
        assert not must_succeed, f"{label} was refused: {refusal!r}"
        assert _snapshot() == before, f"{label} was refused ({refusal!r}) but wrote to the database"
        event(f"{label}: refused")
        return None
    assert not must_refuse, f"{label} should have been refused"
    event(f"{label}: done")
    return result


def _goals(valid: bool) -> list[GoalEntry]:
    if not valid:
        return []
    return [GoalEntry(NeedDomain.ECONOMY, "생계 안정", "월 소득 100만원 확보", today_kst() + timedelta(days=90))]


def build_machine(city) -> type[RuleBasedStateMachine]:
    users = city.users
    welfare = city.agencies["welfare"]
    partner = users["agency_worker"]
    persons = city.persons  # 0, 1, 2: heads of households 0, 1, 2; 3: the spouse in household 0
    members = {
        h.pk: set(Membership.objects.filter(household=h, moved_out__isnull=True).values_list("person_id", flat=True))
        for h in city.households
    }
    staff_ids = {key: users[key].staff.pk for key in ("dong_officer", "district_manager", "agency_worker")}
    agency_ids = {key: city.agencies[key].pk for key in ("dong0", "district", "welfare")}
    dongs = [d.code for d in city.dongs]
    district = city.districts[0].code

    class CaseMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Each example in a savepoint of the test's transaction, rolled back in teardown.
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()
            self.case_ids: list[int] = []
            self.linkage_ids: list[int] = []
            # The machine's own account of consents to the partner: what it gave and withdrew (the fixture starts
            # with household 0's head consenting).
            self.consented = {p.pk: False for p in persons}
            self.consented[persons[0].pk] = True

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        # ---------------------------------------------------------------------------------------------- helpers
        def partner_may_see(self, household_id: int) -> bool:
            return any(self.consented[p] for p in members[household_id])

        @staticmethod
        def _pick(data, model, ids: list[int], prefer, label: str):
            """A row among the machine's own: half of the time one in a state where the action can succeed (so
            that sequences reach deep states), otherwise any (so that the refusals are tried too)."""
            choices = st.sampled_from(ids)
            preferred = list(
                model.objects.filter(pk__in=ids, state__in=prefer).order_by("pk").values_list("pk", flat=True)
            )
            if preferred:
                choices = st.one_of(st.sampled_from(preferred), choices)
            return model.objects.get(pk=data.draw(choices, label=label))

        def case(self, data, prefer=OPEN_STATES) -> Case:
            return self._pick(data, Case, self.case_ids, prefer, "case")

        def linkage(self, data, prefer) -> Linkage:
            return self._pick(data, Linkage, self.linkage_ids, prefer, "linkage")

        def answerer(self, data, linkage: Linkage) -> str:
            """Who answers for the provider (the partner for itself, the district's staff for one named by hand),
            half of the time; anyone otherwise."""
            right = "agency_worker" if linkage.provider_id == welfare.pk else "district_manager"
            return data.draw(st.one_of(st.just(right), st.sampled_from(USERS)), "user")

        @staticmethod
        def lead(choice) -> dict[str, int | None]:
            agency, worker = choice or (None, None)
            return {
                "lead_agency_id": agency_ids[agency] if agency else None,
                "lead_worker_id": staff_ids[worker] if worker else None,
            }

        def partner_refused_everywhere(self, household_id: int) -> None:
            """Right after the household stops consenting: the partner can act on none of its linkages."""
            for linkage in Linkage.objects.filter(household_id=household_id, provider=welfare):
                for label, call, extra in (
                    ("partner answers without consent", answer_linkage, {"accept": True}),
                    ("partner delivers without consent", record_delivery, {"won": 1000}),
                    ("partner ends without consent", end_linkage, {}),
                ):
                    attempt(label, call, must_refuse=True, user=partner, linkage_id=linkage.pk, on=today_kst(), **extra)

        # ------------------------------------------------------------------------------------------- the start
        @initialize(start=st.sampled_from(["nothing", "candidate", "in service", "linked", "linked"]))
        def start(self, start: str) -> None:
            """Deep states take many steps to reach by chance: some examples start with household 0's case already
            selected, planned, agreed and approved, and some with services requested from the partner and from a
            provider named by hand, all through the same services."""
            if start == "candidate":
                self.case_ids.append(candidate(city).pk)
            elif start in ("in service", "linked"):
                self.case_ids.append(in_service(city).pk)
            if start == "linked":
                for provider_id, frequency in ((welfare.pk, Frequency.PERIODIC), (None, Frequency.ONCE)):
                    entry = LinkageEntry(
                        domain=NeedDomain.HEALTH,
                        service=SERVICES[1],
                        frequency=frequency,
                        requested_on=today_kst() - timedelta(days=4),
                        provider_id=provider_id,
                        provider_name="" if provider_id else "보건소 방문간호",
                        sector="public",
                    )
                    linkage = request_linkage(user=users["dong_officer"], case_id=self.case_ids[0], entry=entry)
                    self.linkage_ids.append(linkage.pk)

        # ------------------------------------------------------------------------------------------------ cases
        @rule(user=st.sampled_from(USERS), household=st.integers(0, 2))
        def propose(self, user: str, household: int) -> None:
            h = city.households[household]
            open_here = Case.objects.filter(
                household=h, district_id=district_of(h.dong_id), state__in=OPEN_STATES
            ).exists()
            allowed = household in PROPOSERS.get(user, set()) and not open_here
            case = attempt(
                "propose_case",
                propose_case,
                must_succeed=allowed,
                must_refuse=not allowed,
                user=users[user],
                household_id=h.pk,
                intake_on=today_kst(),
                reason="복합 위기 가구 발견",
            )
            if case is not None:
                self.case_ids.append(case.pk)

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF, where=st.sampled_from([("district", 0), ("dong", 0), ("dong", 1)]))
        def conference_decides(self, data, user: str, where: tuple[str, int]) -> None:
            """A conference planned, attended (the partner at the table), the case on its agenda, held, decided,
            sometimes its minutes closed; each step through its service, each refusal checked."""
            case = self.case(data)
            sensible = SENSIBLE.get(case.state, ())
            outcomes = st.sampled_from(Outcome.values)
            outcome = data.draw(st.one_of(st.sampled_from(sensible), outcomes) if sensible else outcomes, "outcome")
            kind, index = where
            u = users[user]
            conf = attempt(
                "plan_conference",
                plan_conference,
                user=u,
                kind=kind,
                held_on=today_kst(),
                district_code=district if kind == "district" else "",
                dong_code=dongs[index] if kind == "dong" else "",
            )
            if conf is None:
                return
            attempt("add_attendee", add_attendee, user=u, conference_id=conf.pk, name="worker", agency_id=welfare.pk)
            item = attempt(
                "put_on_agenda",
                put_on_agenda,
                must_refuse=case.state not in OPEN_STATES,
                user=u,
                conference_id=conf.pk,
                case_id=case.pk,
                proposal=PROPOSAL_FOR.get(outcome, Proposal.REVIEW),
            )
            entry = DecisionEntry(
                outcome=outcome,
                note="회의 결과 기록",
                **self.lead(data.draw(st.sampled_from(LEADS), "lead")),
                to_dong_code=data.draw(st.sampled_from(["", *dongs]), "to dong"),
                closure_reason=data.draw(st.sampled_from(["", *ClosureReason.values]), "closure reason"),
            )
            if item is not None and data.draw(st.booleans(), "decide before it is held"):
                attempt("decide before held", decide, must_refuse=True, user=u, item_id=item.pk, entry=entry)
            if attempt("hold_conference", hold_conference, user=u, conference_id=conf.pk) is None or item is None:
                return
            case.refresh_from_db()
            how = DECISION_MOVES.get(outcome)
            illegal = how is not None and (case.state, how) not in MOVES
            attempt("decide", decide, must_refuse=illegal, user=u, item_id=item.pk, entry=entry)
            if data.draw(st.booleans(), "close the minutes"):
                item.refresh_from_db()
                closed = attempt(
                    "close_minutes", close_minutes, must_refuse=not item.outcome, user=u, conference_id=conf.pk
                )
                if closed is not None:
                    attempt(
                        "add_attendee after the minutes",
                        add_attendee,
                        must_refuse=True,
                        user=u,
                        conference_id=conf.pk,
                        name="늦은 참석자",
                        agency_name="자원봉사센터",
                    )

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF, valid=st.booleans(), agree=st.booleans(), verbal=st.booleans())
        def plan(self, data, user: str, valid: bool, agree: bool, verbal: bool) -> None:
            case = self.case(data, PLANNABLE)
            plan = attempt(
                "draft_plan",
                draft_plan,
                must_refuse=not valid or case.state not in PLANNABLE,
                user=users[user],
                case_id=case.pk,
                made_on=today_kst(),
                goals=_goals(valid),
            )
            latest = CasePlan.objects.filter(case=case).order_by("-version").first()
            if agree and latest is not None:
                attempt(
                    "record_agreement",
                    record_agreement,
                    user=users[user],
                    case_id=(plan or latest).case_id,
                    plan_id=(plan or latest).pk,
                    agreed_on=today_kst(),
                    method="verbal" if verbal else "signed_form",
                    witness_name=data.draw(st.sampled_from(["", "이웃 주민"]), "witness") if verbal else "",
                )

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF, reassessment=st.booleans())
        def monitor(self, data, user: str, reassessment: bool) -> None:
            case = self.case(data, SERVING_STATES)
            attempt(
                "record_monitoring",
                record_monitoring,
                must_refuse=case.state not in SERVING_STATES,
                user=users[user],
                case_id=case.pk,
                held_on=today_kst(),
                note="방문 상담, 생활 상태 확인",
                reassessment=reassessment,
                needs={"economy": "serious"} if reassessment else None,
                crisis_level="위기" if reassessment else "",
            )

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF, how=st.sampled_from(Move.values))
        def phase(self, data, user: str, how: str) -> None:
            case = self.case(data, SERVING_STATES)
            own_moves = (Move.START_MONITORING, Move.RESUME_SERVICE, Move.KEEP_PLAN)
            attempt(
                f"change_phase {how}",
                change_phase,
                must_refuse=how not in own_moves or (case.state, how) not in MOVES,
                user=users[user],
                case_id=case.pk,
                how=how,
                reason="담당자 판단",
            )

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF, reason=st.sampled_from([*ClosureReason.values, "bogus"]))
        def close(self, data, user: str, reason: str) -> None:
            case = self.case(data)
            attempt(
                f"close_case {reason}",
                close_case,
                must_refuse=case.state not in OPEN_STATES or reason in ("bogus", ClosureReason.NOT_SELECTED),
                user=users[user],
                case_id=case.pk,
                reason=reason,
                on=today_kst(),
            )

        @precondition(lambda self: FollowUpCheck.objects.exists())
        @rule(data=st.data(), user=STAFF)
        def follow_up(self, data, user: str) -> None:
            checks = list(FollowUpCheck.objects.order_by("pk").values_list("pk", "case__state", "case_id"))
            due = [c for c in checks if c[1] == CaseState.FOLLOW_UP]
            choices = st.one_of(st.sampled_from(due), st.sampled_from(checks)) if due else st.sampled_from(checks)
            check_id, state, case_id = data.draw(choices, "check")
            attempt(
                "record_follow_up",
                record_follow_up,
                must_refuse=state != CaseState.FOLLOW_UP,
                user=users[user],
                case_id=case_id,
                check_id=check_id,
                done_on=today_kst(),
                finding="생활 안정 확인",
            )

        @precondition(lambda self: self.case_ids)
        @rule(data=st.data(), user=STAFF)
        def reopen(self, data, user: str) -> None:
            case = self.case(data, (CaseState.FOLLOW_UP, CaseState.CLOSED))
            attempt(
                "reopen_case",
                reopen_case,
                must_refuse=case.state in OPEN_STATES,
                user=users[user],
                case_id=case.pk,
                reason="위기 재발 확인",
            )

        @precondition(lambda self: self.case_ids)
        @rule(
            data=st.data(),
            user=STAFF,
            to_dong=st.sampled_from([None, 0, 1, 2]),
            lead=st.sampled_from(LEADS),
        )
        def transfer(self, data, user: str, to_dong, lead) -> None:
            case = self.case(data)
            attempt(
                "transfer_case",
                transfer_case,
                must_refuse=case.state not in OPEN_STATES,
                user=users[user],
                case_id=case.pk,
                reason="담당 기관 변경",
                to_dong_code=dongs[to_dong] if to_dong is not None else None,
                **self.lead(lead),
            )

        # -------------------------------------------------------------------------------------------- linkages
        @precondition(lambda self: self.case_ids)
        @rule(
            data=st.data(),
            user=STAFF,
            provider=st.sampled_from(["named public", "welfare", "other private"]),
            frequency=st.sampled_from(Frequency.values),
            service=st.sampled_from(SERVICES),
            days_ago=DAYS_AGO,
        )
        def request(self, data, user: str, provider: str, frequency: str, service: str, days_ago: int) -> None:
            case = self.case(data, LINKABLE)
            entry = LinkageEntry(
                domain=NeedDomain.DAILY_LIVING,
                service=service,
                frequency=frequency,
                requested_on=today_kst() - timedelta(days=days_ago),
                provider_id={"welfare": welfare.pk, "other private": city.agencies["other"].pk}.get(provider),
                provider_name="보건소 방문간호" if provider == "named public" else "",
                sector="public",
                planned_won=300_000,
            )
            refused = (
                case.state not in LINKABLE
                or provider == "other private"  # nobody ever consented to share with it
                or (provider == "welfare" and not self.partner_may_see(case.household_id))
            )
            linkage = attempt(
                f"request_linkage {provider}",
                request_linkage,
                must_refuse=refused,
                user=users[user],
                case_id=case.pk,
                entry=entry,
            )
            if linkage is not None:
                self.linkage_ids.append(linkage.pk)

        def answerer_refused(self, user: str, linkage: Linkage) -> bool:
            """Certain refusals of an answer: a private partner answers for itself alone, only while the household
            consents; a provider named by hand is answered for by the case's public staff, never by a partner."""
            if user in ("district_admin", "safety_net", "analyst"):
                return True
            if linkage.provider_id == welfare.pk:
                return user != "agency_worker" or not self.partner_may_see(linkage.household_id)
            return user == "agency_worker"

        def partner_answers(self, user: str, linkage: Linkage) -> bool:
            return (
                user == "agency_worker"
                and linkage.provider_id == welfare.pk
                and self.partner_may_see(linkage.household_id)
            )

        def answer(self, data, accept: bool, days_ago: int) -> None:
            linkage = self.linkage(data, (LinkageState.REQUESTED,))
            user = self.answerer(data, linkage)
            on = today_kst() - timedelta(days=days_ago)
            refused = (
                self.answerer_refused(user, linkage)
                or linkage.state != LinkageState.REQUESTED
                or on < linkage.requested_on
            )
            attempt(
                "answer_linkage",
                answer_linkage,
                must_refuse=refused,
                must_succeed=not refused and self.partner_answers(user, linkage),
                user=users[user],
                linkage_id=linkage.pk,
                accept=accept,
                on=on,
                note="제공 가능 여부 검토",
            )

        def deliver(self, data, won: int, days_ago: int) -> None:
            linkage = self.linkage(data, (LinkageState.ACCEPTED, LinkageState.DELIVERING))
            user = self.answerer(data, linkage)
            on = today_kst() - timedelta(days=days_ago)
            refused = (
                self.answerer_refused(user, linkage)
                or linkage.state not in (LinkageState.ACCEPTED, LinkageState.DELIVERING)
                or won < 0
                or on < (linkage.answered_on or linkage.requested_on)
            )
            attempt(
                "record_delivery",
                record_delivery,
                must_refuse=refused,
                must_succeed=not refused and self.partner_answers(user, linkage),
                user=users[user],
                linkage_id=linkage.pk,
                on=on,
                won=won,
            )

        def end(self, data, days_ago: int) -> None:
            linkage = self.linkage(data, (LinkageState.ACCEPTED, LinkageState.DELIVERING))
            user = self.answerer(data, linkage)
            refused = self.answerer_refused(user, linkage) or linkage.state not in (
                LinkageState.ACCEPTED,
                LinkageState.DELIVERING,
            )
            attempt(
                "end_linkage",
                end_linkage,
                must_refuse=refused,
                user=users[user],
                linkage_id=linkage.pk,
                on=today_kst() - timedelta(days=days_ago),
            )

        def cancel(self, data, user: str) -> None:
            linkage = self.linkage(data, (LinkageState.REQUESTED,))
            attempt(
                "cancel_linkage",
                cancel_linkage,
                must_refuse=linkage.state != LinkageState.REQUESTED,
                user=users[user],
                linkage_id=linkage.pk,
                reason="다른 기관으로 재연계",
            )

        # -------------------------------------------------------------------------------------------- consents
        def give_consent(self, user: str, person: int) -> None:
            p = persons[person]
            allowed = person in CONSENT_KEEPERS.get(user, set()) and not self.consented[p.pk]
            consent = attempt(
                "record_consent",
                record_consent,
                must_succeed=allowed,
                must_refuse=not allowed,
                user=users[user],
                person=p,
                recipient=welfare,
                purpose="case_management",
            )
            if consent is not None:
                self.consented[p.pk] = True

        def withdraw(self, user: str, person: int) -> None:
            p = persons[person]
            consents = Consent.objects.filter(person=p, recipient=welfare).order_by("-pk")
            consent = consents.filter(consent_active_on(today_kst())).first() or consents.first()
            if consent is None:
                return
            allowed = person in CONSENT_KEEPERS.get(user, set()) and consent.withdrawn_on is None
            done = attempt(
                "withdraw_consent",
                withdraw_consent,
                must_succeed=allowed,
                must_refuse=not allowed,
                user=users[user],
                consent=consent,
                reason=REASON,
            )
            if done is not None:
                self.consented[p.pk] = False
                household = Membership.objects.get(person=p, moved_out__isnull=True).household_id
                if not self.partner_may_see(household):
                    self.partner_refused_everywhere(household)

        # One rule per object for the linkage's steps and for consents, so that the choice of rules (Hypothesis
        # switches some off in each example) does not leave an example without any of them.
        @precondition(lambda self: self.linkage_ids)
        @rule(
            data=st.data(),
            step=st.sampled_from(["answer", "deliver", "end", "cancel"]),
            days_ago=DAYS_AGO,
            accept=st.booleans(),
            won=st.sampled_from([0, 50_000, 120_000, -1]),
            user=STAFF,
        )
        def linkage_step(self, data, step: str, days_ago: int, accept: bool, won: int, user: str) -> None:
            if step == "answer":
                self.answer(data, accept, days_ago)
            elif step == "deliver":
                self.deliver(data, won, days_ago)
            elif step == "end":
                self.end(data, days_ago)
            else:
                self.cancel(data, user)

        @rule(
            give=st.booleans(),
            user=st.one_of(st.just("dong_officer"), st.sampled_from(USERS)),
            person=st.integers(0, 3),
        )
        def consent(self, give: bool, user: str, person: int) -> None:
            if give:
                self.give_consent(user, person)
            else:
                self.withdraw(user, person)

        # ------------------------------------------------------------------------------------------ invariants
        @invariant()
        def a_case_is_open_exactly_while_it_has_no_closing_date(self) -> None:
            for pk, state, closed_on in Case.objects.values_list("pk", "state", "closed_on"):
                assert (state in OPEN_STATES) == (closed_on is None), (pk, state, closed_on)

        @invariant()
        def every_move_is_a_legal_row_with_one_audit_event(self) -> None:
            audited = Counter(
                (action, (detail or {}).get("transition"))
                for action, detail in AuditEvent.objects.filter(action__startswith="cases.").values_list(
                    "action", "detail"
                )
            )
            rows: dict[int, list[Transition]] = {}
            for t in Transition.objects.order_by("pk"):
                rows.setdefault(t.case_id, []).append(t)
            for case in Case.objects.all():
                moves = rows.get(case.pk, [])
                assert moves and (moves[0].from_state, moves[0].move) == ("", Move.PROPOSE), case.pk
                state = ""
                for t in moves:
                    assert t.from_state == state, (case.pk, t.move, t.from_state, state)
                    target = MOVES.get((t.from_state, t.move))
                    closed_at_once = t.move == Move.CLOSE and target is not None and t.to_state == CaseState.CLOSED
                    assert target == t.to_state or closed_at_once, (case.pk, t.from_state, t.move, t.to_state)
                    assert audited[(f"cases.{t.move}", t.pk)] == 1, (case.pk, t.move, t.pk)
                    state = t.to_state
                assert case.state == state, (case.pk, case.state, state)
            moved = {(f"cases.{t.move}", t.pk) for ts in rows.values() for t in ts}
            claimed = {key for key in audited if key[1] is not None}
            assert claimed <= moved, claimed - moved  # no audit event names a transition that is not there

        @invariant()
        def a_linkage_is_delivered_only_after_it_was_accepted(self) -> None:
            steps: dict[int, list[LinkageStep]] = {}
            for s in LinkageStep.objects.order_by("pk"):
                steps.setdefault(s.linkage_id, []).append(s)
            for linkage in Linkage.objects.all():
                rows = steps.get(linkage.pk, [])
                assert rows and rows[0].move == LinkageMove.REQUEST, linkage.pk
                state = ""
                for s in rows:
                    assert s.from_state == state and LINKAGE_MOVES.get((state, s.move)) == s.to_state, (
                        linkage.pk,
                        state,
                        s.move,
                        s.to_state,
                    )
                    state = s.to_state
                assert linkage.state == state, (linkage.pk, linkage.state, state)
                # ... and in the order of their dates: nothing dated before the request, no delivery dated before
                # the acceptance, no end dated before a delivery.
                dated = {move: [s.on for s in rows if s.move == move] for move in LinkageMove.values}
                assert all(s.on >= linkage.requested_on for s in rows), (linkage.pk, dated)
                for delivered_on in dated[LinkageMove.DELIVER]:
                    assert dated[LinkageMove.ACCEPT] and delivered_on >= dated[LinkageMove.ACCEPT][0], (
                        linkage.pk,
                        dated,
                    )
                    assert all(ended_on >= delivered_on for ended_on in dated[LinkageMove.END]), (linkage.pk, dated)
                moves = [s.move for s in rows]
                if LinkageMove.DELIVER in moves:
                    assert LinkageMove.ACCEPT in moves, (linkage.pk, moves)
                    assert moves.index(LinkageMove.ACCEPT) < moves.index(LinkageMove.DELIVER), (linkage.pk, moves)
                    assert linkage.answered_on is not None, linkage.pk
                delivered = sum(s.won for s in rows if s.move == LinkageMove.DELIVER)
                assert linkage.delivered_won == delivered, (linkage.pk, linkage.delivered_won, delivered)

        @invariant()
        def never_two_open_cases_for_one_household_in_one_district(self) -> None:
            open_cases = Counter(Case.objects.filter(state__in=OPEN_STATES).values_list("household_id", "district_id"))
            assert all(n == 1 for n in open_cases.values()), open_cases

        @invariant()
        def the_partner_sees_only_households_that_consent_today(self) -> None:
            consenting = {h for h in members if self.partner_may_see(h)}
            seen = set(linkages_visible_to(partner).values_list("pk", "household_id"))
            assert {h for _pk, h in seen} <= consenting, (seen, consenting)
            theirs = Linkage.objects.filter(provider=welfare, household_id__in=consenting)
            assert seen == set(theirs.values_list("pk", "household_id"))
            cases = set(cases_visible_to(partner).values_list("pk", "household_id"))
            assert {h for _pk, h in cases} <= consenting, (cases, consenting)
            led = Case.objects.filter(lead_agency=welfare, household_id__in=consenting)
            assert cases == set(led.values_list("pk", "household_id"))
            note(f"partner sees linkages {sorted(seen)} and cases {sorted(cases)}")

    return CaseMachine


def test_random_sequences_of_actions_keep_the_invariants_of_case_management(city):
    run_state_machine_as_test(build_machine(city), settings=MACHINE_SETTINGS)


# ------------------------------------------------------------------------------------------- the move tables
def _reachable(table: dict[tuple[str, str], str]) -> set[str]:
    seen, todo = {""}, deque([""])
    while todo:
        state = todo.popleft()
        for (origin, _move), target in table.items():
            if origin == state and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@given(target=st.sampled_from(CaseState.values), walk=st.lists(st.sampled_from(Move.values), max_size=40))
def test_every_case_state_is_reachable_and_only_reopening_leaves_closed(target, walk):
    assert target in _reachable(MOVES)
    state = ""
    for how in walk:
        following = MOVES.get((state, how))
        if state == CaseState.CLOSED and following is not None:
            assert how == Move.REOPEN and following in OPEN_STATES
        if following is not None:
            assert following in CaseState.values
            state = following
    assert {how for (origin, how) in MOVES if origin == CaseState.CLOSED} == {Move.REOPEN}


@given(target=st.sampled_from(LinkageState.values), walk=st.lists(st.sampled_from(LinkageMove.values), max_size=30))
def test_every_linkage_state_is_reachable_and_a_delivery_follows_an_acceptance(target, walk):
    assert target in _reachable(LINKAGE_MOVES)
    state, taken = "", []
    for how in walk:
        following = LINKAGE_MOVES.get((state, how))
        if following is not None:
            taken.append(how)
            state = following
    if LinkageMove.DELIVER in taken:
        assert LinkageMove.ACCEPT in taken[: taken.index(LinkageMove.DELIVER)]
    for ended in (LinkageState.DECLINED, LinkageState.ENDED, LinkageState.CANCELLED):
        assert not [how for (origin, how) in LINKAGE_MOVES if origin == ended]


# ------------------------------------------------------------------------------------ the partner's own pages
def test_the_partner_loses_the_linkage_page_the_day_the_household_withdraws(client, city):
    """From the outside: the partner's page of a linkage answers 404 once the household's consent is withdrawn,
    the linkage leaves the selectors the page reads through, and every answer of the partner is refused."""
    case = in_service(city)
    linkage = request_linkage(
        user=city.users["dong_officer"],
        case_id=case.pk,
        entry=LinkageEntry(
            domain=NeedDomain.DAILY_LIVING,
            service="밑반찬 배달",
            frequency=Frequency.PERIODIC,
            requested_on=today_kst(),
            provider_id=city.agencies["welfare"].pk,
        ),
    )
    partner = city.users["agency_worker"]
    client.force_login(partner)
    assert client.get(reverse("linkage_detail", args=[linkage.pk])).status_code == 200
    assert list(linkages_visible_to(partner).values_list("pk", flat=True)) == [linkage.pk]
    consent = Consent.objects.get(person=city.persons[0], recipient=city.agencies["welfare"])
    withdraw_consent(user=city.users["dong_officer"], consent=consent, reason=REASON)
    assert client.get(reverse("linkage_detail", args=[linkage.pk])).status_code == 404
    assert not linkages_visible_to(partner).exists()
    with pytest.raises(Http404):
        answer_linkage(user=partner, linkage_id=linkage.pk, accept=True, on=today_kst())
    linkage.refresh_from_db()
    assert linkage.state == LinkageState.REQUESTED


# ----------------------------------------------------------------------------- regressions the machine found
def _welfare_entry(city, requested_on, frequency=Frequency.PERIODIC) -> LinkageEntry:
    return LinkageEntry(
        domain=NeedDomain.DAILY_LIVING,
        service="밑반찬 배달",
        frequency=frequency,
        requested_on=requested_on,
        provider_id=city.agencies["welfare"].pk,
    )


def test_a_request_dated_before_a_withdrawal_does_not_reach_the_partner(city):
    """Found by the state machine: consent withdrawn today, then a request to the partner dated yesterday (when
    the consent still stood) was accepted, so the partner received a household that no longer consents."""
    case = in_service(city)
    consent = Consent.objects.get(person=city.persons[0], recipient=city.agencies["welfare"])
    withdraw_consent(user=city.users["dong_officer"], consent=consent, reason=REASON)
    yesterday = today_kst() - timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        request_linkage(user=city.users["dong_officer"], case_id=case.pk, entry=_welfare_entry(city, yesterday))
    assert "provider" in refused.value.message_dict
    assert not Linkage.objects.filter(case=case).exists()


def test_a_linkage_is_not_ended_on_a_day_before_its_last_delivery(city):
    """An end dated before a delivery left won delivered after the linkage had ended."""
    case = in_service(city)
    partner, days = city.users["agency_worker"], [today_kst() - timedelta(days=n) for n in range(5)]
    linkage = request_linkage(user=city.users["dong_officer"], case_id=case.pk, entry=_welfare_entry(city, days[4]))
    answer_linkage(user=partner, linkage_id=linkage.pk, accept=True, on=days[4])
    record_delivery(user=partner, linkage_id=linkage.pk, on=days[0], won=50_000)
    with pytest.raises(ValidationError):
        end_linkage(user=partner, linkage_id=linkage.pk, on=days[2])
    end_linkage(user=partner, linkage_id=linkage.pk, on=days[0])
    linkage.refresh_from_db()
    assert linkage.state == LinkageState.ENDED and linkage.ended_on == days[0]
