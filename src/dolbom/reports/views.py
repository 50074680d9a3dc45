from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.reports import services


def statistics(request: HttpRequest) -> HttpResponse:
    figures = services.view_statistics(user=request.user)
    context = {"rows": figures.dongs, "figures": figures, "active_nav": "statistics"}
    return render(request, "reports/statistics.html", context)
