"""Worklist items for the campaigns of the domains downstream (eligibility's re-guidance): the dong's work stays
on one worklist whatever campaign found the household. The campaign itself, its targets and their reasons are
the calling domain's; the items are intake's."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for
from dolbom.intake.models import WorkItem, WorkSource


def open_reguidance_items(*, user: Any, district_code: str, households: list[tuple[int, str]]) -> list[WorkItem]:
    """One new item per (household id, dong code), source re-guidance, in the order given. The caller has chosen
    households of `district_code` with no item open; the audit event counts them per dong, naming nobody."""
    ensure_can(user, "intake.manage_campaigns")
    scope_for(user).ensure_district(district_code)
    with transaction.atomic():
        items = WorkItem.objects.bulk_create(
            [WorkItem(dong_id=dong, household_id=pk, source=WorkSource.REGUIDANCE) for pk, dong in households],
            batch_size=1000,
        )
        per_dong: dict[str, int] = {}
        for _pk, dong in households:
            per_dong[dong] = per_dong.get(dong, 0) + 1
        detail = {"district": district_code, "per_dong": per_dong}
        audit.record(user, "intake.open_reguidance_items", None, object_type="intake.WorkItem", detail=detail)
    return items
