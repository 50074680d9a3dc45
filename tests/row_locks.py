"""Two transactions at once on PostgreSQL: one holds its locks in another thread while the test's own waits for
them, released once PostgreSQL says the test's transaction is waiting (asked, not timed)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from threading import Thread

import pytest
from django.db import connection, transaction

# Decided before any fixture runs: on SQLite (one writing transaction at a time, the audit log not flushable by a
# transactional test) there is no race to show.
ROW_LOCKS = pytest.mark.skipif(
    not os.environ.get("DOLBOM_DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="row locks between two transactions: PostgreSQL only",
)


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def in_transaction_elsewhere(work: Callable[[], object], held: threading.Event, release: threading.Event) -> Thread:
    """Run `work` in a transaction of another connection, and keep it open (its row locks held) until `release`."""

    def run() -> None:
        try:
            with transaction.atomic():
                work()
                held.set()
                assert release.wait(30)
        finally:
            held.set()
            connection.close()

    thread = Thread(target=run)
    thread.start()
    assert held.wait(30)
    return thread


def release_once_waiting(release: threading.Event) -> Thread:
    """Let the other transaction commit once this one is waiting for its lock (asked of PostgreSQL, not timed)."""

    def watch() -> None:
        try:
            while not release.is_set() and not waiting_on_a_lock():
                release.wait(0.02)
        finally:
            release.set()
            connection.close()

    thread = Thread(target=watch)
    thread.start()
    return thread
