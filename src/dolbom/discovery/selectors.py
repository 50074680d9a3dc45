"""Reads for discovery, narrowed to the user's area: a dong officer sees the lists of their dong only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from dolbom.core.roles import Role, scope_for
from dolbom.discovery.models import POSITIVE_OUTCOMES, ItemStatus, OutreachItem, ScreeningRound
from dolbom.registry.models import Staff


def outreach_items_visible_to(user: Any) -> QuerySet[OutreachItem]:
    scope = scope_for(user)
    items = OutreachItem.objects.select_related("household", "household__address", "dong", "assigned_to", "round")
    if scope.sees_district:
        return items.filter(dong__parent_id__in=scope.area_codes)
    if scope.role == Role.DONG_OFFICER:
        return items.filter(dong_id__in=scope.area_codes)
    return items.none()


def rounds_visible_to(user: Any) -> QuerySet[ScreeningRound]:
    scope = scope_for(user)
    rounds = ScreeningRound.objects.select_related("district", "scoring_model")
    if scope.sees_district:
        return rounds.filter(district_id__in=scope.area_codes)
    if scope.role == Role.DONG_OFFICER:
        return rounds.filter(items__dong_id__in=scope.area_codes).distinct()
    return rounds.none()


def latest_round_for(user: Any) -> ScreeningRound | None:
    return rounds_visible_to(user).filter(status="done").order_by("-started_at").first()


def round_progress_by_dong(user: Any, screening_round: ScreeningRound) -> list[dict[str, Any]]:
    """Per dong: list length, assigned, outcomes recorded, and how many outcomes found a household in need."""
    items = outreach_items_visible_to(user).filter(round=screening_round)
    return list(
        items.values("dong__code", "dong__name")
        .annotate(
            listed=Count("id"),
            assigned=Count("id", filter=Q(status=ItemStatus.ASSIGNED)),
            done=Count("id", filter=Q(status=ItemStatus.DONE)),
            helped=Count("id", filter=Q(outcome__in=POSITIVE_OUTCOMES)),
        )
        .order_by("dong__code")
    )


def open_visit_elsewhere(item: OutreachItem) -> OutreachItem | None:
    """Another round's item of the same household with a visit assigned and no outcome yet. A round leaves such
    households out, but one that ran before the visit was assigned still lists the household; sending a second
    officer would visit it twice. (A recorded outcome does not block: revisiting is the officer's call.)"""
    others = OutreachItem.objects.filter(household_id=item.household_id, status=ItemStatus.ASSIGNED)
    return others.exclude(pk=item.pk).select_related("assigned_to", "round").order_by("-round__started_at").first()


def visitors_for(item: OutreachItem) -> QuerySet[Staff]:
    """Who may be sent to visit: the active dong officers of the item's dong."""
    return Staff.objects.filter(active=True, role=Role.DONG_OFFICER, areas=item.dong).order_by("display_name")
