"""Generate the synthetic city 한빛시 as Parquet and agency signal files, deterministically.

Signal files reach each district (시군구) the way the national system sends them: every district gets, per period
and agency, a file of its own residents only (`signals/<district>/<period>/<agency file>`). An agency with no row
for a district in a period sends no file; the manifest lists those deliveries under `signals_without_rows`.

The same seed and size always give byte-identical files: every random draw comes from a stream derived from
(seed, purpose, chunk), households are drawn in fixed chunks of CHUNK_HOUSEHOLDS, and the writers pin every
option (parquet.py). Memory stays bounded by the chunk size, whatever the city's size.

The city is written into a hidden sibling folder and renamed into place at the end, with `manifest.json` written
last: a folder with a manifest is complete; a crash leaves nothing that looks like a city.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dolbom.discovery.catalogue import Catalogue, load_catalogue
from dolbom.synth import areas, orgs, people
from dolbom.synth.crisis import CRISIS_KINDS, Truth, draw_truth
from dolbom.synth.parquet import CsvSink, ParquetSink, sha256_of, write_table
from dolbom.synth.signals import HANGUL_NAME_AGENCIES, PERIODS, SignalBatch, SignalModel, draw_propensity

GENERATOR = "dolbom.synth"
GENERATOR_VERSION = "2"  # 2: signal files per district
CHUNK_HOUSEHOLDS = 200_000
VISIT_RATE = 0.01  # outreach visits per round, as a share of the dong's households

# Random streams: one per purpose, split further by chunk, so that adding a draw to one purpose never shifts
# another's numbers.
_STAFF, _PEOPLE, _TRUTH, _CONSENTS, _SIGNALS, _MOVES = range(6)

SCHEMAS: dict[str, pa.Schema] = {
    "households": pa.schema(
        [
            ("household_id", pa.int64()),
            ("address_id", pa.int64()),
            ("dong_code", pa.string()),
            ("registered_on", pa.date32()),
            ("members", pa.int16()),
        ]
    ),
    "addresses": pa.schema(
        [
            ("address_id", pa.int64()),
            ("dong_code", pa.string()),
            ("road_address", pa.string()),
            ("detail", pa.string()),
            ("postal_code", pa.string()),
            ("tong", pa.int16()),
            ("ban", pa.int16()),
            ("building_type", pa.string()),
        ]
    ),
    "persons": pa.schema(
        [
            ("person_id", pa.int64()),
            ("household_id", pa.int64()),
            ("name", pa.string()),
            ("sex", pa.string()),
            ("birth_date", pa.date32()),
            ("resident_number", pa.string()),
            ("nationality", pa.string()),
            ("disability", pa.string()),
            ("phone", pa.string()),
            ("date_of_death", pa.date32()),
        ]
    ),
    "memberships": pa.schema(
        [
            ("membership_id", pa.int64()),
            ("household_id", pa.int64()),
            ("person_id", pa.int64()),
            ("relationship", pa.string()),
            ("moved_in", pa.date32()),
            ("moved_out", pa.date32()),
        ]
    ),
    "consents": pa.schema(
        [
            ("consent_id", pa.int64()),
            ("person_id", pa.int64()),
            ("purpose", pa.string()),
            ("recipient_agency_id", pa.int64()),
            ("given_on", pa.date32()),
            ("withdrawn_on", pa.date32()),
            ("recorded_by_staff_id", pa.int64()),
        ]
    ),
    "truth": pa.schema(
        [
            ("household_id", pa.int64()),
            ("household_type", pa.string()),
            ("building_type", pa.string()),
            ("members", pa.int16()),
            ("monthly_income", pa.int64()),
            ("low_income", pa.bool_()),
            ("risk", pa.float64()),
            ("in_crisis", pa.bool_()),
            ("crisis_kind", pa.string()),
            ("crisis_since", pa.date32()),
            ("detectable", pa.bool_()),
        ]
    ),
}
_ARROW_TYPES = {"int": pa.int64(), "date": pa.date32(), "str": pa.string()}
_DISTRICT_OF_DONG = np.array([d.district for d in areas.DONGS], dtype=np.int64)
_DISABILITY = pa.array(["", "mild", "severe"])
_SEX = pa.array(["F", "M"])


@dataclass(frozen=True)
class CitySummary:
    path: Path
    seed: int
    households: int
    persons: int
    memberships: int
    agencies: int
    staff: int
    consents: int
    signals: int
    signal_files: int
    in_crisis: int

    def __str__(self) -> str:
        return (
            f"{areas.CITY_NAME} (seed {self.seed}): {self.households:,} households, {self.persons:,} persons, "
            f"{self.agencies} agencies, {self.staff:,} staff, {self.consents:,} consents, "
            f"{self.signals:,} signals in {self.signal_files} files over {len(PERIODS)} periods and "
            f"{len(areas.DISTRICTS)} districts "
            f"({self.in_crisis:,} households in crisis, hidden)"
        )


class SignalFiles:
    """The agencies' deliveries of a city: one file per (district, period, agency), opened at its first row.

    Opening lazily means an agency with no row for a district in a period writes nothing: a header-only file
    delivers nothing and the import is meant to refuse it (no data rows); the manifest names the missing ones."""

    def __init__(self, root: Path, catalogue: Catalogue) -> None:
        self.root = root
        self.catalogue = catalogue
        self.sinks: dict[tuple[str, str, str], ParquetSink | CsvSink] = {}
        self.record_seq: dict[tuple[str, str], int] = {}  # per (period, agency): record numbers run city-wide

    def path(self, district: str, period: str, agency_code: str) -> Path:
        return self.root / "signals" / district / period / self.catalogue.agency(agency_code).file_name

    def write(self, district: str, period: str, agency_code: str, table: pa.Table) -> None:
        key = (district, period, agency_code)
        sink = self.sinks.get(key)
        if sink is None:
            agency = self.catalogue.agency(agency_code)
            schema = pa.schema([(f.name, _ARROW_TYPES[f.type]) for f in self.catalogue.columns_for(agency.code)])
            path = self.path(*key)
            if agency.format == "parquet":
                sink = ParquetSink(path, schema)
            else:
                sink = CsvSink(path, schema, agency.encoding or "utf-8")
            self.sinks[key] = sink
        sink.write(table)

    def without_rows(self) -> list[dict[str, str]]:
        """Every (district, period, agency) that received no file, in district, period, catalogue order."""
        return [
            {"district": d.code, "period": p.code, "agency": a.code}
            for d in areas.DISTRICTS
            for p in PERIODS
            for a in self.catalogue.agencies
            if (d.code, p.code, a.code) not in self.sinks
        ]

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(stream, chunk)))


def generate_city(out: Path, *, households: int, seed: int, catalogue: Catalogue | None = None) -> CitySummary:
    """Write a city of `households` households to `out` (replacing a previously generated city there)."""
    if households < 1:
        raise ValueError("a city needs at least one household")
    if seed < 0:
        raise ValueError("the seed must be a non-negative integer")
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
        raise FileExistsError(f"{out} exists and is not a generated city (no manifest.json): refusing to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        summary = _generate(work, households=households, seed=seed, catalogue=catalogue or load_catalogue())
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        work.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(out)
    return CitySummary(**{**summary.__dict__, "path": out})


def _generate(work: Path, *, households: int, seed: int, catalogue: Catalogue) -> CitySummary:
    expected_by_dong = people.expected_dong_shares() * households
    allocator = areas.AddressAllocator(expected_by_dong)
    plan = orgs.staff_plan(_rng(seed, _STAFF), expected_by_dong)
    model = SignalModel(catalogue)
    phone_offset = int(np.random.default_rng(seed).integers(0, 80_000_000))

    sinks = {name: ParquetSink(work / f"{name}.parquet", schema) for name, schema in SCHEMAS.items()}
    signal_files = SignalFiles(work, catalogue)

    used_keys = np.zeros(0, dtype=np.int64)  # resident numbers so far, sorted: they must be unique city-wide
    households_by_dong = np.zeros(len(areas.DONGS), dtype=np.int64)
    counts = dict.fromkeys(("persons", "memberships", "consents", "signals", "in_crisis"), 0)
    hh_offset = 0
    chunk = 0
    try:
        while hh_offset < households:
            n = min(CHUNK_HOUSEHOLDS, households - hh_offset)
            pop = people.draw_population(_rng(seed, _PEOPLE, chunk), n, counts["persons"], phone_offset)
            used_keys = _make_unique(_rng(seed, _PEOPLE, 10_000 + chunk), pop, used_keys)
            truth = draw_truth(_rng(seed, _TRUTH, chunk), pop)
            moves = people.past_memberships(_rng(seed, _MOVES, chunk), pop)
            household_id = hh_offset + 1 + np.arange(n, dtype=np.int64)
            person_id = counts["persons"] + 1 + np.arange(len(pop.hh), dtype=np.int64)

            address = allocator.allocate(pop.dong.astype(np.int64), pop.building.astype(np.int64))
            dong_code = address.column("dong_code")
            sinks["addresses"].write(address.add_column(0, "address_id", pa.array(household_id)))
            sinks["households"].write(
                pa.table(
                    {
                        "household_id": household_id,
                        "address_id": household_id,
                        "dong_code": dong_code,
                        "registered_on": pop.registered_on,
                        "members": pop.size.astype(np.int16),
                    }
                )
            )
            sinks["persons"].write(_persons_table(pop, person_id, household_id))
            counts["memberships"] += _write_memberships(
                sinks["memberships"], pop, moves, person_id, household_id, counts
            )
            sinks["truth"].write(_truth_table(pop, truth, household_id))
            consents = orgs.draw_consents(_rng(seed, _CONSENTS, chunk), pop, truth, plan, first_chunk=chunk == 0)
            sinks["consents"].write(_consents_table(consents, person_id, counts["consents"]))
            counts["consents"] += len(consents.person)

            previous: SignalBatch | None = None
            rng_signals = _rng(seed, _SIGNALS, chunk)
            propensity = draw_propensity(rng_signals, n)
            for p, period in enumerate(PERIODS):
                before = PERIODS[p - 1] if p else None
                batch = model.draw(rng_signals, pop, truth, period, previous, before, propensity)
                counts["signals"] += _write_signals(catalogue, model, batch, pop, period.code, signal_files)
                previous = batch

            households_by_dong += np.bincount(pop.dong, minlength=len(areas.DONGS))
            counts["persons"] += len(pop.hh)
            counts["in_crisis"] += int(truth.in_crisis.sum())
            hh_offset += n
            chunk += 1
    finally:
        for sink in sinks.values():
            sink.close()
        signal_files.close()

    write_table(work / "areas.parquet", areas.area_rows(households_by_dong, VISIT_RATE))
    write_table(work / "agencies.parquet", orgs.agencies_table())
    write_table(work / "staff.parquet", plan.table)
    summary = CitySummary(
        path=work,
        seed=seed,
        households=households,
        persons=counts["persons"],
        memberships=counts["memberships"],
        agencies=len(orgs.AGENCIES),
        staff=plan.table.num_rows,
        consents=counts["consents"],
        signals=counts["signals"],
        signal_files=len(signal_files.sinks),
        in_crisis=counts["in_crisis"],
    )
    _write_manifest(work, summary, catalogue, signal_files)
    return summary


def _make_unique(rng: np.random.Generator, pop: people.Population, used: np.ndarray) -> np.ndarray:
    """Redraw the back digits of any resident number already taken (in this chunk or an earlier one) until every
    number is unique city-wide; return the updated sorted set of numbers."""
    key = pop.rrn_key
    for _ in range(100):
        order = np.argsort(key, kind="stable")
        dup_in_chunk = np.zeros(len(key), dtype=bool)
        same = key[order][1:] == key[order][:-1]
        dup_in_chunk[order[1:][same]] = True  # keep the first holder, redraw the others
        taken = np.zeros(len(key), dtype=bool)
        if len(used):
            pos = np.clip(np.searchsorted(used, key), 0, len(used) - 1)
            taken = used[pos] == key
        clash = np.flatnonzero(dup_in_chunk | taken)
        if len(clash) == 0:
            break
        front_seventh = key[clash] // 1_000_000
        foreign = pop.nationality[clash] > 0
        new_format = pop.birth[clash] >= np.datetime64("2020-10-01", "D")
        back = people.draw_back_digits(rng, front_seventh // 10, front_seventh % 10, foreign, new_format)
        key[clash] = front_seventh * 1_000_000 + back
    else:  # pragma: no cover - would need a city far beyond the number space of a birth date
        raise RuntimeError("could not make resident numbers unique")
    pop.rrn_key = key
    pop.resident_number = people.format_numbers(key)
    return np.union1d(used, key)


def _persons_table(pop: people.Population, person_id: np.ndarray, household_id: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "person_id": person_id,
            "household_id": household_id[pop.hh],
            "name": pop.name,
            "sex": _SEX.take(pa.array(pop.male.astype(np.int8))),
            "birth_date": pop.birth,
            "resident_number": pop.resident_number,
            "nationality": pa.array(np.array(people.NATIONALITIES)[pop.nationality]),
            "disability": _DISABILITY.take(pa.array(pop.disability)),
            "phone": pop.phone,
            "date_of_death": pa.nulls(len(person_id), pa.date32()),
        }
    )


def _write_memberships(
    sink: ParquetSink,
    pop: people.Population,
    moves: people.PastMemberships,
    person_id: np.ndarray,
    household_id: np.ndarray,
    counts: dict[str, int],
) -> int:
    rel_text = pa.array(people.RELATIONSHIPS)
    n_now, n_past = len(pop.hh), len(moves.person)
    first = counts["memberships"] + 1
    current = pa.table(
        {
            "membership_id": first + np.arange(n_now, dtype=np.int64),
            "household_id": household_id[pop.hh],
            "person_id": person_id,
            "relationship": rel_text.take(pa.array(pop.rel)),
            "moved_in": pop.moved_in,
            "moved_out": pa.nulls(n_now, pa.date32()),
        }
    )
    past = pa.table(
        {
            "membership_id": first + n_now + np.arange(n_past, dtype=np.int64),
            "household_id": household_id[moves.household],
            "person_id": person_id[moves.person],
            "relationship": pa.array(["child"] * n_past, pa.string()),
            "moved_in": moves.moved_in,
            "moved_out": moves.moved_out,
        }
    )
    sink.write(current)
    sink.write(past)
    return n_now + n_past


def _truth_table(pop: people.Population, truth: Truth, household_id: np.ndarray) -> pa.Table:
    kinds = pa.array(CRISIS_KINDS)
    return pa.table(
        {
            "household_id": household_id,
            "household_type": pa.array(np.array(people.TYPE_CODES)[pop.hh_type]),
            "building_type": pa.array(np.array(areas.BUILDING_TYPES)[pop.building]),
            "members": pop.size.astype(np.int16),
            "monthly_income": pop.income,
            "low_income": pop.low_income,
            "risk": np.round(truth.risk, 6),
            "in_crisis": truth.in_crisis,
            "crisis_kind": kinds.take(pa.array(np.maximum(truth.kind, 0).astype(np.int64), mask=truth.kind < 0)),
            "crisis_since": pa.array(truth.since, pa.date32(), mask=~truth.in_crisis),
            "detectable": truth.detectable,
        }
    )


def _consents_table(c: orgs.ConsentRows, person_id: np.ndarray, before: int) -> pa.Table:
    n = len(c.person)
    return pa.table(
        {
            "consent_id": before + 1 + np.arange(n, dtype=np.int64),
            "person_id": person_id[c.person],
            "purpose": pa.array(np.array(orgs.CONSENT_PURPOSES)[c.purpose]),
            "recipient_agency_id": c.recipient,
            "given_on": c.given_on,
            "withdrawn_on": pa.array(c.withdrawn_on, pa.date32(), mask=np.isnat(c.withdrawn_on)),
            "recorded_by_staff_id": c.recorded_by,
        }
    )


def _write_signals(
    catalogue: Catalogue,
    model: SignalModel,
    batch: SignalBatch,
    pop: people.Population,
    period: str,
    files: SignalFiles,
) -> int:
    kind_agency = np.array([catalogue.agencies.index(k.agency) for k in model.kinds])
    kind_codes = pa.array([k.code for k in model.kinds])
    agency_of_row = kind_agency[batch.kind]
    district_of_row = _DISTRICT_OF_DONG[pop.dong[pop.hh[batch.person]]]
    written = 0
    for a, agency in enumerate(catalogue.agencies):
        drawn = np.flatnonzero(agency_of_row == a)
        if len(drawn) == 0:
            continue
        # Record numbers are the agency's own, counted over the whole city in the order drawn (a district's file
        # has gaps where the other district's rows were); the rows are then grouped by district, keeping that
        # order, so that each district's file is one zero-copy slice of the agency's table.
        first = files.record_seq.get((period, agency.code), 0)
        files.record_seq[(period, agency.code)] = first + len(drawn)
        by_district = np.argsort(district_of_row[drawn], kind="stable")
        rows = drawn[by_district]
        seq = first + 1 + by_district.astype(np.int64)
        person = pa.array(batch.person[rows])
        rrn = pop.resident_number.take(person)
        if agency.resident_number_format == "digits":
            rrn = pc.replace_substring(rrn, "-", "")
        name = (pop.name_hangul if agency.code in HANGUL_NAME_AGENCIES else pop.name).take(person)
        prefix = f"{agency.code.upper()}-{period.replace('-', '')}-"
        columns: dict[str, pa.Array] = {
            "record_id": pc.binary_join_element_wise(
                prefix, pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), 8, "0"), ""
            ),
            "kind": kind_codes.take(pa.array(batch.kind[rows])),
            "resident_number": rrn,
            "name": name,
            "observed_on": pa.array(batch.observed_on[rows], pa.date32()),
        }
        for f in catalogue.columns_for(agency.code)[len(catalogue.common_fields) :]:
            values, valid = batch.values[f.name][rows], batch.valid[f.name][rows]
            columns[f.name] = pa.array(values, _ARROW_TYPES[f.type], mask=~valid)
        table = pa.table(columns)
        bounds = np.searchsorted(district_of_row[rows], np.arange(len(areas.DISTRICTS) + 1))
        for k, district in enumerate(areas.DISTRICTS):
            if bounds[k + 1] > bounds[k]:
                files.write(district.code, period, agency.code, table.slice(bounds[k], bounds[k + 1] - bounds[k]))
        written += len(rows)
    return written


def _write_manifest(work: Path, summary: CitySummary, catalogue: Catalogue, signal_files: SignalFiles) -> None:
    files = []
    sinks = signal_files.sinks.values()
    rows_by_path = {sink.path.relative_to(work).as_posix(): sink.rows for sink in sinks}
    encodings = {sink.path.relative_to(work).as_posix(): sink.encoding for sink in sinks if isinstance(sink, CsvSink)}
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        rel = path.relative_to(work).as_posix()
        entry: dict[str, object] = {"path": rel, "bytes": path.stat().st_size, "sha256": sha256_of(path)}
        if rel.endswith(".parquet"):
            entry["rows"] = pq.ParquetFile(path).metadata.num_rows
            entry["format"] = "parquet"
        else:
            entry["rows"] = rows_by_path[rel]
            entry["format"] = "csv"
            entry["encoding"] = encodings[rel]
        files.append(entry)
    manifest = {
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "city": areas.CITY_NAME,
        "seed": summary.seed,
        "households": summary.households,
        "reference_date": people.REFERENCE_DATE.isoformat(),
        "periods": [p.code for p in PERIODS],
        "districts": [d.code for d in areas.DISTRICTS],
        "catalogue": {"version": catalogue.version, "updated": catalogue.updated.isoformat()},
        "counts": {
            "households": summary.households,
            "persons": summary.persons,
            "memberships": summary.memberships,
            "agencies": summary.agencies,
            "staff": summary.staff,
            "consents": summary.consents,
            "signals": summary.signals,
            "households_in_crisis": summary.in_crisis,
        },
        "files": files,
        # Deliveries that had no row (an agency with nothing to report on a district's residents in a period): the
        # agency sent no file, rather than a header-only one.
        "signals_without_rows": signal_files.without_rows(),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    (work / "manifest.json").write_text(text, encoding="utf-8")
