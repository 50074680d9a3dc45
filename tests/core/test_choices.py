"""A choice's label (`core.choices`, and the `label` filter over it) is what `get_<field>_display` shows, in the
active language, for every choice and for a value outside the choices."""

from __future__ import annotations

from django.utils import translation

from dolbom.core.choices import label_of
from dolbom.core.templatetags.dolbom import label
from dolbom.intake.models import WorkItem, WorkOutcome, WorkSource, WorkStatus


def test_label_is_the_display_of_every_choice_in_each_language():
    item = WorkItem()
    for language in ("ko", "en"):
        with translation.override(language):
            for field, values in (
                ("source", WorkSource.values),
                ("status", WorkStatus.values),
                ("outcome", [*WorkOutcome.values, ""]),
            ):
                for value in values:
                    setattr(item, field, value)
                    shown = getattr(item, f"get_{field}_display")()
                    assert label(item, field) == label_of(WorkItem, field, value) == shown, (language, field, value)
    with translation.override("ko"):
        item.source = WorkSource.values[0]
        korean = label(item, "source")
    with translation.override("en"):
        assert label(item, "source") != korean  # kept per language, not the first one asked


def test_a_value_outside_the_choices_and_no_row_at_all():
    item = WorkItem(status="no-such-status")
    assert label(item, "status") == item.get_status_display() == "no-such-status"
    assert label_of(WorkItem, "outcome", None) is None
    assert label(None, "status") == ""
