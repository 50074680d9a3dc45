"""Writes for the outreach lists: assigning a visit and recording what the officer found. The list is advice
(PIPA art. 37-2): every decision about a household is a person's, recorded with who made it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.discovery.models import ItemStatus, Outcome, OutreachEvent, OutreachItem
from dolbom.discovery.selectors import open_visit_elsewhere, outreach_items_visible_to, visitors_for
from dolbom.registry.models import Household, Staff


def _locked_item(user: Any, item_id: int) -> OutreachItem:
    item = outreach_items_visible_to(user).select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise PermissionDenied("discovery.outreach_item")
    return item


def assign_visit(*, user: Any, item_id: int, visitor: Staff) -> OutreachItem:
    """Send an officer of the dong to visit the household."""
    ensure_can(user, "discovery.work_outreach")
    with transaction.atomic():
        item = _locked_item(user, item_id)
        if item.status == ItemStatus.DONE:
            raise ValidationError({"visitor": "이미 결과가 기록된 가구입니다."})
        if not visitors_for(item).filter(pk=visitor.pk).exists():
            raise ValidationError({"visitor": "이 읍면동의 담당 공무원만 배정할 수 있습니다."})
        # Lock the household: two officers assigning it from two rounds' lists at once must not both succeed.
        Household.objects.select_for_update().filter(pk=item.household_id).first()
        if (other := open_visit_elsewhere(item)) is not None:
            who = other.assigned_to.display_name if other.assigned_to else "-"
            message = f"이 가구는 {other.round.period} 차수 명단에서 이미 방문이 배정되어 있습니다(담당: {who})."
            raise ValidationError({"visitor": message})
        previous = item.status
        item.assigned_to, item.status = visitor, ItemStatus.ASSIGNED
        item.save(update_fields=["assigned_to", "status"])
        OutreachEvent.objects.create(
            item=item, by=user, from_status=previous, to_status=item.status, note=f"방문 배정: {visitor.display_name}"
        )
        audit.record(user, "discovery.assign_visit", item, detail={"visitor": visitor.pk})
    return item


def record_outcome(*, user: Any, item_id: int, outcome: str, note: str = "", on: date | None = None) -> OutreachItem:
    """Record what the visit or call found; a recorded outcome may be corrected, and both stay in the history."""
    ensure_can(user, "discovery.work_outreach")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "결과를 선택하세요."})
    on = on or today_kst()
    if on > today_kst():
        raise ValidationError({"outcome_on": "미래 날짜는 입력할 수 없습니다."})
    with transaction.atomic():
        item = _locked_item(user, item_id)
        previous = item.status
        item.outcome, item.outcome_note, item.outcome_on, item.status = outcome, note.strip(), on, ItemStatus.DONE
        item.save(update_fields=["outcome", "outcome_note", "outcome_on", "status"])
        OutreachEvent.objects.create(
            item=item, by=user, from_status=previous, to_status=item.status, outcome=outcome, note=note.strip()
        )
        audit.record(user, "discovery.record_outcome", item, detail={"outcome": outcome, "on": on.isoformat()})
    return item
