"""Reads of intake, narrowed through `dolbom.core.scope`."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from dolbom.core.choices import label_of
from dolbom.core.dates import KST, today_kst
from dolbom.core.numbers import redact
from dolbom.core.permissions import can
from dolbom.core.prepared import prepared_list, prepared_value, prepared_values, viewer_key
from dolbom.core.roles import Role
from dolbom.core.scope import NOTHING, Reach, scope_for, scoped, visible_or_404
from dolbom.core.workdays import Period
from dolbom.intake.amounts import AmountTable, Suggestion, load_amounts
from dolbom.intake.models import (
    DEFAULT_PERIODS,
    OPEN_STATES,
    Assessment,
    CampaignTarget,
    Clock,
    Consultation,
    ConsultationRecord,
    DeadlineRule,
    Decision,
    DecisionKind,
    DecisionStatus,
    EmergencyState,
    EmergencyStep,
    EmergencySupport,
    EventContact,
    ImmediateRisk,
    NeedDomain,
    NeedRating,
    OutreachEvent,
    Referral,
    ReferralAnswer,
    ReferralStatus,
    RiskKind,
    SafetyNetMember,
    SupportGiven,
    SurveyCampaign,
    Visit,
    VisitResult,
    WorkItem,
    WorkOutcome,
    WorkSource,
    WorkStatus,
)
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    Agency,
    AreaLevel,
    Household,
    Membership,
    Person,
    Staff,
    tong_ban_text,
)
from dolbom.registry.selectors import (
    TimelineEntry,
    areas_visible_to,
    households_visible_to,
    masked_head_names,
    officers_of_dong,
    persons_visible_to,
    search_households,
    visible_members,
)

# Officers see the referrals of their area; safety-net members and private agencies those they filed.
REFERRAL = Reach(dong="dong", author="reported_by")
# The worklist is the public officers' work in their area.
WORK_ITEM = Reach(dong="dong")


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    return scoped(Referral.objects.select_related("dong"), user, REFERRAL)


def open_referral_households(district_code: str) -> set[int]:
    """The households of a district with a referral not yet closed: ids only, unscoped, for the system's own
    work (a learned model's round marks them for its reserved share), never for a page."""
    referrals = Referral.objects.filter(household__isnull=False, household__dong__parent_id=district_code)
    return set(referrals.exclude(status=ReferralStatus.CLOSED).values_list("household_id", flat=True))


def referral_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 the user may file a referral about (see `Scope.files_in`)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    return dongs.filter(scope_for(user).filing_areas()).order_by("code")


def work_items_visible_to(user: Any) -> QuerySet[WorkItem]:
    items = WorkItem.objects.select_related(
        "dong",
        "household",
        "household__address",
        "assigned_to",
        "referral",
        "outreach_item",
        "outreach_item__round",
        "event_contact__event",
        "campaign_target__campaign",
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
    campaign: int | None = None  # a survey campaign's checklist


@dataclass
class WorklistEntry:
    """One item of the worklist with what its page, printout and export show of it and of its related records, read
    as plain values: a district's list of 500 items made ~3,000 model instances (the item, its household, address,
    officer, listing, round...) only to read a few columns of each. The related records' columns are None when
    the item has no such record (no household yet, not from a round, no referral, not met at an event)."""

    pk: int
    dong_id: str
    dong_name: str
    source: str
    status: str
    outcome: str
    next_try_on: date | None
    opened_at: datetime
    officer: str | None  # the assigned officer's name
    household_id: int | None
    road_address: str | None
    detail: str | None  # the unit (동·호)
    tong: int | None
    ban: int | None
    referral_id: int | None
    channel: str | None
    reported_address: str | None  # the referral's address as typed
    outreach_item_id: int | None
    period: str | None
    rank: int | None
    selection: str | None
    event_kind: str | None  # the outreach event the person was met at
    held_on: date | None
    place: str | None
    contact_name: str | None  # the contact's masked name
    campaign: str | None  # the survey campaign's name
    head_name: str = ""  # the household head's masked name, among the persons the user may see

    @property
    def door(self) -> str:
        return f"{self.road_address or ''} {self.detail or ''}".strip()

    @property
    def tong_ban(self) -> str:
        return tong_ban_text(self.tong, self.ban)


# The columns of a `WorklistEntry`, in its fields' order (head_name aside).
WORKLIST_COLUMNS = (
    *("pk", "dong_id", "dong__name", "source", "status", "outcome", "next_try_on", "opened_at"),
    "assigned_to__display_name",
    *("household_id", "household__address__road_address", "household__address__detail"),
    *("household__address__tong", "household__address__ban"),
    *("referral_id", "referral__channel", "referral__address_text"),
    *("outreach_item_id", "outreach_item__round__period", "outreach_item__rank", "outreach_item__selection"),
    *("event_contact__event__kind", "event_contact__event__held_on", "event_contact__event__place"),
    *("event_contact__masked_name", "campaign_target__campaign__name"),
)


@dataclass
class WorklistPage:
    items: list[WorklistEntry]
    dongs: list[AdministrativeArea]
    # More items matched than a printout or an export holds (`limit`): it says it was cut.
    truncated: bool = False
    limit: int = 0
    # On screen: the page of the list shown, with how many items match in all and how many pages they make.
    pages: Page | None = None


# A printout or an export of the worklist holds this many items at most.
WORKLIST_LIMIT = 500
# The screen shows the list a page at a time: a district's thousand items in one table was too long to read and
# to render (~0.15 ms a row), and no item past the limit could be reached at all.
WORKLIST_PAGE_SIZE = 100

# Each order ends with the item's id: the pages of a list keep their items in one order from page to page.
SORTS = {
    "age": ("opened_at", "pk"),
    "source": ("source", "outreach_item__rank", "opened_at", "pk"),
    "tong": ("household__address__tong", "household__address__ban", "opened_at", "pk"),
    "due": ("next_try_on", "opened_at", "pk"),
}


def _narrowed(rows: QuerySet[Any], user: Any, filters: Any, *, item: str) -> QuerySet[Any]:
    """The filters the worklist and the referral list share, on the worklist item at `item` (a referral's work is
    its item): the user's own, nobody's yet, one 통."""
    if filters.mine:
        rows = rows.filter(**{f"{item}assigned_to_id": _staff_id(user)})
    if filters.unassigned:
        rows = rows.filter(**{f"{item}assigned_to__isnull": True})
    if filters.tong is not None:
        rows = rows.filter(**{f"{item}household__address__tong": filters.tong})
    return rows


def _worklist_query(user: Any, filters: WorklistFilter, sort: str) -> QuerySet[Any]:
    items = scoped(WorkItem.objects.all(), user, WORK_ITEM)
    if filters.dong:
        items = items.filter(dong_id=filters.dong)
    if filters.open_only:
        items = items.exclude(status=WorkStatus.CLOSED)
    items = _narrowed(items, user, filters, item="")
    if filters.source in WorkSource.values:
        items = items.filter(source=filters.source)
    if filters.campaign is not None:
        items = items.filter(campaign_target__campaign_id=filters.campaign)
    return items.order_by(*SORTS.get(sort, SORTS["age"])).values_list(*WORKLIST_COLUMNS)


def _entries(user: Any, rows: Iterable[tuple[Any, ...]]) -> list[WorklistEntry]:
    entries = [WorklistEntry(*values) for values in rows]
    heads = masked_head_names(user, [e.household_id for e in entries if e.household_id])
    for entry in entries:
        entry.head_name = heads.get(entry.household_id, "")
    return entries


def worklist(user: Any, filters: WorklistFilter, *, sort: str = "age", limit: int = WORKLIST_LIMIT) -> WorklistPage:
    """The dong's households to reach, whatever found them, with their heads' masked names, up to `limit` (a
    printout, an export). Open items only unless asked; oldest first, so that nothing waits forgotten."""
    rows = list(_worklist_query(user, filters, sort)[: limit + 1])
    dongs = list(areas_visible_to(user).order_by("code"))
    return WorklistPage(items=_entries(user, rows[:limit]), dongs=dongs, truncated=len(rows) > limit, limit=limit)


def worklist_page(user: Any, filters: WorklistFilter, *, sort: str = "age", number: int | None = None) -> WorklistPage:
    """The worklist as the screen shows it: page `number` of WORKLIST_PAGE_SIZE items (the last one when past
    the end), in the same order as the printout."""
    pages = Paginator(_worklist_query(user, filters, sort), WORKLIST_PAGE_SIZE).get_page(number)
    pages.object_list = _entries(user, pages.object_list)
    dongs = list(areas_visible_to(user).order_by("code"))
    return WorklistPage(items=list(pages.object_list), dongs=dongs, pages=pages)


# ------------------------------------------------------------------------------------------------------------------
# The referral list, and both lists as the rows of an export or a printout
# ------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFilter:
    dong: str = ""
    mine: bool = False
    unassigned: bool = False
    open_only: bool = False
    tong: int | None = None


REFERRAL_SORTS = {
    "new": ("-created_at", "-pk"),
    "tong": ("work_item__household__address__tong", "work_item__household__address__ban", "-created_at"),
}
REFERRAL_LIMIT = 200


@dataclass
class ReferralListPage:
    referrals: list[Referral]
    dongs: list[AdministrativeArea]
    truncated: bool = False
    limit: int = 0


def _work_item_of(referral: Referral) -> WorkItem | None:
    try:
        return referral.work_item
    except WorkItem.DoesNotExist:
        return None


def referral_list(
    user: Any, filters: ReferralFilter, *, sort: str = "new", limit: int = REFERRAL_LIMIT
) -> ReferralListPage:
    """The referrals the user may see, newest first, narrowed like the worklist (the work on a referral is its
    worklist item: who has it, whether it is open, the 통 of the household it was tied to)."""
    referrals = referrals_visible_to(user).select_related(
        "work_item", "work_item__assigned_to", "work_item__household__address", "household__address"
    )
    if filters.dong:
        referrals = referrals.filter(dong_id=filters.dong)
    if filters.open_only:
        referrals = referrals.exclude(status=ReferralStatus.CLOSED)
    referrals = _narrowed(referrals, user, filters, item="work_item__")
    rows = list(referrals.order_by(*REFERRAL_SORTS.get(sort, REFERRAL_SORTS["new"]))[: limit + 1])
    truncated = len(rows) > limit
    dongs = list(areas_visible_to(user).order_by("code"))
    return ReferralListPage(referrals=rows[:limit], dongs=dongs, truncated=truncated, limit=limit)


def _tie_households(user: Any, referrals: list[Referral]) -> None:
    """For a printout or an export (the page shows neither): each referral's worklist item, the household it was
    tied to, and that household's head's masked name."""
    for referral in referrals:
        item = _work_item_of(referral)
        referral.item = item
        referral.tied_household = (item.household if item is not None else None) or referral.household
    heads = masked_head_names(user, [r.tied_household.pk for r in referrals if r.tied_household is not None])
    for referral in referrals:
        referral.head_name = heads.get(referral.tied_household.pk, "") if referral.tied_household else ""


class ListKind:
    WORKLIST = "worklist"
    REFERRALS = "referrals"


@dataclass(frozen=True)
class ListRow:
    """One household of a visit list, as printed or exported: where to go, whom to ask for (masked), since when,
    who has it and what came of it. Never a resident number or a phone number."""

    source: str
    tong_ban: str
    address: str
    head_name: str
    opened_on: date
    days_waiting: int
    status: str
    officer: str
    next_try_on: date | None
    outcome: str
    concern: str = ""  # referrals: what the reporter noticed


@dataclass
class VisitList:
    """A list with what it was made from: whose dongs, which filters and sort, how many rows, cut or not."""

    kind: str
    dong_names: list[str]
    filters: list[str]
    rows: list[ListRow]
    truncated: bool
    limit: int
    audit_filters: dict[str, Any]


def _opened(moment: datetime, today: date) -> tuple[date, int]:
    opened_on = timezone.localtime(moment, KST).date()
    return opened_on, max((today - opened_on).days, 0)


def _work_row(item: WorklistEntry, today: date) -> ListRow:
    source = label_of(WorkItem, "source", item.source)
    if item.outreach_item_id is not None:
        rank = pgettext("visit list", "priority %(rank)s") % {"rank": item.rank}
        source = f"{source} ({item.period} · {rank})"
    elif item.referral_id is not None:
        source = f"{source} ({label_of(Referral, 'channel', item.channel)})"
    if item.campaign is not None:
        source = f"{source} ({item.campaign})"
    elif item.event_kind is not None:
        source = f"{source} ({label_of(OutreachEvent, 'kind', item.event_kind)} {item.held_on:%Y-%m-%d})"
    if item.household_id is not None:
        address, name = item.door, item.head_name
    elif item.referral_id is not None:
        address, name = redact(item.reported_address or "", masked=True), ""
    elif item.event_kind is not None:  # met at an event, not registered: where they were met, their masked name
        address, name = f"{item.dong_name} · {item.place}", item.contact_name or ""
    else:
        address, name = "", ""
    opened_on, days = _opened(item.opened_at, today)
    return ListRow(
        source=source,
        tong_ban=item.tong_ban,
        address=address,
        head_name=name,
        opened_on=opened_on,
        days_waiting=days,
        status=label_of(WorkItem, "status", item.status),
        officer=item.officer or "",
        next_try_on=item.next_try_on,
        outcome=label_of(WorkItem, "outcome", item.outcome) if item.outcome else "",
    )


def _referral_row(referral: Referral, today: date) -> ListRow:
    item, household = referral.item, referral.tied_household
    opened_on, days = _opened(referral.created_at, today)
    return ListRow(
        source=referral.get_channel_display(),
        tong_ban=household.address.tong_ban if household else "",
        address=household.address.door if household else redact(referral.address_text, masked=True),
        head_name=referral.head_name,
        opened_on=opened_on,
        days_waiting=days,
        status=referral.get_status_display(),
        officer=item.assigned_to.display_name if item is not None and item.assigned_to_id else "",
        next_try_on=item.next_try_on if item is not None else None,
        outcome=item.get_outcome_display() if item is not None and item.outcome else "",
        # What a reporter typed may hold a phone or resident number: masked, as the audit log keeps such text.
        concern=redact(referral.concern, masked=True),
    )


def _dong_names(dongs: list[AdministrativeArea], chosen: str) -> list[str]:
    if chosen:
        return [d.name for d in dongs if d.code == chosen] or [chosen]
    return [d.name for d in dongs]


WORKLIST_SORT_LABELS = {
    "age": gettext_lazy("Waiting longest"),
    "due": gettext_lazy("Next try due"),
    "tong": gettext_lazy("Tong and ban"),
    "source": gettext_lazy("Found by"),
}
REFERRAL_SORT_LABELS = {"new": gettext_lazy("Newest first"), "tong": gettext_lazy("Tong and ban")}


def _common_filters(filters: WorklistFilter | ReferralFilter) -> list[str]:
    words = []
    if filters.mine:
        words.append(_("Mine"))
    if filters.unassigned:
        words.append(_("Not yet assigned"))
    if filters.tong is not None:
        words.append(_("%(tong)s tong") % {"tong": filters.tong})
    return words


def describe_worklist_filters(filters: WorklistFilter, sort: str, user: Any) -> list[str]:
    """The filters and sort in words, for the heading of a printout or an export."""
    words = _common_filters(filters)
    if filters.source in WorkSource.values:
        words.append(_("Found by: %(source)s") % {"source": WorkSource(filters.source).label})
    if filters.campaign is not None:
        campaign = campaigns_visible_to(user).filter(pk=filters.campaign).values_list("name", flat=True).first()
        words.append(_("Survey campaign: %(name)s") % {"name": campaign or f"#{filters.campaign}"})
    words.append(_("Open items only") if filters.open_only else _("Closed too"))
    words.append(_("Sorted by: %(sort)s") % {"sort": WORKLIST_SORT_LABELS.get(sort, WORKLIST_SORT_LABELS["age"])})
    return words


def describe_referral_filters(filters: ReferralFilter, sort: str) -> list[str]:
    words = _common_filters(filters)
    if filters.open_only:
        words.append(_("Open referrals only"))
    words.append(_("Sorted by: %(sort)s") % {"sort": REFERRAL_SORT_LABELS.get(sort, REFERRAL_SORT_LABELS["new"])})
    return words


def worklist_for_list(user: Any, filters: WorklistFilter, sort: str, today: date) -> VisitList:
    """The worklist exactly as its page shows it under these filters, as rows to print or export."""
    sort = sort if sort in SORTS else "age"
    page = worklist(user, filters, sort=sort)
    return VisitList(
        kind=ListKind.WORKLIST,
        dong_names=_dong_names(page.dongs, filters.dong),
        filters=describe_worklist_filters(filters, sort, user),
        rows=[_work_row(item, today) for item in page.items],
        truncated=page.truncated,
        limit=page.limit,
        audit_filters={
            "dong": filters.dong,
            "mine": filters.mine,
            "unassigned": filters.unassigned,
            "open_only": filters.open_only,
            "source": filters.source,
            "tong": filters.tong,
            "campaign": filters.campaign,
            "sort": sort,
        },
    )


def referrals_for_list(user: Any, filters: ReferralFilter, sort: str, today: date) -> VisitList:
    """The referral list exactly as its page shows it under these filters, as rows to print or export."""
    sort = sort if sort in REFERRAL_SORTS else "new"
    page = referral_list(user, filters, sort=sort)
    _tie_households(user, page.referrals)
    return VisitList(
        kind=ListKind.REFERRALS,
        dong_names=_dong_names(page.dongs, filters.dong),
        filters=describe_referral_filters(filters, sort),
        rows=[_referral_row(referral, today) for referral in page.referrals],
        truncated=page.truncated,
        limit=page.limit,
        audit_filters={
            "dong": filters.dong,
            "mine": filters.mine,
            "unassigned": filters.unassigned,
            "open_only": filters.open_only,
            "tong": filters.tong,
            "sort": sort,
        },
    )


@dataclass
class WorkItemPage:
    item: WorkItem
    visits: list[Visit]
    officers: list[Staff]
    head_name: str
    candidates: list[Any] = field(default_factory=list)  # registry.selectors.HouseholdHit
    # Lines of the domains downstream about why the item is here (intake.signals.work_item_shown).
    panels: list[Any] = field(default_factory=list)


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
        hits = search_households(user, item.referral.address_text, per_page=10).hits
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


# ------------------------------------------------------------------------------------------------------------------
# Emergency support (긴급복지지원) and the clocks of 오늘 할 일
# ------------------------------------------------------------------------------------------------------------------

# Emergency support is the public officers' work in their area, like the worklist.
EMERGENCY = Reach(dong="dong")

# The clock an application runs in each state, and the date it counts from.
EMERGENCY_CLOCKS: dict[str, tuple[str, str]] = {
    EmergencyState.REQUESTED: (Clock.ON_SITE_CHECK, "requested_on"),
    EmergencyState.CHECKED: (Clock.DECISION, "checked_on"),
    EmergencyState.SUPPORTING: (Clock.FOLLOW_UP, "decided_on"),
}


def emergency_supports_visible_to(user: Any) -> QuerySet[EmergencySupport]:
    supports = EmergencySupport.objects.select_related("dong", "household", "household__address", "officer")
    return scoped(supports, user, EMERGENCY)


def emergency_support_received(user: Any, household: Household) -> list[TimelineEntry]:
    """Emergency support the household is receiving or waiting for (for the "already receives" panel of case
    management), as far as the user may see it."""
    if not can(user, "intake.view_emergency"):
        return []
    supports = emergency_supports_visible_to(user).filter(household=household, state__in=OPEN_STATES)
    return [
        TimelineEntry(
            s.requested_on,
            "emergency",
            _("Emergency support (%(state)s): %(kinds)s")
            % {"state": s.get_state_display(), "kinds": ", ".join(s.get_kinds_display())},
        )
        for s in supports.order_by("requested_on", "pk")
    ]


def deadline_periods(district_code: str) -> dict[str, Period]:
    """The district's rule for every clock; the defaults where its administrator has set none."""
    periods = dict(DEFAULT_PERIODS)
    for rule in DeadlineRule.objects.filter(district_id=district_code):
        periods[rule.clock] = rule.period
    return periods


class Urgency:
    OVERDUE = "overdue"
    TODAY = "today"
    RUNNING = "running"
    MET = "met"
    LATE = "late"  # done, after the deadline


@dataclass(frozen=True)
class ClockStatus:
    """One clock of one application: from when, due when, done when, and what that means on `on`."""

    clock: str
    starts_on: date
    due_on: date
    done_on: date | None
    on: date

    @property
    def label(self) -> str:
        return str(Clock(self.clock).label)

    @property
    def urgency(self) -> str:
        if self.done_on is not None:
            return Urgency.MET if self.done_on <= self.due_on else Urgency.LATE
        if self.due_on < self.on:
            return Urgency.OVERDUE
        return Urgency.TODAY if self.due_on == self.on else Urgency.RUNNING

    @property
    def days(self) -> int:
        """Calendar days left (positive) or past the deadline (negative), as a person counts them on a calendar."""
        return (self.due_on - self.on).days

    @property
    def days_late(self) -> int:
        return -self.days


def support_clocks(support: EmergencySupport, periods: dict[str, Period], on: date) -> list[ClockStatus]:
    """The clocks the application has started so far, done or running."""
    spans = (
        (Clock.ON_SITE_CHECK, support.requested_on, support.checked_on),
        (Clock.DECISION, support.checked_on, support.decided_on),
        (Clock.FOLLOW_UP, support.decided_on if support.state != EmergencyState.NOT_SUPPORTED else None,
         support.follow_up_on),
    )  # fmt: skip
    return [
        ClockStatus(clock, start, periods[clock].deadline(start), done, on)
        for clock, start, done in spans
        if start is not None
    ]


def running_clock(support: EmergencySupport, periods: dict[str, Period], on: date) -> ClockStatus | None:
    if support.state not in EMERGENCY_CLOCKS:
        return None
    clock, start_field = EMERGENCY_CLOCKS[support.state]
    start = getattr(support, start_field)
    return ClockStatus(clock, start, periods[clock].deadline(start), None, on)


def household_size(user: Any, household: Household, on: date) -> int:
    return len(visible_members(user, household, on=on))


@dataclass
class EmergencyPage:
    support: EmergencySupport
    steps: list[EmergencyStep]
    given: list[SupportGiven]
    head_name: str
    household_size: int
    clocks: list[ClockStatus]
    officers: list[Staff]
    suggestions: list[Suggestion]
    amounts: AmountTable
    year: int


def emergency_page(user: Any, support_id: int, on: date) -> EmergencyPage:
    """One application with its steps, the support given, its clocks and the year's amounts for its household."""
    support = visible_or_404(emergency_supports_visible_to(user), support_id)
    steps = list(support.steps.select_related("by__staff", "officer", "given").order_by("at", "pk"))
    given = list(support.given.select_related("recorded_by").order_by("starts_on", "recorded_at"))
    size = household_size(user, support.household, on)
    amounts = load_amounts()
    year = (support.decided_on or on).year
    return EmergencyPage(
        support=support,
        steps=steps,
        given=given,
        head_name=masked_head_names(user, [support.household_id], on=on).get(support.household_id, ""),
        household_size=size,
        clocks=support_clocks(support, deadline_periods(support.dong.parent_id), on),
        officers=list(officers_of_dong(support.dong_id)),
        suggestions=amounts.for_household(year, size),
        amounts=amounts,
        year=year,
    )


@dataclass
class NewEmergencyPage:
    household: Household
    head_name: str
    household_size: int
    officers: list[Staff]
    open_support: EmergencySupport | None
    work_item: WorkItem | None
    consultation: Consultation | None
    suggestions: list[Suggestion]
    amounts: AmountTable
    year: int


def new_emergency_page(
    user: Any, household_id: int, work_item_id: int | None, on: date, *, consultation_id: int | None = None
) -> NewEmergencyPage:
    """What the form to open an application shows: the household (as far as the user may see it), an application
    already open for it, and the worklist item or the consultation it comes from."""
    household = visible_or_404(households_visible_to(user).select_related("address", "dong"), household_id)
    work_item = None
    if work_item_id is not None:
        work_item = work_items_visible_to(user).filter(pk=work_item_id, household_id=household.pk).first()
    consultation = None
    if consultation_id is not None:
        consultation = consultations_visible_to(user).filter(pk=consultation_id, household_id=household.pk).first()
    size = household_size(user, household, on)
    amounts = load_amounts()
    return NewEmergencyPage(
        household=household,
        head_name=masked_head_names(user, [household.pk], on=on).get(household.pk, ""),
        household_size=size,
        officers=list(officers_of_dong(household.dong_id)),
        open_support=emergency_supports_visible_to(user).filter(household=household, state__in=OPEN_STATES).first(),
        work_item=work_item,
        consultation=consultation,
        suggestions=amounts.for_household(on.year, size),
        amounts=amounts,
        year=on.year,
    )


@dataclass
class EmergencyRow:
    support: EmergencySupport
    head_name: str
    clock: ClockStatus | None


def emergency_list(user: Any, on: date, *, open_only: bool = True, limit: int = 300) -> list[EmergencyRow]:
    """Applications, the most urgent clock first; closed ones after, newest first."""
    supports = emergency_supports_visible_to(user).select_related("dong__parent")
    if open_only:
        supports = supports.filter(state__in=OPEN_STATES)
    rows = list(supports.order_by("-requested_on", "-pk")[:limit])
    heads = masked_head_names(user, [s.household_id for s in rows], on=on)
    periods = _periods_by_district({s.dong.parent_id for s in rows})
    listed = [
        EmergencyRow(s, heads.get(s.household_id, ""), running_clock(s, periods[s.dong.parent_id], on)) for s in rows
    ]
    return sorted(listed, key=lambda r: (r.clock is None, r.clock.due_on if r.clock else date.max))


def _periods_by_district(districts: set[str]) -> dict[str, dict[str, Period]]:
    return {district: deadline_periods(district) for district in districts}


# ------------------------------------------------------------------------------------------------ 오늘 할 일


class TodayKind:
    EMERGENCY = "emergency"
    RETRY = "retry"
    REFERRAL = "referral"
    WORK = "work"
    CONSULTATION = "consultation"


@dataclass(frozen=True)
class TodayRow:
    """One thing due: what, about whom (masked), where, who has it, due when, and the page to open."""

    kind: str
    title: str
    due_on: date
    on: date
    who: str  # the household head's masked name, or where a report said
    dong: str
    officer: str
    url_name: str
    object_id: int

    @property
    def urgency(self) -> str:
        if self.due_on < self.on:
            return Urgency.OVERDUE
        return Urgency.TODAY if self.due_on == self.on else Urgency.RUNNING

    @property
    def days_late(self) -> int:
        return (self.on - self.due_on).days


@dataclass
class TodayBoard:
    on: date
    team: bool  # the whole district's, for its case manager; otherwise the officer's own
    overdue: list[TodayRow]
    due_today: list[TodayRow]
    coming: list[TodayRow]  # emergency clocks still running: few, and the ones that must not be missed
    not_visited: int  # households assigned to the officer with no visit or call yet

    @property
    def overdue_count(self) -> int:
        return len(self.overdue)


def _kst_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KST)


def _staff_id(user: Any) -> int | None:
    return getattr(getattr(user, "staff", None), "pk", None)


def _mine_or_nobodys(path: str, staff_id: int | None) -> Q:
    """An officer's own work and the work nobody has yet in their dongs (so that nothing waits unseen)."""
    return Q(**{path: staff_id}) | Q(**{f"{path}__isnull": True})


def _older_than(rule_of: dict[str, Period], on: date, field_name: str, dong_path: str) -> tuple[Q, Q]:
    """Rows of each district whose clock (started at the datetime `field_name`) ran out before `on`, and those
    whose clock runs out on `on`: (overdue, due today), as conditions the database answers."""
    overdue, today = NOTHING, NOTHING
    for district, period in rule_of.items():
        late_start = period.latest_start_due_by(on - timedelta(days=1))
        today_start = period.latest_start_due_by(on)
        in_district = Q(**{f"{dong_path}__parent_id": district})
        overdue |= in_district & Q(**{f"{field_name}__lt": _kst_midnight(late_start + timedelta(days=1))})
        today |= (
            in_district
            & Q(**{f"{field_name}__gte": _kst_midnight(late_start + timedelta(days=1))})
            & Q(**{f"{field_name}__lt": _kst_midnight(today_start + timedelta(days=1))})
        )
    return overdue, today


def _emergency_overdue(periods: dict[str, dict[str, Period]], on: date) -> Q:
    """Open applications whose running clock ran out before `on`, as one condition."""
    condition = NOTHING
    for district, rules in periods.items():
        for state, (clock, start_field) in EMERGENCY_CLOCKS.items():
            late_start = rules[clock].latest_start_due_by(on - timedelta(days=1))
            condition |= Q(dong__parent_id=district, state=state, **{f"{start_field}__lte": late_start})
    return condition


def _board_scope(user: Any) -> tuple[bool, int | None, dict[str, dict[str, Period]]]:
    team = can(user, "intake.supervise")
    return team, _staff_id(user), _periods_by_district(set(scope_for(user).district_codes))


def _board_key(user: Any, on: date, staff_id: int | None, periods: dict[str, dict[str, Period]]) -> Hashable:
    """Everything the board's and the badge's questions are built from (core.prepared): who asks (the scope holds
    the user, role, areas and agency, and so whether they lead the team), their staff record, the day asked about
    and today (the scope's dated conditions), and the districts' deadline rules as read for this request."""
    rules = tuple(sorted((district, tuple(sorted(r.items()))) for district, r in periods.items()))
    return (scope_for(user), staff_id, on, today_kst(), rules)


def today_board(user: Any, on: date) -> TodayBoard:
    """오늘 할 일: what is overdue and due today for an officer — or, for a district case manager, for the whole
    district as its team leader: emergency clocks, retries, referrals without answer, worklist items without
    outcome, consultations without decision. Overdue first, the longest overdue at the top."""
    if not can(user, "intake.view_today"):
        return TodayBoard(on=on, team=False, overdue=[], due_today=[], coming=[], not_visited=0)
    team, staff_id, periods = _board_scope(user)
    key = _board_key(user, on, staff_id, periods)
    rows = [
        *_emergency_rows(user, on, team, staff_id, periods, key),
        *_retry_rows(user, on, team, staff_id, key),
        *_referral_rows(user, on, team, staff_id, periods, key),
        *_work_rows(user, on, team, staff_id, periods, key),
        *_consultation_rows(user, on, team, periods, key),
    ]
    order = sorted(_first_of_each_object(rows), key=lambda r: (r.due_on, r.kind, r.object_id))
    not_visited = 0
    if not team:
        not_visited = (
            work_items_visible_to(user)
            .filter(assigned_to_id=staff_id, status=WorkStatus.ASSIGNED, next_try_on__isnull=True)
            .count()
        )
    return TodayBoard(
        on=on,
        team=team,
        overdue=[r for r in order if r.urgency == Urgency.OVERDUE],
        due_today=[r for r in order if r.urgency == Urgency.TODAY],
        coming=[r for r in order if r.urgency == Urgency.RUNNING],
        not_visited=not_visited,
    )


def overdue_count(user: Any, on: date) -> int:
    """How many things are overdue on `on` for the user (the menu's badge): counted by the database in one query,
    so that every page can afford it."""
    if not can(user, "intake.view_today"):
        return 0
    team, staff_id, periods = _board_scope(user)
    key = _board_key(user, on, staff_id, periods)
    # Building its five counts through the ORM took ~5 ms on every page, thirty times what the database takes to
    # answer them: the SQL is built once per key (core.prepared), and the badge is always counted afresh.
    count = prepared_value("intake.badge", lambda: _overdue_question(user, on, team, staff_id, periods), key=key)
    return int(count)


def _overdue_question(
    user: Any, on: date, team: bool, staff_id: int | None, periods: dict[str, dict[str, Period]]
) -> tuple[str, tuple[Any, ...]]:
    """The badge's five counts, as on the board (one per page to open), summed in one statement."""
    supports = emergency_supports_visible_to(user).filter(_emergency_overdue(periods, on))
    retries = work_items_visible_to(user).exclude(status=WorkStatus.CLOSED).filter(next_try_on__lt=on)
    referrals = _unanswered_referrals(user, team, staff_id)
    items = _open_items(user, team, staff_id)
    if not team:
        supports = supports.filter(_mine_or_nobodys("officer_id", staff_id))
        retries = retries.filter(assigned_to_id=staff_id)
    late_referrals = referrals.filter(_older_than(_rule(periods, Clock.REFERRAL_ANSWER), on, "created_at", "dong")[0])
    late_items = items.filter(_older_than(_rule(periods, Clock.WORK_OUTCOME), on, "opened_at", "dong")[0])
    # One count per page to open, as on the board: a worklist item late on several counts is counted once.
    late_items = late_items.exclude(pk__in=retries.values("pk")).exclude(referral__in=late_referrals.values("pk"))
    late_referrals = late_referrals.exclude(work_item__in=retries.values("pk"))
    rule = _rule(periods, Clock.CONSULT_DECISION)
    undecided = _undecided(user, team).filter(_older_than(rule, on, "opened_at", "household__dong")[0])
    counts, params = [], []
    for number, rows in enumerate((supports, retries, late_referrals, late_items, undecided)):
        try:
            sql, values = rows.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a condition no row meets: Django does not ask, and neither does the badge
            continue
        # Only the ORM's own SQL goes into the text; every value stays a parameter.
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{number})")  # noqa: S608
        params.extend(values)
    return f"SELECT {' + '.join(counts) or '0'}", tuple(params)


def _rule(periods: dict[str, dict[str, Period]], clock: str) -> dict[str, Period]:
    return {district: rules[clock] for district, rules in periods.items()}


def _emergency_rows(
    user: Any, on: date, team: bool, staff_id: int | None, periods: dict[str, dict[str, Period]], key: Hashable
) -> list[TodayRow]:
    def build() -> QuerySet[EmergencySupport]:
        supports = emergency_supports_visible_to(user).filter(state__in=list(EMERGENCY_CLOCKS))
        if not team:
            supports = supports.filter(_mine_or_nobodys("officer_id", staff_id))
        return supports.select_related("dong__parent")[:500]

    supports = prepared_list("intake.today.emergency", build, key=key)
    heads = masked_head_names(user, [s.household_id for s in supports], on=on)
    rows = []
    for support in supports:
        clock = running_clock(support, periods.get(support.dong.parent_id) or dict(DEFAULT_PERIODS), on)
        if clock is None:
            continue
        rows.append(
            TodayRow(
                kind=TodayKind.EMERGENCY,
                title=clock.label,
                due_on=clock.due_on,
                on=on,
                who=heads.get(support.household_id, ""),
                dong=support.dong.name,
                officer=support.officer.display_name if support.officer else "",
                url_name="emergency_detail",
                object_id=support.pk,
            )
        )
    return rows


def _item_row(item: WorkItem, kind: str, title: str, due_on: date, on: date, heads: dict[int, str]) -> TodayRow:
    who = (
        heads.get(item.household_id, "") if item.household_id else (item.referral.address_text if item.referral else "")
    )
    return TodayRow(
        kind=kind,
        title=title,
        due_on=due_on,
        on=on,
        who=who,
        dong=item.dong.name,
        officer=item.assigned_to.display_name if item.assigned_to else "",
        url_name="work_item",
        object_id=item.pk,
    )


def _retry_rows(user: Any, on: date, team: bool, staff_id: int | None, key: Hashable) -> list[TodayRow]:
    def build() -> QuerySet[WorkItem]:
        items = work_items_visible_to(user).exclude(status=WorkStatus.CLOSED).filter(next_try_on__lte=on)
        if not team:
            items = due_for(user, on).filter(next_try_on__isnull=False)
        return items.order_by("next_try_on")[:500]

    items = prepared_list("intake.today.retry", build, key=key)
    heads = masked_head_names(user, [i.household_id for i in items if i.household_id], on=on)
    title = str(_("Another try is due"))
    return [_item_row(item, TodayKind.RETRY, title, item.next_try_on, on, heads) for item in items]


def _unanswered_referrals(user: Any, team: bool, staff_id: int | None) -> QuerySet[Referral]:
    referrals = referrals_visible_to(user).exclude(status=ReferralStatus.CLOSED)
    return referrals if team else referrals.filter(_mine_or_nobodys("work_item__assigned_to_id", staff_id))


def _open_items(user: Any, team: bool, staff_id: int | None) -> QuerySet[WorkItem]:
    items = work_items_visible_to(user).exclude(status=WorkStatus.CLOSED)
    return items if team else items.filter(_mine_or_nobodys("assigned_to_id", staff_id))


def _referral_rows(
    user: Any, on: date, team: bool, staff_id: int | None, periods: dict[str, dict[str, Period]], key: Hashable
) -> list[TodayRow]:
    rule = _rule(periods, Clock.REFERRAL_ANSWER)

    def build() -> QuerySet[Referral]:
        overdue, today = _older_than(rule, on, "created_at", "dong")
        referrals = _unanswered_referrals(user, team, staff_id).filter(overdue | today).filter(work_item__isnull=False)
        return referrals.select_related("work_item", "work_item__assigned_to", "dong").order_by("created_at")[:500]

    referrals = prepared_list("intake.today.referral", build, key=key)
    heads = masked_head_names(user, [r.household_id for r in referrals if r.household_id], on=on)
    title = str(_("Referral without an answer"))
    rows = []
    for referral in referrals:
        started = timezone.localtime(referral.created_at, KST).date()
        item = referral.work_item
        rows.append(
            TodayRow(
                kind=TodayKind.REFERRAL,
                title=title,
                due_on=rule[referral.dong.parent_id].deadline(started),
                on=on,
                who=heads.get(referral.household_id, "") if referral.household_id else referral.address_text,
                dong=referral.dong.name,
                officer=item.assigned_to.display_name if item.assigned_to else "",
                url_name="work_item",
                object_id=item.pk,
            )
        )
    return rows


def _work_rows(
    user: Any, on: date, team: bool, staff_id: int | None, periods: dict[str, dict[str, Period]], key: Hashable
) -> list[TodayRow]:
    rule = _rule(periods, Clock.WORK_OUTCOME)

    def build() -> QuerySet[WorkItem]:
        overdue, today = _older_than(rule, on, "opened_at", "dong")
        return _open_items(user, team, staff_id).filter(overdue | today).order_by("opened_at")[:500]

    items = prepared_list("intake.today.work", build, key=key)
    heads = masked_head_names(user, [i.household_id for i in items if i.household_id], on=on)
    title = str(_("Worklist item without an outcome"))
    return [
        _item_row(item, TodayKind.WORK, title, rule[item.dong.parent_id].deadline(
            timezone.localtime(item.opened_at, KST).date()), on, heads)
        for item in items
    ]  # fmt: skip


def _consultation_rows(
    user: Any, on: date, team: bool, periods: dict[str, dict[str, Period]], key: Hashable
) -> list[TodayRow]:
    """Initial consultations held without a decision standing yet (docs/process.md step 5), due within the
    district's period from the consultation: an officer's own (held by them, or on an item they have), a team
    leader's whole district."""
    rule = _rule(periods, Clock.CONSULT_DECISION)

    def build() -> QuerySet[Consultation]:
        overdue, today = _older_than(rule, on, "opened_at", "household__dong")
        rows = _undecided(user, team).filter(overdue | today)
        return rows.select_related("work_item__assigned_to").order_by("opened_at")[:500]

    rows = prepared_list("intake.today.consultation", build, key=key)
    heads = masked_head_names(user, [c.household_id for c in rows], on=on)
    title = str(_("Consultation without a decision"))
    return [
        TodayRow(
            kind=TodayKind.CONSULTATION,
            title=title,
            due_on=rule[c.household.dong.parent_id].deadline(timezone.localtime(c.opened_at, KST).date()),
            on=on,
            who=heads.get(c.household_id, ""),
            dong=c.household.dong.name,
            officer=c.work_item.assigned_to.display_name if c.work_item.assigned_to else "",
            url_name="consultation_detail",
            object_id=c.pk,
        )
        for c in rows
    ]


def _undecided(user: Any, team: bool) -> QuerySet[Consultation]:
    """The user's consultations with no decision standing (none made, or every one withdrawn)."""
    standing = Decision.objects.exclude(status=DecisionStatus.WITHDRAWN).values("consultation_id")
    consultations = consultations_visible_to(user).exclude(pk__in=standing)
    if team:
        return consultations
    return consultations.filter(Q(opened_by=user) | Q(work_item__assigned_to_id=_staff_id(user)))


def _first_of_each_object(rows: list[TodayRow]) -> list[TodayRow]:
    """One row per page to open: a worklist item late on several counts is listed once, by its earliest deadline
    (a retry before a referral's answer before the item's outcome)."""
    best: dict[tuple[str, int], TodayRow] = {}
    for row in rows:
        key = (row.url_name, row.object_id)
        if key not in best or row.due_on < best[key].due_on:
            best[key] = row
    return list(best.values())


# ------------------------------------------------------------------ consultations, assessments, decisions
# A consultation is reached through its household's dong, by the public staff of the area only. A private agency
# does not see it even when a member of the household consented to share with it: what happened, the risks and
# the needs concern every member, those who did not consent included, and free text cannot be cut per person.
# What a partner needs reaches it through case management, under the purpose the person consented to.
CONSULTATION = Reach(dong="household__dong")
DECISION = Reach(dong="consultation__household__dong")


def consultations_visible_to(user: Any) -> QuerySet[Consultation]:
    rows = Consultation.objects.select_related("household", "household__address", "household__dong", "work_item")
    return scoped(rows, user, CONSULTATION)


def decisions_visible_to(user: Any) -> QuerySet[Decision]:
    rows = Decision.objects.select_related("consultation", "consultation__household", "decided_by")
    return scoped(rows, user, DECISION)


def pending_decisions(user: Any, kind: str) -> QuerySet[Decision]:
    """Decisions of one kind waiting for the capability that carries them on (a case-management candidate for
    cases, a benefit application for eligibility, emergency support for its clocks), oldest first."""
    return decisions_visible_to(user).filter(kind=kind, status=DecisionStatus.PENDING).order_by("decided_on", "pk")


def initial_consultations(user: Any, start: date, end: date) -> dict[str, int]:
    """Initial consultations (초기상담) per dong, held between `start` and `end` inclusive (the first version's
    date), over the areas whose aggregates the user may read."""

    def build() -> QuerySet[Consultation]:
        held = Consultation.objects.filter(
            scope_for(user).aggregate_areas("household__dong"),
            records__version=1,
            records__held_on__gte=start,
            records__held_on__lte=end,
        )
        return held.values("household__dong_id").annotate(n=models.Count("pk")).order_by()

    rows = prepared_values("intake.figures.initial_consultations", build, key=(viewer_key(user), start, end))
    return {row["household__dong_id"]: row["n"] for row in rows}


def emergency_support_paid(user: Any, start: date, end: date) -> dict[str, tuple[int, int]]:
    """Emergency support (긴급복지지원, public money) given per dong: the applications with support starting between
    `start` and `end` inclusive, and its won (a monthly amount times its months), over the areas whose aggregates
    the user may read. One aggregate query."""

    def build() -> QuerySet[SupportGiven]:
        given = SupportGiven.objects.filter(
            scope_for(user).aggregate_areas("support__dong"), starts_on__gte=start, starts_on__lte=end
        )
        paid = models.ExpressionWrapper(
            models.F("amount") * Coalesce("months", models.Value(1)), output_field=models.BigIntegerField()
        )
        return (
            given.values("support__dong_id")
            .annotate(n=models.Count("support", distinct=True), w=models.Sum(paid))
            .order_by()
        )

    rows = prepared_values("intake.figures.emergency_support_paid", build, key=(viewer_key(user), start, end))
    return {row["support__dong_id"]: (row["n"], row["w"] or 0) for row in rows}


def pending_case_candidates(user: Any) -> QuerySet[Decision]:
    """Case-management candidates that case management has not opened yet."""
    return pending_decisions(user, DecisionKind.CASE_CANDIDATE)


def pending_benefit_decisions(user: Any) -> QuerySet[Decision]:
    """Decisions to apply for a public benefit that no application has taken up yet (eligibility records it)."""
    return pending_decisions(user, DecisionKind.BENEFIT)


def current_record(consultation: Consultation) -> ConsultationRecord:
    """The version of the consultation that stands: the highest."""
    return consultation.records.select_related("officer").order_by("-version").first()


def current_assessment(consultation: Consultation) -> Assessment | None:
    """The assessment that stands: the one no later assessment replaces."""
    rows = consultation.assessments.filter(replaced_by__isnull=True).select_related("crisis_level", "officer")
    return rows.order_by("-recorded_at", "-pk").first()


def open_item_of_household(user: Any, household_id: int) -> WorkItem | None:
    """The household's oldest item still being worked on, among the user's: a walk-in continues it."""
    items = work_items_visible_to(user).filter(household_id=household_id).exclude(status=WorkStatus.CLOSED)
    return items.order_by("opened_at", "pk").first()


@dataclass
class ConsultationStart:
    """What the consultation form shows: the household's registered members as the user may see them, the dong's
    officers, and the item the consultation closes (None: a walk-in without an open item)."""

    household: Household
    item: WorkItem | None
    members: list[Membership]
    officers: list[Staff]
    head_name: str


def consultation_start(user: Any, household: Household, item: WorkItem | None) -> ConsultationStart:
    head = masked_head_names(user, [household.pk]).get(household.pk, "")
    return ConsultationStart(
        household=household,
        item=item,
        members=visible_members(user, household),
        officers=list(officers_of_dong(household.dong_id)),
        head_name=head,
    )


@dataclass
class ConsultationPage:
    consultation: Consultation
    record: ConsultationRecord
    history: list[ConsultationRecord]  # earlier versions, newest first
    members: list[Person]  # the registered members recorded as living here, as far as the user may see them
    risks: list[ImmediateRisk]
    assessment: Assessment | None
    needs: list[NeedRating]
    earlier_assessments: list[Assessment]
    decisions: list[Decision]
    head_name: str
    # Blocks of the domains downstream about the same household (intake.signals.consultation_shown).
    panels: list[Any] = field(default_factory=list)


def consultation_page(user: Any, consultation_id: int) -> ConsultationPage:
    """One consultation with its versions, assessments (the standing one with its needs in the domains' order) and
    decisions."""
    consultation = visible_or_404(consultations_visible_to(user), consultation_id)
    records = list(consultation.records.select_related("officer", "recorded_by").order_by("-version"))
    record = records[0]
    assessment = current_assessment(consultation)
    order = {domain: index for index, domain in enumerate(NeedDomain.values)}
    needs = sorted(assessment.needs.all(), key=lambda n: order.get(n.domain, 99)) if assessment else []
    earlier = consultation.assessments.exclude(pk=getattr(assessment, "pk", None))
    risk_order = {kind: index for index, kind in enumerate(RiskKind.values)}
    household_id = consultation.household_id
    return ConsultationPage(
        consultation=consultation,
        record=record,
        history=records[1:],
        members=list(persons_visible_to(user).filter(pk__in=record.members.values("pk")).order_by("birth_date")),
        risks=sorted(record.risks.all(), key=lambda r: risk_order.get(r.kind, 99)),
        assessment=assessment,
        needs=needs,
        earlier_assessments=list(earlier.select_related("crisis_level", "officer").order_by("-recorded_at", "-pk")),
        decisions=list(consultation.decisions.select_related("decided_by").order_by("recorded_at", "pk")),
        head_name=masked_head_names(user, [household_id]).get(household_id, ""),
    )


@dataclass
class HouseholdConsultations:
    household: Household
    consultations: list[Consultation]  # each with `.record` and `.assessment` set, newest first
    pending: list[Decision]
    open_item: WorkItem | None


def household_consultations(user: Any, household_id: int) -> HouseholdConsultations:
    """A household's consultations and the decisions waiting for their next step."""
    household = visible_or_404(households_visible_to(user).select_related("address", "dong"), household_id)
    consultations = list(consultations_visible_to(user).filter(household=household).order_by("-opened_at"))
    for consultation in consultations:
        consultation.record = current_record(consultation)
        consultation.assessment = current_assessment(consultation)
    pending = decisions_visible_to(user).filter(consultation__household=household, status=DecisionStatus.PENDING)
    return HouseholdConsultations(
        household=household,
        consultations=consultations,
        pending=list(pending.order_by("decided_on", "pk")),
        open_item=open_item_of_household(user, household.pk),
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


# ------------------------------------------------------------------------------------------ the household page
def household_history(user: Any, household: Household) -> list[TimelineEntry]:
    """What intake knows of one household, as far as the user may see it, for the household page: when it came on
    a worklist and how, every try to reach it (corrections marked), how the item ended, the consultations with
    their crisis level, the decisions, and each step of an emergency support application. Each part only for a
    role that may see it, through the same scoped selectors as intake's own pages; the caller has opened (and
    audited) the household."""
    entries: list[TimelineEntry] = []
    # Built once per user and day, the household's id bound at each call (core.prepared).
    key, household_id = viewer_key(user), household.pk
    if can(user, "intake.view_worklist"):
        items = prepared_list(
            "intake.household.work_items",
            lambda household_id: work_items_visible_to(user).filter(household_id=household_id),
            key=key,
            household_id=household_id,
        )
        entries += _work_entries(items)
    if can(user, "intake.view_consultations"):
        consultations = prepared_list(
            "intake.household.consultations",
            lambda household_id: consultations_visible_to(user).filter(household_id=household_id),
            key=key,
            household_id=household_id,
        )
        entries += _consultation_entries(consultations)
        decisions = prepared_list(
            "intake.household.decisions",
            lambda household_id: (
                decisions_visible_to(user).filter(consultation__household_id=household_id).order_by("recorded_at", "pk")
            ),
            key=key,
            household_id=household_id,
        )
        entries += _decision_entries(decisions)
    if can(user, "intake.view_emergency"):
        steps = prepared_list(
            "intake.household.emergency_steps",
            lambda household_id: (
                EmergencyStep.objects.filter(
                    support__in=emergency_supports_visible_to(user).filter(household_id=household_id).values("pk")
                )
                .select_related("officer", "given")
                .order_by("at", "pk")
            ),
            key=key,
            household_id=household_id,
        )
        entries += _emergency_entries(steps)
    return entries


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, KST).date()


def _who(staff: Staff | None) -> str:
    return staff.display_name if staff is not None else "—"


def _work_entries(items: list[WorkItem]) -> list[TimelineEntry]:
    entries = []
    for item in items:
        came = _("On the worklist of %(dong)s: %(source)s")
        details = (item.referral.get_channel_display(),) if item.referral_id else ()
        values = {"dong": item.dong.name, "source": item.get_source_display()}
        entries.append(TimelineEntry(_local_day(item.opened_at), "worklist", came % values, details, item.opened_at))
        if item.closed_at is not None:
            ended = _("Worklist item closed: %(outcome)s") % {"outcome": item.get_outcome_display() or "—"}
            entries.append(
                TimelineEntry(item.outcome_on or _local_day(item.closed_at), "outcome", ended, (), item.closed_at)
            )
    if not items:  # no query to build: most households were never on a worklist
        return entries
    visits = Visit.objects.filter(work_item__in=[i.pk for i in items]).select_related("visitor")
    for visit in visits.order_by("recorded_at", "pk"):
        text = _("%(contact)s by %(who)s: %(result)s") % {
            "contact": visit.get_kind_display(),
            "who": _who(visit.visitor),
            "result": visit.get_result_display(),
        }
        if visit.corrects_id:
            text = _("Correction: %(text)s") % {"text": text}
        details = (visit.note,) if visit.note else ()
        entries.append(TimelineEntry(visit.on, "visit", text, details, visit.recorded_at))
    return entries


def _consultation_entries(consultations: list[Consultation]) -> list[TimelineEntry]:
    entries = []
    for consultation in consultations:
        record = current_record(consultation)
        held = _("Initial consultation by %(who)s (%(contact)s)") % {
            "who": _who(record.officer),
            "contact": record.get_contact_display(),
        }
        entries.append(
            TimelineEntry(
                record.held_on, "consultation", held, tuple(record.crisis_kind_labels()), consultation.opened_at
            )
        )
        assessments = list(consultation.assessments.select_related("crisis_level", "officer"))
        replaced = {a.replaces_id for a in assessments if a.replaces_id}
        for assessment in assessments:
            level = _("Crisis level assessed by %(who)s: %(level)s") % {
                "who": _who(assessment.officer),
                "level": assessment.crisis_level.name,
            }
            details = (
                (assessment.crisis_reasons,)
                if assessment.pk not in replaced
                else (_("Replaced by a later assessment."),)
            )
            entries.append(TimelineEntry(assessment.assessed_on, "assessment", level, details, assessment.recorded_at))
    return entries


def _decision_entries(decisions: list[Decision]) -> list[TimelineEntry]:
    entries = []
    for decision in decisions:
        text = _("Decided: %(kind)s (%(status)s)") % {
            "kind": decision.get_kind_display(),
            "status": decision.get_status_display(),
        }
        details = tuple(part for part in (decision.service, decision.partner, decision.withdrawn_reason) if part)
        entries.append(TimelineEntry(decision.decided_on, "decision", text, details, decision.recorded_at))
    return entries


def _emergency_entries(steps: list[EmergencyStep]) -> list[TimelineEntry]:
    entries = []
    for step in steps:
        text = _("Emergency support: %(step)s") % {"step": step.get_kind_display()}
        details: tuple[str, ...] = ()
        if step.given is not None:
            given = _("%(kind)s, %(amount)s won") % {
                "kind": step.given.get_kind_display(),
                "amount": f"{step.given.total:,}",
            }
            details = (given,)
        elif step.reason:
            details = (step.reason,)
        entries.append(TimelineEntry(step.on, "emergency", text, details, step.at))
    return entries


# ------------------------------------------------------------------------------------------------------------------
# Outreach events (찾아가는 복지상담: village tours, market-day booths) and survey campaigns (전수조사)
# ------------------------------------------------------------------------------------------------------------------

# An event is held in one or more dongs of one district: its dongs' officers see it, the district's staff all.
OUTREACH_EVENT = Reach(dong="dongs", district="district", many=True)
# A household met at an event goes to its own dong's officers.
EVENT_CONTACT = Reach(dong="dong")
# District staff see their district's campaigns; an officer those that reached households of their dong.
CAMPAIGN = Reach(district="district", dong="targets__dong", many=True)
CAMPAIGN_TARGET = Reach(dong="dong")

# What the work items of a campaign's households found (docs/process.md: completion and findings per dong).
NEEDS_HELP = frozenset({WorkOutcome.HELPED, WorkOutcome.REFERRED, WorkOutcome.CONSULTATION})
NO_NEED = frozenset({WorkOutcome.NOT_ELIGIBLE})
# Not surveyed, for whatever reason the officer recorded: nobody reached, refused, moved away, deceased.
NOT_SURVEYED = frozenset({WorkOutcome.UNREACHABLE, WorkOutcome.REFUSED, WorkOutcome.MOVED, WorkOutcome.DECEASED})


def outreach_events_visible_to(user: Any) -> QuerySet[OutreachEvent]:
    return scoped(OutreachEvent.objects.select_related("district"), user, OUTREACH_EVENT)


def event_contacts_visible_to(user: Any) -> QuerySet[EventContact]:
    contacts = EventContact.objects.select_related("event", "dong", "household", "household__address", "work_item")
    return scoped(contacts, user, EVENT_CONTACT)


def campaigns_visible_to(user: Any) -> QuerySet[SurveyCampaign]:
    return scoped(SurveyCampaign.objects.select_related("district", "dong"), user, CAMPAIGN)


def campaign_targets_visible_to(user: Any) -> QuerySet[CampaignTarget]:
    return scoped(CampaignTarget.objects.select_related("campaign", "dong", "work_item"), user, CAMPAIGN_TARGET)


def event_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 where the user may hold an event or record a contact: their own, or their district's."""
    return areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG).order_by("code")


def event_agencies_for(user: Any) -> QuerySet[Agency]:
    """The registry's agencies of the user's district, which may take part in its events."""
    districts = scope_for(user).district_codes
    if not districts:
        return Agency.objects.none()
    return Agency.objects.filter(Q(area_id__in=districts) | Q(area__parent_id__in=districts), active=True).order_by(
        "name"
    )


@dataclass
class EventPage:
    event: OutreachEvent
    dongs: list[AdministrativeArea]
    agencies: list[Agency]
    contacts: list[EventContact]
    # The event's dongs the user may add a person met to (an officer of one dong at a joint event: theirs).
    contact_dongs: list[AdministrativeArea] = field(default_factory=list)


def event_page(user: Any, event_id: int) -> EventPage:
    """One event with its figures and the households met that the user may see (heads' names masked)."""
    event = visible_or_404(outreach_events_visible_to(user), event_id)
    contacts = list(event_contacts_visible_to(user).filter(event=event).order_by("recorded_at", "pk"))
    heads = masked_head_names(user, [c.household_id for c in contacts if c.household_id])
    for contact in contacts:
        contact.shown_name = heads.get(contact.household_id, "") if contact.household_id else contact.masked_name
    dongs = list(event.dongs.order_by("code"))
    scope = scope_for(user)
    return EventPage(
        event=event,
        dongs=dongs,
        agencies=list(event.agencies.order_by("name")),
        contacts=contacts,
        contact_dongs=[dong for dong in dongs if scope.covers_area(dong.code)],
    )


@dataclass(frozen=True)
class EventFigures:
    """What the reports count of outreach events over a period (docs/process.md, What is counted)."""

    start: date
    end: date
    events: int = 0
    visitors: int = 0
    consultations: int = 0
    help_count: int = 0
    help_won: int = 0
    households_added: int = 0  # contacts put on a worklist


def event_figures(user: Any, start: date, end: date, *, dong: str = "") -> EventFigures:
    """The events the user sees held from `start` to `end` (both included). An event held in several dongs counts
    once, whole, for each of them: its figures are not split by dong."""
    events = outreach_events_visible_to(user).filter(held_on__gte=start, held_on__lte=end)
    if dong:
        events = events.filter(dongs=dong)
    totals = OutreachEvent.objects.filter(pk__in=events.values("pk")).aggregate(
        events=models.Count("pk"),
        visitors=models.Sum("visitors"),
        consultations=models.Sum("consultations"),
        help_count=models.Sum("help_count"),
        help_won=models.Sum("help_won"),
    )
    added = event_contacts_visible_to(user).filter(event__in=events.values("pk"), work_item__isnull=False)
    if dong:
        added = added.filter(dong_id=dong)
    return EventFigures(
        start=start,
        end=end,
        **{key: int(value or 0) for key, value in totals.items()},
        households_added=added.count(),
    )


def born_by(on: date, years: int) -> date:
    """The latest birth date of a person who is at least `years` old on `on` (29 February counts from 28)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def campaign_households(campaign: SurveyCampaign, on: date | None = None) -> QuerySet[Household]:
    """The registry's households matching the campaign's criteria on a day (by default its first), in its district
    (or dong). Unscoped: a campaign is launched by the district's staff, and each household goes to its own dong's
    list.

    Members are the memberships in force on that day of persons alive then. Every criterion set narrows:
    elderly alone (one member, 65 or older), disabled only (every member has a registered disability: a disabled
    person alone or living only with disabled persons), the address (part of the road-name address, and the
    building as the unit starts, "101동"), a member within the age range, the household size within its range."""
    on = on or campaign.starts_on
    households = Household.objects.filter(dong__parent_id=campaign.district_id)
    if campaign.dong_id:
        households = households.filter(dong_id=campaign.dong_id)
    if campaign.address_text:
        households = households.filter(address__road_address__icontains=campaign.address_text)
    if campaign.building:
        households = households.filter(address__detail__startswith=campaign.building)
    alive = Q(memberships__person__date_of_death__isnull=True) | Q(memberships__person__date_of_death__gt=on)
    member = (
        Q(memberships__moved_in__lte=on)
        & (Q(memberships__moved_out__isnull=True) | Q(memberships__moved_out__gt=on))
        & alive
    )
    counts: dict[str, Any] = {"size": models.Count("memberships", filter=member, distinct=True)}
    if campaign.elderly_alone:
        old = member & Q(memberships__person__birth_date__lte=born_by(on, 65))
        counts["old"] = models.Count("memberships", filter=old, distinct=True)
    if campaign.disabled_only:
        disabled = member & ~Q(memberships__person__disability="")
        counts["disabled"] = models.Count("memberships", filter=disabled, distinct=True)
    if campaign.min_age is not None or campaign.max_age is not None:
        aged = member
        if campaign.min_age is not None:
            aged &= Q(memberships__person__birth_date__lte=born_by(on, campaign.min_age))
        if campaign.max_age is not None:
            aged &= Q(memberships__person__birth_date__gt=born_by(on, campaign.max_age + 1))
        counts["aged"] = models.Count("memberships", filter=aged, distinct=True)
    households = households.annotate(**counts).filter(size__gte=1)
    if campaign.elderly_alone:
        households = households.filter(size=1, old=1)
    if campaign.disabled_only:
        households = households.filter(disabled=models.F("size"))
    if "aged" in counts:
        households = households.filter(aged__gte=1)
    if campaign.min_size is not None:
        households = households.filter(size__gte=campaign.min_size)
    if campaign.max_size is not None:
        households = households.filter(size__lte=campaign.max_size)
    return households


def campaign_new_households(campaign: SurveyCampaign, today: date) -> QuerySet[Household]:
    """The matching households the campaign has not reached yet: what launching it (again) adds. The group is
    taken as of the campaign's first day, or today once that day has passed, so that launching again adds those
    who have come to match since (moved in, turned 65)."""
    matching = campaign_households(campaign, max(campaign.starts_on, today)).values("pk")
    return Household.objects.filter(pk__in=matching).exclude(pk__in=campaign.targets.values("household_id"))


@dataclass
class DongProgress:
    dong: AdministrativeArea
    total: int = 0
    reached: int = 0
    needs_help: int = 0
    no_need: int = 0
    not_surveyed: int = 0
    open: int = 0

    @property
    def not_reached(self) -> int:
        return self.total - self.reached


@dataclass
class CampaignPage:
    campaign: SurveyCampaign
    dongs: list[DongProgress]
    total: DongProgress
    to_add: int  # households the criteria match that are not targets yet
    confirm_above: int


def campaign_progress(user: Any, campaign: SurveyCampaign) -> tuple[list[DongProgress], DongProgress]:
    """Completion per dong, from the work items of the campaign's households that the user sees: reached (met on
    a visit or closed with a finding), and the findings — needs help, no need, not surveyed (unreachable, refused,
    moved, deceased)."""
    met = Visit.objects.filter(
        work_item=models.OuterRef("work_item"), result=VisitResult.MET, corrected_by__isnull=True
    )
    rows = (
        campaign_targets_visible_to(user)
        .filter(campaign=campaign)
        .annotate(met=models.Exists(met))
        .values_list("dong_id", "work_item__status", "work_item__outcome", "met")
    )
    by_dong: dict[str, DongProgress] = {}
    names = {a.code: a for a in AdministrativeArea.objects.filter(pk__in=rows.values("dong_id"))}
    total = DongProgress(dong=campaign.dong or campaign.district)
    for dong_id, status, outcome, was_met in rows:
        progress = by_dong.setdefault(dong_id, DongProgress(dong=names[dong_id]))
        for counter in (progress, total):
            counter.total += 1
            counter.open += status != WorkStatus.CLOSED
            counter.needs_help += outcome in NEEDS_HELP
            counter.no_need += outcome in NO_NEED
            counter.not_surveyed += outcome in NOT_SURVEYED
            counter.reached += bool(was_met) or outcome in NEEDS_HELP or outcome in NO_NEED
    return [by_dong[code] for code in sorted(by_dong)], total


def campaign_page(user: Any, campaign_id: int, *, confirm_above: int, today: date) -> CampaignPage:
    campaign = visible_or_404(campaigns_visible_to(user), campaign_id)
    dongs, total = campaign_progress(user, campaign)
    may_launch = can(user, "intake.manage_campaigns")
    to_add = campaign_new_households(campaign, today).count() if may_launch else 0
    return CampaignPage(campaign=campaign, dongs=dongs, total=total, to_add=to_add, confirm_above=confirm_above)


def open_items_in_district(district_code: str) -> dict[int, WorkItem]:
    """Each household of a district with a worklist item still being worked on, its oldest such item; unscoped:
    for a campaign of the district that must not put a household on the worklist twice, never for a page."""
    items = WorkItem.objects.filter(dong__parent_id=district_code, household__isnull=False)
    found: dict[int, WorkItem] = {}
    for item in items.exclude(status=WorkStatus.CLOSED).order_by("-opened_at", "-pk"):
        found[item.household_id] = item  # the oldest last, so it stays
    return found
