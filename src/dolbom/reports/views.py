from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.reports import services


def statistics(request: HttpRequest) -> HttpResponse:
    rows = services.view_statistics(user=request.user)
    return render(request, "reports/statistics.html", {"rows": rows, "active_nav": "statistics"})
