"""A choice field's label, as `get_<field>_display` shows it, for lists of many rows.

Django rebuilds the field's table of choices and translates every label at each `get_…_display` call: a quarter of
the worklist's rendering at 70 rows. The table is built here once per field and language.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Field, Model
from django.utils.translation import get_language


def choice_label(instance: Model | None, field_name: str) -> Any:
    """What `instance.get_<field_name>_display()` shows in the active language ("" for no instance)."""
    if instance is None:
        return ""
    return label_of(type(instance), field_name, getattr(instance, instance._meta.get_field(field_name).attname))


def label_of(model: type[Model], field_name: str, value: Any) -> Any:
    """The label `model`'s choice field shows for `value`, read as a plain value (`values_list`), not an instance."""
    return _labels(model._meta.get_field(field_name), get_language()).get(value, value)


@lru_cache(maxsize=512)
def _labels(field: Field, language: str | None) -> dict[Any, str]:
    del language  # part of the key: the labels below are translated into the active language
    return {value: str(text) for value, text in field.flatchoices}
