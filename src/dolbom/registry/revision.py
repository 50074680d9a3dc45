"""Figures computed from the registry, kept until the registry changes.

The registry's revision is a number that grows with every committed change to households, persons and memberships.
Database triggers keep it (migration registry.0010), so no write path can leave it behind: the services, the
registry import, the synthetic city's bulk loader, an operator's SQL. A figure computed over a whole district (the
statistics page's per-dong counts: ~250 ms of SQL at 100,000 households) is kept in Django's cache under the
revision and the figure's own key, and computed again only once the revision has moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.backends.utils import CursorWrapper

from dolbom.registry.models import Household, Membership, Person, RegistryChange, RegistryRevision

T = TypeVar("T")

# How long a kept figure may sit unused in the cache: the revision, not this, decides whether it is still true.
KEEP_SECONDS = 24 * 3600
# PostgreSQL: rows of RegistryChange counted at each read before they are folded into the revision's row.
FOLD_AT = 1000

_REVISION = RegistryRevision._meta.db_table
_CHANGE = RegistryChange._meta.db_table
_TABLES = tuple(model._meta.db_table for model in (Household, Membership, Person))


def revision_statement(vendor: str) -> str:
    """One statement whose single value is the revision, for a connection of `vendor` that is not Django's (a
    second process reading part of a snapshot compares it with the revision its caller saw)."""
    if vendor == "postgresql":
        return f"SELECT COALESCE((SELECT value FROM {_REVISION} WHERE id = 1), 0) + (SELECT COUNT(*) FROM {_CHANGE})"  # noqa: S608
    return f"SELECT COALESCE((SELECT value FROM {_REVISION} WHERE id = 1), 0)"  # noqa: S608  # constant table name


def registry_revision() -> int:
    """The revision as this connection sees it. On PostgreSQL the triggers add a row per transaction (so that
    writers never wait on one row's lock), and the revision is the folded value plus those rows, both read in one
    statement so that a fold running meanwhile cannot be counted twice or missed."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(revision_statement(connection.vendor))
            return int(cursor.fetchone()[0])
        cursor.execute(
            f"SELECT COALESCE((SELECT value FROM {_REVISION} WHERE id = 1), 0), (SELECT COUNT(*) FROM {_CHANGE})"  # noqa: S608
        )
        value, changes = cursor.fetchone()
        if changes >= FOLD_AT and not connection.in_atomic_block:  # a fold commits at once, holding no lock after
            _fold(cursor)
        return int(value) + int(changes)


def _fold(cursor: CursorWrapper) -> None:
    """Move the committed rows of RegistryChange into the revision's value, in one statement: a reader sees the
    rows or the sum they were folded into, never both nor neither. Rows of transactions not yet committed are not
    seen here and stay for the next fold."""
    cursor.execute(
        f"WITH folded AS (DELETE FROM {_CHANGE} RETURNING 1) "  # noqa: S608
        f"INSERT INTO {_REVISION} (id, value) VALUES (1, (SELECT COUNT(*) FROM folded)) "
        f"ON CONFLICT (id) DO UPDATE SET value = {_REVISION}.value + EXCLUDED.value"
    )


def kept_until_registry_changes(key: str, compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave when the registry was last as it is now. `key` names the figure and everything
    it depends on besides the registry (the dongs, the date).

    The revision is read before computing: a change committed in between moves the revision past the one the
    figure is kept under, so the next reader computes again. Inside a transaction nothing is kept or reused: its
    own writes, which may yet be rolled back, would be in what it reads."""
    if connection.in_atomic_block:
        return compute()
    name = f"registry:{registry_revision()}:{key}"
    kept = cache.get(name)
    if kept is None:
        kept = compute()
        cache.set(name, kept, KEEP_SECONDS)
    return kept


@contextmanager
def bulk_registry_write() -> Iterator[None]:
    """Around a bulk write of the registry inside a transaction (a generated city's load, a district's import):
    the revision moves once for the whole write instead of once a row.

    SQLite has no statement triggers, and its row triggers on these wide tables more than doubled a city's load
    (100,000 households: 18 s without, 42 s with). Inside the transaction the triggers are dropped, the rows
    written, the revision moved and the triggers created again: SQLite's schema is transactional, so other
    connections never see the registry without its triggers, and a rollback brings them back with the rows.
    PostgreSQL's statement triggers cost nothing per row and are left alone."""
    if connection.vendor != "sqlite":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_registry_write() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(_TABLES))
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks}) "  # noqa: S608
            "AND name LIKE '%%revision%%'",
            _TABLES,
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        # Created again whatever happened, so that a caller that catches an error and commits the rest still
        # commits the triggers; a transaction already bound to roll back (a dry run) brings them back itself.
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
    if not connection.needs_rollback:
        _bump_once()


def _bump_once() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_REVISION} (id, value) VALUES (1, 1) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET value = value + 1"
        )
