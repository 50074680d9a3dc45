"""Inserting many new rows at once: through PostgreSQL's COPY, and SQLite's prepared statement run per row.

Django has no COPY. Its `bulk_create` on PostgreSQL sends one INSERT … UNNEST per batch with every value bound
on the client, and that is what costs: a screening round's 4,954 outreach items (their reasons as JSON) took about
1.1 s that way, against 0.13 s for a bare COPY of the same values. Measured side by side on a busy machine (the
million-household city, in rolled-back transactions), `bulk_create` took 1.4-2.3 s and `bulk_insert` 0.3-0.7 s.
`bulk_insert` writes the rows through COPY on PostgreSQL and through one prepared INSERT run for every row
(`executemany`) on SQLite, where `bulk_create` builds and binds a statement of many rows a batch (Django
compiles each value's placeholder on the way: ~40 % of a round's write at 100,000 households); other databases
get `bulk_create`. The values come from each field as Django's INSERT takes them, so the rows are the same
whichever way they are written. `insert_rows` writes rows given as tuples of values the same way, without making
a model instance for each.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, transaction


def bulk_insert(model: type[models.Model], objs: Iterable[models.Model], *, batch_size: int) -> None:
    """Insert the unsaved instances `objs` of `model`, as `model.objects.bulk_create(objs, batch_size=…)` would.

    Unlike `bulk_create` it returns nothing, and the instances keep no primary key (neither COPY nor
    `executemany` returns ids): use it where the caller does not need the created rows back. No signals are sent,
    as with `bulk_create`.
    A value that is an SQL expression (a `db_default`, an `F()`, a `Value()`) needs an INSERT: such a set is
    written by `bulk_create` on every database. `batch_size` is bulk_create's: COPY sends every row in one statement.
    Inside a transaction, a failure leaves nothing written."""
    objs = list(objs)
    if not objs:
        return
    manager = model._default_manager
    connection = connections[manager.db]
    if connection.vendor not in ("postgresql", "sqlite"):
        manager.bulk_create(objs, batch_size=batch_size)
        return
    opts = model._meta
    _refuse_inherited(opts)
    fields = [f for f in opts.concrete_fields if not f.generated]
    # The steps of bulk_create before its INSERT: a pk the field makes itself (a UUID, say), related objects'
    # ids taken now (an instance assigned before it was saved), and an unsaved related object refused.
    for obj in objs:
        if obj.pk is None:
            obj.pk = opts.pk.get_pk_value_on_save(obj)
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    with_pk = [o for o in objs if o.pk is not None]
    without_pk = [o for o in objs if o.pk is None]
    groups = [(with_pk, fields), (without_pk, [f for f in fields if not isinstance(f, models.AutoField)])]
    # All values first, so that nothing is written when one of them needs an INSERT.
    prepared = []
    for group, group_fields in groups:
        if not group:
            continue
        plans = [(f, _as_is(f)) for f in group_fields]
        rows = [[_value(f, as_is, o, connection) for f, as_is in plans] for o in group]
        if any(hasattr(value, "resolve_expression") for row in rows for value in row):
            manager.bulk_create(objs, batch_size=batch_size)
            return
        prepared.append((group_fields, rows))
    _write(model, connection, prepared)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], *, batch_size: int
) -> int:
    """Insert new rows of `model` given as the values of `fields` (field names; a relation's value is the related
    row's primary key), as `bulk_insert` writes the instances `model(**dict(zip(fields, row)))`, without making
    them: for a round's 5,000 outreach items, making the instances and reading their values back took longer than
    the write itself. The model's other fields take their defaults as a new instance has them (a callable default
    called for each row, `auto_now_add` the time of the call); the primary key must be given unless the database
    makes it. A value that is an SQL expression is refused. `batch_size` is bulk_create's, on a database other than
    PostgreSQL or SQLite. Returns the number of rows."""
    opts = model._meta
    given = [opts.get_field(name) for name in fields]
    manager = model._default_manager
    connection = connections[manager.db]
    if connection.vendor not in ("postgresql", "sqlite"):
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        manager.bulk_create(objs, batch_size=batch_size)
        return len(objs)
    _refuse_inherited(opts)
    if opts.pk not in given and not isinstance(opts.pk, models.AutoField):
        raise ValueError(f"{opts.label}: give the primary key, the database does not make it")
    # The columns not given: the database fills its own defaults (db_default); the others are written.
    others = [
        f
        for f in opts.concrete_fields
        if not f.generated and f not in given and f is not opts.pk and not f.has_db_default()
    ]
    # Defaults as a new instance has them: a constant one prepared once, a callable one (a token, say) per row.
    template = model()
    per_row = [f for f in others if f.has_default() and callable(f.default)]
    constant = {f: _value(f, _as_is(f), template, connection) for f in others if f not in per_row}
    plans = [(f, _as_is(f)) for f in given]
    prepared = []
    for row in rows:
        values = [_prepared(f, as_is, value, connection) for (f, as_is), value in zip(plans, row, strict=True)]
        values.extend(constant.values())
        values.extend(f.get_db_prep_save(f.get_default(), connection) for f in per_row)
        prepared.append(values)
    if prepared:
        _write(model, connection, [(given + list(constant) + per_row, prepared)])
    return len(prepared)


def _refuse_inherited(opts: Any) -> None:
    for parent in opts.all_parents:
        if parent._meta.concrete_model is not opts.concrete_model:
            raise ValueError("Can't bulk insert a multi-table inherited model")


def _write(model: type[models.Model], connection: Any, prepared: list[tuple[list[models.Field], list[Any]]]) -> None:
    """Each (fields, rows of their database values) written in one transaction: COPY on PostgreSQL, one prepared
    INSERT run per row on SQLite."""
    opts = model._meta
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for group_fields, rows in prepared:
            columns = ", ".join(quote(f.column) for f in group_fields)
            if connection.vendor == "sqlite":
                placeholders = ", ".join(["%s"] * len(group_fields))
                insert = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
                # Through Django's cursor: its errors, its query log, its placeholders turned into SQLite's.
                cursor.executemany(insert, rows)
                continue
            sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
            started = time.monotonic()
            # Database errors arrive as Django's (IntegrityError and the rest), as from bulk_create.
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            _log(connection, sql, len(rows), time.monotonic() - started)


# Fields whose value Django writes unchanged, on PostgreSQL and on SQLite, when it already has the column's Python
# type (an int bound for an integer column is wrapped in psycopg's Int4 or Int8, which COPY writes as the same
# digits). Their values skip Django's preparation, a few microseconds per value that were half of COPY's time for a
# round's items. Exact classes only: a subclass may prepare its values (an encrypted field); tests/core/test_bulk.py
# checks this table against Django's own preparation.
AS_IS: dict[type[models.Field], type] = {
    **dict.fromkeys([models.AutoField, models.BigAutoField, models.SmallAutoField], int),
    **dict.fromkeys([models.IntegerField, models.BigIntegerField, models.SmallIntegerField], int),
    **dict.fromkeys([models.PositiveIntegerField, models.PositiveBigIntegerField], int),
    models.PositiveSmallIntegerField: int,
    models.FloatField: float,
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
}


def _as_is(field: models.Field) -> type | None:
    """The Python type whose values of `field` are written unchanged, if there is one."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field  # a relation writes its target's value, prepared by the target
    return AS_IS.get(type(field))


def _prepared(field: models.Field, as_is: type | None, value: Any, connection: Any) -> Any:
    """`value` of `field` as the database takes it (a given value: no pre_save)."""
    if hasattr(value, "resolve_expression"):
        raise ValueError(f"{field.name}: an SQL expression, which only an INSERT of its own can write")
    if as_is is not None and (value is None or type(value) is as_is):
        return value
    return field.get_db_prep_save(value, connection)


def _value(field: models.Field, as_is: type | None, obj: models.Model, connection: Any) -> Any:
    if as_is is not None:
        value = getattr(obj, field.attname)  # these fields' pre_save
        if value is None or type(value) is as_is:
            return value
    # pre_save: what an INSERT stores, auto_now_add and auto_now included; then the database's form of it.
    return field.get_db_prep_save(field.pre_save(obj, add=True), connection)


def _log(connection: Any, sql: str, rows: int, seconds: float) -> None:
    # The raw cursor bypasses Django's query log: record the COPY there, so that counts of queries (tests, the
    # debug log) still see the write.
    if connection.queries_logged:
        connection.queries_log.append({"sql": f"{sql} -- {rows} rows", "time": f"{seconds:.3f}"})
