"""The worklist: putting a round's listings on it, sending an officer, recording each visit or call, correcting
one, and closing the item with its outcome. One transaction per action, the audit event inside it.

A round's listing is also discovery's record: assigning it and closing it go through discovery's services too, so
that the round's exclusions (a household being visited is not listed again), its one-officer-per-household rule and
the labels of the next learned model stay where discovery keeps them.

Concurrency: every change raises `WorkItem.version`. A form sends the version it was shown with; a change made in
between by someone else is refused and named (`StaleItem`), never silently overwritten. A repeated identical
request (a double click) changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.bulk import insert_rows
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.text import visible_text
from dolbom.discovery.selectors import round_listings
from dolbom.discovery.services import outreach as discovery_outreach
from dolbom.intake.models import (
    ContactKind,
    IntakePolicy,
    ReferralAnswer,
    ReferralStatus,
    Visit,
    VisitResult,
    WorkItem,
    WorkOutcome,
    WorkSource,
    WorkStatus,
)
from dolbom.intake.selectors import (
    WorkItemPage,
    WorklistFilter,
    WorklistPage,
    open_items_of_household,
    work_item_page,
    work_items_visible_to,
    worklist_page,
)
from dolbom.intake.signals import Panel, work_item_shown
from dolbom.registry.selectors import officers_of_dong
from dolbom.registry.services import checked_reveal_reason

# Outcomes a round's listing records back in discovery: the labels of the next model (`consultation` is not one:
# the consultation's decision closes the item with one of these later).
LABELLED = frozenset(WorkOutcome.values) - {WorkOutcome.CONSULTATION}
# What a visit's result closes the item with, when it does.
CLOSING_RESULTS = {VisitResult.REFUSED: WorkOutcome.REFUSED, VisitResult.MOVED: WorkOutcome.MOVED}


def list_round(*, round_id: int) -> int:
    """Put a finished round's listings on their dongs' worklists (idempotent); the system does this when the round
    writes its lists (discovery.signals.round_listed). Returns how many items were added."""
    listings = round_listings(round_id).exclude(work_item__isnull=False)
    # The three ids alone, written as rows: a listing as a model instance decodes its reasons' JSON, and a work item
    # made as one costs as much as its write, for ~5,000 listings a district.
    ids = listings.values_list("pk", "dong_id", "household_id").iterator(chunk_size=2000)
    rows = ((dong_id, household_id, WorkSource.ROUND.value, listing_id) for listing_id, dong_id, household_id in ids)
    return insert_rows(WorkItem, ("dong", "household", "source", "outreach_item"), rows, batch_size=2000)


def unlist_round(*, round_id: int) -> int:
    """Take a withdrawn round's listings off the worklists. A round is withdrawn only while no visit was assigned
    from it (discovery checks), so these items hold no work: they are removed, not closed. Returns how many."""
    items = WorkItem.objects.filter(outreach_item__round_id=round_id, source=WorkSource.ROUND)
    worked = items.exclude(status=WorkStatus.OPEN).exists() or Visit.objects.filter(work_item__in=items).exists()
    if worked:  # discovery refused the withdrawal of a round worked on; a worked item is never dropped silently
        raise ValidationError(_("A visit was already recorded from this round; it cannot be withdrawn."))
    count, _deleted = items.delete()
    return count


def locked(user: Any, work_item_id: int, seen_version: int | None) -> WorkItem:
    """The item, locked for the change; outside the user's area it answers 404 like one that does not exist."""
    item = work_items_visible_to(user).select_for_update(of=("self",)).filter(pk=work_item_id).first()
    if item is None:
        raise Http404
    if seen_version is not None and seen_version != item.version:
        who = item.assigned_to.display_name if item.assigned_to else "-"
        message = _("Someone changed this item after you opened it (officer now: %(who)s). Check it and try again.")
        raise ValidationError({"version": message % {"who": who}})
    return item


def touch(item: WorkItem, *fields: str) -> None:
    item.version += 1
    item.save(update_fields=[*fields, "version"])


def assign(*, user: Any, work_item_id: int, visitor_id: int | None, seen_version: int | None = None) -> WorkItem:
    """Send an officer of the dong. A household already assigned to an officer on another open item is not sent a
    second one: the refusal names the item and the officer."""
    ensure_can(user, "intake.work")
    with transaction.atomic():
        item = locked(user, work_item_id, seen_version)
        if item.status == WorkStatus.CLOSED:
            raise ValidationError({"visitor": _("This item is closed.")})
        visitor = officers_of_dong(item.dong_id).filter(pk=visitor_id).first() if visitor_id else None
        if visitor is None:
            raise ValidationError({"visitor": _("Only an officer of this dong can be assigned.")})
        if item.assigned_to_id == visitor.pk:
            return item  # the same choice again: nothing to do
        _refuse_second_officer(item, visitor)
        if item.outreach_item_id is not None:
            discovery_outreach.assign_visit(user=user, item_id=item.outreach_item_id, visitor_id=visitor.pk)
        item.assigned_to = visitor
        if item.status == WorkStatus.OPEN:
            item.status = WorkStatus.ASSIGNED
        touch(item, "assigned_to", "status")
        audit.record(user, "intake.assign", item, detail={"visitor": visitor.pk})
    return item


def _refuse_second_officer(item: WorkItem, visitor: Any) -> None:
    if item.household_id is None:
        return
    other = open_items_of_household(item.household_id).exclude(pk=item.pk).exclude(assigned_to=None)
    other = other.exclude(assigned_to=visitor).select_related("assigned_to").first()
    if other is not None:
        message = _("%(who)s already has this household (%(source)s item #%(id)s).")
        values = {"who": other.assigned_to.display_name, "source": other.get_source_display(), "id": other.pk}
        raise ValidationError({"visitor": message % values})


def record_visit(
    *,
    user: Any,
    work_item_id: int,
    visitor_id: int | None,
    on: date | None,
    kind: str,
    result: str,
    note: str = "",
    seen_version: int | None = None,
) -> Visit:
    """Record a visit or call: who went, when, how, what happened. Nobody there schedules the next try after the
    district's days; after its number of tries the household is recorded as unreachable. Refusal or a household
    that moved closes the item."""
    ensure_can(user, "intake.work")
    errors = _visit_errors(on=on, kind=kind, result=result)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        repeated = _same_visit_just_recorded(user, work_item_id, seen_version, visitor_id, on, kind, result, note)
        if repeated is not None:
            return repeated  # a double click: the first click recorded it
        item = locked(user, work_item_id, seen_version)
        if item.status == WorkStatus.CLOSED:
            raise ValidationError({"result": _("This item is closed; a visit cannot be added to it.")})
        visitor = _visitor(item, visitor_id)
        visit = Visit.objects.create(
            work_item=item,
            visitor=visitor,
            on=on,
            kind=kind,
            result=result,
            note=visible_text(note) if note.strip() else "",
            recorded_by=user,
        )
        if item.assigned_to_id is None:  # whoever went has it now
            _refuse_second_officer(item, visitor)
            item.assigned_to = visitor
            if item.outreach_item_id is not None:
                discovery_outreach.assign_visit(user=user, item_id=item.outreach_item_id, visitor_id=visitor.pk)
        _apply(user, item, visit)
        audit.record(user, "intake.record_visit", item, detail={"visit": visit.pk, "kind": kind, "result": result})
    return visit


# A second identical submission within this time is the same visit sent twice, not a second visit.
REPEAT_WINDOW = timedelta(minutes=2)


def _same_visit_just_recorded(
    user: Any, work_item_id: int, seen_version: int | None, visitor_id: int | None, on: date | None, kind: str,
    result: str, note: str,
) -> Visit | None:  # fmt: skip
    if seen_version is None:
        return None
    last = Visit.objects.filter(work_item_id=work_item_id, recorded_by=user).order_by("-recorded_at").first()
    if last is None or timezone.now() - last.recorded_at > REPEAT_WINDOW:
        return None
    same = (last.visitor_id, last.on, last.kind, last.result, last.note) == (
        visitor_id,
        on,
        kind,
        result,
        visible_text(note) if note.strip() else "",
    )
    current = WorkItem.objects.filter(pk=work_item_id).values_list("version", flat=True).first()
    return last if same and current is not None and current > seen_version else None


def _visit_errors(*, on: date | None, kind: str, result: str) -> dict[str, str]:
    errors = {}
    if on is None:
        errors["on"] = _("Enter the date of the visit.")
    elif on > today_kst():
        errors["on"] = _("A date in the future cannot be entered.")
    if kind not in ContactKind.values:
        errors["kind"] = _("Choose how the household was contacted.")
    if result not in VisitResult.values:
        errors["result"] = _("Choose what happened.")
    return errors


def _visitor(item: WorkItem, visitor_id: int | None) -> Any:
    visitor = officers_of_dong(item.dong_id).filter(pk=visitor_id).first() if visitor_id else None
    if visitor is None:
        raise ValidationError({"visitor": _("Only an officer of this dong can be recorded as the visitor.")})
    return visitor


def _apply(user: Any, item: WorkItem, visit: Visit) -> None:
    """What a visit's result does to its item."""
    if visit.result == VisitResult.MET:
        item.status, item.next_try_on = WorkStatus.IN_CONTACT, None
        touch(item, "status", "next_try_on", "assigned_to")
    elif visit.result == VisitResult.ABSENT:
        policy = policy_for(item.dong.parent_id)
        tries = _effective(item).filter(result=VisitResult.ABSENT).count()
        if tries >= policy.tries_before_unreachable:
            _close(user, item, WorkOutcome.UNREACHABLE, on=visit.on, note="")
        else:
            item.status = WorkStatus.ASSIGNED
            item.next_try_on = visit.on + timedelta(days=policy.retry_after_days)
            touch(item, "status", "next_try_on", "assigned_to")
    else:
        _close(user, item, CLOSING_RESULTS[VisitResult(visit.result)], on=visit.on, note=visit.note)


def _effective(item: WorkItem) -> Any:
    """The visits that stand: those no correction replaced."""
    return item.visits.filter(corrected_by__isnull=True)


def correct_visit(
    *,
    user: Any,
    visit_id: int,
    visitor_id: int | None,
    on: date | None,
    kind: str,
    result: str,
    note: str = "",
    seen_version: int | None = None,
) -> Visit:
    """A recorded visit was wrong: record the right one as a new row that says which one it corrects; both stay in
    the history. If the wrong one had closed the item, the item opens again and the corrected result applies."""
    ensure_can(user, "intake.work")
    errors = _visit_errors(on=on, kind=kind, result=result)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        wrong = Visit.objects.select_related("work_item").filter(pk=visit_id).first()
        if wrong is None:
            raise Http404
        item = locked(user, wrong.work_item_id, seen_version)
        if Visit.objects.filter(corrects=wrong).exists():
            raise ValidationError({"result": _("This visit has already been corrected; correct the newer record.")})
        if item.status == WorkStatus.CLOSED and item.outcome in (*CLOSING_RESULTS.values(), WorkOutcome.UNREACHABLE):
            _reopen(user, item)
        elif item.status == WorkStatus.CLOSED:
            raise ValidationError({"result": _("The item was closed with an outcome; open it again first.")})
        right = Visit.objects.create(
            work_item=item,
            visitor=_visitor(item, visitor_id),
            on=on,
            kind=kind,
            result=result,
            note=visible_text(note) if note.strip() else "",
            corrects=wrong,
            recorded_by=user,
        )
        _apply(user, item, right)
        audit.record(user, "intake.correct_visit", item, detail={"visit": right.pk, "corrects": wrong.pk})
    return right


def close(
    *,
    user: Any,
    work_item_id: int,
    outcome: str,
    note: str = "",
    on: date | None = None,
    seen_version: int | None = None,
) -> WorkItem:
    """Close the item with its outcome. Nobody may close an item nobody was sent to: who went, and when, must be on
    record first (a visit or a call)."""
    ensure_can(user, "intake.work")
    if outcome not in WorkOutcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    on = on or today_kst()
    if on > today_kst():
        raise ValidationError({"outcome_on": _("A date in the future cannot be entered.")})
    with transaction.atomic():
        item = locked(user, work_item_id, seen_version)
        if item.status == WorkStatus.CLOSED:
            if item.outcome == outcome:
                return item  # the same closing twice
            raise ValidationError({"outcome": _("This item is already closed; open it again to change the outcome.")})
        if not _effective(item).exists():
            raise ValidationError({"outcome": _("Record the visit or call first: who went, when and how.")})
        _close(user, item, WorkOutcome(outcome), on=on, note=note)
    return item


def _close(user: Any, item: WorkItem, outcome: WorkOutcome, *, on: date, note: str) -> None:
    item.status, item.outcome, item.outcome_on = WorkStatus.CLOSED, outcome, on
    item.next_try_on, item.closed_at = None, timezone.now()
    touch(item, "status", "outcome", "outcome_on", "next_try_on", "closed_at", "assigned_to")
    if item.outreach_item_id is not None and outcome in LABELLED:
        discovery_outreach.record_outcome(user=user, item_id=item.outreach_item_id, outcome=outcome, note=note, on=on)
    if item.referral_id is not None:
        referral = item.referral
        referral.status, referral.answer = ReferralStatus.CLOSED, REFERRAL_ANSWERS[outcome]
        referral.closed_at = item.closed_at
        referral.save(update_fields=["status", "answer", "closed_at"])
    audit.record(user, "intake.close", item, detail={"outcome": outcome, "on": on.isoformat()})


def _reopen(user: Any, item: WorkItem) -> None:
    item.status = (
        WorkStatus.IN_CONTACT
        if _effective(item).filter(result=VisitResult.MET).exists()
        else (WorkStatus.ASSIGNED if item.assigned_to_id else WorkStatus.OPEN)
    )
    item.outcome, item.outcome_on, item.closed_at = "", None, None
    touch(item, "status", "outcome", "outcome_on", "closed_at")
    audit.record(user, "intake.reopen", item)


def reopen(*, user: Any, work_item_id: int, reason: str, seen_version: int | None = None) -> WorkItem:
    """Open a closed item again (a wrong outcome, the household came back): the reason is kept."""
    ensure_can(user, "intake.work")
    reason = visible_text(reason)
    if len(reason) < 4:
        raise ValidationError({"reason": _("State why the item is opened again.")})
    with transaction.atomic():
        item = locked(user, work_item_id, seen_version)
        if item.status != WorkStatus.CLOSED:
            return item
        _reopen(user, item)
        audit.record(user, "intake.reopen_reason", item, reason=reason)
    return item


def policy_for(district_code: str) -> IntakePolicy:
    """The district's policy, or the defaults when its administrator has set none."""
    return IntakePolicy.objects.filter(district_id=district_code).first() or IntakePolicy(district_id=district_code)


# What a referral's reporter is told when the work on it ends: never who the household is or what it got.
REFERRAL_ANSWERS = {
    WorkOutcome.HELPED: ReferralAnswer.HELPED,
    WorkOutcome.REFERRED: ReferralAnswer.HELPED,
    WorkOutcome.CONSULTATION: ReferralAnswer.HELPED,
    WorkOutcome.NOT_ELIGIBLE: ReferralAnswer.NO_ACTION,
    WorkOutcome.UNREACHABLE: ReferralAnswer.NOT_REACHED,
    WorkOutcome.REFUSED: ReferralAnswer.NOT_REACHED,
    WorkOutcome.MOVED: ReferralAnswer.ELSEWHERE,
    WorkOutcome.DECEASED: ReferralAnswer.CHECKED,
}


def open_worklist(*, user: Any, filters: WorklistFilter, sort: str = "age", page: int | None = None) -> WorklistPage:
    """One page of the worklist, with the reading audited: it names households in crisis."""
    ensure_can(user, "intake.view_worklist")
    shown = worklist_page(user, filters, sort=sort, number=page)
    number = shown.pages.number if shown.pages is not None else 1
    audit.record(
        user,
        "intake.view_worklist",
        detail={"dong": filters.dong, "items": len(shown.items), "page": number, "open_only": filters.open_only},
    )
    return shown


def open_item(*, user: Any, work_item_id: int) -> WorkItemPage:
    """One item with its visits, the reading audited."""
    ensure_can(user, "intake.view_worklist")
    page = work_item_page(user, work_item_id)
    audit.record(user, "intake.view_work_item", page.item)
    return _with_panels(user, page)


def open_item_with_numbers(*, user: Any, work_item_id: int, reason: str, preset: str = "") -> WorkItemPage:
    """The item with the numbers written in it shown in full (the reporter's phone for a call back, a number an
    officer noted in a visit), for a stated reason kept in the audit log, like a person's details."""
    ensure_can(user, "intake.view_worklist")
    ensure_can(user, "registry.reveal_personal_data")
    page = work_item_page(user, work_item_id)
    reason = checked_reveal_reason(reason)
    detail = {"fields": ["reporter_contact", "notes"], **({"preset": preset} if preset else {})}
    audit.record(user, "intake.reveal_work_item_numbers", page.item, reason=reason, detail=detail)
    return _with_panels(user, page)


def _with_panels(user: Any, page: WorkItemPage) -> WorkItemPage:
    """What the domains downstream say about why the item is here (a re-guidance's reasons), each scoped and
    audited by its own domain."""
    answers = work_item_shown.send(sender=WorkItem, user=user, item=page.item)
    page.panels = [panel for _receiver, panel in answers if isinstance(panel, Panel)]
    return page
