"""The engines that run the round's SQL: DuckDB in-process (the default) and Spark (local mode, or a cluster).

Both read the same Parquet inputs and run the same statements from `sql.py`; only how a relation is registered
and kept differs. `run_screening` returns the outreach lists as an Arrow table with the round's counts attached
(`screening_stats`).

Settings (environment):
  DOLBOM_DUCKDB_THREADS        threads for DuckDB (default: the cores this process may use)
  DOLBOM_DUCKDB_MEMORY_LIMIT   DuckDB's memory limit, e.g. 8GB or 50% (default 50%: the web server shares the host)
  DOLBOM_SPARK_MASTER          Spark master URL (default local[*]); e.g. spark://host:7077 for a standalone cluster
  DOLBOM_SPARK_DRIVER_MEMORY   heap of the local-mode driver (default 2g)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dolbom.discovery.screening import sql
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS, ScreeningInputs
from dolbom.discovery.screening.reserve import RANKED, Reserve, reserved_listing

if TYPE_CHECKING:  # for annotations only: scorers.py builds on this module
    from dolbom.discovery.screening.scorers import Scorer

ENGINES = ("duckdb", "spark")
STATS_KEY = b"dolbom.stats"
REASON_TYPE = pa.struct([("text", pa.string()), ("points", pa.int64()), ("code", pa.string())])
RESULT_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("dong_code", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("probability", pa.float64()),
        ("reasons", pa.list_(REASON_TYPE)),
        ("selection", pa.string()),  # why the household is listed: reserve.RANKED or a reserved slot
    ]
)


class EngineError(RuntimeError):
    """The engine cannot run (not installed, no Java for Spark, …); the message says what to do."""


class Session(Protocol):
    def register_parquet(self, name: str, paths: list[Path]) -> None: ...
    def register_table(self, name: str, table: pa.Table) -> None: ...
    def run(self, statement: sql.Statement) -> None: ...
    def query(self, text: str) -> pa.Table: ...
    def close(self) -> None: ...


def duckdb_threads() -> int:
    configured = os.environ.get("DOLBOM_DUCKDB_THREADS")
    return int(configured) if configured else len(os.sched_getaffinity(0))


class DuckDBSession:
    """An in-memory DuckDB database for one round; intermediate relations are temporary tables."""

    def __init__(self, workdir: Path) -> None:
        import duckdb  # only this engine needs it: the Spark engine runs without it

        spill = workdir / "duckdb-spill"
        spill.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(
            config={
                "threads": duckdb_threads(),
                "memory_limit": os.environ.get("DOLBOM_DUCKDB_MEMORY_LIMIT", "50%"),
                "temp_directory": str(spill),
                # The statements order what they need to; keeping file order costs memory for nothing.
                "preserve_insertion_order": False,
            }
        )
        # The statements floor with Spark's div(a, b) (sql.floor_div); DuckDB spells it a // b.
        self.con.execute("CREATE TEMP MACRO div(a, b) AS a // b")

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        # The relation API takes the paths as values: no file name is ever pasted into SQL text.
        self.con.read_parquet([str(p) for p in paths], union_by_name=True).create_view(name)

    def register_table(self, name: str, table: pa.Table) -> None:
        self.con.from_arrow(table).create_view(name)

    def run(self, statement: sql.Statement) -> None:
        kind = "TEMP TABLE" if statement.materialize else "TEMP VIEW"
        self.con.execute(f"CREATE OR REPLACE {kind} {statement.name} AS {statement.sql}")

    def query(self, text: str) -> pa.Table:
        return self.con.sql(text).to_arrow_table()

    def close(self) -> None:
        self.con.close()


def spark_master(master: str | None = None) -> str:
    return master or os.environ.get("DOLBOM_SPARK_MASTER") or "local[*]"


class SparkSessionAdapter:
    """The same statements on Spark SQL; intermediate relations are computed once and kept by the executors
    (local checkpoints) as temporary views. The Spark session is created once per process (starting a JVM takes
    seconds) and shared by later rounds."""

    def __init__(self, workdir: Path, master: str | None = None) -> None:
        self.workdir = workdir
        try:  # pyspark is an optional extra (`dolbom[spark]`), loaded only for a round on Spark
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise EngineError("the Spark engine needs pyspark: install Dolbom with the 'spark' extra") from exc
        url = spark_master(master)
        builder = SparkSession.builder.appName("dolbom-screening").master(url)
        builder = builder.config("spark.sql.session.timeZone", "Asia/Seoul")
        # A round's relations are local checkpoints (run), freed once the driver's garbage collector has let go of
        # them; Spark collects every 30 minutes by default, which lets the rounds of a busy day pile up on the
        # executors.
        builder = builder.config("spark.cleaner.periodicGC.interval", "5min")
        if url.startswith("local"):
            # A small local job drowns in Spark's default 200 shuffle partitions; the UI port is not needed; the
            # driver is the executor, and the default 1 GB heap is tight for the scorecard's generated plans.
            builder = builder.config("spark.sql.shuffle.partitions", str(max(2, 2 * duckdb_threads())))
            builder = builder.config("spark.ui.enabled", "false")
            builder = builder.config("spark.driver.memory", os.environ.get("DOLBOM_SPARK_DRIVER_MEMORY", "2g"))
            # Size estimates of cached relations can be far off; broadcast only what adaptive execution has
            # measured as small at run time, or a large relation fills the driver's heap.
            builder = builder.config("spark.sql.autoBroadcastJoinThreshold", "-1")
            builder = builder.config("spark.sql.adaptive.autoBroadcastJoinThreshold", "10MB")
        try:
            self.spark = builder.getOrCreate()
        except Exception as exc:  # pragma: no cover - depends on the machine
            raise EngineError(f"Spark did not start (is Java 17 installed?): {exc}") from exc
        self.views: list[str] = []

    def register_parquet(self, name: str, paths: list[Path]) -> None:
        # file:// URLs, so that a cluster whose default file system is HDFS still reads the shared folder.
        frame = self.spark.read.option("mergeSchema", "true").parquet(*[p.resolve().as_uri() for p in paths])
        frame.createOrReplaceTempView(name)
        self.views.append(name)

    def register_table(self, name: str, table: pa.Table) -> None:
        # Through a file in the shared work folder: executors on other hosts read it like the inputs.
        path = self.workdir / f"{name}.parquet"
        self.workdir.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        self.register_parquet(name, [path])

    def run(self, statement: sql.Statement) -> None:
        frame = self.spark.sql(statement.sql)
        if statement.materialize:
            # A checkpoint, not a cache: a cached relation keeps the plan that made it, and each later statement's
            # plan would hold the plans of all the relations it reads, and theirs in turn — the reasons' plans then
            # grow past the driver's heap. The checkpoint's plan is a scan of its rows. Its blocks are freed once
            # the view is dropped and the driver has collected it (Spark's context cleaner). An executor lost during the
            # round loses its blocks and fails the round, to be started again.
            frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(statement.name)
        self.views.append(statement.name)

    def query(self, text: str) -> pa.Table:
        frame = self.spark.sql(text)
        if hasattr(frame, "toArrow"):  # Spark 4
            return frame.toArrow()
        return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)  # pragma: no cover - Spark 3.5

    def close(self) -> None:
        for name in self.views:
            self.spark.catalog.dropTempView(name)


@contextmanager
def open_session(inputs: ScreeningInputs, engine: str, *, master: str | None = None) -> Iterator[Session]:
    """A session with the inputs registered: signals_raw and the snapshot's relations (inputs.SNAPSHOT_SCHEMAS)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    session: Session = (
        DuckDBSession(inputs.workdir) if engine == "duckdb" else SparkSessionAdapter(inputs.workdir, master)
    )
    try:
        session.register_parquet("signals_raw", inputs.signal_paths())
        for name in SNAPSHOT_SCHEMAS:
            session.register_parquet(name, inputs.snapshot.paths(name))
        session.register_table("scored_kinds", sql.scored_kinds_table(inputs.scorecard))
        yield session
    finally:
        session.close()


def scoring_statements(inputs: ScreeningInputs, *, contenders: bool = False) -> list[sql.Statement]:
    """The scorecard's statements for these inputs, up to `household_scores`: of every household (the first three
    build what the feature table reads), or of the round's contenders only (`sql.scoring_statements`)."""
    return sql.scoring_statements(
        inputs.catalogue,
        inputs.scorecard,
        as_of=inputs.as_of,
        signal_file_ids=inputs.signal_file_ids,
        available=inputs.signal_columns(),
        late_matches=inputs.has_late_matches,
        contenders=contenders,
    )


def run_scoring_statements(session: Session, inputs: ScreeningInputs) -> None:
    for statement in scoring_statements(inputs):
        session.run(statement)


def run_screening(
    inputs: ScreeningInputs,
    *,
    engine: str = "duckdb",
    scorer: Scorer | None = None,
    master: str | None = None,
    reserve: Reserve | None = None,
    balanced: bool = False,
) -> pa.Table:
    """Score every household of the snapshot that has a signal, and list the top of each dong up to its visit
    capacity: household_id, dong_code, rank, score, probability, reasons (list of {text, points, code}), selection.

    Without a scorer (or with the scorecard) the scoring is the scorecard's SQL on the chosen engine; a learned
    scorer gets the feature table and its scores are listed by the same selection SQL. With a learned scorer and a
    `reserve` of more than 0 %, part of each dong's list is drawn among the households below the model's cut that
    the scorecard or a referral marks (`reserve.py`). With a learned scorer and `balanced`, each dong's list is
    cut in the balanced order (`learning/balance.py`). The scorecard's own rounds never reserve nor balance."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    in_sql = scorer is None or getattr(scorer, "runs_in_sql", False)
    with open_session(inputs, engine, master=master) as session:
        # The scorecard's list needs the modifiers of its contenders only; a learned scorer reads every
        # household's features.
        for statement in scoring_statements(inputs, contenders=in_sql):
            session.run(statement)
        timings["scoring"] = time.perf_counter() - started
        if in_sql:
            scores, min_score, carry = "household_scores", float(inputs.scorecard.min_score), []
        else:
            assert scorer is not None
            features = session.query(sql.features_sql(inputs.catalogue, inputs.as_of))
            session.register_table("model_scores", flatten_scores(scorer.score(features), features))
            scores, min_score, carry = "model_scores", None, sql.reason_columns()
            timings["model"] = time.perf_counter() - started - timings["scoring"]
        mark = time.perf_counter()
        cut_from, order = scores, sql.BY_SCORE
        if not in_sql and balanced:
            session.run(sql.balanced_statement(scores, inputs.as_of))
            cut_from, order = "balanced_scores", sql.BY_BALANCE
        selection: dict[str, Any] = {"balanced": cut_from != scores}
        if not in_sql and reserve is not None and reserve.share > 0:
            listed, reserved = reserved_listing(session, inputs, reserve, scores=cut_from, order=order)
            selection.update(reserved)
        else:
            session.run(sql.listed_statement(cut_from, min_score=min_score, carry=carry, order=order))
            listed = session.query(list_with_reasons(session, inputs) if in_sql else sql.listed_sql())
        if not in_sql:
            listed = explain_unexplained(listed, scorer, features)
        timings["selection"] = time.perf_counter() - mark
        mark = time.perf_counter()
        counts = session.query(sql.stats_sql(inputs.as_of, scores=scores, min_score=min_score, contenders=in_sql))
        exclusions = session.query(sql.exclusions_sql("kind_scores" if in_sql else scores)).to_pylist()
        timings["statistics"] = time.perf_counter() - mark
    stats: dict[str, Any] = {k: int(v or 0) for k, v in counts.to_pylist()[0].items()}
    stats["excluded"] = {row["reason"]: int(row["households"]) for row in exclusions}
    stats["engine"] = engine
    stats.update(selection)
    stats["seconds"] = {k: round(v, 3) for k, v in timings.items()}
    return finish(listed, stats)


def explain_unexplained(listed: pa.Table, scorer: Any, features: pa.Table) -> pa.Table:
    """The listed rows, with reasons asked of the scorer for those it left without: a learned model explains only
    the top of each dong when it scores (ModelScorer.score), and the balanced cut and the reserved share list
    households further down. A scorer that cannot explain some households (`reasons_for`) leaves them as they are."""
    missing = pc.is_null(listed.column("reason1_code"))
    explain = getattr(scorer, "reasons_for", None)
    if explain is None or not pc.any(missing).as_py():
        return listed
    found = explain(features, listed.filter(missing).column("household_id").to_pylist())
    rows = listed.to_pylist()  # a round's list: a few thousand rows
    for row in rows:
        if row["reason1_code"] is None:
            for slot, reason in enumerate(found.get(row["household_id"], [])[: sql.REASONS], start=1):
                row.update({f"reason{slot}_{key}": reason[key] for key in ("code", "text", "points")})
    return pa.Table.from_pylist(rows, schema=listed.schema)


def list_with_reasons(session: Session, inputs: ScreeningInputs) -> str:
    """Build the reasons' relations for the households in `listed`; return the query that lists them."""
    for statement in sql.reason_statements(inputs.catalogue, inputs.scorecard):
        session.run(statement)
    return sql.reasons_sql(inputs.catalogue, inputs.scorecard)


def reasons_column(flat: pa.Table) -> pa.ListArray:
    """reason1_* … reason3_* columns as one list<struct<text, points, code>> column, in Arrow (a round at national
    scale lists a hundred thousand households). A household's reasons fill slots 1, 2, 3 in order."""
    n, k = flat.num_rows, sql.REASONS
    slots = [
        pa.StructArray.from_arrays(
            [
                flat.column(f"reason{i}_text").combine_chunks().cast(pa.string()),
                flat.column(f"reason{i}_points").combine_chunks().cast(pa.int64()),
                flat.column(f"reason{i}_code").combine_chunks().cast(pa.string()),
            ],
            fields=list(REASON_TYPE),
        )
        for i in range(1, k + 1)
    ]
    # Row-major order: row 0's slots 1..k, then row 1's, …; then drop the empty slots.
    order = pa.array(np.arange(n * k).reshape(k, n).T.reshape(-1), pa.int64())
    interleaved = pa.concat_arrays(slots).take(order)
    present = pc.is_valid(pc.struct_field(interleaved, "code"))
    counts = np.asarray(present).reshape(n, k).sum(axis=1) if n else np.zeros(0, dtype=np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    return pa.ListArray.from_arrays(offsets, interleaved.filter(present), type=pa.list_(REASON_TYPE))


def finish(listed: pa.Table, stats: dict[str, Any]) -> pa.Table:
    """The engine's flat rows as the result schema, reasons as a list of structs, stats in the metadata."""
    dongs = listed.column("dong_code").to_pylist()
    by_dong: dict[str, int] = {}
    for code in dongs:
        by_dong[code] = by_dong.get(code, 0) + 1
    stats = {**stats, "listed": listed.num_rows, "listed_per_dong": dict(sorted(by_dong.items()))}
    selection = (
        listed.column("selection").cast(pa.string())
        if "selection" in listed.column_names
        else pa.array([RANKED] * listed.num_rows, pa.string())
    )
    table = pa.Table.from_arrays(
        [
            listed.column("household_id").cast(pa.int64()),
            listed.column("dong_code").cast(pa.string()),
            listed.column("list_rank").cast(pa.int64()),
            listed.column("score").cast(pa.float64()),
            listed.column("probability").cast(pa.float64()),
            reasons_column(listed),
            selection,
        ],
        schema=RESULT_SCHEMA,
    )
    return table.replace_schema_metadata({STATS_KEY: json.dumps(stats, ensure_ascii=False).encode()})


def screening_stats(table: pa.Table) -> dict[str, Any]:
    """The counts `run_screening` attached to its result."""
    metadata = table.schema.metadata or {}
    return json.loads(metadata.get(STATS_KEY, b"{}"))


def flatten_scores(scored: pa.Table, features: pa.Table) -> pa.Table:
    """A learned scorer's output (household_id, score, probability, reasons) as a scores relation: the dong from
    the feature table, the first three reasons as columns. Vectorised: a model scores every household with a
    signal, hundreds of thousands of rows."""
    n = scored.num_rows
    ids = scored.column("household_id").combine_chunks().cast(pa.int64())
    where = pc.index_in(ids, value_set=features.column("household_id").combine_chunks())
    columns: dict[str, pa.Array] = {
        "household_id": ids,
        "dong_code": features.column("dong_code").combine_chunks().take(where).cast(pa.string()),
        "score": scored.column("score").combine_chunks().cast(pa.float64()),
        "probability": (
            scored.column("probability").combine_chunks().cast(pa.float64())
            if "probability" in scored.column_names
            else pa.nulls(n, pa.float64())
        ),
    }
    lists = scored.column("reasons").combine_chunks() if "reasons" in scored.column_names else None
    if lists is None or len(lists) == 0 or lists.null_count == len(lists):
        for name in sql.reason_columns():
            columns[name] = pa.nulls(n, pa.int64() if name.endswith("points") else pa.string())
        return pa.table(columns)
    flat = pc.list_flatten(lists)
    parents = np.asarray(pc.list_parent_indices(lists))
    offsets = np.asarray(lists.offsets)
    position = offsets[0] + np.arange(len(flat)) - offsets[parents]
    for slot in range(1, sql.REASONS + 1):
        picked = np.flatnonzero(position == slot - 1)
        index = np.full(n, -1, dtype=np.int64)
        index[parents[picked]] = np.arange(len(picked))
        take = pa.array(index, mask=index < 0)
        values = flat.take(pa.array(picked, pa.int64()))
        columns[f"reason{slot}_code"] = pc.struct_field(values, "code").take(take).cast(pa.string())
        columns[f"reason{slot}_text"] = pc.struct_field(values, "text").take(take).cast(pa.string())
        columns[f"reason{slot}_points"] = pc.struct_field(values, "points").take(take).cast(pa.int64())
    return pa.table(columns)
