from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.selectors import audit_events_visible_to


def audit_log(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the log, their district's events only; looking at the log is itself logged.
    Verifying checks the whole chain and the configured anchor file (a break anywhere concerns everyone) but names
    only sequence numbers."""
    ensure_can(request.user, "core.view_audit_log")
    page = Paginator(audit_events_visible_to(request.user), 50).get_page(request.GET.get("page"))
    # Read the page now: the event recorded below would otherwise shift it by one row after it was counted.
    page.object_list = list(page.object_list)
    verification = audit.verify() if request.GET.get("verify") else None
    detail = {"page": page.number, "verify": verification is not None}
    if verification is not None:
        detail["problems"] = len(verification.problems)
    audit.record(request.user, "core.view_audit_log", detail=detail)
    context = {"page": page, "verification": verification, "active_nav": "admin"}
    return render(request, "core/audit_log.html", context)
