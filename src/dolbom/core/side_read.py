"""A query's rows read into a Parquet file by a second process, on a connection of its own, while the caller reads
something else.

Why a process: a district's registry snapshot is one join over a million members, and Python's database drivers
build a tuple per row while holding the interpreter's lock, so a second thread in the same process is slower than
one (measured: docs/benchmarks.md), while a second process uses the machine's second core.

The child gets its request on stdin (the connection's parameters, a password among them, are never on its command
line or in its environment), opens its own connection and runs, in one read-only transaction, a check statement and
then the query. It writes the query's rows, in the schema it was given, to the Parquet files it was named (each with
the columns asked of it, so that the caller can use them as they are), and prints the check's value and the number
of rows as one line of JSON. The check lets the caller tell whether the child saw
the database as the caller did (the registry's revision, in discovery/screening/snapshot.py). Nothing is retried
here: a child that fails is the caller's to replace by reading the rows itself.

Date columns travel as ISO text and are parsed by Arrow a batch at a time: a Python date built per value by the
driver took a sixth of the snapshot at 500,000 households.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dolbom.core.processes import end_child
from dolbom.core.without_pandas import forbid_pandas

logger = logging.getLogger(__name__)

BATCH_ROWS = 20_000
# Keys of Django's database OPTIONS that are Django's or psycopg's own, not libpq connection parameters.
NOT_LIBPQ = frozenset({"isolation_level", "assume_role", "server_side_binding", "pool", "cursor_factory", "context"})
# Django writes `%s` placeholders and `%%` for a literal percent; sqlite3 takes `?` (as Django's own SQLite cursor
# converts them: django/db/backends/sqlite3/base.py, FORMAT_QMARK_REGEX).
_FORMAT_MARK = re.compile(r"(?<!%)%s")


def wire_schema(schema: pa.Schema) -> pa.Schema:
    """The schema as the rows arrive: date columns as their ISO text."""
    return pa.schema([f.with_type(pa.string()) if pa.types.is_date(f.type) else f for f in schema])


def rows_as_batches(cursor: Any, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """An executed DB-API cursor's rows (in the schema's column order, dates selected as text) as Arrow batches in
    the schema, `fetchmany` a batch at a time."""
    wire = wire_schema(schema)
    struct = pa.struct(list(wire))
    while rows := cursor.fetchmany(batch_rows):
        # One call for the whole batch (a struct array split into its columns): transposing the rows in Python
        # first costs a hundred times more.
        batch = pa.RecordBatch.from_arrays(pa.array(rows, type=struct).flatten(), schema=wire)
        yield batch if wire.equals(schema) else batch.cast(schema)


def database_spec(connection: Any) -> dict[str, Any] | None:
    """What a child needs to open the same database as Django's `connection`, or None where another process cannot
    (an in-memory SQLite database, as in tests; a database other than SQLite or PostgreSQL)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.is_in_memory_db():
            return None
        return {"vendor": "sqlite", "path": str(Path(settings["NAME"]).resolve())}
    if connection.vendor == "postgresql":
        params = {
            "dbname": settings["NAME"],
            "user": settings["USER"],
            "password": settings["PASSWORD"],
            "host": settings["HOST"],
            "port": settings["PORT"],
        }
        options = settings.get("OPTIONS", {})
        params.update({k: v for k, v in options.items() if k not in NOT_LIBPQ and isinstance(v, str | int)})
        return {"vendor": "postgresql", "params": {k: str(v) for k, v in params.items() if v not in (None, "")}}
    return None


def _encoded(value: Any) -> list[str]:
    if isinstance(value, datetime):
        raise TypeError("a side read takes dates, not times")  # a zone would be lost on the way
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, int | str):
        return [type(value).__name__, str(value)]
    raise TypeError(f"a side read cannot pass a parameter of type {type(value).__name__}")


def _decoded(pair: list[str]) -> Any:
    kind, text = pair
    return {"date": date.fromisoformat, "int": int, "str": str}[kind](text)


@dataclass(frozen=True)
class SideResult:
    check: Any  # the check statement's value, as the child's transaction saw it
    rows: int


class SideRead:
    """The caller's end: start the child on a request, then collect its result."""

    def __init__(
        self,
        database: dict[str, Any],
        *,
        check: str,
        sql: str,
        params: Sequence[Any],
        schema: pa.Schema,
        files: Mapping[Path, Sequence[str]],
    ) -> None:
        """`files`: each file to write, with the columns of `schema` it holds."""
        request = {
            "database": database,
            "check": check,
            "sql": sql,
            "params": [_encoded(p) for p in params],
            "schema": base64.b64encode(schema.serialize().to_pybytes()).decode("ascii"),
            "files": {str(path): list(columns) for path, columns in files.items()},
        }
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - read in result(), closed in close()
        # libpq's own settings (PGSSLROOTCERT, PGSERVICEFILE…) and the home its password file is found in; none of
        # the service's keys.
        env = {k: v for k, v in os.environ.items() if k.startswith("PG") or k in ("HOME", "TZ")}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-I", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env={**env, "LANG": "C.UTF-8"},
        )
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode("utf-8"))
            self._process.stdin.close()
        except BrokenPipeError:  # the child died at start; result() says so
            pass

    def result(self, timeout: float) -> SideResult | None:
        """Wait for the child: its check value and row count, or None if it failed or ran past `timeout` seconds
        (why is logged)."""
        try:
            self._process.wait(timeout=timeout)  # its stdout is one short line, written at the end: no pipe to drain
        except subprocess.TimeoutExpired:
            self.close()
            logger.warning("side read stopped after %s s", timeout)
            return None
        if self._process.returncode != 0:
            self._errors.seek(0)
            tail = self._errors.read()[-2000:].decode("utf-8", "replace")
            logger.warning("side read failed (exit %s): %s", self._process.returncode, tail)
            return None
        assert self._process.stdout is not None
        found = json.loads(self._process.stdout.read())
        return SideResult(check=found["check"], rows=int(found["rows"]))

    def close(self) -> None:
        end_child(self._process)
        self._errors.close()


# ----------------------------------------------------------------------------------------------------------- child


def _die_with_parent() -> None:
    """Linux: the kernel kills this process if the one that started it dies (a worker killed half way), so that no
    reader outlives its round. Elsewhere the caller's close() is the only guard."""
    try:
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _connect(database: dict[str, Any]) -> tuple[Any, str]:
    """A connection already inside a read-only transaction, and the placeholder style its driver takes."""
    if database["vendor"] == "sqlite":
        import sqlite3

        uri = Path(database["path"]).as_uri() + "?mode=ro"
        con = sqlite3.connect(uri, uri=True, isolation_level=None)
        # Deferred: SQLite fixes what the transaction sees at its first read, the check statement.
        con.execute("BEGIN")
        return con, "qmark"
    import psycopg

    con = psycopg.connect(**database["params"])
    con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    return con, "format"


def _child(request: dict[str, Any]) -> dict[str, Any]:
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(request["schema"])))
    params = [_decoded(p) for p in request["params"]]
    con, style = _connect(request["database"])
    try:
        cursor = con.cursor()
        cursor.execute(request["check"])
        (check,) = cursor.fetchone()
        sql = _FORMAT_MARK.sub("?", request["sql"]).replace("%%", "%") if style == "qmark" else request["sql"]
        cursor.execute(sql, params)
        rows = 0
        writers = {
            pq.ParquetWriter(path, pa.schema([schema.field(c) for c in columns]), compression="none"): columns
            for path, columns in request["files"].items()
        }
        try:
            for batch in rows_as_batches(cursor, schema):
                for writer, columns in writers.items():
                    writer.write_batch(batch.select(columns))
                rows += batch.num_rows
        finally:
            for writer in writers:
                writer.close()
        return {"check": check, "rows": rows}
    finally:
        con.close()


def _reason(exc: BaseException) -> str:
    """What the caller logs of a failure: the error's kind, and the database's own message (a missing table, a
    refused connection). Not Arrow's or Python's messages, which quote the value they could not convert, and a value
    here is a person's."""
    kind = f"{type(exc).__module__}.{type(exc).__name__}"
    database_error = type(exc).__module__.split(".")[0] in ("sqlite3", "psycopg")
    return f"{kind}: {exc}" if database_error else kind


def main() -> int:
    _die_with_parent()
    forbid_pandas()
    request = json.loads(sys.stdin.buffer.read())
    os.umask(0o077)  # the file holds personal data: the owner's only, like every file of the round's folder
    try:
        result = _child(request)
    except Exception as exc:  # every failure is reported the same way, without the values it quotes
        sys.stderr.write(_reason(exc) + "\n")
        return 2
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
