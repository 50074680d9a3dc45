from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dolbom.core.http import parse_query
from dolbom.core.services import read_audit_log


class AuditLogQuery(forms.Form):
    page = forms.IntegerField(required=False, min_value=1)
    verify = forms.BooleanField(required=False)


def audit_log(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the log, their district's events only."""
    query = parse_query(request, AuditLogQuery)
    log = read_audit_log(user=request.user, page_number=query["page"], verify=query["verify"])
    context = {"page": log.page, "verification": log.verification, "active_nav": "admin"}
    return render(request, "core/audit_log.html", context)
