"""Audited reads of reports: counts are not personal data, but who looked at which figures is recorded like any
other read of the system."""

from __future__ import annotations

from typing import Any

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.reports.selectors import DongFigures, dong_figures


def view_statistics(*, user: Any) -> list[DongFigures]:
    ensure_can(user, "reports.view_aggregates")
    rows = dong_figures(user)
    audit.record(user, "reports.view_statistics", detail={"dongs": len(rows)})
    return rows
