"""The planner's statistics after a bulk load: every table has some, the empty ones included."""

from __future__ import annotations

import pytest
from django.db import connection

from dolbom.core.planner import refresh_statistics

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="sqlite_stat1 is SQLite's")
def test_every_table_has_statistics_and_an_empty_one_counts_as_small(city: object) -> None:
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'intake_consultation'")
        # Empty in the test city: recorded as one row, not left to SQLite's default of a million.
        assert [row[0] for row in cursor.fetchall()] == ["1"]
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'registry_household' AND idx IS NOT NULL")
        assert cursor.fetchall(), "a table with rows is analysed"
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT IN (SELECT tbl FROM sqlite_stat1)"
        )
        assert cursor.fetchone()[0] == 0
