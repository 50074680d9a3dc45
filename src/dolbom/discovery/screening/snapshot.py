"""The registry as the round sees it: exported from the database, as of a date, to Parquet (schemas in `inputs.py`).

The large tables (households, memberships, persons) are read with the SQL the ORM writes for them, through the
connection's own cursor (so inside the caller's transaction, like any query), a batch at a time, without the ORM's
work per row: `fetchmany` rows are converted by Arrow in one call a batch. A district of any size needs memory for
one batch only. (`COPY … TO STDOUT` with Arrow parsing the CSV is no faster on PostgreSQL at 500 k households: the
time is the server's, running the query; docs/benchmarks.md.) What is written:

* households of the district, with their dong;
* memberships in force on the date (members who moved out are not there) and those members' person rows;
* the dongs of the district with their visit capacity;
* exclusions: households with an outreach outcome recorded within the cool-down (`cooldown`), and households
  already in care (`in_care`, see `households_in_care`);
* late matches: signal rows of the round's files that matched nobody when their file was imported, whose resident
  number now belongs to one of the district's residents (registered since). Without them a person who moved in
  after the agency's file arrived would stay unscreened for the whole period.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast

from dolbom.discovery.importing.match import Matcher
from dolbom.discovery.models import ItemStatus, OutreachItem
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS, Snapshot
from dolbom.registry.models import AdministrativeArea, AreaLevel, Household, Membership, current_on

BATCH_ROWS = 20_000
# One row of the members' query: the membership's columns, then its person's (split into the two files).
MEMBER_ROWS = pa.schema(list(SNAPSHOT_SCHEMAS["memberships"]) + list(SNAPSHOT_SCHEMAS["persons"])[1:])


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
    wire = pa.schema([f.with_type(pa.string()) if pa.types.is_date(f.type) else f for f in schema])
    struct = pa.struct(list(wire))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            # One call for the whole batch (a struct array split into its columns): transposing the rows in
            # Python first costs a hundred times more.
            batch = pa.RecordBatch.from_arrays(pa.array(rows, type=struct).flatten(), schema=wire)
            yield batch if wire.equals(schema) else batch.cast(schema)


def _each_person_once(path: Path, person_ids: np.ndarray) -> int:
    """The persons file keeps one row per person: a person with two memberships in force (overlapping moves, a
    registry error the membership rows keep) came with each. Rewritten only then; the number of persons."""
    ordered = np.sort(person_ids)
    if not (ordered[1:] == ordered[:-1]).any():
        return len(person_ids)
    table = pq.read_table(path)
    _, first = np.unique(table.column("person_id").to_numpy(), return_index=True)
    pq.write_table(table.take(pa.array(np.sort(first))), path, compression="none")
    return len(first)


def households_in_care(district_code: str, as_of: date) -> Iterable[int]:
    """Households already in care, which a round must not list again.

    This is where the case-management domain plugs in: when it exists, households with an open case (selected,
    planning, in service, monitoring) belong here. Until then, a household counts as in care while an outreach
    item of an earlier round is assigned to an officer and has no outcome yet.
    """
    del as_of  # an open case will be asked "open on this date"; an assigned item is open now
    items = OutreachItem.objects.filter(household__dong__parent_id=district_code, status=ItemStatus.ASSIGNED)
    return items.order_by().values_list("household_id", flat=True).distinct().iterator(chunk_size=BATCH_ROWS)


def contacted_households(district_code: str, as_of: date, cooldown_days: int) -> Iterable[int]:
    """Households whose outreach outcome was recorded on or after `as_of - cooldown_days`."""
    since = as_of - timedelta(days=cooldown_days)
    items = OutreachItem.objects.filter(household__dong__parent_id=district_code, outcome_on__gte=since)
    return items.order_by().values_list("household_id", flat=True).distinct().iterator(chunk_size=BATCH_ROWS)


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
    try:
        households = Household.objects.filter(dong__parent_id=district_code).annotate(
            district=Value(district_code, output_field=CharField())
        )
        for batch in _batches(households.values_list("pk", "dong_id", "district"), writers["households"].schema):
            writers["households"].add_batch(batch)

        # Members and their person rows in one pass: a second query for the persons (`IN` the members) read each
        # person twice over and took half the snapshot at 500 k households, on SQLite and on PostgreSQL alike.
        members = Membership.objects.filter(current_on(as_of), household__dong__parent_id=district_code)
        members = members.annotate(born=_as_text("person__birth_date"), died=_as_text("person__date_of_death"))
        fields = ("person_id", "household_id", "relationship")
        fields += ("born", "person__sex", "person__disability", "person__nationality", "died")
        member_names = SNAPSHOT_SCHEMAS["memberships"].names
        resident_batches = []
        for batch in _batches(members.values_list(*fields), MEMBER_ROWS):
            writers["memberships"].add_batch(batch.select(member_names))
            writers["persons"].add_batch(batch.select(SNAPSHOT_SCHEMAS["persons"].names))
            resident_batches.append(batch.column(0).to_numpy())
        residents = np.concatenate(resident_batches) if resident_batches else np.empty(0, np.int64)

        for household_id in contacted_households(district_code, as_of, cooldown_days):
            writers["excluded"].add((household_id, "cooldown"))
        for household_id in households_in_care(district_code, as_of):
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
        rows = {name: writer.close() for name, writer in writers.items()}
    rows["persons"] = _each_person_once(writers["persons"].path, residents)
    return Snapshot(folder=folder, as_of=as_of, district_code=district_code, cooldown_days=cooldown_days, rows=rows)
