"""Case conferences: planned with an agenda of cases and the people at the table, held, each case decided, the
minutes closed. A decision moves its case in the same transaction (the transition names the agenda item), so a
case's history says which conference decided what; once the minutes are closed nothing of them changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.cases.models import (
    AgendaItem,
    Attendee,
    Case,
    ClosureReason,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Move,
    Outcome,
    Proposal,
)
from dolbom.cases.selectors import case_rules, cases_visible_to, conferences_visible_to
from dolbom.cases.services.cases import case_type_for, close_locked, lead_agency_for, locked_case, transfer_locked
from dolbom.cases.services.lifecycle import ensure_move, move, refresh_due
from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of, ensure_visible, scope_for, visible_or_404
from dolbom.core.text import visible_text
from dolbom.core.workdays import add_months
from dolbom.registry.models import Agency, Staff

# What each decision does to its case: the move it makes (None: recorded, the case stays as it is).
OUTCOME_MOVES: dict[str, str | None] = {
    Outcome.SELECT: Move.SELECT,
    Outcome.NOT_SELECT: Move.NOT_SELECT,
    Outcome.APPROVE_PLAN: Move.APPROVE_PLAN,
    Outcome.EXTEND: Move.EXTEND,
    Outcome.TRANSFER: Move.TRANSFER,
    Outcome.CLOSE: Move.CLOSE,
    Outcome.CONTINUE: None,
    Outcome.DEFER: None,
}


def runs(user: Any, conference: Conference) -> bool:
    """Whether the user runs the conference: the district's by its district staff, a dong's own by the staff of
    that dong. Seeing a conference (a dong officer at the district's, an agency at the table) is not running it."""
    scope = scope_for(user)
    if conference.dong_id is None:
        return scope.sees_district and conference.district_id in scope.area_codes
    return scope.covers_area(conference.dong_id)


def _locked_conference(user: Any, conference_id: int) -> Conference:
    """A conference the user runs, locked for a change."""
    conference = visible_or_404(conferences_visible_to(user).select_for_update(of=("self",)), conference_id)
    if not runs(user, conference):
        raise PermissionDenied("cases.conference: not a conference the user runs")
    return conference


def _ensure_open(conference: Conference) -> None:
    if conference.status == ConferenceStatus.CLOSED:
        raise ValidationError({"conference": _("The minutes of this conference are closed: nothing can change.")})


def plan_conference(
    *, user: Any, kind: str, held_on: date | None, district_code: str = "", dong_code: str = "", place: str = "",
    chair: str = "",
) -> Conference:  # fmt: skip
    """A conference planned: the district's (by its staff), or a dong's own (by the staff of that dong)."""
    ensure_can(user, "cases.conference")
    if held_on is None:
        raise ValidationError({"held_on": _("Enter the date.")})
    scope = scope_for(user)
    if kind == ConferenceKind.DISTRICT:
        scope.ensure_district(district_code)
        district, dong = district_code, None
    elif kind == ConferenceKind.DONG:
        scope.ensure_area(dong_code)
        district, dong = district_of(dong_code), dong_code
    else:
        raise ValidationError({"kind": _("Choose the kind of conference.")})
    with transaction.atomic():
        conference = Conference.objects.create(
            district_id=district,
            dong_id=dong,
            kind=kind,
            held_on=held_on,
            place=visible_text(place)[:100],
            chair=visible_text(chair)[:60],
            status=ConferenceStatus.PLANNED,
            created_by=user,
        )
        audit.record(user, "cases.plan_conference", conference, detail={"kind": kind, "on": held_on.isoformat()})
    return conference


def add_attendee(
    *, user: Any, conference_id: int, name: str, agency_id: int | None = None, agency_name: str = ""
) -> Attendee:
    ensure_can(user, "cases.conference")
    with transaction.atomic():
        conference = _locked_conference(user, conference_id)
        _ensure_open(conference)
        name = visible_text(name)
        if not name:
            raise ValidationError({"name": _("Enter the attendee's name.")})
        if agency_id is None and not visible_text(agency_name):
            raise ValidationError({"agency": _("Name the attendee's agency.")})
        agency = Agency.objects.filter(pk=agency_id, active=True).first() if agency_id else None
        if agency_id and agency is None:
            raise ValidationError({"agency": _("Choose an active agency.")})
        staff = Staff.objects.filter(agency=agency, display_name=name, active=True).first() if agency else None
        attendee = Attendee.objects.create(
            conference=conference,
            name=name[:60],
            agency=agency,
            agency_name="" if agency else visible_text(agency_name)[:100],
            staff=staff,
        )
        audit.record(user, "cases.add_attendee", conference, detail={"attendee": attendee.pk})
    return attendee


def put_on_agenda(
    *, user: Any, conference_id: int, case_id: int | None, proposal: str, presenter: str = ""
) -> AgendaItem:
    """A case brought to a conference, for what it is to decide. A case of another district, or of another dong
    at a dong's own conference, is refused."""
    ensure_can(user, "cases.conference")
    with transaction.atomic():
        conference = _locked_conference(user, conference_id)
        _ensure_open(conference)
        if case_id is None:
            raise ValidationError({"case": _("Choose the case to bring to the conference.")})
        if proposal not in Proposal.values:
            raise ValidationError({"proposal": _("Choose what the conference is to decide.")})
        case = visible_or_404(cases_visible_to(user), case_id)
        if case.district_id != conference.district_id or (conference.dong_id and case.dong_id != conference.dong_id):
            raise ValidationError({"case": _("This case is not of the conference's area.")})
        if not case.is_open:
            raise ValidationError({"case": _("A closed case is reopened before it goes on an agenda.")})
        if conference.agenda.filter(case=case).exists():
            raise ValidationError({"case": _("This case is on the agenda already.")})
        order = (conference.agenda.aggregate(m=Max("order"))["m"] or 0) + 1
        item = AgendaItem.objects.create(
            conference=conference, case=case, proposal=proposal, presenter=visible_text(presenter)[:60], order=order
        )
        audit.record(user, "cases.put_on_agenda", case, detail={"conference": conference.pk, "proposal": proposal})
    return item


def hold_conference(*, user: Any, conference_id: int, notes: str = "") -> Conference:
    """The conference took place: decisions can be recorded from now on."""
    ensure_can(user, "cases.conference")
    with transaction.atomic():
        conference = _locked_conference(user, conference_id)
        _ensure_open(conference)
        if conference.held_on > today_kst():
            raise ValidationError({"held_on": _("A conference is recorded as held on or after its date.")})
        if not conference.attendees.exists():
            raise ValidationError({"attendees": _("Record who attended first.")})
        conference.status = ConferenceStatus.HELD
        conference.notes = visible_text(notes) or conference.notes
        conference.version += 1
        conference.save(update_fields=["status", "notes", "version"])
        for case in Case.objects.filter(agenda_items__conference=conference):
            refresh_due(case)  # the selection clock of its candidates starts with the conference
        audit.record(user, "cases.hold_conference", conference)
    return conference


@dataclass(frozen=True)
class DecisionEntry:
    outcome: str
    note: str = ""
    case_type_id: int | None = None
    lead_agency_id: int | None = None
    lead_worker_id: int | None = None
    to_dong_code: str = ""
    closure_reason: str = ""
    discussion: str = ""  # what was said at the table, for the minutes


def decide(*, user: Any, item_id: int, entry: DecisionEntry, conference_id: int | None = None) -> AgendaItem:
    """What the conference decided about one case; the case moves with it. A decision already recorded is
    changed by the next conference, not here. With `conference_id` (a page's address), an item of another
    conference is a 404, like any id that names nothing the page is about."""
    ensure_can(user, "cases.conference")
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().filter(pk=item_id).first()
        if conference_id is not None and (item is None or item.conference_id != conference_id):
            raise Http404("no such agenda item at this conference")
        if item is None:
            raise ValidationError({"outcome": _("This agenda item does not exist.")})
        conference = _locked_conference(user, item.conference_id)
        _ensure_open(conference)
        if entry.outcome not in Outcome.values:
            raise ValidationError({"outcome": _("Choose the decision.")})
        if conference.status != ConferenceStatus.HELD:
            raise ValidationError({"outcome": _("Record the conference as held before its decisions.")})
        if item.outcome:
            raise ValidationError({"outcome": _("This case has been decided at this conference already.")})
        ensure_visible(cases_visible_to(user), item.case_id)
        case = locked_case(user, item.case_id)
        how = OUTCOME_MOVES[entry.outcome]
        if how is not None:
            ensure_move(case, how)
        _apply(case, item, entry, user=user, on=conference.held_on)
        item.outcome, item.decision_note = entry.outcome, visible_text(entry.note)
        item.discussion = visible_text(entry.discussion)
        item.decided_by, item.decided_at = user, timezone.now()
        item.save()
        audit.record(
            user, "cases.decide", case, detail={"conference": conference.pk, "item": item.pk, "outcome": item.outcome}
        )
    return item


def _apply(case: Case, item: AgendaItem, entry: DecisionEntry, *, user: Any, on: date) -> None:
    note = visible_text(entry.note)
    if entry.outcome == Outcome.SELECT:
        if entry.case_type_id:
            case.case_type = case_type_for(case.district_id, entry.case_type_id, user)
        _set_lead(case, item, entry)
        case.selected_on = on
        case.ends_on = add_months(on, case.case_type.duration_months)
        move(case, Move.SELECT, user=user, on=on, reason=note, agenda_item=item)
    elif entry.outcome == Outcome.NOT_SELECT:
        case.closure_reason = ClosureReason.NOT_SELECTED
        move(case, Move.NOT_SELECT, user=user, on=on, reason=note, agenda_item=item)
    elif entry.outcome == Outcome.APPROVE_PLAN:
        plan = case.plans.order_by("-version").first()
        if plan is None or plan.agreed_on is None:
            raise ValidationError({"outcome": _("The plan must be agreed with the household before it is approved.")})
        move(case, Move.APPROVE_PLAN, user=user, on=on, reason=note, agenda_item=item, detail={"plan": plan.version})
    elif entry.outcome == Outcome.EXTEND:
        rules = case_rules(case.district_id)
        if case.extensions >= rules.max_extensions:
            raise ValidationError(
                {
                    "outcome": _("This case has had the %(n)s extensions the district allows.")
                    % {"n": rules.max_extensions}
                }
            )
        case.extensions += 1
        case.ends_on = add_months(case.ends_on or on, rules.extension_months)
        move(
            case,
            Move.EXTEND,
            user=user,
            on=on,
            reason=note,
            agenda_item=item,
            detail={"ends_on": case.ends_on.isoformat()},
        )
    elif entry.outcome == Outcome.TRANSFER:
        transfer_locked(
            case,
            user=user,
            reason=note,
            to_dong_code=entry.to_dong_code or None,
            lead_agency_id=entry.lead_agency_id,
            lead_worker_id=entry.lead_worker_id,
            agenda_item=item,
        )
    elif entry.outcome == Outcome.CLOSE:
        if entry.closure_reason not in ClosureReason.values or entry.closure_reason == ClosureReason.NOT_SELECTED:
            raise ValidationError({"closure_reason": _("Choose why the case is closed.")})
        close_locked(case, user=user, reason=entry.closure_reason, on=on, note=note, agenda_item=item)
    item.lead_agency_id, item.lead_worker_id = entry.lead_agency_id, entry.lead_worker_id
    item.to_dong_id, item.closure_reason = entry.to_dong_code or None, entry.closure_reason


def _set_lead(case: Case, item: AgendaItem, entry: DecisionEntry) -> None:
    if entry.lead_agency_id:
        agency = lead_agency_for(case, entry.lead_agency_id)
        case.lead_agency = agency
        if case.lead_worker_id and case.lead_worker.agency_id != agency.pk:
            case.lead_worker = None
    if entry.lead_worker_id:
        worker = Staff.objects.filter(pk=entry.lead_worker_id, active=True, agency_id=case.lead_agency_id).first()
        if worker is None:
            raise ValidationError({"lead_worker": _("The lead worker must be active staff of the lead agency.")})
        case.lead_worker = worker


def close_minutes(*, user: Any, conference_id: int) -> Conference:
    """The minutes closed: every case on the agenda decided (deferral is a decision), nothing changes after."""
    ensure_can(user, "cases.conference")
    with transaction.atomic():
        conference = _locked_conference(user, conference_id)
        _ensure_open(conference)
        if conference.status != ConferenceStatus.HELD:
            raise ValidationError({"conference": _("Record the conference as held first.")})
        undecided = conference.agenda.filter(outcome="").count()
        if undecided:
            raise ValidationError(
                {"conference": _("%(n)s case(s) on the agenda have no decision yet.") % {"n": undecided}}
            )
        conference.status, conference.closed_at = ConferenceStatus.CLOSED, timezone.now()
        conference.version += 1
        conference.save(update_fields=["status", "closed_at", "version"])
        audit.record(user, "cases.close_minutes", conference, detail={"decisions": conference.agenda.count()})
    return conference
