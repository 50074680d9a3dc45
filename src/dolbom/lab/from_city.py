"""Screening inputs straight from a generated city's files, without a database: for the benchmark (a 10-million-
household registry is not loaded into SQLite to time a round) and for evaluating scorers against the city's hidden
truth. The application itself takes its snapshot from the database (`snapshot.py`) and its signals from the import.

* Snapshot: households and dongs as generated; memberships in force on `as_of` (moved-out members dropped);
  persons with their registry columns; no exclusions (a fresh city has no outreach history).
* Signals: each agency file a district received (`signals/<district>/<period>/<agency file>`, CSV in its encoding
  or Parquet) becomes one file of the storage schema (docs/signal-storage.md): the typed catalogue fields,
  `person_id` found by the resident number, and `rrn_hash` as a plain SHA-256 of the digits — a stand-in for the
  keyed hash of the real import, which the round never reads. File ids are numbered 1, 2, … in (district, period,
  agency) order.
"""

# ruff: noqa: S608 -- SQL here is written from our own codes, dates and catalogue names, never from user text.
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dolbom.discovery.catalogue import Catalogue, load_catalogue
from dolbom.discovery.screening.inputs import (
    ARROW_TYPES,
    ScreeningInputs,
    SignalSource,
    Snapshot,
    make_inputs,
)
from dolbom.discovery.screening.scorecard import Scorecard


def city_reference_date(city: Path) -> date:
    return date.fromisoformat(json.loads((Path(city) / "manifest.json").read_text())["reference_date"])


def city_districts(manifest: dict[str, Any]) -> list[str]:
    """The district codes whose signal files a city holds (from its manifest)."""
    if "districts" not in manifest:
        # Generator version 1 wrote one file per agency for the whole city, which no district may import.
        raise ValueError("the city was generated before signal files were delivered per district: generate it again")
    return list(manifest["districts"])


def signal_files_of(city: Path, district_code: str, period: str) -> list[Path]:
    """The agency files a district received for a period, in catalogue order (none where an agency had no row)."""
    folder = Path(city) / "signals" / district_code / period
    return [folder / a.file_name for a in load_catalogue().agencies if (folder / a.file_name).is_file()]


def snapshot_from_city(city: Path, out: Path, *, as_of: date, district_code: str | None = None) -> Snapshot:
    """Write the snapshot files of `district_code` (every district when None) from the city's Parquet files."""
    city, out = Path(city), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for name in ("households", "memberships", "persons", "areas"):
            con.read_parquet(str(city / f"{name}.parquet")).create_view(f"city_{name}")
        district = f"AND substr(dong_code, 1, 5) = '{district_code[:5]}'" if district_code else ""
        day = f"DATE '{as_of.isoformat()}'"
        queries = {
            "households": f"""SELECT household_id, dong_code, substr(dong_code, 1, 5) || '00000' AS district_code
                FROM city_households WHERE 1 = 1 {district}""",
            "memberships": f"""SELECT m.person_id, m.household_id, m.relationship FROM city_memberships m
                SEMI JOIN snap_households h ON h.household_id = m.household_id
                WHERE m.moved_in <= {day} AND (m.moved_out IS NULL OR m.moved_out > {day})""",
            "persons": """SELECT p.person_id, p.birth_date, p.sex, p.disability, p.nationality, p.date_of_death
                FROM city_persons p SEMI JOIN snap_memberships m ON m.person_id = p.person_id""",
            "excluded": "SELECT CAST(NULL AS BIGINT) AS household_id, CAST(NULL AS VARCHAR) AS reason WHERE false",
            # Every signal row was matched when it was stored (a district's files hold only its own residents, all
            # of them in the registry): nothing to match late.
            "late_matches": "SELECT CAST(NULL AS VARCHAR) AS rrn_hash, CAST(NULL AS BIGINT) AS person_id WHERE false",
            "dongs": f"""SELECT code AS dong_code, CAST(visit_capacity AS BIGINT) AS visit_capacity FROM city_areas
                WHERE level = 'eupmyeondong' {district.replace("dong_code", "code")}""",
        }
        rows = {}
        for name, query in queries.items():
            con.execute(f"CREATE TABLE snap_{name} AS {query}")
            con.execute(f"COPY snap_{name} TO '{out / name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
            rows[name] = con.execute(f"SELECT COUNT(*) FROM snap_{name}").fetchone()[0]
    finally:
        con.close()
    return Snapshot(folder=out, as_of=as_of, district_code=district_code or "", cooldown_days=0, rows=rows)


def signals_from_city(
    city: Path,
    out: Path,
    *,
    periods: list[str] | None = None,
    district_code: str | None = None,
    catalogue: Catalogue | None = None,
) -> list[SignalSource]:
    """Convert the agency files that `district_code` received (every district's when None) for `periods` (all by
    default) into stored signal files under `out`."""
    city, out = Path(city), Path(out)
    catalogue = catalogue or load_catalogue()
    manifest = json.loads((city / "manifest.json").read_text())
    periods = periods or manifest["periods"]
    districts = [district_code] if district_code else city_districts(manifest)
    con = duckdb.connect()
    sources: list[SignalSource] = []
    try:
        con.read_parquet(str(city / "persons.parquet")).create_view("city_persons")
        con.execute(
            "CREATE TABLE people AS SELECT replace(resident_number, '-', '') AS digits, person_id FROM city_persons"
        )
        file_id = 0
        deliveries = [(d, p, a) for d in districts for p in periods for a in catalogue.agencies]
        for district, period, agency in deliveries:
            source = city / "signals" / district / period / agency.file_name
            if not source.exists():  # an agency with no row for the district in the period sends no file
                continue
            file_id += 1
            fields = catalogue.columns_for(agency.code)
            table = _read_agency_file(source, agency.format, agency.encoding, fields)
            con.register("delivered", table)
            extra = [f.name for f in fields[len(catalogue.common_fields) :]]
            target = out / district / period / f"{agency.code}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            select = ", ".join(
                [
                    f"CAST({file_id} AS BIGINT) AS signal_file_id",
                    "d.record_id",
                    "d.kind",
                    "p.person_id",
                    "sha256(replace(d.resident_number, '-', '')) AS rrn_hash",
                    "d.observed_on",
                    *(f"d.{name}" for name in extra),
                ]
            )
            query = (
                f"SELECT {select} FROM delivered d LEFT JOIN people p ON p.digits = replace(d.resident_number, '-', '')"
            )
            con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
            con.unregister("delivered")
            sources.append(SignalSource(file_id, target))
    finally:
        con.close()
    return sources


def _read_agency_file(path: Path, fmt: str, encoding: str | None, fields: tuple) -> pa.Table:
    types = {f.name: ARROW_TYPES[f.type] for f in fields}
    if fmt == "parquet":
        table = pq.read_table(path)
        return table.cast(pa.schema([(name, types[name]) for name in table.column_names]))
    codec = {"utf-8-sig": "utf-8"}.get(encoding or "utf-8", encoding or "utf-8")
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=codec, block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    if table.column_names and table.column_names[0].startswith("\ufeff"):  # byte-order mark of utf-8-sig
        table = table.rename_columns([table.column_names[0].lstrip("\ufeff"), *table.column_names[1:]])
        table = table.cast(pa.schema([(name, types[name]) for name in table.column_names]))
    return table


def inputs_from_city(
    city: Path,
    out: Path,
    *,
    as_of: date | None = None,
    district_code: str | None = None,
    periods: list[str] | None = None,
    scorecard: Scorecard | None = None,
) -> ScreeningInputs:
    """Snapshot and signals of a generated city, ready for `run_screening`."""
    out = Path(out)
    as_of = as_of or city_reference_date(city)
    snapshot = snapshot_from_city(city, out / "snapshot", as_of=as_of, district_code=district_code)
    sources = signals_from_city(city, out / "signals", periods=periods, district_code=district_code)
    return make_inputs(snapshot, sources, workdir=out / "work", scorecard=scorecard)
