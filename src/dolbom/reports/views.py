from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.reports.selectors import dong_figures


def statistics(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "reports.view_aggregates")
    rows = dong_figures(request.user)
    audit.record(request.user, "reports.view_statistics", detail={"dongs": len(rows)})
    return render(request, "reports/statistics.html", {"rows": rows, "active_nav": "statistics"})
