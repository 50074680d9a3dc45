from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.core import audit
from dolbom.core.models import AuditEvent
from dolbom.core.permissions import ensure_can


def audit_log(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the log; looking at the log is itself logged."""
    ensure_can(request.user, "core.view_audit_log")
    page = Paginator(AuditEvent.objects.all(), 50).get_page(request.GET.get("page"))
    problems = list(audit.verify_chain()) if request.GET.get("verify") else None
    audit.record(request.user, "core.view_audit_log", detail={"page": page.number, "verify": problems is not None})
    return render(request, "core/audit_log.html", {"page": page, "problems": problems, "active_nav": "admin"})
