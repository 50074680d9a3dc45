"""Opening a case and working it between conferences: a candidate from intake's decision, monitoring and
reassessment, the phases of service, closure with its follow-up checks, reopening and transfer within the
district. Decisions of a conference are in `conferences.py`; all moves go through `lifecycle.move`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from dolbom.cases.models import (
    DEFAULT_TYPES,
    NO_FOLLOW_UP,
    OPEN_STATES,
    SERVING_STATES,
    Case,
    CaseClock,
    CaseState,
    CaseTier,
    CaseType,
    ClosureReason,
    FollowUpCheck,
    GoalProgress,
    GoalStatus,
    LinkageState,
    MonitoringNote,
    Move,
    NoteKind,
)
from dolbom.cases.selectors import case_rules, cases_visible_to, household_consented_to
from dolbom.cases.services.lifecycle import move, refresh_due
from dolbom.cases.services.linkage_steps import withdraw_request
from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of, scope_for, visible_or_404
from dolbom.core.text import visible_length, visible_text
from dolbom.intake.selectors import current_assessment, current_record, decisions_visible_to
from dolbom.intake.services.consultations import take_decision
from dolbom.registry.models import AdministrativeArea, Agency, AreaLevel, Sector, Staff
from dolbom.registry.selectors import households_visible_to

MIN_REASON = 4


def _reason(text: str, field: str = "reason") -> str:
    text = visible_text(text)
    if visible_length(text) < MIN_REASON:
        raise ValidationError({field: _("Say why, in at least four characters.")})
    return text


def _not_future(on: date | None, field: str) -> date:
    if on is None:
        raise ValidationError({field: _("Enter the date.")})
    if on > today_kst():
        raise ValidationError({field: _("The date cannot be in the future.")})
    return on


def locked_case(user: Any, case_id: int) -> Case:
    """A case the user may see, locked for the change (404 outside the scope)."""
    return visible_or_404(cases_visible_to(user).select_for_update(of=("self",)), case_id)


# ------------------------------------------------------------------------------------------------ case types
def case_types(*, district_code: str, user: Any = None) -> list[CaseType]:
    """The district's case types in use. A district that has none gets 일반사례 and 고난도사례, stored as its own
    rows in the installation's language, which its administrator renames or extends in the admin."""
    types = CaseType.objects.filter(district_id=district_code)
    if not types.exists():
        try:
            with transaction.atomic():
                for tier, months in DEFAULT_TYPES:
                    with translation.override(settings.LANGUAGE_CODE):
                        name = str(CaseTier(tier).label)
                    CaseType.objects.create(district_id=district_code, name=name, tier=tier, duration_months=months)
                audit.record(user, "cases.default_case_types", detail={"district": district_code})
        except IntegrityError:
            pass  # created at the same moment by another request
    return list(types.filter(active=True).order_by("tier", "name"))


def case_type_for(district_code: str, case_type_id: int | None, user: Any) -> CaseType:
    """The chosen type among the district's, or its first general type when none is chosen."""
    types = case_types(district_code=district_code, user=user)
    if not types:
        raise ValidationError({"case_type": _("The district has no case type in use: ask its administrator.")})
    if case_type_id is None:
        general = [t for t in types if t.tier == CaseTier.GENERAL]
        return (general or types)[0]
    chosen = next((t for t in types if t.pk == case_type_id), None)
    if chosen is None:
        raise ValidationError({"case_type": _("Choose one of the district's case types.")})
    return chosen


# ------------------------------------------------------------------------------------------------- candidates
def _refuse_second_open_case(household_id: int, district_code: str) -> None:
    if Case.objects.filter(household_id=household_id, district_id=district_code, state__in=OPEN_STATES).exists():
        raise ValidationError(
            {"household": _("This household already has an open case in this district: work in that one.")}
        )


def propose_from_decision(*, user: Any, decision_id: int, case_type_id: int | None = None) -> Case:
    """Intake decided that a household is a case-management candidate: the case opens as a candidate, with the
    intake and assessment dates the clocks count from, and intake's decision is marked taken up."""
    ensure_can(user, "cases.propose")
    with transaction.atomic():
        decision = visible_or_404(
            decisions_visible_to(user).select_related("consultation__household__dong", "assessment"), decision_id
        )
        household = decision.consultation.household
        district = district_of(household.dong_id)
        existing = Case.objects.filter(intake_decision=decision).first()
        if existing is not None:
            return existing  # the same form sent twice
        _refuse_second_open_case(household.pk, district)
        record = current_record(decision.consultation)
        assessment = decision.assessment or current_assessment(decision.consultation)
        case = _create(
            user=user,
            household=household,
            district=district,
            case_type=case_type_for(district, case_type_id, user),
            intake_on=record.held_on if record is not None else decision.decided_on,
            assessed_on=assessment.assessed_on if assessment is not None else None,
            intake_decision=decision,
        )
        take_decision(user=user, decision_id=decision.pk, reference=f"cases.Case:{case.pk}")
    return case


def propose_case(
    *, user: Any, household_id: int, intake_on: date, reason: str, case_type_id: int | None = None
) -> Case:
    """A household proposed without an intake decision (a partner presents it at a conference, a case moved in
    from another district): the reason is kept on the first transition."""
    ensure_can(user, "cases.propose")
    reason = _reason(reason)
    intake_on = _not_future(intake_on, "intake_on")
    with transaction.atomic():
        household = visible_or_404(households_visible_to(user).select_for_update(of=("self",)), household_id)
        district = district_of(household.dong_id)
        scope_for(user).ensure_area(household.dong_id)
        _refuse_second_open_case(household.pk, district)
        return _create(
            user=user,
            household=household,
            district=district,
            case_type=case_type_for(district, case_type_id, user),
            intake_on=intake_on,
            assessed_on=None,
            reason=reason,
        )


def _create(*, user: Any, household: Any, district: str, case_type: CaseType, intake_on: date, **extra: Any) -> Case:
    reason = extra.pop("reason", "")
    staff = getattr(user, "staff", None)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                household=household,
                district_id=district,
                dong_id=household.dong_id,
                case_type=case_type,
                state=CaseState.CANDIDATE,
                lead_agency=staff.agency,
                lead_worker=staff,
                intake_on=intake_on,
                opened_by=user,
                **extra,
            )
    except IntegrityError as clash:
        raise ValidationError(
            {"household": _("This household already has an open case in this district: work in that one.")}
        ) from clash
    case.state = ""  # the first transition is written from nothing, like every other
    move(case, Move.PROPOSE, user=user, on=today_kst(), reason=reason)
    return case


# ---------------------------------------------------------------------------------------- monitoring, phases
@dataclass(frozen=True)
class Progress:
    status: str
    comment: str = ""


def record_monitoring(
    *,
    user: Any,
    case_id: int,
    held_on: date | None,
    note: str,
    progress: Mapping[int, Progress] | None = None,
    reassessment: bool = False,
    needs: Mapping[str, str] | None = None,
    crisis_level: str = "",
) -> MonitoringNote:
    """A monitoring note with each goal's progress; a reassessment (needs and crisis level again) also moves the
    case to reassessment, from where a new plan is approved or the plan is kept."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        held_on = _not_future(held_on, "held_on")
        note = visible_text(note)
        if visible_length(note) < MIN_REASON:
            raise ValidationError({"note": _("Write what was found, in at least four characters.")})
        if case.state not in SERVING_STATES:
            raise ValidationError({"held_on": _("Monitoring is recorded while the case is in service.")})
        if reassessment and case.state == CaseState.REASSESSMENT:
            raise ValidationError({"held_on": _("The case is being reassessed already: approve a plan or keep it.")})
        staff = getattr(user, "staff", None)
        if staff is None:
            raise PermissionDenied("cases.work: no staff record")
        row = MonitoringNote.objects.create(
            case=case,
            kind=NoteKind.REASSESSMENT if reassessment else NoteKind.MONITORING,
            held_on=held_on,
            worker=staff,
            note=note,
            needs=dict(needs or {}),
            crisis_level=crisis_level[:30],
            recorded_by=user,
        )
        goals = {g.pk: g for g in _current_goals(case)}
        for goal_id, answer in (progress or {}).items():
            if goal_id not in goals or answer.status not in GoalStatus.values:
                raise ValidationError({"progress": _("Give the progress of the plan's own goals.")})
            GoalProgress.objects.create(note=row, goal=goals[goal_id], status=answer.status, comment=answer.comment)
        if case.last_monitored_on is None or held_on > case.last_monitored_on:
            case.last_monitored_on = held_on
        if reassessment:
            case.assessed_on = case.assessed_on or held_on
            move(case, Move.REASSESS, user=user, on=held_on, reason=note[:200], detail={"note": row.pk})
        else:
            case.version += 1
            case.save(update_fields=["last_monitored_on", "version"])
            refresh_due(case)
        audit.record(user, "cases.record_monitoring", case, detail={"note": row.pk, "kind": row.kind})
    return row


def _current_goals(case: Case) -> list[Any]:
    plan = case.plans.order_by("-version").first()
    return list(plan.goals.all()) if plan is not None else []


def change_phase(*, user: Any, case_id: int, how: str, reason: str = "") -> Case:
    """The lead worker's own moves between conferences: into the monitoring phase and back to service, or the
    plan kept after a reassessment."""
    ensure_can(user, "cases.work")
    if how not in (Move.START_MONITORING, Move.RESUME_SERVICE, Move.KEEP_PLAN):
        raise ValidationError({"move": _("This change is decided at a case conference.")})
    with transaction.atomic():
        case = locked_case(user, case_id)
        move(case, how, user=user, on=today_kst(), reason=visible_text(reason))
    return case


# --------------------------------------------------------------------------------------------------- closure
def close_case(
    *, user: Any, case_id: int, reason: str, on: date | None, note: str = "", agenda_item: Any = None
) -> Case:
    """Close a case with its reason. Follow-up checks are scheduled at the district's interval unless nobody is
    left to check on (moved, deceased, transferred); the case is closed at once then."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        if reason not in ClosureReason.values or reason == ClosureReason.NOT_SELECTED:
            raise ValidationError({"reason": _("Choose why the case is closed.")})
        on = _not_future(on, "on")
        return close_locked(case, user=user, reason=reason, on=on, note=visible_text(note), agenda_item=agenda_item)


def close_locked(case: Case, *, user: Any, reason: str, on: date, note: str, agenda_item: Any = None) -> Case:
    rules = case_rules(case.district_id)
    checks = 0 if reason in NO_FOLLOW_UP else rules.follow_up_checks
    target = CaseState.FOLLOW_UP if checks else CaseState.CLOSED
    move(
        case,
        Move.CLOSE,
        user=user,
        on=on,
        reason=note,
        agenda_item=agenda_item,
        to_state=target if target == CaseState.CLOSED else None,
        detail={"reason": reason, "follow_up_checks": checks},
    )
    case.closure_reason = reason
    case.save(update_fields=["closure_reason"])
    cancel_unanswered(case, user=user, on=on)
    period = rules.clocks[CaseClock.FOLLOW_UP]
    due, number = on, FollowUpCheck.objects.filter(case=case).count()
    for _i in range(checks):
        due, number = period.deadline(due), number + 1
        FollowUpCheck.objects.create(case=case, number=number, due_on=due)
    refresh_due(case)
    return case


def record_follow_up(
    *, user: Any, case_id: int, check_id: int | None, done_on: date | None, finding: str
) -> FollowUpCheck:
    """A check after closure, done. When the last one is done the case is closed; a household found in trouble
    again is reopened, not noted away."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        pending = case.follow_ups.select_for_update().filter(superseded_on__isnull=True)
        check = pending.filter(pk=check_id).first() if check_id else None
        if check is None:
            raise ValidationError({"check": _("Choose one of the case's follow-up checks.")})
        done_on = _not_future(done_on, "done_on")
        finding = visible_text(finding)
        if visible_length(finding) < MIN_REASON:
            raise ValidationError({"finding": _("Write what was found, in at least four characters.")})
        if case.state != CaseState.FOLLOW_UP:
            raise ValidationError({"check": _("This case has no follow-up running.")})
        if check.done_on is not None:
            return check
        check.done_on, check.finding, check.done_by = done_on, finding, user
        check.save(update_fields=["done_on", "finding", "done_by"])
        audit.record(user, "cases.record_follow_up", case, detail={"check": check.number})
        refresh_due(case)
        if not case.follow_ups.filter(done_on__isnull=True, superseded_on__isnull=True).exists():
            move(case, Move.FOLLOW_UP_DONE, user=user, on=done_on)
    return check


def reopen_case(*, user: Any, case_id: int, reason: str) -> Case:
    """A closed case opened again: a new transition, the closure stays in the history. Refused if the
    household has another open case in the district."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        reason = _reason(reason)
        # The checks the closure scheduled are moot once the case runs again; a later closure schedules its own.
        case.follow_ups.filter(done_on__isnull=True, superseded_on__isnull=True).update(superseded_on=today_kst())
        move(case, Move.REOPEN, user=user, on=today_kst(), reason=reason, detail={"was": case.closure_reason})
    return case


def transfer_case(
    *,
    user: Any,
    case_id: int,
    reason: str,
    to_dong_code: str | None = None,
    lead_agency_id: int | None = None,
    lead_worker_id: int | None = None,
    agenda_item: Any = None,
) -> Case:
    """A case changes hands inside the district: another dong (the household moved), another lead agency or
    lead worker. A move to another district is a closure as "transferred" here and a new case there."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        reason = _reason(reason)
        return transfer_locked(
            case,
            user=user,
            reason=reason,
            to_dong_code=to_dong_code,
            lead_agency_id=lead_agency_id,
            lead_worker_id=lead_worker_id,
            agenda_item=agenda_item,
        )


def transfer_locked(
    case: Case,
    *,
    user: Any,
    reason: str,
    to_dong_code: str | None,
    lead_agency_id: int | None,
    lead_worker_id: int | None,
    agenda_item: Any = None,
) -> Case:
    detail: dict[str, Any] = {}
    if to_dong_code and to_dong_code != case.dong_id:
        dong = AdministrativeArea.objects.filter(pk=to_dong_code, level=AreaLevel.EUPMYEONDONG).first()
        if dong is None or district_of(dong.pk) != case.district_id:
            raise ValidationError(
                {"to_dong": _("A case moves to a dong of the same district; close it as transferred otherwise.")}
            )
        detail["dong"] = [case.dong_id, to_dong_code]
        case.dong_id = to_dong_code
    if lead_agency_id and lead_agency_id != case.lead_agency_id:
        agency = lead_agency_for(case, lead_agency_id)
        detail["lead_agency"] = [case.lead_agency_id, agency.pk]
        case.lead_agency = agency
    if lead_worker_id and lead_worker_id != case.lead_worker_id:
        worker = Staff.objects.filter(pk=lead_worker_id, active=True, agency_id=case.lead_agency_id).first()
        if worker is None:
            raise ValidationError({"lead_worker": _("The lead worker must be active staff of the lead agency.")})
        detail["lead_worker"] = [case.lead_worker_id, worker.pk]
        case.lead_worker = worker
    if not detail:
        raise ValidationError({"to_dong": _("Name the new dong, lead agency or lead worker.")})
    move(case, Move.TRANSFER, user=user, on=today_kst(), reason=reason, agenda_item=agenda_item, detail=detail)
    return case


def cancel_unanswered(case: Case, *, user: Any, on: date) -> None:
    """A closed case's requests that no provider answered are withdrawn, each with its step: a partner must not
    take on a household whose case has ended. Services already accepted go on (a sponsorship may outlive the
    case) and are ended by their provider."""
    for linkage in case.linkages.select_for_update().filter(state=LinkageState.REQUESTED):
        withdraw_request(linkage, user=user, on=max(on, linkage.requested_on), note=_("The case was closed."))


def lead_agency_for(case: Case, agency_id: int) -> Agency:
    """An agency that may lead the case: active, and for a private one, an agency the household consented to
    share with (a partner leading a case it may not see would leave the case with nobody to work it)."""
    agency = Agency.objects.filter(pk=agency_id, active=True).first()
    if agency is None:
        raise ValidationError({"lead_agency": _("Choose an active agency.")})
    if agency.sector == Sector.PRIVATE and not household_consented_to(case.household, agency.pk, today_kst()):
        raise ValidationError(
            {"lead_agency": _("The household has not consented to share its data with %(agency)s: record the "
                              "consent on the household's page first.") % {"agency": agency.name}}
        )  # fmt: skip
    return agency


def refresh_district_dues(*, district_code: str) -> int:
    """After a district's rules change (an administrator's edit, audited there), every case still running there
    gets its next due date again; returns how many."""
    cases = Case.objects.filter(district_id=district_code).exclude(state=CaseState.CLOSED)
    count = 0
    for case in cases.iterator():
        refresh_due(case)
        count += 1
    return count
