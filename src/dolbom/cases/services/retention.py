"""Closed cases past their retention period (docs/operations.md, "Retention"): counted for `dolbom retention
report`, deleted with everything recorded under them (moves, plans and goals, linkages and their steps, agenda
items, monitoring notes, follow-up checks) by `dolbom retention purge --confirm`.

Only a case that is closed, its follow-up checks done, is ever purged; one in follow-up or reopened is not, however
old its first closing. The household, its persons and the intake records that led to the case stay: they are the
registry's and intake's, with their own grounds. The purge is recorded in the audit log as counts only."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.cases.models import Case, CaseState
from dolbom.core import audit
from dolbom.core import purge as rows

PURGE_ACTION = "cases.retention_purge"


def closed_cases_before(closed_before: date) -> int:
    """How many cases were closed (for good) before this date."""
    return _closed_before(closed_before).count()


def _closed_before(closed_before: date):  # noqa: ANN202 - a QuerySet of Case
    return Case.objects.filter(state=CaseState.CLOSED, closed_on__lt=closed_before)


def purge_closed_cases(*, closed_before: date, operator: str, rule_version: str) -> dict[str, int]:
    """Delete the cases closed before `closed_before` and every row recorded under them; return the counts per
    table. One transaction with its audit event: all or nothing."""
    with transaction.atomic():
        found = rows.collect(_closed_before(closed_before).select_for_update())
        foreign = sorted(label for label in found.labels() if not label.startswith("cases."))
        if foreign:
            # A table of another domain now refers to cases: that domain must decide what its rows become.
            message = _("Rows of %(tables)s refer to the cases to purge: nothing was purged.")
            raise ValidationError(message % {"tables": ", ".join(foreign)})
        counts = found.counts()
        if not counts:
            return {}
        rows.delete(found)
        detail = {
            "closed_before": closed_before.isoformat(),
            "cases": counts.get("cases.case", 0),
            "rows": counts,
            "rules": rule_version,
            "operator": operator,
        }
        audit.record(None, PURGE_ACTION, detail=detail)
    return counts
