"""The registry as the round sees it: exported from the database, as of a date, to Parquet (schemas in `inputs.py`).

The large tables (households, memberships, persons) are read with the SQL the ORM writes for them, through the
connection's own cursor (so inside the caller's transaction, like any query), a batch at a time, without the ORM's
work per row: `fetchmany` rows are converted by Arrow in one call a batch. A district of any size needs memory for
one batch only. (`COPY … TO STDOUT` with Arrow parsing the CSV is no faster on PostgreSQL at 500 k households: the
time is the server's, running the query; docs/benchmarks.md.)

On SQLite, a district of `SIDE_READ_AT` households or more has its members read by two processes: a second one
(`core.side_read`) reads the members of about half of the dongs on a connection of its own while this one reads the
households and the other dongs' members, so that both cores work (the read is the drivers' Python, one core each).
The two parts are used together only if both saw the same registry: the registry's revision (registry/revision.py,
kept by database triggers) read by the second process inside its transaction equals the revision read here before
and after this process's own reads. Otherwise (a registry change committed meanwhile, the second process failing)
this process reads the rest of the district's members itself, as it does for a smaller district, and the round goes
on. Inside a transaction there is no second process: the caller's uncommitted writes would be invisible to it.

What is written:

* households of the district, with their dong;
* memberships in force on the date (members who moved out are not there) and those members' person rows;
* the dongs of the district with their visit capacity;
* exclusions: households with an outreach outcome recorded within the cool-down (`cooldown`), and households
  already in care (`in_care`, see `households_in_care`): on an assigned visit of an earlier round, or with an open
  integrated case;
* late matches: signal rows of the round's files that matched nobody when their file was imported, whose resident
  number now belongs to one of the district's residents (registered since). Without them a person who moved in
  after the agency's file arrived would stay unscreened for the whole period.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import CharField, Count, QuerySet, Value
from django.db.models.functions import Cast

from dolbom.core.side_read import BATCH_ROWS, SideRead, database_spec, rows_as_batches
from dolbom.discovery.importing.match import Matcher
from dolbom.discovery.models import ItemStatus, OutreachItem, ScreeningRound
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS, Snapshot
from dolbom.discovery.signals import cared_for_households
from dolbom.registry.models import AdministrativeArea, AreaLevel, Household, Membership, current_on
from dolbom.registry.revision import registry_revision, revision_statement

logger = logging.getLogger(__name__)

# One row of the members' query: the membership's columns, then its person's (split into the two files).
MEMBER_ROWS = pa.schema(list(SNAPSHOT_SCHEMAS["memberships"]) + list(SNAPSHOT_SCHEMAS["persons"])[1:])
MEMBER_FIELDS = ("person_id", "household_id", "relationship")
MEMBER_FIELDS += ("born", "person__sex", "person__disability", "person__nationality", "died")
# Households of the district from which a second process reads part of the members. Its start (~0.2 s, importing
# Arrow) is not paid back in a small district: at 49,590 households two processes took 0.66 s against 0.60 s for
# one; at 495,254, 3.9 s against 6.4 s (medians, docs/benchmarks.md).
SIDE_READ_AT = 100_000
# Where the second process helps. On PostgreSQL the server's parallel hash join already uses both cores, and each
# half's query scans every person of the city again: two processes took 3.6-4.3 s against 3.1-3.4 s for one, for
# a district of 500,000 households (docs/benchmarks.md).
SIDE_READ_DATABASES = frozenset({"sqlite"})
# The second process's share of the households: half (this process also reads the households, but the second one
# starts later and writes its part to a file that is read back).
SIDE_SHARE = 0.5
SIDE_TIMEOUT_SECONDS = 3600


class _Writer:
    """Appends rows to one snapshot file, a batch at a time."""

    def __init__(self, folder: Path, name: str) -> None:
        self.schema = SNAPSHOT_SCHEMAS[name]
        self.path = folder / f"{name}.parquet"
        # Uncompressed: the files live in the round's private working folder, are read once and then removed, and
        # compressing them cost the snapshot more (~6 %) than it saved the engine.
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="none")
        self.pending: list[tuple[Any, ...]] = []
        self.rows = 0

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """A batch already in the schema (`_batches`)."""
        self.flush()
        self.writer.write_batch(batch)
        self.rows += batch.num_rows

    def add(self, row: tuple[Any, ...]) -> None:
        self.pending.append(row)
        if len(self.pending) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            columns = list(zip(*self.pending, strict=True))
            arrays = [pa.array(values, f.type) for values, f in zip(columns, self.schema, strict=True)]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
            self.rows += len(self.pending)
            self.pending = []

    def close(self) -> int:
        self.flush()
        self.writer.close()
        return self.rows


def _stream(queryset: Any) -> Iterator[tuple[Any, ...]]:
    return queryset.order_by().iterator(chunk_size=BATCH_ROWS)


def _as_text(field: str) -> Cast:
    """A date column selected as its ISO text, which `_batches` parses into dates a whole batch at a time: the
    driver's converter building a Python date per value took a sixth of the snapshot at 500 k households."""
    return Cast(field, output_field=CharField())


def _batches(queryset: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """A `values_list` queryset's rows (in the schema's order) through the connection's cursor, `fetchmany` a batch
    at a time, as Arrow batches in that schema, without the ORM's row conversion. Date columns are selected as
    text (`_as_text`)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        yield from rows_as_batches(cursor, schema, BATCH_ROWS)


def _members(as_of: date, **where: Any) -> QuerySet:
    """The memberships in force on `as_of` among those `where` selects, with their persons' columns, as
    MEMBER_ROWS (one pass: a second query for the persons `IN` the members read each person twice over and took
    half the snapshot at 500 k households, on SQLite and on PostgreSQL alike)."""
    members = Membership.objects.filter(current_on(as_of), **where)
    members = members.annotate(born=_as_text("person__birth_date"), died=_as_text("person__date_of_death"))
    return members.values_list(*MEMBER_FIELDS).order_by()


class _MembersWriter:
    """Splits MEMBER_ROWS batches into the memberships and persons files, keeping the residents' ids."""

    def __init__(self, writers: dict[str, _Writer]) -> None:
        self.writers = writers
        self.ids: list[np.ndarray] = []

    def add(self, batches: Iterable[pa.RecordBatch]) -> None:
        for batch in batches:
            self.writers["memberships"].add_batch(batch.select(SNAPSHOT_SCHEMAS["memberships"].names))
            self.writers["persons"].add_batch(batch.select(SNAPSHOT_SCHEMAS["persons"].names))
            self.ids.append(batch.column(0).to_numpy())

    def add_residents(self, ids: np.ndarray) -> None:
        """Residents whose rows were written elsewhere (the second process's files)."""
        self.ids.append(ids)

    def residents(self) -> np.ndarray:
        return np.concatenate(self.ids) if self.ids else np.empty(0, np.int64)


@dataclass
class _Side:
    """The second process reading the members of the dongs other than `own` into its own memberships and persons
    files (`parts`), started when the registry was at `revision`."""

    read: SideRead
    own: list[str]  # this process's dongs
    revision: int
    parts: dict[str, Path]

    def discard(self) -> None:
        for path in self.parts.values():
            path.unlink(missing_ok=True)


def _split(households: dict[str, int]) -> tuple[list[str], list[str]]:
    """The dongs (with their households) split into this process's and the second process's, the larger first,
    each to the side furthest below its share."""
    total = sum(households.values())
    targets = {"own": total * (1 - SIDE_SHARE), "side": total * SIDE_SHARE}
    sides: dict[str, list[str]] = {"own": [], "side": []}
    filled = {"own": 0, "side": 0}
    for code, count in sorted(households.items(), key=lambda item: (-item[1], item[0])):
        side = max(sides, key=lambda name: targets[name] - filled[name])
        sides[side].append(code)
        filled[side] += count
    return sides["own"], sides["side"]


def _start_side_read(district_code: str, as_of: date, folder: Path) -> _Side | None:
    """The second process on part of the district's dongs, or None where it would not help or could not see what
    this connection sees (module docstring)."""
    if connection.in_atomic_block or connection.vendor not in SIDE_READ_DATABASES:
        return None
    database = database_spec(connection)
    if database is None:
        return None
    counts = Household.objects.filter(dong__parent_id=district_code).order_by().values_list("dong_id")
    households = dict(counts.annotate(n=Count("pk")))
    if sum(households.values()) < SIDE_READ_AT or len(households) < 2:
        return None
    own, dongs = _split(households)
    revision = registry_revision()
    sql, params = _members(as_of, household__dong_id__in=dongs).query.sql_with_params()
    parts = {name: folder / f"{name}-2.parquet" for name in ("memberships", "persons")}
    read = SideRead(
        database,
        check=revision_statement(connection.vendor),
        sql=sql,
        params=params,
        schema=MEMBER_ROWS,
        files={parts[name]: SNAPSHOT_SCHEMAS[name].names for name in parts},
    )
    return _Side(read=read, own=own, revision=revision, parts=parts)


def _finish_side_read(side: _Side, members: _MembersWriter, district_code: str, as_of: date) -> dict[str, Path]:
    """The second process's files, as parts of the snapshot, if it saw the registry as this process did (and its
    residents noted); otherwise none, the rest of the district's members read here."""
    revision = registry_revision()
    result = side.read.result(timeout=SIDE_TIMEOUT_SECONDS)
    if result is not None and int(result.check) == side.revision == revision:
        members.add_residents(pq.read_table(side.parts["memberships"], columns=["person_id"]).column(0).to_numpy())
        return side.parts
    side.discard()
    if result is not None:
        logger.info("registry changed during the snapshot of %s: its other part read again", district_code)
    rest = _members(as_of, household__dong__parent_id=district_code).exclude(household__dong_id__in=side.own)
    members.add(_batches(rest, MEMBER_ROWS))
    return {}


def _each_person_once(paths: list[Path], person_ids: np.ndarray) -> int:
    """The persons files keep one row per person: a person with two memberships in force (overlapping moves, a
    registry error the membership rows keep) came with each. Rewritten only then, into the first file (the others
    emptied); the number of persons."""
    ordered = np.sort(person_ids)
    if not (ordered[1:] == ordered[:-1]).any():
        return len(person_ids)
    table = pa.concat_tables([pq.read_table(path) for path in paths])
    _, first = np.unique(table.column("person_id").to_numpy(), return_index=True)
    pq.write_table(table.take(pa.array(np.sort(first))), paths[0], compression="none")
    for path in paths[1:]:
        pq.write_table(table.schema.empty_table(), path, compression="none")
    return len(first)


def assigned_households() -> QuerySet:
    """Households with an outreach item of an earlier round assigned to an officer and no outcome yet (of every
    district). From the items' side (index outreach_status_households): the open items are few, a district's
    households many; probing the items of each household took 0.1-0.3 s a query at 500,000 households."""
    items = OutreachItem.objects.filter(status=ItemStatus.ASSIGNED)
    return items.order_by().values_list("household_id", flat=True)


def households_in_care(district_code: str) -> Iterator[int]:
    """Households already in care, which a round must not list again (of every district: `export_snapshot` keeps
    those of the round's district): those on an assigned visit with no outcome yet (`assigned_households`), and those
    another domain has in care, an open integrated case above all (the domains answer
    discovery.signals.cared_for_households with household ids). A household may come more than once."""
    yield from assigned_households().iterator(chunk_size=BATCH_ROWS)
    for _receiver, answer in cared_for_households.send(sender=ScreeningRound, district_code=district_code):
        yield from (int(household_id) for household_id in answer or ())


def contacted_households(district_code: str, as_of: date, cooldown_days: int) -> QuerySet:
    """Households whose outreach outcome was recorded on or after `as_of - cooldown_days` (of every district, as
    `assigned_households`; index outreach_outcomes_by_date)."""
    del district_code
    since = as_of - timedelta(days=cooldown_days)
    items = OutreachItem.objects.filter(outcome_on__gte=since)
    return items.order_by().values_list("household_id", flat=True)


def _of_district(household_ids: Iterable[int], district_households: np.ndarray) -> list[int]:
    """The district's households among `household_ids`, each once, in order."""
    ids = np.unique(np.fromiter(household_ids, dtype=np.int64))
    return ids[np.isin(ids, district_households)].tolist()


def unmatched_hashes(signal_paths: Iterable[Path]) -> list[str]:
    """The distinct resident-number hashes of the signal rows that no registry person matched at import."""
    paths = [str(p) for p in signal_paths]
    if not paths:
        return []
    con = duckdb.connect()
    try:
        signals = con.read_parquet(paths, union_by_name=True)
        unmatched = signals.filter("person_id IS NULL AND rrn_hash IS NOT NULL").aggregate("rrn_hash", "rrn_hash")
        return [row[0] for row in unmatched.fetchall()]
    finally:
        con.close()


def export_snapshot(
    *, district_code: str, as_of: date, cooldown_days: int, folder: Path, signal_paths: Iterable[Path] = ()
) -> Snapshot:
    """Write the district's snapshot into `folder` (created if needed) and say how many rows each file has.
    `signal_paths` are the round's signal files, whose unmatched rows are looked up again among the residents."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers = {name: _Writer(folder, name) for name in SNAPSHOT_SCHEMAS}
    side = None
    parts: dict[str, Path] = {}
    try:
        side = _start_side_read(district_code, as_of, folder)
        households = Household.objects.filter(dong__parent_id=district_code).annotate(
            district=Value(district_code, output_field=CharField())
        )
        district_households = []
        for batch in _batches(households.values_list("pk", "dong_id", "district"), writers["households"].schema):
            writers["households"].add_batch(batch)
            district_households.append(batch.column(0).to_numpy())
        of_district = np.concatenate(district_households) if district_households else np.empty(0, np.int64)

        members = _MembersWriter(writers)
        if side is None:
            members.add(_batches(_members(as_of, household__dong__parent_id=district_code), MEMBER_ROWS))
        else:
            members.add(_batches(_members(as_of, household__dong_id__in=side.own), MEMBER_ROWS))
            parts = _finish_side_read(side, members, district_code, as_of)
        residents = members.residents()

        contacted = contacted_households(district_code, as_of, cooldown_days).iterator(chunk_size=BATCH_ROWS)
        for household_id in _of_district(contacted, of_district):
            writers["excluded"].add((household_id, "cooldown"))
        for household_id in _of_district(households_in_care(district_code), of_district):
            writers["excluded"].add((household_id, "in_care"))

        hashes = sorted(unmatched_hashes(signal_paths))
        if hashes:
            found = Matcher(district_code, on=as_of).person_ids(hashes).tolist()
            of_district = np.isin(np.asarray(found, dtype=np.int64), residents).tolist()
            for rrn_hash, person_id, resident in zip(hashes, found, of_district, strict=True):
                if resident:  # residents of the district only (-1: still nobody); others are not this round's
                    writers["late_matches"].add((rrn_hash, person_id))

        dongs = AdministrativeArea.objects.filter(parent_id=district_code, level=AreaLevel.EUPMYEONDONG)
        for code, capacity in _stream(dongs.values_list("code", "visit_capacity")):
            writers["dongs"].add((code, capacity))
    finally:
        if side is not None:
            side.read.close()
        rows = {name: writer.close() for name, writer in writers.items()}
    rows["memberships"] = len(residents)  # a resident's id per membership row, this process's and the other's
    persons = [writers["persons"].path] + ([parts["persons"]] if "persons" in parts else [])
    rows["persons"] = _each_person_once(persons, residents)
    return Snapshot(
        folder=folder,
        as_of=as_of,
        district_code=district_code,
        cooldown_days=cooldown_days,
        rows=rows,
        parts={name: (path,) for name, path in parts.items()},
    )
