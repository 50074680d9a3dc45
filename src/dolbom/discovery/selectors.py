"""Reads for discovery, narrowed to the user's area through `dolbom.core.scope`: a dong officer sees the lists of
their dong only, a district the rounds, files and models of their district."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core.choices import label_of
from dolbom.core.permissions import can
from dolbom.core.prepared import prepared_list, viewer_key
from dolbom.core.scope import Reach, district_of, scope_for, scoped, visible_or_404
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.importing.match import fixed_width
from dolbom.discovery.importing.store import parquet_path
from dolbom.discovery.models import (
    DEFAULT_RESERVED_SHARE,
    POSITIVE_OUTCOMES,
    RESERVED_SELECTIONS,
    ItemStatus,
    LabelSharingAgreement,
    ListingEvent,
    ModelChoice,
    OutreachItem,
    RoundStatus,
    ScoringModel,
    ScreeningRound,
    ScreeningSettings,
    SignalFile,
)
from dolbom.registry.models import Household, Membership, Person, Staff
from dolbom.registry.selectors import TimelineEntry, area_names, masked_head_names, officers_of_dong, visible_members

# Lists are the work of the public officers of an area: private agencies and the safety net do not see them.
OUTREACH_ITEM = Reach(dong="dong")
# A district's rounds; a dong officer sees the rounds that listed households of their dong.
ROUND = Reach(district="district", dong="items__dong", many=True)
# Signal files and learned models belong to the district as a whole: its district staff see them. A pooled model
# belongs to the city (no district): every district of the city sees it, and the city's officer sees the city's
# models and its districts' agreements to share their outcomes.
SIGNAL_FILE = Reach(district="district")
SCORING_MODEL = Reach(district="district", city="city")
AGREEMENT = Reach(district="district", city="city")


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


def agreements_visible_to(user: Any) -> QuerySet[LabelSharingAgreement]:
    rows = LabelSharingAgreement.objects.select_related("district", "city", "recorded_by", "ended_by")
    return scoped(rows, user, AGREEMENT)


def chosen_model(district_code: str) -> ScoringModel | None:
    """The learned model the district's administrator chose for its rounds, if any."""
    choice = ModelChoice.objects.select_related("scoring_model").filter(district_id=district_code).first()
    return choice.scoring_model if choice is not None else None


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
    """Per dong: list length, assigned, outcomes recorded, how many outcomes found a household in need, and how
    many items were drawn for the reserved share (screening.reserve)."""
    items = outreach_items_visible_to(user).filter(round=screening_round)
    return list(
        items.values("dong__code", "dong__name")
        .annotate(
            listed=Count("id"),
            assigned=Count("id", filter=Q(status=ItemStatus.ASSIGNED)),
            done=Count("id", filter=Q(status=ItemStatus.DONE)),
            helped=Count("id", filter=Q(outcome__in=POSITIVE_OUTCOMES)),
            reserved=Count("id", filter=Q(selection__in=RESERVED_SELECTIONS)),
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
    reserved: int = 0


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
            reserved=progress.get(code, {}).get("reserved", 0),
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


def household_history(
    user: Any, household: Household, *, members: list[Membership] | None = None
) -> list[TimelineEntry]:
    """What discovery knows of one household, as far as the user may see it, for the household page: the crisis
    signals that matched its members (kind, date, which member, from the signal files of the household's
    district), the rounds that listed it (priority and reasons), the visits assigned and the outcomes recorded.

    The caller has opened the household (`registry.services.open_household`). Lists and signals are the work of
    the public officers of an area, so a role that does not work outreach lists (a private agency) sees none of
    it, and an officer only for a household of their own area. `members`: the household's members the user may
    see, when the caller has read them already (`registry.selectors.visible_members`)."""
    if not can(user, "discovery.view_outreach") or not scope_for(user).covers_area(household.dong_id):
        return []
    if members is None:
        members = visible_members(user, household)
    entries = _signal_entries(household, members)
    # A listing withdrawn with its round was a mistake and is shown on no list: not here either.
    items = prepared_list(
        "discovery.household.listings",
        lambda household_id: (
            outreach_items_visible_to(user)
            .filter(household_id=household_id)
            .exclude(status=ItemStatus.WITHDRAWN)
            .select_related("round", "dong")
        ),
        key=viewer_key(user),  # built once per user and day, the household's id bound at each call
        household_id=household.pk,
    )
    for item in items:
        listed = _("Listed by the round of %(period)s: priority %(rank)s in %(dong)s")
        entries.append(
            TimelineEntry(
                on=timezone.localdate(item.round.started_at),
                kind="listed",
                text=listed % {"period": item.round.period, "rank": item.rank, "dong": item.dong.name},
                details=tuple(str(r.get("text", "")) for r in item.reasons if isinstance(r, dict)),
                at=item.round.started_at,
            )
        )
    if not items:  # no query to build: most households were never listed
        return entries
    events = ListingEvent.objects.filter(item__in=[i.pk for i in items]).select_related("item__round", "by__staff")
    for event in events.order_by("at", "pk"):
        staff = getattr(event.by, "staff", None)
        who = staff.display_name if staff is not None else event.by.get_username()
        values = {"period": event.item.round.period, "who": who}
        if event.to_status == ItemStatus.DONE and event.outcome:
            text = _("Outcome recorded by %(who)s: %(outcome)s (round %(period)s)") % {
                **values,
                "outcome": event.get_outcome_display(),
            }
        elif event.to_status == ItemStatus.ASSIGNED:
            text = _("Visit assigned by %(who)s (round %(period)s)") % values
        else:
            text = _("Outreach item changed by %(who)s (round %(period)s)") % values
        entries.append(
            TimelineEntry(
                on=timezone.localdate(event.at),
                kind="outcome" if event.outcome else "visit",
                text=text,
                details=(event.note,) if event.note else (),
                at=event.at,
            )
        )
    return entries


def _signal_entries(household: Household, members: list[Membership]) -> list[TimelineEntry]:
    """The signals of the household's members in the signal files of its district, read with DuckDB: by the person
    matched at import, or by the keyed hash of the resident number for a person registered after the import. A
    withdrawn import is no part of the data; a file whose Parquet is missing is skipped."""
    if not members:
        return []
    files, paths = {}, []
    standing = SignalFile.objects.filter(district_id=district_of(household.dong_id), withdrawn_at__isnull=True)
    for signal_file in standing.only("storage_path", "agency_code", "period"):
        path = parquet_path(signal_file)
        if path.is_file():
            files[signal_file.pk] = signal_file
            paths.append((signal_file.pk, str(path)))
    if not files:
        return []
    by_id = {m.person_id: m.person for m in members}
    by_hash = {m.person.rrn_hash: m.person for m in members}
    signals = _district_signals(tuple(sorted(paths)))
    found = signals.of(by_id, by_hash).sort_by([("observed_on", "ascending"), ("kind", "ascending")])
    columns = ("signal_file_id", "kind", "observed_on", "person_id", "rrn_hash")
    rows = zip(*(found[c].to_pylist() for c in columns), strict=True)
    catalogue = load_catalogue()
    entries = []
    for file_id, kind, observed_on, person_id, hashed in rows:
        person = by_id.get(person_id) or by_hash.get(hashed)
        signal_file = files.get(file_id)
        if person is None or signal_file is None:
            continue
        try:
            label = catalogue.kind(kind).label
        except KeyError:
            label = kind
        text = _("Crisis signal: %(kind)s (%(name)s)") % {"kind": label, "name": person.masked_name}
        try:
            agency = catalogue.agency(signal_file.agency_code).name
        except KeyError:
            agency = signal_file.agency_code
        source = _("Signal file of %(period)s from %(agency)s") % {"period": signal_file.period, "agency": agency}
        entries.append(TimelineEntry(on=observed_on, kind="signal", text=text, details=(source,)))
    return entries


def screening_settings_of(district_code: str) -> ScreeningSettings:
    """The district's screening settings; the defaults (unsaved) while nobody has changed them."""
    found = ScreeningSettings.objects.filter(district_id=district_code).select_related("updated_by").first()
    return found or ScreeningSettings(district_id=district_code, reserved_share=DEFAULT_RESERVED_SHARE)


def round_listings(round_id: int) -> QuerySet[OutreachItem]:
    """Every listing of a round, unscoped: for the system's own work when a round finishes (the worklist), never
    for a page."""
    return OutreachItem.objects.filter(round_id=round_id)


# How many districts' signals a server process keeps in memory (see _district_signals).
DISTRICTS_KEPT = 4


class DistrictSignals:
    """The signals of a district's files, as the household history needs them (file, kind, date, the person matched
    at import, and the keyed hash of the resident number only where no person was matched, for a person registered
    since), sorted so that one household's rows are found by binary search: the rows matched to a person first, by
    person, then the others by hash. Filtering the whole table for each page was most of the household history's
    time (3 ms a page for 150 k signals at 100 k households, ten times that at a million)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table.sort_by([("person_id", "ascending"), ("rrn_hash", "ascending")])  # nulls last
        matched = len(self.table) - self.table["person_id"].null_count
        self._person_ids = self.table["person_id"].slice(0, matched).to_numpy()
        unmatched = self.table["rrn_hash"].slice(matched)
        # As 64-byte strings read in place from Arrow's buffer: no Python object per row is kept.
        self._hashes = fixed_width(unmatched.slice(0, len(unmatched) - unmatched.null_count).combine_chunks())
        self._matched = matched

    def of(self, person_ids: Iterable[int], hashes: Iterable[str]) -> pa.Table:
        """The rows of these persons: matched to them at import, or (unmatched) bearing one of their hashes."""
        rows: list[int] = []
        for person_id in person_ids:
            rows.extend(_equal_range(self._person_ids, person_id))
        for hashed in hashes:
            if hashed:
                rows.extend(self._matched + i for i in _equal_range(self._hashes, hashed.encode()))
        return self.table.take(pa.array(rows, pa.int64()))


def _equal_range(values: np.ndarray, value: Any) -> range:
    return range(np.searchsorted(values, value, "left"), np.searchsorted(values, value, "right"))


@lru_cache(maxsize=DISTRICTS_KEPT)
def _district_signals(files: tuple[tuple[int, str], ...]) -> DistrictSignals:
    """The signals of a district's files (`DistrictSignals`), read with DuckDB once per set of files and kept: a
    household page read every file of the district each time (25 ms for 150 k signals in 38 files at 100 k
    households, 45 ms with DuckDB's start), while the set changes only with an import or a withdrawal, which gives
    another key. Files are written once and never changed, so a kept table cannot go stale. (In memory only:
    nothing is written anywhere.)"""
    import duckdb  # only this page and the screening engine need it

    with duckdb.connect(config={"threads": 1}) as reader:
        return DistrictSignals(
            reader.sql(
                "select signal_file_id, kind, observed_on, person_id,"
                " case when person_id is null then rrn_hash end as rrn_hash"
                " from read_parquet($paths, union_by_name = true)",
                params={"paths": [path for _, path in files]},
            ).to_arrow_table()
        )


def district_signals_of(district_code: str, kinds: Iterable[str]) -> list[tuple[int, str, Any]]:
    """(person id, kind, date observed) of every signal of these kinds in the district's files, unscoped: for the
    system's own work over a district (re-guidance), never for a page. A signal matched to no person at import is
    matched by the keyed hash of the resident number to a person registered since; one matching nobody is left
    out. A withdrawn import is no part of the data."""
    files = [
        (f.pk, str(parquet_path(f)))
        for f in SignalFile.objects.filter(district_id=district_code, withdrawn_at__isnull=True)
        if parquet_path(f).is_file()
    ]
    if not files:
        return []
    signals = _district_signals(tuple(sorted(files))).table
    found = signals.filter(pc.is_in(signals["kind"], value_set=pa.array(sorted(set(kinds)), pa.string())))
    rows = list(zip(*(found[c].to_pylist() for c in ("person_id", "rrn_hash", "kind", "observed_on")), strict=True))
    hashes = {hashed for person_id, hashed, _k, _o in rows if person_id is None and hashed}
    by_hash = dict(Person.objects.filter(rrn_hash__in=hashes).values_list("rrn_hash", "pk")) if hashes else {}
    out = []
    for person_id, hashed, kind, observed_on in rows:
        person = person_id if person_id is not None else by_hash.get(hashed)
        if person is not None:
            out.append((int(person), kind, observed_on))
    return out


def reserved_share_label(selection: str | None) -> str:
    """The label of the reserved share a listing was selected by ("" for one ranked by score), in the active
    language: for lists that show listings from their plain values."""
    if selection not in RESERVED_SELECTIONS:
        return ""
    return label_of(OutreachItem, "selection", selection)


def signal_kind_label(code: str) -> str:
    """The catalogue's (Korean) name of a signal kind, or its code for a kind no longer in the catalogue."""
    try:
        return load_catalogue().kind(code).label
    except KeyError:
        return code


@dataclass
class ModelRow:
    """One learned model as its page shows it: whose labels trained it, the gate's verdict in words, and for which
    of the user's districts it is chosen or may be chosen."""

    model: ScoringModel
    sources: list[dict[str, Any]]
    verdicts: list[GateVerdict]  # with the lists cut by score, and in the balanced order
    chosen_for: list[str]
    choosable_for: list[str]


@dataclass(frozen=True)
class GateVerdict:
    """The gate's verdict on a model for one cut of the lists, in words."""

    balanced: bool
    passed: bool
    lines: list[str]


@dataclass
class ModelsPage:
    rows: list[ModelRow]
    choices: list[tuple[Any, ScoringModel | None]]  # each of the user's districts, and the model its rounds use
    may_choose: bool


def models_page(user: Any, districts: Iterable[Any], *, limit: int = 30) -> ModelsPage:
    """The learned models the user sees, newest first, with what each district chose."""
    from dolbom.discovery.learning.explain import explain_gate  # gettext at render time, in the reader's language
    from dolbom.discovery.learning.gate import gate_for

    districts = list(districts)
    codes = [d.code for d in districts]
    chosen = {code: chosen_model(code) for code in codes}
    balanced = {code: screening_settings_of(code).balanced for code in codes}
    models = list(scoring_models_visible_to(user).select_related("city")[:limit])
    names = area_names({s.get("district") for m in models for s in m.label_sources if s.get("district")})
    may_choose = can(user, "discovery.choose_model")
    rows = []
    for model in models:
        usable = [code for code in codes if model.usable_by(code)]
        verdicts = {
            cut: GateVerdict(cut, bool(gate.get("passed")), explain_gate(gate))
            for cut in (False, True)
            for gate in [gate_for(model.gate, balanced=cut)]
        }
        rows.append(
            ModelRow(
                model=model,
                sources=[{**s, "name": names.get(s.get("district"), s.get("district"))} for s in model.label_sources],
                verdicts=list(verdicts.values()),
                chosen_for=[code for code in codes if chosen[code] is not None and chosen[code].pk == model.pk],
                choosable_for=[
                    code
                    for code in usable
                    if may_choose
                    and verdicts[balanced[code]].passed
                    and (chosen[code] is None or chosen[code].pk != model.pk)
                ],
            )
        )
    return ModelsPage(rows=rows, choices=[(d, chosen[d.code]) for d in districts], may_choose=may_choose)
