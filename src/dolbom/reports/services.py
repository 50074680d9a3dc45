"""Audited reads of reports: counts are not personal data, but who looked at which figures is recorded like any
other read of the system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.reports.selectors import (
    CaseWorkFigures,
    DongFigures,
    ResourceFigures,
    case_work_figures,
    dong_figures,
    resource_figures,
)


@dataclass(frozen=True)
class Statistics:
    dongs: list[DongFigures]
    case_work: list[CaseWorkFigures]
    resources: ResourceFigures
    start: date
    end: date


def view_statistics(*, user: Any) -> Statistics:
    """The dongs' households and persons today, their case work of the year so far, and what reached them
    (linkages delivered, donated money, food-bank goods, emergency support)."""
    ensure_can(user, "reports.view_aggregates")
    end = today_kst()
    start = end.replace(month=1, day=1)
    rows = dong_figures(user, on=end)
    audit.record(user, "reports.view_statistics", detail={"dongs": len(rows)})
    return Statistics(
        dongs=rows,
        case_work=case_work_figures(user, start, end),
        resources=resource_figures(user, start, end),
        start=start,
        end=end,
    )
