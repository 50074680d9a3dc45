"""The outreach list: reading a dong's list (an audited read of personal data), assigning a visit and recording
what the officer found. The list is advice (PIPA art. 37-2): every decision about a household is a person's,
recorded with who made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import visible_or_404
from dolbom.discovery.models import ItemStatus, ListingEvent, Outcome, OutreachItem, ScreeningRound
from dolbom.discovery.selectors import (
    latest_round_for,
    listed_rounds_for,
    open_visit_elsewhere,
    open_visits_before,
    outreach_items_visible_to,
    outreach_rows,
    rounds_visible_to,
    visitors_for,
)
from dolbom.registry.models import AdministrativeArea, Household
from dolbom.registry.selectors import areas_visible_to

# `seen_assigned_id` when the caller showed no form (the command line, the demo's simulation): no conflict check.
UNCHECKED = object()


@dataclass(frozen=True)
class OutreachListPage:
    round: ScreeningRound | None
    dongs: list[AdministrativeArea]
    dong_code: str
    items: list[OutreachItem]
    # Visits assigned from earlier rounds' lists of the dong and still without an outcome: a later round leaves
    # their households out, so they are shown beside the chosen round's list until the outcome is recorded.
    earlier: list[OutreachItem] = field(default_factory=list)
    rounds: list[ScreeningRound] = field(default_factory=list)  # the rounds the user may pick, newest first


def open_outreach_list(*, user: Any, round_id: int | None = None, dong_code: str = "") -> OutreachListPage:
    """A dong's list in a round (the latest done round when none is given, the user's first dong when none is
    given), with the open visits of the dong's earlier rounds, and the reading audited: the list names households
    in crisis. A withdrawn round's list is empty."""
    ensure_can(user, "discovery.view_outreach")
    screening_round = (
        visible_or_404(rounds_visible_to(user), round_id) if round_id is not None else latest_round_for(user)
    )
    dongs = list(areas_visible_to(user).order_by("code"))
    dong_code = dong_code or (dongs[0].code if dongs else "")
    items: list[OutreachItem] = []
    earlier: list[OutreachItem] = []
    if screening_round is not None:
        on_list = outreach_items_visible_to(user).filter(round=screening_round, dong_id=dong_code).order_by("rank")
        items = outreach_rows(user, on_list)
        earlier = outreach_rows(user, open_visits_before(user, screening_round, dong_code))
        audit.record(
            user,
            "discovery.view_outreach_list",
            screening_round,
            detail={"dong": dong_code, "items": len(items), "earlier_open_visits": len(earlier)},
        )
    return OutreachListPage(
        round=screening_round,
        dongs=dongs,
        dong_code=dong_code,
        items=items,
        earlier=earlier,
        rounds=listed_rounds_for(user),
    )


def _locked_item(user: Any, item_id: int) -> OutreachItem:
    """The item, locked for the change; an item outside the user's area answers 404 like one that does not exist."""
    item = outreach_items_visible_to(user).select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def assign_visit(*, user: Any, item_id: int, visitor_id: int | None, seen_assigned_id: Any = UNCHECKED) -> OutreachItem:
    """Send an officer of the dong to visit the household.

    `seen_assigned_id` is who the list showed as assigned when the officer chose (None: nobody). If someone else
    assigned the item since, the change is refused and names who did, rather than silently replacing their choice;
    the same assignment twice (a double click) changes nothing."""
    ensure_can(user, "discovery.work_outreach")
    with transaction.atomic():
        item = _locked_item(user, item_id)
        if item.status == ItemStatus.DONE:
            raise ValidationError({"visitor": _("An outcome has already been recorded for this household.")})
        visitor = visitors_for(item).filter(pk=visitor_id).first() if visitor_id else None
        if visitor is None:
            raise ValidationError({"visitor": _("Only an officer of this dong can be assigned.")})
        if item.assigned_to_id == visitor.pk:
            return item
        if seen_assigned_id is not UNCHECKED and item.assigned_to_id != seen_assigned_id:
            message = _("%(who)s was assigned to this household in the meantime. Check the list and assign again.")
            raise ValidationError({"visitor": message % {"who": item.assigned_to.display_name}})
        # Lock the household: two officers assigning it from two rounds' lists at once must not both succeed.
        Household.objects.select_for_update().filter(pk=item.household_id).first()
        if (other := open_visit_elsewhere(item)) is not None:
            who = other.assigned_to.display_name if other.assigned_to else "-"
            message = _("A visit to this household is already assigned from the list of round %(period)s (%(who)s).")
            raise ValidationError({"visitor": message % {"period": other.round.period, "who": who}})
        previous = item.status
        item.assigned_to, item.status = visitor, ItemStatus.ASSIGNED
        item.save(update_fields=["assigned_to", "status"])
        ListingEvent.objects.create(
            item=item,
            by=user,
            from_status=previous,
            to_status=item.status,
            note=_("Visit assigned: %(visitor)s") % {"visitor": visitor.display_name},
        )
        audit.record(user, "discovery.assign_visit", item, detail={"visitor": visitor.pk})
    return item


def record_outcome(*, user: Any, item_id: int, outcome: str, note: str = "", on: date | None = None) -> OutreachItem:
    """Record what the visit or call found; a recorded outcome may be corrected, and both stay in the history."""
    ensure_can(user, "discovery.work_outreach")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome.")})
    on = on or today_kst()
    if on > today_kst():
        raise ValidationError({"outcome_on": _("A date in the future cannot be entered.")})
    with transaction.atomic():
        item = _locked_item(user, item_id)
        previous = item.status
        item.outcome, item.outcome_note, item.outcome_on, item.status = outcome, note.strip(), on, ItemStatus.DONE
        item.save(update_fields=["outcome", "outcome_note", "outcome_on", "status"])
        ListingEvent.objects.create(
            item=item, by=user, from_status=previous, to_status=item.status, outcome=outcome, note=note.strip()
        )
        audit.record(user, "discovery.record_outcome", item, detail={"outcome": outcome, "on": on.isoformat()})
    return item
