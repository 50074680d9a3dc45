from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.selectors import audit_events_visible_to


def audit_log(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the log, their district's events only; looking at the log is itself logged.
    Verifying checks the whole chain (a break anywhere concerns everyone) but names only sequence numbers."""
    ensure_can(request.user, "core.view_audit_log")
    page = Paginator(audit_events_visible_to(request.user), 50).get_page(request.GET.get("page"))
    # Read the page now: the event recorded below would otherwise shift it by one row after it was counted.
    page.object_list = list(page.object_list)
    problems = list(audit.verify_chain()) if request.GET.get("verify") else None
    audit.record(request.user, "core.view_audit_log", detail={"page": page.number, "verify": problems is not None})
    return render(request, "core/audit_log.html", {"page": page, "problems": problems, "active_nav": "admin"})
