"""Reads of intake, narrowed through `dolbom.core.scope`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from dolbom.core.scope import Reach, scope_for, scoped, visible_or_404
from dolbom.intake.models import Referral, Visit, WorkItem, WorkSource, WorkStatus
from dolbom.registry.models import AdministrativeArea, AreaLevel, Staff
from dolbom.registry.selectors import areas_visible_to, masked_head_names, officers_of_dong, search_households

# Officers see the referrals of their area; safety-net members and private agencies those they filed.
REFERRAL = Reach(dong="dong", author="reported_by")
# The worklist is the public officers' work in their area.
WORK_ITEM = Reach(dong="dong")


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    return scoped(Referral.objects.select_related("dong"), user, REFERRAL)


def referral_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 the user may file a referral about (see `Scope.files_in`)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    return dongs.filter(scope_for(user).filing_areas()).order_by("code")


def work_items_visible_to(user: Any) -> QuerySet[WorkItem]:
    items = WorkItem.objects.select_related(
        "dong", "household", "household__address", "assigned_to", "referral", "outreach_item", "outreach_item__round"
    )
    return scoped(items, user, WORK_ITEM)


def open_items_of_household(household_id: int) -> QuerySet[WorkItem]:
    """The household's items still being worked on, unscoped: for the rule that one household has one officer."""
    return WorkItem.objects.filter(household_id=household_id).exclude(status=WorkStatus.CLOSED)


@dataclass(frozen=True)
class WorklistFilter:
    dong: str = ""
    mine: bool = False
    unassigned: bool = False
    open_only: bool = True
    source: str = ""
    tong: int | None = None


@dataclass
class WorklistPage:
    items: list[WorkItem]
    dongs: list[AdministrativeArea]
    officers: dict[str, list[Staff]] = field(default_factory=dict)


SORTS = {
    "age": ("opened_at", "pk"),
    "source": ("source", "outreach_item__rank", "opened_at"),
    "tong": ("household__address__tong", "household__address__ban", "opened_at"),
    "due": ("next_try_on", "opened_at"),
}


def worklist(user: Any, filters: WorklistFilter, *, sort: str = "age", limit: int = 500) -> WorklistPage:
    """The dong's households to reach, whatever found them, with their heads' masked names and the officers who
    may be sent. Open items only unless asked; oldest first, so that nothing waits forgotten."""
    items = work_items_visible_to(user)
    if filters.dong:
        items = items.filter(dong_id=filters.dong)
    if filters.open_only:
        items = items.exclude(status=WorkStatus.CLOSED)
    if filters.mine:
        staff_id = getattr(getattr(user, "staff", None), "pk", None)
        items = items.filter(assigned_to_id=staff_id)
    if filters.unassigned:
        items = items.filter(assigned_to__isnull=True)
    if filters.source in WorkSource.values:
        items = items.filter(source=filters.source)
    if filters.tong is not None:
        items = items.filter(household__address__tong=filters.tong)
    rows = list(items.order_by(*SORTS.get(sort, SORTS["age"]))[:limit])
    heads = masked_head_names(user, [i.household_id for i in rows if i.household_id])
    for item in rows:
        item.head_name = heads.get(item.household_id, "")
    dong_codes = {i.dong_id for i in rows}
    officers = {code: list(officers_of_dong(code)) for code in dong_codes}
    return WorklistPage(items=rows, dongs=list(areas_visible_to(user).order_by("code")), officers=officers)


@dataclass
class WorkItemPage:
    item: WorkItem
    visits: list[Visit]
    officers: list[Staff]
    head_name: str
    candidates: list[Any] = field(default_factory=list)  # registry.selectors.HouseholdHit


def work_item_page(user: Any, work_item_id: int) -> WorkItemPage:
    """One item with its visits (corrections shown beside what they correct), the officers who may go and, for a
    report not yet tied to a household, the registered households its address points to."""
    item = visible_or_404(work_items_visible_to(user), work_item_id)
    visits = list(item.visits.select_related("visitor", "corrects", "recorded_by").order_by("on", "recorded_at"))
    corrected = {v.corrects_id for v in visits if v.corrects_id}
    for visit in visits:
        visit.is_corrected = visit.pk in corrected
    head = masked_head_names(user, [item.household_id]).get(item.household_id, "") if item.household_id else ""
    candidates = []
    if item.household_id is None and item.referral_id is not None:
        _query, hits, _more = search_households(user, item.referral.address_text, limit=10)
        candidates = [hit for hit in hits if hit.household.dong_id == item.dong_id]
    return WorkItemPage(
        item=item, visits=visits, officers=list(officers_of_dong(item.dong_id)), head_name=head, candidates=candidates
    )


def due_for(user: Any, on: Any) -> QuerySet[WorkItem]:
    """The user's own open items whose next try is due by `on` (오늘 할 일)."""
    staff_id = getattr(getattr(user, "staff", None), "pk", None)
    return (
        work_items_visible_to(user)
        .filter(assigned_to_id=staff_id)
        .exclude(status=WorkStatus.CLOSED)
        .filter(Q(next_try_on__lte=on) | Q(next_try_on__isnull=True))
        .order_by("next_try_on", "opened_at")
    )
