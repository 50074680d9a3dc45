"""Pages for crisis-signal files: the list of imported files, the upload form and the withdrawal of an import made
by mistake (district staff only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from dolbom.core.http import parse_query, requires, show_errors
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.services import JobBusy
from dolbom.core.scope import visible_or_404
from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.importing.limits import Limits, megabytes
from dolbom.discovery.importing.upload import SignalUploadHandler, too_large_request
from dolbom.discovery.importing.validate import PERIOD_PATTERN
from dolbom.discovery.selectors import rounds_that_read, signal_files_visible_to, signal_periods_for
from dolbom.discovery.services.signal_jobs import IMPORT_KIND, confirm_import_period, queue_signal_import
from dolbom.discovery.services.signals import (
    WITHDRAW_REASON_MIN,
    ImportReport,
    SignalFileRejected,
    may_withdraw,
    refuse_oversized_upload,
    used_by_rounds,
    withdraw_signal_file,
)
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
    # No default: a period filled in for the user was how September's files came to be imported as November's.
    period = forms.RegexField(
        label=_("Screening period"),
        regex=PERIOD_PATTERN,
        max_length=7,
        help_text=_("Year and month the round starts, as YYYY-MM (e.g. 2026-09). Type the period the file is for."),
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


class UploadQuery(forms.Form):
    """`?period=`: the period of the file just imported, kept for the next file of the same delivery."""

    period = forms.RegexField(regex=PERIOD_PATTERN, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the import withdrawn?"),
        max_length=500,
        help_text=_("At least five characters, e.g. 'imported under the wrong period (was 2026-09)'. Recorded."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


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
    read_by = rounds_that_read(page)
    rows = [
        {
            "file": f,
            "agency": agencies.get(f.agency_code, ""),
            "by": _staff_name(f.imported_by),
            "withdrawn_by": _staff_name(f.withdrawn_by) if f.withdrawn else "",
            "rounds": read_by.get(f.pk, []),
            "may_withdraw": not f.withdrawn and f.pk not in read_by and may_withdraw(request.user, f),
        }
        for f in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "period": query["period"],
        "periods": signal_periods_for(request.user),
        "jobs": [
            j
            for j in recent_jobs(request.user, IMPORT_KIND)
            if j.params.get("period") in (query["period"], None) or not query["period"]
        ],
        "active_nav": "discovery",
    }
    return render(request, "discovery/signal_files.html", context)


@csrf_exempt
@requires("discovery.import_signals")
def upload(request: HttpRequest) -> HttpResponse:
    """Upload and import one file. The body is streamed to a nameless private file, up to the size limit of the
    file's format (importing.upload), never held in memory whole: the upload handlers must be set before anything
    reads the body, so CSRF is checked in `_upload` instead of by the middleware (the pattern Django documents for
    changing upload handlers). The role is checked (`requires`) and a request larger than any file may be is
    refused before the body is read, so that nobody can make the server store what it will not import."""
    limits = Limits.from_settings()
    handler = SignalUploadHandler(request, limits=limits)
    request.upload_handlers = [handler]
    if request.method == "POST" and too_large_request(request, limits):
        largest = max(limits.max_bytes, key=lambda f: limits.max_bytes[f])
        size = int(request.META["CONTENT_LENGTH"])
        report = refuse_oversized_upload(
            user=request.user,
            file_name=str(_("the uploaded file")),
            file_format=largest,
            limit=limits.max_bytes[largest],
            received=size,
        )
        return _refused_too_large(request, report, limits)
    return _upload(request, handler=handler, limits=limits)


def _refused_too_large(request: HttpRequest, report: ImportReport, limits: Limits) -> HttpResponse:
    form = SignalUploadForm(user=request.user)
    context = {"active_nav": "discovery", "form": form, "report": report, **_limit_context(limits)}
    return render(request, "discovery/signal_upload.html", context, status=413)


def _limit_context(limits: Limits) -> dict[str, str]:
    return {
        "limit_csv": megabytes(limits.max_bytes["csv"]),
        "limit_xlsx": megabytes(limits.max_bytes["xlsx"]),
        "limit_parquet": megabytes(limits.max_bytes["parquet"]),
        "limit_rows": f"{limits.max_rows:,}",
    }


@csrf_protect
def _upload(request: HttpRequest, *, handler: SignalUploadHandler, limits: Limits) -> HttpResponse:
    """What can be refused at once is shown here (the form, the size, the district, the agency, an earlier import
    of the same bytes); the rows are checked by the import job, whose page the importer is sent to."""
    context: dict[str, object] = {"active_nav": "discovery", **_limit_context(limits)}
    status = 200
    if request.method == "POST":
        form = SignalUploadForm(request.POST, request.FILES, user=request.user)
        if handler.oversize is not None:  # stopped while it arrived: say why, not "this field is required"
            stopped = handler.oversize
            context["report"] = refuse_oversized_upload(
                user=request.user,
                file_name=stopped.file_name,
                file_format=stopped.file_format,
                limit=stopped.limit,
                received=stopped.received,
            )
            status = 413
            form = SignalUploadForm(initial={"period": request.POST.get("period", "")}, user=request.user)
        elif form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                job = queue_signal_import(
                    user=request.user,
                    path=Path(uploaded.temporary_file_path()),
                    name=uploaded.name,
                    period=form.cleaned_data["period"],
                    agency_code=form.cleaned_data["agency"] or None,
                    district_code=form.cleaned_data["district"] or None,
                )
            except JobBusy as busy:  # the same file is being imported (a double click): follow that import
                messages.info(request, " ".join(busy.messages))
                return redirect("job_detail", job_id=busy.job.pk)
            except SignalFileRejected as rejected:
                context["report"] = rejected.report
                status = 422
            except ValidationError as refused:
                show_errors(form, refused)
                status = 422
            else:
                return redirect("job_detail", job_id=job.pk)
            finally:
                uploaded.close()  # the copy had no name; closing it frees its space
        else:
            status = 422
    else:
        query = parse_query(request, UploadQuery)
        form = SignalUploadForm(initial={"period": query["period"] or ""}, user=request.user)
    context["form"] = form
    return render(request, "discovery/signal_upload.html", context, status=status)


@require_POST
@requires("discovery.import_signals")
def confirm_period(request: HttpRequest, job_id: int) -> HttpResponse:
    """The period question of an import job answered "it is right": the same file is imported again, confirmed."""
    try:
        again = confirm_import_period(user=request.user, job_id=job_id)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=again.pk)


@requires("discovery.withdraw_own_import")
def withdraw(request: HttpRequest, file_id: int) -> HttpResponse:
    """The confirmation page of a withdrawal (what it does, the reason asked), and the withdrawal itself."""
    signal_file = visible_or_404(signal_files_visible_to(request.user), file_id)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                withdraw_signal_file(user=request.user, signal_file_id=file_id, reason=form.cleaned_data["reason"])
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                message = gettext("The import of %(name)s (%(period)s) was withdrawn and its stored file removed.")
                messages.success(request, message % {"name": signal_file.original_name, "period": signal_file.period})
                return redirect(reverse("signal_files") + f"?period={signal_file.period}")
        status = 422
    rounds = rounds_that_read([signal_file]).get(signal_file.pk, [])
    context = {
        "file": signal_file,
        "form": form,
        "agency": {a.code: a.name for a in load_catalogue().agencies}.get(signal_file.agency_code, ""),
        "by": _staff_name(signal_file.imported_by),
        "withdrawn_by": _staff_name(signal_file.withdrawn_by) if signal_file.withdrawn else "",
        "rounds": rounds,
        "used_by": used_by_rounds(rounds) if rounds else "",
        "may_withdraw": may_withdraw(request.user, signal_file),
        "reason_min": WITHDRAW_REASON_MIN,
        "active_nav": "discovery",
    }
    return render(request, "discovery/signal_withdraw.html", context, status=status)


def _staff_name(user: object) -> str:
    if user is None:
        return gettext("the system")
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else user.get_username()  # type: ignore[attr-defined]
