"""A query read into Parquet by a second process: what it writes, what it reports, and that it never outlives the
process that started it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection

from dolbom.core.side_read import SideRead, database_spec

SCHEMA = pa.schema([("id", pa.int64()), ("label", pa.string()), ("born", pa.date32())])
QUERY = "SELECT id, label, born FROM people WHERE born >= %s AND label LIKE %s ORDER BY id"


def scratch(folder: Path) -> dict[Path, list[str]]:
    return {folder / "x": SCHEMA.names}


def failure_logged(read: SideRead, caplog) -> str:
    """What is logged of a read that must fail."""
    with caplog.at_level("WARNING", logger="dolbom.core.side_read"):
        try:
            assert read.result(timeout=60) is None
        finally:
            read.close()
    return caplog.text


@pytest.fixture
def database(tmp_path) -> dict:
    path = tmp_path / "people.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, label TEXT, born TEXT)")
        rows = [(1, '50% off, "quoted"\nnext line', "1950-03-04"), (2, "50% 둘째", None), (3, "none", "1990-01-01")]
        con.executemany("INSERT INTO people VALUES (?, ?, ?)", rows)
        con.execute("CREATE TABLE revision (value INTEGER)")
        con.execute("INSERT INTO revision VALUES (7)")
    return {"vendor": "sqlite", "path": str(path)}


def test_the_rows_are_written_in_the_schema_with_the_check_value(database, tmp_path):
    out = tmp_path / "part.parquet"
    read = SideRead(
        database, check="SELECT value FROM revision", sql=QUERY, params=[date(1900, 1, 1), "50%%%"], schema=SCHEMA,
        files={out: SCHEMA.names},
    )  # fmt: skip
    try:
        result = read.result(timeout=60)
    finally:
        read.close()
    assert result is not None and (result.check, result.rows) == (7, 1)
    table = pq.read_table(out)
    assert table.schema.remove_metadata().equals(SCHEMA)
    assert table.to_pylist() == [{"id": 1, "label": '50% off, "quoted"\nnext line', "born": date(1950, 3, 4)}]
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_nulls_and_many_batches_arrive(database, tmp_path, monkeypatch):
    with sqlite3.connect(database["path"]) as con:
        con.executemany("INSERT INTO people VALUES (?, 'many', NULL)", [(i,) for i in range(10, 50_010)])
    out = tmp_path / "part.parquet"
    read = SideRead(
        database, check="SELECT 1", sql="SELECT id, label, born FROM people WHERE id >= %s", params=[10],
        schema=SCHEMA, files={out: SCHEMA.names},
    )  # fmt: skip
    try:
        result = read.result(timeout=60)
    finally:
        read.close()
    assert result is not None and result.rows == 50_000
    assert pq.ParquetFile(out).metadata.num_row_groups == 3  # 20,000 rows a batch
    assert pq.read_table(out).column("born").null_count == 50_000


def test_a_failing_query_is_reported_as_no_result_with_the_reason_logged(database, tmp_path, caplog):
    read = SideRead(
        database,
        check="SELECT 1",
        sql="SELECT id FROM nowhere",
        params=[],
        schema=SCHEMA,
        files=scratch(tmp_path),
    )
    logged = failure_logged(read, caplog)
    assert "no such table: nowhere" in logged


def test_the_child_cannot_write(database, tmp_path, caplog):
    read = SideRead(
        database, check="SELECT 1", sql="DELETE FROM people RETURNING id, label, born", params=[], schema=SCHEMA,
        files=scratch(tmp_path),
    )  # fmt: skip
    logged = failure_logged(read, caplog)
    assert "readonly" in logged.replace("-", "").replace(" ", "")
    with sqlite3.connect(database["path"]) as con:
        assert con.execute("SELECT COUNT(*) FROM people").fetchone() == (3,)


def test_a_read_past_its_time_is_stopped(database, tmp_path):
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i, 'x', NULL FROM n WHERE i < %s"
    read = SideRead(database, check="SELECT 1", sql=endless, params=[0], schema=SCHEMA, files=scratch(tmp_path))
    started = time.monotonic()
    assert read.result(timeout=1) is None
    assert time.monotonic() - started < 10
    assert read._process.poll() is not None


def test_parameters_other_than_dates_numbers_and_text_are_refused(database, tmp_path):
    for value in (datetime(2026, 1, 1, 9), 1.5, None, b"x"):
        with pytest.raises(TypeError):
            SideRead(
                database,
                check="SELECT 1",
                sql=QUERY,
                params=[value],
                schema=SCHEMA,
                files=scratch(tmp_path),
            )


def test_the_child_dies_with_the_process_that_started_it(database, tmp_path):
    """A worker killed half way must not leave its reader running (the kernel's parent-death signal)."""
    script = f"""
import sys
from dolbom.core.side_read import SideRead
import pyarrow as pa
endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i, 'x', NULL FROM n WHERE i < %s"
schema = pa.schema([("id", pa.int64()), ("label", pa.string()), ("born", pa.date32())])
files = {{{str(tmp_path / "x")!r}: schema.names}}
read = SideRead({database!r}, check="SELECT 1", sql=endless, params=[0], schema=schema, files=files)
print(read._process.pid, flush=True)
sys.stdin.read()
"""
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    time.sleep(0.5)  # the child has set its parent-death signal and is reading
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting for a reaper (a container's init may not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_the_database_is_described_for_another_process_only_where_one_can_open_it(db):
    spec = database_spec(connection)
    if connection.vendor == "sqlite":
        assert connection.is_in_memory_db() and spec is None
    else:
        assert spec["vendor"] == "postgresql"
        assert spec["params"]["dbname"] == connection.settings_dict["NAME"]
        assert all(isinstance(v, str) for v in spec["params"].values())


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX only")
def test_the_childs_environment_holds_none_of_the_services_keys(database, tmp_path, monkeypatch):
    monkeypatch.setenv("DOLBOM_RRN_KEY", "secret")
    monkeypatch.setenv("PGSSLMODE", "prefer")
    read = SideRead(
        database,
        check="SELECT 1",
        sql=QUERY,
        params=[date(1900, 1, 1), "x"],
        schema=SCHEMA,
        files=scratch(tmp_path),
    )
    try:
        environ = Path(f"/proc/{read._process.pid}/environ").read_bytes().split(b"\0")
        read.result(timeout=60)
    finally:
        read.close()
    assert b"PGSSLMODE=prefer" in environ
    assert not any(item.startswith(b"DOLBOM_") for item in environ)


def test_each_file_gets_the_columns_asked_of_it(database, tmp_path):
    ids, people = tmp_path / "ids.parquet", tmp_path / "people.parquet"
    read = SideRead(
        database, check="SELECT 1", sql="SELECT id, label, born FROM people ORDER BY id", params=[], schema=SCHEMA,
        files={ids: ["id"], people: ["id", "born", "label"]},
    )  # fmt: skip
    try:
        assert read.result(timeout=60).rows == 3
    finally:
        read.close()
    assert pq.read_table(ids).to_pydict() == {"id": [1, 2, 3]}
    assert pq.read_table(people).column_names == ["id", "born", "label"]
    assert pq.read_table(people).column("born").to_pylist() == [date(1950, 3, 4), None, date(1990, 1, 1)]


def test_a_value_that_cannot_be_converted_is_not_quoted_in_the_log(database, tmp_path, caplog):
    """Arrow names the value it could not convert; a value here is a person's, so only the error's kind is logged."""
    wrong = pa.schema([("id", pa.int64()), ("label", pa.int64()), ("born", pa.date32())])
    read = SideRead(
        database, check="SELECT 1", sql="SELECT id, label, born FROM people", params=[], schema=wrong,
        files={tmp_path / "x": wrong.names},
    )  # fmt: skip
    logged = failure_logged(read, caplog)
    assert "side read failed" in logged and "pyarrow" in logged
    assert "50%" not in logged and "quoted" not in logged
