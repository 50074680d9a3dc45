"""The screening round: 1 M households / 3 M signals on DuckDB beside the same scoring written plainly in pandas,
10 M / 30 M on DuckDB for the growth, and the database side (snapshot export, the whole service) at a smaller size.

How the inputs are made (loading is not timed as part of the round):
* a city is generated (`dolbom.synth.generate.generate_city`);
* the signal files of **both** periods that **both** districts received become stored signal files
  (`lab.from_city.signals_from_city`: one Parquet per delivered file in the storage schema, `person_id` found by
  resident number) — about 3 signals per household, the arrears of the first period delivered again, older, in the
  second: the round must count each kind once per household. The districts' files together hold exactly the rows
  of the whole city, so the round screens the whole city as it did when agencies delivered one file for it;
* the snapshot, of the whole city (both districts), is written from the city's own Parquet files
  (`lab.from_city.snapshot_from_city`), since loading a million households into SQLite takes far longer than the
  round and is not the round's work;
* the 10× size replicates those snapshot and signal files ten times with offset ids (generating 10 M households
  takes tens of minutes on two cores; each copy is a distinct set of households and persons, scored the same).

The round is timed end to end from those Parquet files to the ranked lists with their reasons
(`engine.run_screening`): median of three runs in one process. pandas runs once (it is much slower).
"""

from __future__ import annotations

import hashlib
import json
import resource
import statistics
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dolbom.discovery.screening.engine import duckdb_threads, run_screening, screening_stats
from dolbom.discovery.screening.inputs import ScreeningInputs, SignalSource, Snapshot, make_inputs
from dolbom.discovery.screening.scorecard import render
from dolbom.lab.from_city import city_reference_date, signals_from_city, snapshot_from_city
from dolbom.synth.generate import generate_city
from tests.bench.report import Section

REPEAT = 3
SCALE = 10
ID_STRIDE = 1_000_000_000  # copy k of a household or person gets id + k × ID_STRIDE


# ------------------------------------------------------------------------------------------------- inputs


def city_inputs(home: Path, households: int) -> tuple[ScreeningInputs, dict[str, float]]:
    city = home / f"screening-city-{households}"
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    generate_city(city, households=households, seed=7)
    seconds["generate"] = time.perf_counter() - started
    out = home / f"screening-inputs-{households}"
    started = time.perf_counter()
    sources = signals_from_city(city, out / "signals")
    seconds["signals"] = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = snapshot_from_city(city, out / "snapshot", as_of=city_reference_date(city))
    seconds["snapshot"] = time.perf_counter() - started
    return make_inputs(snapshot, sources, workdir=out / "work"), seconds


def replicate(inputs: ScreeningInputs, out: Path, copies: int) -> ScreeningInputs:
    """The same district `copies` times over, with household and person ids offset per copy."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    copies_sql = f"range({copies}) c(k)"
    snap = inputs.snapshot
    household, person = f"household_id + k * {ID_STRIDE} AS household_id", f"person_id + k * {ID_STRIDE} AS person_id"
    queries = {
        "households": f"SELECT {household}, dong_code, district_code",
        "memberships": f"SELECT {person}, {household}, relationship",
        "persons": f"SELECT {person}, birth_date, sex, disability, nationality, date_of_death",
        "excluded": f"SELECT {household}, reason",
        "late_matches": f"SELECT rrn_hash, {person}",
    }
    (out / "snapshot").mkdir(exist_ok=True)
    for name, select in queries.items():
        sources = ", ".join(f"'{path}'" for path in snap.paths(name))
        con.execute(
            f"COPY ({select} FROM read_parquet([{sources}]), {copies_sql}) "
            f"TO '{out / 'snapshot' / name}.parquet' (FORMAT parquet, COMPRESSION zstd)"
        )
    # Each dong can visit as many more households as it has.
    dongs = f"SELECT dong_code, visit_capacity * {copies} AS visit_capacity FROM read_parquet('{snap.path('dongs')}')"
    con.execute(f"COPY ({dongs}) TO '{out / 'snapshot' / 'dongs'}.parquet' (FORMAT parquet)")
    sources = []
    for source in inputs.signals:
        target = out / "signals" / f"{source.file_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        columns = pq.read_schema(source.path).names
        rest = ", ".join(c for c in columns if c not in ("record_id", "person_id"))
        select = f"SELECT record_id || '-' || CAST(k AS VARCHAR) AS record_id, {person}, {rest}"
        con.execute(
            f"COPY ({select} FROM read_parquet('{source.path}'), {copies_sql}) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        )
        sources.append(SignalSource(source.file_id, target))
    con.close()
    snapshot = Snapshot(folder=out / "snapshot", as_of=snap.as_of, district_code="", cooldown_days=0)
    return make_inputs(snapshot, sources, workdir=out / "work", scorecard=inputs.scorecard)


# ------------------------------------------------------------------------------------------------- pandas


def pandas_round(inputs: ScreeningInputs, timings: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """The same round as a first version would write it in pandas: merges, a loop over the scorecard's kinds for
    the points, groupby for the strongest signal per kind and the scores, apply for each listed household's
    reasons (the scorecard's own Python `render`). `timings` receives the seconds before and for the reasons."""
    import pandas as pd

    started = time.perf_counter()

    scorecard, catalogue, as_of = inputs.scorecard, inputs.catalogue, pd.Timestamp(inputs.as_of)
    snap = inputs.snapshot
    fields = sorted({f.name for k in catalogue.kinds for f in k.fields if f.type in ("int", "str")})
    frames = []
    for path in inputs.signal_paths():
        present = set(pq.read_schema(path).names)
        frame = pd.read_parquet(
            path, columns=["signal_file_id", "record_id", "kind", "person_id", *(present & set(fields))]
        )
        frames.append(frame)
    signals = pd.concat(frames, ignore_index=True)
    signals = signals[signals.signal_file_id.isin(inputs.signal_file_ids) & signals.person_id.notna()]

    memberships = pd.read_parquet(snap.path("memberships"))
    persons = pd.read_parquet(snap.path("persons"))
    households = pd.read_parquet(snap.path("households"))
    residents = memberships.merge(persons, on="person_id").merge(households, on="household_id")
    died = pd.to_datetime(residents.date_of_death)
    residents = residents[died.isna() | (died > as_of)]

    df = signals.merge(residents[["person_id", "household_id", "dong_code"]], on="person_id")
    df["points"] = np.nan
    for rule in scorecard.kinds:
        kind = catalogue.kind(rule.code)
        rows = df.kind == rule.code
        if not rows.any():
            continue
        sub = df.loc[rows]
        if kind.severity.fixed is not None:
            level = pd.Series(kind.severity.fixed, index=sub.index)
        else:
            value = sub[kind.severity.field]
            level = pd.Series(kind.severity.steps[0].level, index=sub.index)
            for step in kind.severity.steps[1:]:
                level = level.where(~(value >= step.from_value), step.level)
        points = level.map(lambda lv, r=rule: r.level_points[lv - 1]).astype("int64")
        for inc in rule.increments:
            points = points + sub[inc.field].map(lambda v, i=inc: i.points(None if pd.isna(v) else int(v)))
        df.loc[rows, "points"] = points
    df = df[df.points.notna()]
    df["points"] = df.points.astype("int64")

    kind_points = df.groupby(["household_id", "kind"], as_index=False).agg(points=("points", "max"))
    score = kind_points.groupby("household_id", as_index=False).agg(score=("points", "sum"))

    ages = {"elderly": 65, "child": 18, "own": 18}
    for code, key in (("elderly_alone", "elderly"), ("children", "child"), ("single_parent", "own")):
        if scorecard.modifier(code) is not None:
            ages[key] = scorecard.modifier(code).params["age"]

    def cutoff(years: int) -> pd.Timestamp:
        from dolbom.discovery.screening.sql import birth_cutoff

        return pd.Timestamp(birth_cutoff(inputs.as_of, years))

    born = pd.to_datetime(residents.birth_date)
    residents = residents.assign(
        is_elderly=born <= cutoff(ages["elderly"]),
        is_child=born > cutoff(ages["child"]),
        is_own_child=(residents.relationship == "child") & (born > cutoff(ages["own"])),
        is_spouse=residents.relationship == "spouse",
        is_disabled=residents.disability.isin(["mild", "severe"]),
        is_severe=residents.disability == "severe",
    )
    traits = residents.groupby("household_id").agg(
        dong_code=("dong_code", "min"),
        members=("person_id", "count"),
        elderly=("is_elderly", "sum"),
        children=("is_child", "sum"),
        own_children=("is_own_child", "sum"),
        spouses=("is_spouse", "sum"),
        disabled=("is_disabled", "sum"),
        severe=("is_severe", "sum"),
    )
    conditions = {
        "elderly_alone": lambda t: (t.members == 1) & (t.elderly == 1),
        "disability": lambda t: t.disabled >= 1,
        "severe_disability": lambda t: t.severe >= 1,
        "children": lambda t: t.children >= 1,
        "single_parent": lambda t: (t.own_children >= 1) & (t.spouses == 0),
        "large_household": lambda t: t.members >= scorecard.modifier("large_household").params["min_members"],
    }
    scored = score.merge(traits, left_on="household_id", right_index=True)
    for modifier in scorecard.modifiers:
        scored["score"] += np.where(conditions[modifier.code](scored), modifier.points, 0)

    excluded = set(pd.read_parquet(snap.path("excluded")).household_id)
    scored = scored[~scored.household_id.isin(excluded) & (scored.score >= scorecard.min_score)]
    capacity = pd.read_parquet(snap.path("dongs")).set_index("dong_code").visit_capacity
    scored = scored.sort_values(["dong_code", "score", "household_id"], ascending=[True, False, True])
    scored["rank"] = scored.groupby("dong_code").cumcount() + 1
    listed = scored[scored["rank"] <= scored.dong_code.map(capacity).fillna(0)]

    numbers = {rule.code: i + 1 for i, rule in enumerate(scorecard.kinds)}
    numbers.update({m.code: 1001 + i for i, m in enumerate(scorecard.modifiers)})
    mine = df[df.household_id.isin(listed.household_id)]
    by_household = dict(tuple(mine.groupby("household_id")))
    trait_rows = traits.loc[listed.household_id]

    def reasons(row: pd.Series) -> list[dict[str, Any]]:
        household = row.household_id
        rows = by_household[household]
        contributions = []
        for kind_code, group in rows.groupby("kind"):
            rule = scorecard.kind(kind_code)
            kind = catalogue.kind(kind_code)
            names = list(
                dict.fromkeys(
                    [p.name for p in rule.reason if not isinstance(p, str)] + [i.field for i in rule.increments]
                )
            )
            ints = [n for n in names if kind.field(n).type == "int"]
            strs = [n for n in names if kind.field(n).type == "str"]
            best = group[group.points == group.points.max()]
            order = [*ints, *strs, "signal_file_id", "record_id"]
            best = best.sort_values(order, ascending=[False] * (len(order) - 1) + [True], na_position="last").iloc[0]
            values = {n: (None if pd.isna(best[n]) else best[n]) for n in names}
            values = {n: int(v) if n in ints and v is not None else v for n, v in values.items()}
            points = int(best.points)
            if points > 0:
                contributions.append((points, numbers[kind_code], kind_code, render(rule.reason, values, points)))
        t = trait_rows.loc[household]
        for modifier in scorecard.modifiers:
            if modifier.points > 0 and conditions[modifier.code](t):
                counts = {"disabled": t.disabled, "severe": t.severe, "members": t.members,
                          "children": t.own_children if modifier.code == "single_parent" else t.children}  # fmt: skip
                values = {**{k: int(v) for k, v in counts.items()}, **modifier.params}
                contributions.append(
                    (
                        modifier.points,
                        numbers[modifier.code],
                        modifier.code,
                        render(modifier.reason, values, modifier.points),
                    )
                )
        contributions.sort(key=lambda c: (-c[0], c[1]))
        return [{"text": text, "points": points, "code": code} for points, _, code, text in contributions[:3]]

    lists_done = time.perf_counter()
    listed = listed.assign(reasons=listed.apply(reasons, axis=1))
    if timings is not None:
        timings["lists"] = lists_done - started
        timings["reasons"] = time.perf_counter() - lists_done
    return [
        {
            "household_id": int(r.household_id),
            "dong_code": r.dong_code,
            "rank": int(r.rank),
            "score": float(r.score),
            "probability": None,
            "reasons": r.reasons,
            "selection": "ranked",  # a scorecard round reserves no slot: every household is there by its rank
        }
        for r in listed.itertuples(index=False)
    ]


# ------------------------------------------------------------------------------------------------- bare scan


def _floor_sql(inputs: ScreeningInputs, *, kind_once: bool) -> str:
    weights = ", ".join(f"('{kind.code}', {max(kind.level_points)})" for kind in inputs.scorecard.kinds)
    signals = ", ".join(f"'{path}'" for path in inputs.signal_paths())
    snap = inputs.snapshot
    joined = f"""
            FROM read_parquet([{signals}], union_by_name = true) s
            JOIN weights w ON w.kind = s.kind
            JOIN read_parquet('{snap.path("memberships")}') m ON m.person_id = s.person_id"""
    if kind_once:
        scored = f"""
        kinds AS (
            SELECT m.household_id, s.kind, MAX(w.points) AS points{joined}
            GROUP BY m.household_id, s.kind
        ),
        scored AS (SELECT household_id, SUM(points) AS score FROM kinds GROUP BY household_id),"""
    else:
        scored = f"""
        scored AS (
            SELECT m.household_id, SUM(w.points) AS score{joined}
            GROUP BY m.household_id
        ),"""
    return f"""
        WITH weights(kind, points) AS (VALUES {weights}),{scored}
        ranked AS (
            SELECT h.dong_code, scored.household_id, scored.score,
                   row_number() OVER (PARTITION BY h.dong_code ORDER BY scored.score DESC, scored.household_id) AS rank
            FROM scored JOIN read_parquet('{snap.path("households")}') h USING (household_id)
        )
        SELECT count(*), sum(ranked.score) FROM ranked JOIN read_parquet('{snap.path("dongs")}') d USING (dong_code)
        WHERE ranked.rank <= d.visit_capacity
    """


def _run_floor(sql: str) -> tuple[int, int]:
    con = duckdb.connect(config={"threads": duckdb_threads()})
    try:
        listed, score = con.execute(sql).fetchone()
        return int(listed), int(score or 0)
    finally:
        con.close()


def bare_scan(inputs: ScreeningInputs) -> tuple[int, int]:
    """The floor under the round (issue 22): the same Parquet files scanned, signals joined to memberships and
    households, a weight per kind summed per household, and each dong's top `visit_capacity` kept — no exclusions,
    no late matches, no severity levels, no reasons, nothing written. The engine's time over this one, measured in
    the same run on a connection configured like the engine's, says what the round's own rules cost. Returns how
    many households it keeps and their scores' sum."""
    return _run_floor(_floor_sql(inputs, kind_once=False))


def kind_once_scan(inputs: ScreeningInputs) -> tuple[int, int]:
    """The bare scan with the scorecard's first rule: a kind counts once per household, however many deliveries
    or members report it (its weight taken once, as the round takes its strongest signal once). The signals are
    grouped by household and kind before they are summed by household, as any round that keeps the rule must;
    the round's time over this one says what the rest of its rules cost."""
    return _run_floor(_floor_sql(inputs, kind_once=True))


# ------------------------------------------------------------------------------------------------- database side


def store_district_signals(city: Path, home: Path, district: Any, period: str, *, tag: str) -> list[SignalSource]:
    """The district's signals (the files it received, both periods) stored as the import stores them — a
    SignalFile row and its Parquet file under DOLBOM_HOME — on whichever persons the database holds (the same ids
    when the city was loaded; spread over the loaded city's persons otherwise)."""
    from dolbom.discovery.importing.store import relative_path
    from dolbom.discovery.models import SignalFile
    from dolbom.registry.models import Person

    person_ids = np.array(sorted(Person.objects.values_list("pk", flat=True)), dtype=np.int64)
    converted = signals_from_city(city, home / f"{tag}-signals-raw-{district.code}", district_code=district.code)
    for source in converted:
        table = pq.read_table(source.path)
        ids = table.column("person_id").to_numpy(zero_copy_only=False)
        table = table.set_column(3, "person_id", pa.array(person_ids[(ids - 1) % len(person_ids)], pa.int64()))
        sha = hashlib.sha256(f"{tag}-{district.code}-{source.file_id}".encode()).hexdigest()
        relative = relative_path(district.code, period, sha)
        row = SignalFile.objects.create(
            district=district, agency_code="bench", period=period, sha256=sha, original_name=source.path.name,
            file_format="parquet", catalogue_version="bench", rows=table.num_rows, matched_rows=table.num_rows,
            unmatched_rows=0, storage_path=relative,
        )  # fmt: skip
        table = table.set_column(0, "signal_file_id", pa.array(np.full(table.num_rows, row.pk), pa.int64()))
        target = home / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
    return converted


def database_round(home: Path, households: int) -> dict[str, Any]:
    """Snapshot export and a whole service round on the bench's database (a generated city loaded into it, unless
    an earlier benchmark already loaded one)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from dolbom.discovery.screening.snapshot import export_snapshot
    from dolbom.discovery.services.rounds import run_round
    from dolbom.registry.models import Household
    from dolbom.synth.load import load_city

    call_command("migrate", verbosity=0)
    city = home / f"screening-db-city-{households}"
    generate_city(city, households=households, seed=13)
    if not Household.objects.exists():
        load_city(city)
    user = get_user_model().objects.get(username="demo_district")
    district = user.staff.areas.get()
    as_of = city_reference_date(city)

    started = time.perf_counter()
    snapshot = export_snapshot(district_code=district.code, as_of=as_of, cooldown_days=180, folder=home / "db-snap")
    export_seconds = time.perf_counter() - started

    period = "2026-09"
    converted = store_district_signals(city, home, district, period, tag=f"bench-{households}")
    started = time.perf_counter()
    screening_round = run_round(user=user, district_code=district.code, period=period, as_of=as_of)
    service_seconds = time.perf_counter() - started
    return {
        "households": snapshot.rows["households"],
        "persons": snapshot.rows["persons"],
        "export": export_seconds,
        "service": service_seconds,
        "status": screening_round.status,
        "district": district.name,
        "signal_files": len(converted),
        "listed": screening_round.stats.get("listed", 0),
        "phases": screening_round.stats.get("seconds", {}),
    }


# ------------------------------------------------------------------------------------------------- the section


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(run: Any, inputs: ScreeningInputs) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of REPEAT runs of `run(inputs)`, and its last result. CPU seconds (all of
    DuckDB's threads) say what a run costs when other work shares the machine and stretches the wall time."""
    samples, cpu, result = [], [], None
    for _ in range(REPEAT):
        started, cpu_started = time.perf_counter(), _cpu()
        result = run(inputs)
        samples.append(time.perf_counter() - started)
        cpu.append(_cpu() - cpu_started)
    return statistics.median(samples), statistics.median(cpu), result


def run(home: Path, *, quick: bool) -> Section:
    households = 20_000 if quick else 1_000_000
    db_households = 2_000 if quick else 20_000
    import pandas  # noqa: F401 - pyarrow imports pandas on first use when it is installed: not the round's time

    inputs, load = city_inputs(home, households)
    signals = sum(pq.ParquetFile(s.path).metadata.num_rows for s in inputs.signals)
    duck_seconds, duck_cpu, duck = _timed(run_screening, inputs)
    bare_seconds, bare_cpu, (bare_listed, _) = _timed(bare_scan, inputs)
    once_seconds, once_cpu, (once_listed, _) = _timed(kind_once_scan, inputs)
    stats = screening_stats(duck)
    started, cpu_started = time.perf_counter(), _cpu()
    pandas_phases: dict[str, float] = {}
    panda = pandas_round(inputs, pandas_phases)
    pandas_seconds, pandas_cpu = time.perf_counter() - started, _cpu() - cpu_started
    same = panda == duck.to_pylist()

    big = replicate(inputs, home / f"screening-inputs-{households}-x{SCALE}", SCALE)
    big_seconds, big_cpu, big_table = _timed(run_screening, big)
    database = database_round(home, db_households)

    section = Section(
        title=f"Screening round at {households:,} households",
        command="make bench (tests/bench/screening.py)",
        header=["what", "households", "signals", "seconds", "CPU seconds", "listed"],
    )
    section.rows += [
        [
            "round on DuckDB (Parquet inputs → ranked lists with reasons)",
            f"{households:,}",
            f"{signals:,}",
            f"{duck_seconds:.2f}",
            f"{duck_cpu:.2f}",
            f"{duck.num_rows:,}",
        ],
        [
            "bare DuckDB scan → join → aggregate → top-k per dong (the floor)",
            f"{households:,}",
            f"{signals:,}",
            f"{bare_seconds:.2f}",
            f"{bare_cpu:.2f}",
            f"{bare_listed:,}",
        ],
        [
            "the same, a kind counted once per household (the scorecard's first rule)",
            f"{households:,}",
            f"{signals:,}",
            f"{once_seconds:.2f}",
            f"{once_cpu:.2f}",
            f"{once_listed:,}",
        ],
        [
            "the same scoring in plain pandas",
            f"{households:,}",
            f"{signals:,}",
            f"{pandas_seconds:.2f}",
            f"{pandas_cpu:.2f}",
            f"{len(panda):,}",
        ],
        [
            f"round on DuckDB, {SCALE}× (replicated)",
            f"{households * SCALE:,}",
            f"{signals * SCALE:,}",
            f"{big_seconds:.2f}",
            f"{big_cpu:.2f}",
            f"{big_table.num_rows:,}",
        ],
        [
            "snapshot export from the database (SQLite)",
            f"{database['households']:,}",
            "—",
            f"{database['export']:.2f}",
            "—",
            "—",
        ],
        [
            "whole round through the service (export, DuckDB, items written)",
            f"{database['households']:,}",
            "—",
            f"{database['service']:.2f}",
            "—",
            f"{database['listed']:,}",
        ],
    ]
    phases = ", ".join(f"{k} {v:.2f} s" for k, v in stats.get("seconds", {}).items())
    ratio = duck_seconds / bare_seconds
    section.notes += [
        f"The round takes {ratio:.2f}× the bare scan-aggregate over the same files (target ≤ 1.7×: "
        f"{'met' if ratio <= 1.7 else 'not met'}; CPU seconds {duck_cpu / bare_cpu:.2f}×). The bare query keeps each "
        "dong's top households by a weight per signal kind and nothing else: no exclusions, late matches, severity "
        "levels or reasons, and it writes nothing.",
        f"Counting a kind once per household alone takes the bare query to {once_seconds / bare_seconds:.2f}× "
        f"(CPU {once_cpu / bare_cpu:.2f}×): the signals grouped by household and kind before they are summed. The "
        f"round takes {duck_seconds / once_seconds:.2f}× that query (CPU {duck_cpu / once_cpu:.2f}×) for the rest of "
        "its rules: severity levels and increments, exclusions, household modifiers, each listed household's "
        "reasons, the round's counts, the lists written out.",
        f"DuckDB is {pandas_seconds / duck_seconds:.1f}× faster than pandas on the same inputs; the two lists are "
        f"{'identical' if same else 'DIFFERENT'} (households, ranks, scores and reason texts).",
        f"pandas spent {pandas_phases['lists']:.1f} s on the scores and lists (merges, groupby) and "
        f"{pandas_phases['reasons']:.1f} s writing the listed households' reasons (apply); DuckDB's whole round is "
        f"{pandas_phases['lists'] / duck_seconds:.1f}× faster than pandas' part without the reasons.",
        f"{SCALE}× the households and signals took {big_seconds / duck_seconds:.1f}× the time "
        f"(1.0 per 1× would be exactly linear: {big_seconds / duck_seconds / SCALE:.2f}); CPU seconds "
        f"{big_cpu / duck_cpu:.1f}×. Wall times stretch when other programs share the cores; compare CPU seconds then.",
        f"The round screens the whole city: both districts' households and the {len(inputs.signals)} signal files "
        f"the two districts received over both periods (together the city's {signals:,} signals).",
        f"DuckDB phases at {households:,}: {phases}; {stats['households_with_signals']:,} households with scored "
        f"signals, {stats['below_min_score']:,} below the minimum score. Median of {REPEAT} runs.",
        f"Not timed as the round: generating the city {load['generate']:.1f} s, storing its signals "
        f"{load['signals']:.1f} s, writing the snapshot from its Parquet files {load['snapshot']:.1f} s. The "
        f"{SCALE}× inputs replicate those files with offset ids.",
        f"Service round phases ({database['district']}: {database['households']:,} households and the "
        f"{database['signal_files']} signal files it received, status {database['status']}): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in database["phases"].items())
        + ".",
    ]
    (home / "screening-bench.json").write_text(
        json.dumps(
            {
                "duckdb": duck_seconds,
                "bare": bare_seconds,
                "kind_once": once_seconds,
                "pandas": pandas_seconds,
                "scaled": big_seconds,
                "same": same,
            }
        ),
        encoding="utf-8",
    )
    return section


def run_city_rounds(city: Path, home: Path, *, period: str, tag: str) -> None:
    """Every district's screening round on the city's signal files, run by its case manager through the service:
    the lists land on the dongs' worklists, as on a working day."""
    from dolbom.discovery.services.rounds import run_round
    from dolbom.lab.from_city import city_reference_date
    from dolbom.registry.models import Staff

    as_of = city_reference_date(city)
    done: set[str] = set()
    for manager in Staff.objects.filter(role="district_manager").select_related("user").order_by("pk"):
        district = manager.areas.get()
        if district.code in done:
            continue
        done.add(district.code)
        store_district_signals(city, home, district, period, tag=tag)
        run_round(user=manager.user, district_code=district.code, period=period, as_of=as_of)
