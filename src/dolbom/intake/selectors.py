"""Reads of intake, narrowed through `dolbom.core.scope`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext

from dolbom.core.roles import Role
from dolbom.core.scope import Reach, scope_for, scoped, visible_or_404
from dolbom.intake.models import (
    Referral,
    ReferralAnswer,
    SafetyNetMember,
    Visit,
    WorkItem,
    WorkSource,
    WorkStatus,
)
from dolbom.registry.models import Address, AdministrativeArea, AreaLevel, Staff
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


# ---------------------------------------------------------------------------------------- the public report form
# Anonymous reads: what anyone may know (the city's dongs, where a road address lies, a receipt's status), never a
# row of anyone's data.


def public_dongs() -> list[tuple[str, list[AdministrativeArea]]]:
    """The city's 읍면동 by district, for the public form's list (names only, as on any map)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG).select_related("parent")
    groups: dict[str, list[AdministrativeArea]] = {}
    for dong in dongs.order_by("parent__name", "name"):
        groups.setdefault(dong.parent.name if dong.parent else "", []).append(dong)
    return list(groups.items())


# A road address as people write it: the road (…로 or …길, \uB85C and \uAE38; 새솔1길) and the building number
# (12, 12-3).
_ROAD_ADDRESS = re.compile(r"(\w+(?:\uB85C|\uAE38))\s*(\d+(?:-\d+)?)(?!\d)")


def dongs_at_address(text: str, *, limit: int = 50) -> set[str]:
    """The 읍면동 whose registered addresses lie at the road and building number in `text` (at most `limit`
    addresses read). Only the road and number are matched, never a unit: the answer names a dong, as a map would,
    and says nothing about who lives where."""
    found = _ROAD_ADDRESS.search(text or "")
    if found is None:
        return set()
    road, number = found.group(1), found.group(2)
    pattern = re.compile(rf"(?<!\w){re.escape(road)}\s*{re.escape(number)}(?![\d-])")
    rows = Address.objects.filter(road_address__contains=f"{road} {number}").values_list("road_address", "dong_id")
    return {dong for road_address, dong in rows[:limit] if pattern.search(road_address)}


def referral_for_receipt(receipt_number: str) -> Referral | None:
    return Referral.objects.select_related("work_item").filter(receipt_number=receipt_number).first()


# ----------------------------------------------------------------------------------------------- the safety net
# Members are the dong's: its officers and the district's staff see them, nobody else.
SAFETY_NET_MEMBER = Reach(dong="dong")


def safety_net_members_visible_to(user: Any) -> QuerySet[SafetyNetMember]:
    return scoped(SafetyNetMember.objects.select_related("dong", "account"), user, SAFETY_NET_MEMBER)


def safety_net_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 where the user may appoint members: their own."""
    return areas_visible_to(user).order_by("code")


def safety_net_accounts_for(dong_code: str) -> QuerySet[Any]:
    """The logins a member of this dong may be linked to: active safety-net accounts that file for this dong."""
    users = get_user_model().objects.filter(
        is_active=True, staff__active=True, staff__role=Role.SAFETY_NET, staff__areas=dong_code
    )
    return users.select_related("staff").order_by("staff__display_name", "username")


def current_on(on: date) -> Q:
    """Appointments in force on a date."""
    return Q(appointed_from__lte=on) & (Q(appointed_to__isnull=True) | Q(appointed_to__gte=on))


class ActivityPeriod(models.TextChoices):
    MONTH = "month", gettext_lazy("By month")
    QUARTER = "quarter", gettext_lazy("By quarter")


@dataclass
class ActivityRow:
    member: SafetyNetMember
    filed: list[int]
    helped: list[int]

    @property
    def total_filed(self) -> int:
        return sum(self.filed)

    @property
    def total_helped(self) -> int:
        return sum(self.helped)

    @property
    def cells(self) -> list[tuple[int, int]]:
        return list(zip(self.filed, self.helped, strict=True))


@dataclass
class ActivityTable:
    year: int
    by: str
    periods: list[str]
    rows: list[ActivityRow]

    @property
    def totals(self) -> list[tuple[int, int]]:
        return [
            (sum(r.filed[i] for r in self.rows), sum(r.helped[i] for r in self.rows)) for i in range(len(self.periods))
        ]


def _period_index(day: date, by: str) -> int:
    return day.month - 1 if by == ActivityPeriod.MONTH else (day.month - 1) // 3


def safety_net_activity(user: Any, *, year: int, by: str = ActivityPeriod.MONTH, dong: str = "") -> ActivityTable:
    """Referrals filed by each member the user sees, per month or quarter of `year`, and how many led to help (the
    referral was closed with the answer "connected with help"). A referral counts for the appointment in force on
    the day it was filed, through the member's login: what a member reported by phone to an officer is the
    officer's referral and is not counted here."""
    members = safety_net_members_visible_to(user).filter(
        Q(appointed_from__lte=date(year, 12, 31))
        & (Q(appointed_to__isnull=True) | Q(appointed_to__gte=date(year, 1, 1)))
    )
    if dong:
        members = members.filter(dong_id=dong)
    members = list(members.order_by("dong__name", "kind", "name", "pk"))
    size = 12 if by == ActivityPeriod.MONTH else 4
    rows = {m.pk: ActivityRow(m, [0] * size, [0] * size) for m in members}
    by_account: dict[int, list[SafetyNetMember]] = {}
    for member in members:
        if member.account_id is not None:
            by_account.setdefault(member.account_id, []).append(member)
    zone = timezone.get_default_timezone()
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    filed = Referral.objects.filter(reported_by_id__in=list(by_account), created_at__gte=start, created_at__lt=end)
    for account_id, created_at, answer in filed.values_list("reported_by_id", "created_at", "answer").iterator():
        day = timezone.localtime(created_at, zone).date()
        member = next(
            (
                m
                for m in by_account[account_id]
                if m.appointed_from <= day and (m.appointed_to is None or day <= m.appointed_to)
            ),
            None,
        )
        if member is None:
            continue
        index = _period_index(day, by)
        rows[member.pk].filed[index] += 1
        rows[member.pk].helped[index] += answer == ReferralAnswer.HELPED
    if by == ActivityPeriod.MONTH:
        periods = [pgettext("activity period", "Month %(month)s") % {"month": month} for month in range(1, 13)]
    else:
        periods = [pgettext("activity period", "Q%(quarter)s") % {"quarter": quarter} for quarter in range(1, 5)]
    return ActivityTable(year=year, by=by, periods=periods, rows=list(rows.values()))


def safety_net_logins_for(user: Any) -> QuerySet[Any]:
    """The safety-net logins the user may link to an appointment: those filing for a dong of the user's area."""
    users = get_user_model().objects.filter(
        is_active=True,
        staff__active=True,
        staff__role=Role.SAFETY_NET,
        staff__areas__in=safety_net_dongs_for(user).values("code"),
    )
    return users.distinct().select_related("staff").order_by("staff__display_name", "username")
