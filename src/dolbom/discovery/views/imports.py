"""Pages for crisis-signal files: the list of imported files and the upload form (district staff only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from dolbom.core.http import parse_query, requires, show_errors
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.importing.validate import PERIOD_PATTERN
from dolbom.discovery.models import SignalFile
from dolbom.discovery.selectors import signal_files_visible_to, signal_periods_for
from dolbom.discovery.services.signals import SignalFileRejected, import_signal_file
from dolbom.registry.selectors import districts_visible_to

PAGE_SIZE = 50


def _agency_choices() -> list[tuple[str, str]]:
    agencies = [(a.code, f"{a.name} ({a.code})") for a in load_catalogue().agencies]
    return [("", _("From the file name (e.g. nhis.csv → nhis)")), *agencies]


class SignalUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Signal file"),
        help_text=_("CSV (UTF-8 or CP949), Excel (.xlsx) or Parquet, as the agency delivered it."),
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,.xlsx,.xlsm,.parquet,.pq"}),
    )
    period = forms.RegexField(
        label=_("Screening period"),
        regex=PERIOD_PATTERN,
        max_length=7,
        help_text=_("Year and month the round starts, as YYYY-MM (e.g. 2026-09)."),
        error_messages={"invalid": _("Enter the period as YYYY-MM, e.g. 2026-09.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2026-09"}),
    )
    agency = forms.ChoiceField(label=_("Providing agency"), required=False, choices=_agency_choices)
    # Hidden for the usual district staff member, who serves one district: the service then takes theirs.
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = list(districts_visible_to(user))
        self.fields["district"].choices = [(d.code, d.name) for d in districts]
        if len(districts) == 1:
            self.fields["district"].initial = districts[0].code
            self.fields["district"].widget = forms.HiddenInput()


class FilesQuery(forms.Form):
    period = forms.RegexField(regex=PERIOD_PATTERN, required=False)
    page = forms.IntegerField(required=False, min_value=1)


@requires("discovery.import_signals")
def signal_files(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, FilesQuery)
    files = signal_files_visible_to(request.user).order_by("-imported_at", "-pk")
    if query["period"]:
        files = files.filter(period=query["period"])
    page = Paginator(files, PAGE_SIZE).get_page(query["page"])
    agencies = {a.code: a.name for a in load_catalogue().agencies}
    rows = [(f, agencies.get(f.agency_code, ""), _imported_by(f)) for f in page]
    context = {
        "page": page,
        "rows": rows,
        "period": query["period"],
        "periods": signal_periods_for(request.user),
        "active_nav": "discovery",
    }
    return render(request, "discovery/signal_files.html", context)


@csrf_exempt
@requires("discovery.import_signals")
def upload(request: HttpRequest) -> HttpResponse:
    """Upload and import one file. The body is streamed to a temporary file, never held in memory whole: the upload
    handlers must be set before anything reads the body, so CSRF is checked in `_upload` instead of by the
    middleware (the pattern Django documents for changing upload handlers). The role is checked before the body
    is read, so that a user who may not import cannot make the server store a file."""
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"active_nav": "discovery"}
    status = 200
    if request.method == "POST":
        form = SignalUploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            period = form.cleaned_data["period"]
            try:
                context["result"] = import_signal_file(
                    user=request.user,
                    path=Path(uploaded.temporary_file_path()),
                    period=period,
                    agency_code=form.cleaned_data["agency"] or None,
                    district_code=form.cleaned_data["district"] or None,
                    original_name=uploaded.name,
                )
                form = SignalUploadForm(initial={"period": period}, user=request.user)
            except SignalFileRejected as rejected:
                context["report"] = rejected.report
                status = 422
            except ValidationError as refused:
                show_errors(form, refused)
                status = 422
            finally:
                uploaded.close()  # removes the temporary copy
        else:
            status = 422
    else:
        form = SignalUploadForm(initial={"period": timezone.localdate().strftime("%Y-%m")}, user=request.user)
    context["form"] = form
    return render(request, "discovery/signal_upload.html", context, status=status)


def _imported_by(signal_file: SignalFile) -> str:
    user = signal_file.imported_by
    if user is None:
        return "system"
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else user.get_username()
