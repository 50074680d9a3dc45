"""The worklist and the referral list as an Excel file (after a reason is given) and as a page to print on A4. Both
read the filters and sort of the list's own address, so that what comes out is what the page showed."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from dolbom.core.http import REFUSED, requires, show_errors, valid_data
from dolbom.core.spreadsheet import XLSX_MIME
from dolbom.intake.selectors import (
    ListKind,
    ReferralFilter,
    WorklistFilter,
    describe_referral_filters,
    describe_worklist_filters,
)
from dolbom.intake.services import export
from dolbom.intake.views.referrals import referral_filters
from dolbom.intake.views.work import worklist_filters

OTHER_REASON = "other"


class ExportReasonForm(forms.Form):
    """Why the list is downloaded: one of the usual reasons, or typed (with "other", or with no choice)."""

    preset = forms.ChoiceField(
        label=_("Reason for downloading"),
        required=False,
        choices=[
            ("", _("Choose a reason")),
            *((code, label) for code, label in export.EXPORT_PRESETS.items()),
            (OTHER_REASON, _("Other (type the reason)")),
        ],
    )
    # Its length is the service's to check, which says so in Korean.
    reason = forms.CharField(label=_("Reason in your words"), required=False)


def _filters(request: HttpRequest, kind: str) -> tuple[WorklistFilter | ReferralFilter, str, list[str]]:
    if kind == ListKind.REFERRALS:
        referral_filter, sort = referral_filters(request)
        return referral_filter, sort, describe_referral_filters(referral_filter, sort)
    work_filter, sort, _query = worklist_filters(request)
    return work_filter, sort, describe_worklist_filters(work_filter, sort, request.user)


def _list_url(request: HttpRequest, kind: str) -> str:
    url = reverse("referrals" if kind == ListKind.REFERRALS else "worklist")
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    filters, sort, words = _filters(request, kind)
    form = ExportReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        try:
            data = valid_data(form)
            preset = data.get("preset", "")
            download = export.export_list(
                user=request.user,
                kind=kind,
                filters=filters,
                sort=sort,
                preset="" if preset == OTHER_REASON else preset,
                reason=data.get("reason", ""),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = REFUSED
        else:
            response = HttpResponse(download.content, content_type=XLSX_MIME)
            response["Content-Disposition"] = content_disposition_header(True, download.filename)
            response["Cache-Control"] = "no-store"  # personal data: no copy in a browser's or a proxy's cache
            return response
    context = {
        "form": form,
        "kind": kind,
        "title": export.list_title(kind),
        "filters": words,
        "list_url": _list_url(request, kind),
        "query_string": request.GET.urlencode(),
        "active_nav": "discovery",
    }
    return render(request, "intake/export_form.html", context, status=status)


def _print(request: HttpRequest, kind: str) -> HttpResponse:
    filters, sort, _words = _filters(request, kind)
    printed = export.print_list(user=request.user, kind=kind, filters=filters, sort=sort)
    context = {
        "printed": printed,
        "visits": printed.visits,
        "title": export.list_title(kind),
        "referrals": kind == ListKind.REFERRALS,
        "cut_notice": export.cut_notice(printed.visits) if printed.visits.truncated else "",
        "list_url": _list_url(request, kind),
    }
    return render(request, "intake/print_list.html", context)


@require_http_methods(["GET", "POST"])
@requires("intake.view_worklist")
def worklist_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ListKind.WORKLIST)


@require_safe
@requires("intake.view_worklist")
def worklist_print(request: HttpRequest) -> HttpResponse:
    return _print(request, ListKind.WORKLIST)


@require_http_methods(["GET", "POST"])
@requires("intake.view_worklist")
def referrals_export(request: HttpRequest) -> HttpResponse:
    return _export(request, ListKind.REFERRALS)


@require_safe
@requires("intake.view_worklist")
def referrals_print(request: HttpRequest) -> HttpResponse:
    return _print(request, ListKind.REFERRALS)
