"""Querysets built once and asked again: the SQL of a page's recurring questions, kept per process.

Why: on the busiest pages (오늘 할 일, the household page) Django spent more time building each query — resolving
the scope's conditions, joining, compiling — than the database took to answer it: ~60 % of the today page and
~half of the household page at 100,000 households, against ~2 ms of SQL. Django has no prepared querysets, so this
module keeps what the ORM built: the SQL, its parameters and what the compiler knew of the rows (to turn them
into model instances, with their `select_related` objects, exactly as the ORM does). Nothing of the answers is
kept: every call asks the database.

A prepared query is named by a `key` that must hold **everything** its queryset is built from except the values
bound at each call: the user's scope (`core.scope.scope_for`: user, role, areas, agency), the date of any dated
condition, and any rule read from the database into the SQL. Values that change at every call (a household's id)
are bound instead: the queryset is built once with a placeholder for each, and the placeholder's place among the
parameters takes the value of each call. A key that misses an input would hand one user's question to another, so
with `settings.PREPARED_QUERIES_CHECKED` (on in the test suite) every call also builds its queryset afresh and fails
loudly when the SQL or the parameters differ from the kept ones: every test that opens such a page checks its keys.

Rows are read like Django's `ModelIterable` and `SQLCompiler.apply_converters` (`django.db.models`): the
converters, then `Model.from_db` with the related objects populated (tests/core/test_prepared.py compares the rows
with the ORM's, which is what to run after a Django upgrade). `prefetch_related` is not supported (refused). The
rows of a `values()` queryset (the figures' aggregates, `prepared_values`) are read like `ValuesIterable`: the
converters, then a dict of the query's names (extra, then fields, then annotations, as Django orders them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

from dolbom.core.dates import today_kst
from dolbom.core.scope import scope_for

M = TypeVar("M", bound=Model)

# Placeholders stand for bound values while the queryset is built: ids no table holds (negative, far below any
# sequence), distinct for each name, so that their places among the parameters are unambiguous.
_PLACEHOLDER_BASE = -(2**62)
KEPT_PER_THREAD = 2048


class PreparedQueryError(RuntimeError):
    """A prepared query cannot be kept as asked (a bound value vanished from its SQL), or, in checked mode, its
    key left out something the queryset is built from."""


@dataclass(frozen=True)
class _Reader:
    """What the compiler knew of the rows, taken from it once so that the compiler and its query need not be kept:
    as `ModelIterable` reads them, the model's own columns, the `select_related` objects and the annotations."""

    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    populators: list[Any]
    annotations: dict[str, int]
    width: int | None  # the columns to keep of each row when the compiler selected extra ones
    converters: list[tuple[int, tuple[list[Any], Any]]]

    @classmethod
    def of(cls, compiler: SQLCompiler, db: str) -> _Reader:
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [s[0] for s in select[: compiler.col_count]]
        return cls(
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[f[0].target.attname for f in select[start:end]],
            populators=get_related_populators(klass_info, select, db),
            annotations=dict(compiler.annotation_col_map or {}),
            width=compiler.col_count if compiler.has_extra_select else None,
            converters=list(compiler.get_converters(fields).items()),
        )

    def instances(self, rows: list[tuple[Any, ...]], db: str) -> list[Any]:
        connection = connections[db]
        objects = []
        for raw in rows:
            row = _converted(list(raw[: self.width] if self.width is not None else raw), self.converters, connection)
            obj = self.model.from_db(db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def _converted(row: list[Any], converters: list[tuple[int, tuple[list[Any], Any]]], connection: Any) -> list[Any]:
    for position, (functions, expression) in converters:
        value = row[position]
        for converter in functions:
            value = converter(value, expression, connection)
        row[position] = value
    return row


@dataclass(frozen=True)
class _ValuesReader:
    """What `ValuesIterable` knows of the rows of a `values()` queryset: the names of its columns, in the order
    Django selects them, and their converters."""

    names: tuple[str, ...]
    converters: list[tuple[int, tuple[list[Any], Any]]]

    @classmethod
    def of(cls, compiler: SQLCompiler) -> _ValuesReader:
        query = compiler.query
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        return cls(
            names=(*query.extra_select, *query.values_select, *query.annotation_select),
            converters=list(compiler.get_converters(fields).items()),
        )

    def dicts(self, rows: list[tuple[Any, ...]], db: str) -> list[dict[str, Any]]:
        connection = connections[db]
        # Not strict: a row may end with columns the ordering added, which the names leave out as Django does.
        return [dict(zip(self.names, _converted(list(raw), self.converters, connection), strict=False)) for raw in rows]


@dataclass(frozen=True)
class _Kept:
    sql: str | None  # None: the queryset can match nothing (Django raised EmptyResultSet while compiling)
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # each bound name's places among the parameters
    reader: _Reader | _ValuesReader | None  # None for counts and `prepared_value`'s statements
    db: str
    through_orm: bool = False  # not kept: built and asked through the ORM at each call (see `_prepare`)


# Per thread, as Django's connections are; the least recently asked question goes first when the thread keeps
# KEPT_PER_THREAD of them (~8 KB each; a user's today page and household page ask about twenty).
_local = threading.local()


def _kept() -> OrderedDict[Hashable, _Kept]:
    if not hasattr(_local, "queries"):
        _local.queries = OrderedDict()
    return _local.queries


def forget_prepared() -> None:
    """Drop every kept query of this thread (tests; a deadline rule changed is a new key anyway)."""
    _kept().clear()


def viewer_key(user: Any) -> Hashable:
    """The key of a question built from a scoped selector alone: the user's scope (user, role, areas, agency) and
    today's date (the scope's dated conditions: consents in force, members living there)."""
    return (scope_for(user), today_kst())


def _placeholders(names: list[str]) -> dict[str, int]:
    return {name: _PLACEHOLDER_BASE - i for i, name in enumerate(sorted(names))}


def _prepare(name: str, build: Callable[..., QuerySet[M]], bound: dict[str, int], *, counted: bool = False) -> _Kept:
    placeholders = _placeholders(list(bound))
    queryset = build(**placeholders)
    if queryset._prefetch_related_lookups:
        raise PreparedQueryError(f"{name}: prefetch_related is not supported by prepared queries")
    if counted:  # the rows' number, as the badge's counts are asked: the ORM's SQL inside, every value a parameter
        queryset = queryset.order_by().values("pk")
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        # Nothing can match. With bound values that may be the placeholders' doing (Django answers a lookup by a
        # number outside a small integer column's range with no rows): such a question is asked through the ORM
        # at each call instead of being kept as empty.
        return _Kept(None, (), {}, None, queryset.db, through_orm=bool(bound))
    reader: _Reader | _ValuesReader | None = None
    if counted:
        sql = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608
    elif queryset._iterable_class is ValuesIterable:
        reader = _ValuesReader.of(compiler)
    else:
        reader = _Reader.of(compiler, queryset.db)
    params = tuple(params)
    slots = {n: tuple(i for i, p in enumerate(params) if p == value) for n, value in placeholders.items()}
    if missing := [n for n, places in slots.items() if not places]:
        raise PreparedQueryError(f"{name}: the bound value(s) {', '.join(missing)} do not reach the SQL as parameters")
    return _Kept(sql, params, slots, reader, queryset.db)


def _storable(bound: dict[str, int]) -> bool:
    """Whether every bound value fits the 64-bit integers ids are stored as. No row has an id beyond them (Django
    answers such a lookup with no rows, and so does a prepared query), and the drivers refuse to bind one: a
    hand-edited URL with a twenty-digit id is a 404, not an error."""
    return all(-(2**63) <= value < 2**63 for value in bound.values())


def _bind(kept: _Kept, bound: dict[str, int]) -> list[Any]:
    params = list(kept.params)
    for name, places in kept.slots.items():
        for place in places:
            params[place] = bound[name]
    return params


def _check(name: str, kept: _Kept, build: Callable[..., QuerySet[M]], bound: dict[str, int], *, counted: bool) -> None:
    fresh = _prepare(name, build, bound, counted=counted)
    if (fresh.sql, fresh.params, fresh.slots) != (kept.sql, kept.params, kept.slots):
        raise PreparedQueryError(
            f"{name}: the kept query differs from the one built now, so its key leaves out one of its inputs\n"
            f"kept:  {kept.sql} {kept.params}\nbuilt: {fresh.sql} {fresh.params}"
        )


def _kept_for(
    name: str, build: Callable[..., QuerySet[M]], key: Hashable, bound: dict[str, int], *, counted: bool
) -> _Kept:
    for value in bound.values():
        if not isinstance(value, int) or isinstance(value, bool):
            raise PreparedQueryError(f"{name}: only whole numbers (ids) can be bound, not {type(value).__name__}")
    cache = _kept()
    full_key = (name, counted, key, tuple(sorted(bound)))
    kept = cache.get(full_key)
    if kept is None:
        kept = _prepare(name, build, bound, counted=counted)
        _keep(cache, full_key, kept)
    else:
        cache.move_to_end(full_key)
        if getattr(settings, "PREPARED_QUERIES_CHECKED", False):
            _check(name, kept, build, bound, counted=counted)
    return kept


def _keep(cache: OrderedDict[Hashable, _Kept], key: Hashable, kept: _Kept) -> None:
    cache[key] = kept
    while len(cache) > KEPT_PER_THREAD:
        cache.popitem(last=False)


def prepared_list(name: str, build: Callable[..., QuerySet[M]], *, key: Hashable, **bound: int) -> list[M]:
    """The rows of `build(**placeholders)`, with `bound`'s values in the placeholders' places, built once per
    (`name`, `key`) in this thread. `build` must depend on nothing but what `key` holds and its own arguments."""
    kept = _kept_for(name, build, key, bound, counted=False)
    if kept.through_orm:
        return list(build(**bound))
    if kept.sql is None or kept.reader is None or not _storable(bound):
        return []
    if not isinstance(kept.reader, _Reader):
        raise PreparedQueryError(f"{name}: a values() queryset is read with prepared_values")
    with connections[kept.db].cursor() as cursor:
        cursor.execute(kept.sql, _bind(kept, bound))
        rows = cursor.fetchall()
    return kept.reader.instances(rows, kept.db)


def prepared_values(name: str, build: Callable[[], QuerySet[Any]], *, key: Hashable) -> list[dict[str, Any]]:
    """The rows of the `values()` queryset `build()` as dicts, as the ORM gives them, the queryset built once per
    (`name`, `key`) in this thread: for the aggregates of a page of figures, whose dozen querysets Django took
    longer to build than the database to answer."""
    kept = _kept_for(name, build, key, {}, counted=False)
    if kept.sql is None:
        return []
    if not isinstance(kept.reader, _ValuesReader):
        raise PreparedQueryError(f"{name}: only a values() queryset (rows as dicts) is read with prepared_values")
    with connections[kept.db].cursor() as cursor:
        cursor.execute(kept.sql, list(kept.params))
        rows = cursor.fetchall()
    return kept.reader.dicts(rows, kept.db)


def prepared_value(name: str, build: Callable[[], tuple[str, tuple[Any, ...]]], *, key: Hashable) -> Any:
    """The one value of a statement whose SQL `build` writes around the ORM's own (every value a parameter), kept
    per (`name`, `key`) like `prepared_list`."""
    cache = _kept()
    full_key = (name, "value", key)
    kept = cache.get(full_key)
    checked = getattr(settings, "PREPARED_QUERIES_CHECKED", False)
    if kept is None or checked:
        sql, params = build()
        fresh = _Kept(sql, tuple(params), {}, None, DEFAULT_DB_ALIAS)
        if kept is not None and (kept.sql, kept.params) != (fresh.sql, fresh.params):
            raise PreparedQueryError(
                f"{name}: the kept query differs from the one built now, so its key leaves out one of its inputs"
            )
        if kept is None:
            _keep(cache, full_key, fresh)
            kept = fresh
        else:
            cache.move_to_end(full_key)
    with connections[kept.db].cursor() as cursor:
        cursor.execute(kept.sql, list(kept.params))
        return cursor.fetchone()[0]


def prepared_count(name: str, build: Callable[..., QuerySet[M]], *, key: Hashable, **bound: int) -> int:
    """How many rows `build(**placeholders)` has, kept like `prepared_list`."""
    kept = _kept_for(name, build, key, bound, counted=True)
    if kept.through_orm:
        return build(**bound).count()
    if kept.sql is None or not _storable(bound):
        return 0
    with connections[kept.db].cursor() as cursor:
        cursor.execute(kept.sql, _bind(kept, bound))
        return int(cursor.fetchone()[0])
