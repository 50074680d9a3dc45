"""Reads for discovery, narrowed to the user's area through `dolbom.core.scope`: a dong officer sees the lists of
their dong only, a district the rounds, files and models of their district."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from dolbom.core.scope import Reach, scoped, visible_or_404
from dolbom.discovery.models import (
    POSITIVE_OUTCOMES,
    ItemStatus,
    OutreachItem,
    RoundStatus,
    ScoringModel,
    ScreeningRound,
    SignalFile,
)
from dolbom.registry.models import Staff
from dolbom.registry.selectors import area_names, masked_head_names, officers_of_dong

# Lists are the work of the public officers of an area: private agencies and the safety net do not see them.
OUTREACH_ITEM = Reach(dong="dong")
# A district's rounds; a dong officer sees the rounds that listed households of their dong.
ROUND = Reach(district="district", dong="items__dong", many=True)
# Signal files and learned models belong to the district as a whole: its district staff see them.
SIGNAL_FILE = Reach(district="district")
SCORING_MODEL = Reach(district="district")


def outreach_items_visible_to(user: Any) -> QuerySet[OutreachItem]:
    """The items on the lists the user may see; a withdrawn round's items are on no list."""
    items = OutreachItem.objects.select_related(
        "household", "household__address", "dong", "assigned_to", "round", "work_item"
    )
    return scoped(items.exclude(status=ItemStatus.WITHDRAWN), user, OUTREACH_ITEM)


def rounds_visible_to(user: Any) -> QuerySet[ScreeningRound]:
    rounds = ScreeningRound.objects.select_related("district", "scoring_model", "started_by__staff", "withdrawn_by")
    return scoped(rounds, user, ROUND)


def signal_files_visible_to(user: Any) -> QuerySet[SignalFile]:
    files = SignalFile.objects.select_related("imported_by__staff", "withdrawn_by__staff", "district")
    return scoped(files, user, SIGNAL_FILE)


def scoring_models_visible_to(user: Any) -> QuerySet[ScoringModel]:
    return scoped(ScoringModel.objects.select_related("trained_by", "district"), user, SCORING_MODEL)


def signal_periods_for(user: Any) -> list[str]:
    """The periods for which the user's district has imported signal files (withdrawn ones aside), newest first."""
    files = signal_files_visible_to(user).filter(withdrawn_at__isnull=True)
    return list(files.order_by("-period").values_list("period", flat=True).distinct())


# Rounds that read their files and stand: a failed round wrote no list, a withdrawn round's list is gone, so
# neither holds a file in place.
READING_STATUSES = (RoundStatus.RUNNING, RoundStatus.DONE)


def rounds_that_read(signal_files: Iterable[SignalFile]) -> dict[int, list[ScreeningRound]]:
    """For each file, the running or done rounds of its district that read it (`params["signal_file_ids"]`),
    oldest first. Read in Python: a district runs a few rounds a month, and JSON containment is not portable."""
    files = {f.pk: f.district_id for f in signal_files}
    found: dict[int, list[ScreeningRound]] = {}
    if not files:
        return found
    rounds = ScreeningRound.objects.filter(district_id__in=set(files.values()), status__in=READING_STATUSES)
    for screening_round in rounds.order_by("started_at", "pk"):
        for file_id in screening_round.signal_file_ids:
            if files.get(file_id) == screening_round.district_id:
                found.setdefault(file_id, []).append(screening_round)
    return found


def latest_round_for(user: Any) -> ScreeningRound | None:
    return rounds_visible_to(user).filter(status=RoundStatus.DONE).order_by("-started_at").first()


def listed_rounds_for(user: Any, limit: int = 60) -> list[ScreeningRound]:
    """The rounds whose lists the user may open (done, not withdrawn), newest first: the list page's picker."""
    return list(rounds_visible_to(user).filter(status=RoundStatus.DONE).order_by("-started_at", "-pk")[:limit])


def open_visits_before(user: Any, screening_round: ScreeningRound, dong_code: str) -> QuerySet[OutreachItem]:
    """Items of the dong on earlier rounds' lists with a visit assigned and no outcome yet: a later round leaves
    their households out (they are in care), so they must stay on the officer's list until the outcome is in."""
    earlier = outreach_items_visible_to(user).filter(
        dong_id=dong_code, status=ItemStatus.ASSIGNED, round__started_at__lt=screening_round.started_at
    )
    return earlier.exclude(round=screening_round).order_by("round__started_at", "round_id", "rank")


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


@dataclass(frozen=True)
class DongProgress:
    code: str
    name: str
    capacity: int | None
    listed: int
    assigned: int
    done: int
    helped: int


@dataclass(frozen=True)
class RoundPage:
    round: ScreeningRound
    params: dict[str, Any]
    stats: dict[str, Any]
    dongs: list[DongProgress]

    @property
    def acted(self) -> int:
        """Households of the list officers have acted on (a visit assigned or an outcome recorded)."""
        return sum(d.assigned + d.done for d in self.dongs)


def round_page(user: Any, round_id: int) -> RoundPage:
    """A round with its parameters, statistics and each dong's progress (404 outside the user's district)."""
    screening_round = visible_or_404(rounds_visible_to(user).select_related("started_by"), round_id)
    params, stats = screening_round.params or {}, screening_round.stats or {}
    capacities = params.get("capacities", {})
    progress = {row["dong__code"]: row for row in round_progress_by_dong(user, screening_round)}
    names = area_names(set(capacities) | set(progress))
    dongs = [
        DongProgress(
            code=code,
            name=names.get(code, code),
            capacity=capacities.get(code),
            listed=progress.get(code, {}).get("listed", 0),
            assigned=progress.get(code, {}).get("assigned", 0),
            done=progress.get(code, {}).get("done", 0),
            helped=progress.get(code, {}).get("helped", 0),
        )
        for code in sorted(set(capacities) | set(progress))
    ]
    return RoundPage(round=screening_round, params=params, stats=stats, dongs=dongs)


def outreach_rows(user: Any, items: QuerySet[OutreachItem]) -> list[OutreachItem]:
    """Items of a list with, on each, the masked name of the household's head (`head_name`), in one query
    whatever the length of the list."""
    rows = list(items)
    heads = masked_head_names(user, [item.household_id for item in rows])
    for item in rows:
        item.head_name = heads.get(item.household_id, "")
    return rows


def open_visit_elsewhere(item: OutreachItem) -> OutreachItem | None:
    """Another round's item of the same household with a visit assigned and no outcome yet. A round leaves such
    households out, but one that ran before the visit was assigned still lists the household; sending a second
    officer would visit it twice. (A recorded outcome does not block: revisiting is the officer's call.)"""
    others = OutreachItem.objects.filter(household_id=item.household_id, status=ItemStatus.ASSIGNED)
    return others.exclude(pk=item.pk).select_related("assigned_to", "round").order_by("-round__started_at").first()


def visitors_for(item: OutreachItem) -> QuerySet[Staff]:
    """Who may be sent to visit: the active dong officers of the item's dong."""
    return officers_of_dong(item.dong_id)


def round_listings(round_id: int) -> QuerySet[OutreachItem]:
    """Every listing of a round, unscoped: for the system's own work when a round finishes (the worklist), never
    for a page."""
    return OutreachItem.objects.filter(round_id=round_id)
