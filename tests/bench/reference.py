"""A fixed amount of work, timed at the start and the end of every benchmark run, so that runs on different days
can be compared: the two cores of this machine have run the same code 1.7× faster one morning than the evening
before, and a figure in docs/benchmarks.md says little about the code without the machine's speed beside it.

The work is of the kinds the benchmarks themselves do, in one thread each except DuckDB's: Python (sorting and
hashing small strings), SQLite (inserts, an index, a join with a group by) and DuckDB (a group by over generated
rows, on the cores the engine would use). Its result never changes; only its time does.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

import duckdb

ROWS = 200_000
DUCKDB_ROWS = 20_000_000


def _python() -> int:
    keys = [f"{i * 7919 % ROWS:08d}-{i}" for i in range(ROWS)]
    keys.sort()
    digests = {hashlib.sha256(key.encode()).digest()[:8] for key in keys}
    return len(digests)


def _sqlite() -> int:
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, household INTEGER, born TEXT)")
        con.executemany(
            "INSERT INTO person VALUES (?, ?, ?)",
            ((i, i // 2, f"19{i % 90 + 10:02d}-0{i % 9 + 1}-1{i % 9}") for i in range(ROWS)),
        )
        con.execute("CREATE INDEX person_household ON person (household)")
        query = (
            "SELECT count(*) FROM (SELECT p.household, min(q.born) FROM person p"
            " JOIN person q ON q.household = p.household GROUP BY p.household)"
        )
        return int(con.execute(query).fetchone()[0])
    finally:
        con.close()


def _duckdb(threads: int) -> int:
    con = duckdb.connect(config={"threads": threads})
    try:
        query = f"SELECT count(*) FROM (SELECT k % 100003 AS g, sum(k) FROM range({DUCKDB_ROWS}) t(k) GROUP BY g)"
        return int(con.execute(query).fetchone()[0])
    finally:
        con.close()


def seconds(threads: int = 2, repeat: int = 3) -> float:
    """The fastest of `repeat` runs of the whole work, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _python()
        _sqlite()
        _duckdb(threads)
        best = min(best, time.perf_counter() - started)
    return best
