"""Table statistics for the database's query planner, refreshed after bulk loads.

Without statistics SQLite assumes every table holds about a million rows and, for a page scoped through a
household (`household__dong__parent`), starts from the district's households — at 100 k households the undecided
consultations of the today page took 60 ms to find none. With `ANALYZE` it starts from the small table. PostgreSQL
keeps its own statistics (autovacuum); an explicit `ANALYZE` after a bulk load only makes them current at once.
"""

from __future__ import annotations

from django.db import connections

# Rows SQLite reads per index when analysing: enough for the planner's estimates, and `ANALYZE` of a 100 k
# household database stays in the tens of milliseconds (https://sqlite.org/lang_analyze.html#approx).
ANALYSIS_LIMIT = 1000


def refresh_statistics(using: str = "default") -> None:
    """Bring the planner's table statistics up to date (after a bulk load: a generated city, an import)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            return
        if connection.vendor != "sqlite":
            return
        cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
        # ANALYZE records nothing for an empty table, and SQLite then assumes a million rows there: a page would
        # start from a full table to join it to the empty one. Recording one row says what is true now; the next
        # refresh replaces it (SQLite documents editing sqlite_stat1: https://sqlite.org/optoverview.html#manctrl).
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT IN (SELECT tbl FROM sqlite_stat1)"
        )
        empty = [name for (name,) in cursor.fetchall()]
        cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, NULL, '1')", [(t,) for t in empty])
        # Reload the statistics into this connection (the others read them when they open).
        cursor.execute("ANALYZE sqlite_schema")
