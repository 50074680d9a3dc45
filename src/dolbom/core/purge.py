"""Deleting rows for good together with every row that refers to them, for retention (`dolbom retention purge`).

Every foreign key of the schema is PROTECT: nothing the application does can delete a record's history by
accident, and Django's `delete()` refuses. A purge past a retention period is the one deliberate exception, so it
walks the references itself: from the rows to purge, every row of any model that points at them (the reverse
relations, the hidden many-to-many tables included), and again from those, until nothing new is found. The
caller gets the whole set first, per model, and decides whether it may go (a domain purges only its own tables).
The audit log refers to records by type and id, not by foreign key, so it is never part of the set: it keeps its
own retention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models

BATCH = 500


@dataclass
class Dependents:
    """Rows to delete, per model, in the order they were found (the rows asked for first)."""

    rows: dict[type[models.Model], set[object]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {model._meta.label_lower: len(pks) for model, pks in self.rows.items() if pks}

    @property
    def total(self) -> int:
        return sum(len(pks) for pks in self.rows.values())

    def labels(self) -> set[str]:
        return {model._meta.label_lower for model, pks in self.rows.items() if pks}


def _references(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if (f.one_to_many or f.one_to_one) and f.auto_created and not f.concrete
    ]


def _chunks(values: list[object]) -> Iterable[list[object]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def collect(queryset: models.QuerySet) -> Dependents:
    """The rows of `queryset` and every row that refers to them, directly or through other such rows."""
    found = Dependents()
    pending: list[tuple[type[models.Model], set[object]]] = [
        (queryset.model, set(queryset.values_list("pk", flat=True)))
    ]
    while pending:
        model, pks = pending.pop(0)
        new = pks - found.rows.setdefault(model, set())
        if not new:
            continue
        found.rows[model] |= new
        for relation in _references(model):
            related = relation.related_model
            target = relation.field.target_field.attname if relation.field.target_field else "pk"
            values = list(new) if target in ("id", model._meta.pk.attname) else None
            if values is None:  # a key to another column than the primary key
                values = list(model._base_manager.filter(pk__in=new).values_list(target, flat=True))
            referring: set[object] = set()
            for chunk in _chunks(values):
                rows = related._base_manager.filter(**{f"{relation.field.name}__in": chunk})
                referring |= set(rows.values_list("pk", flat=True))
            if referring:
                pending.append((related, referring))
    return found


def delete(found: Dependents) -> None:
    """Delete every collected row, those that refer to others first. Call inside the transaction of the purge;
    the database checks at commit that no reference is left dangling (its keys are deferred)."""
    for model, pks in reversed(list(found.rows.items())):
        for chunk in _chunks(sorted(pks, key=str)):
            model._base_manager.filter(pk__in=chunk)._raw_delete(model._base_manager.db)
