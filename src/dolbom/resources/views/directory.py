"""The service directory's pages: the directory searched by need domain, area and words; one service; adding and
changing a service or a provider (the district's staff); and the district's agreements with providers."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.fields import KoreanDateField
from dolbom.core.http import parse_query, requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.registry.selectors import areas_visible_to, districts_visible_to
from dolbom.resources.models import Sector, ServiceStatus
from dolbom.resources.selectors import (
    NEED_DOMAINS,
    agreements_visible_to,
    directory_service,
    directory_services,
    kept_service,
    organizations_for,
    services_kept_by,
    with_domain_names,
)
from dolbom.resources.services import directory as services
from dolbom.resources.services import hsds
from dolbom.resources.views.forms import WonField

PAGE_ROWS = 200


class DirectoryQuery(forms.Form):
    domain = forms.ChoiceField(choices=[("", ""), *NEED_DOMAINS.choices], required=False)
    area = forms.RegexField(regex=r"^\d{10}$", required=False)
    q = forms.CharField(required=False, max_length=100)


def _area_choices(user: Any) -> list[tuple[str, str]]:
    return [(a.code, a.name) for a in (*districts_visible_to(user), *areas_visible_to(user))]


@require_safe
@requires("resources.view_directory")
def directory(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, DirectoryQuery)
    found = directory_services(request.user, domain=query["domain"], area=query["area"], text=query["q"])
    context = {
        "services": with_domain_names(list(found[:PAGE_ROWS])),
        "total": found.count(),
        "query": query,
        "domains": NEED_DOMAINS.choices,
        "area_choices": _area_choices(request.user),
        "can_manage": can(request.user, "resources.manage_directory"),
        "can_exchange": can(request.user, "resources.exchange_directory"),
        "active_nav": "resources",
    }
    return render(request, "resources/directory.html", context)


@require_safe
@requires("resources.view_directory")
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    service = with_domain_names([directory_service(request.user, service_id)])[0]
    context = {
        "service": service,
        "agreements": list(agreements_visible_to(request.user).filter(services=service)),
        "can_edit": services_kept_by(request.user).filter(pk=service.pk).exists(),
        "active_nav": "resources",
    }
    return render(request, "resources/service_detail.html", context)


class ServiceForm(forms.Form):
    organization = forms.ChoiceField(label=_("Provider"), required=False)
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"}))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    eligibility = forms.CharField(label=_("Who may use it"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    domains = forms.MultipleChoiceField(
        label=_("Need domains"), choices=NEED_DOMAINS.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    areas = forms.MultipleChoiceField(
        label=_("Areas served (none: wherever the provider works)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    sector = forms.ChoiceField(label=_("Public or private"), choices=Sector.choices, initial=Sector.PRIVATE)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices, initial=ServiceStatus.ACTIVE)
    capacity = forms.IntegerField(
        label=_("Capacity (households a month)"), required=False, min_value=0, max_value=1_000_000
    )
    unit_won = WonField(label=_("Won value per unit"), required=False, help_text=_("For example 30,000"))
    unit_label = forms.CharField(
        label=pgettext_lazy("quantity", "Unit"),
        required=False,
        help_text=_("For example: a month, a visit"),
        widget=forms.TextInput(attrs={"maxlength": "50"}),
    )
    phone = forms.CharField(label=_("Phone"), required=False, widget=forms.TextInput(attrs={"maxlength": "50"}))
    email = forms.EmailField(label=_("Email"), required=False)
    url = forms.URLField(label=_("Web address"), required=False, assume_scheme="https")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—"), *((str(o.pk), o.name) for o in organizations_for(user))]
        self.fields["areas"].choices = _area_choices(user)


def _service_data(form: ServiceForm) -> dict[str, Any]:
    data = dict(valid_data(form))
    organization = data.pop("organization")
    data["organization_id"] = int(organization) if organization else None
    data["unit_won"] = data["unit_won"] or 0
    return data


def _initial(service: Any) -> dict[str, Any]:
    fields = (
        "name",
        "description",
        "eligibility",
        "sector",
        "status",
        "capacity",
        "unit_label",
        "phone",
        "email",
        "url",
    )
    initial = {key: getattr(service, key) for key in fields}
    initial["organization"] = str(service.organization_id)
    initial["unit_won"] = f"{service.unit_won:,}"
    initial["domains"] = [d.domain for d in service.domains.all()]
    initial["areas"] = [a.code for a in service.areas.all()]
    return initial


@requires("resources.manage_directory")
def service_new(request: HttpRequest) -> HttpResponse:
    return _service_form(request, None)


@requires("resources.manage_directory")
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    return _service_form(request, service_id)


def _service_form(request: HttpRequest, service_id: int | None) -> HttpResponse:
    service = kept_service(request.user, service_id) if service_id is not None else None
    initial = _initial(service) if service is not None and request.method != "POST" else None
    form = ServiceForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    if request.method == "POST":
        try:
            saved = services.save_service(user=request.user, service_id=service_id, **_service_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_service", saved.pk)
    context = {"form": form, "service": service, "active_nav": "resources"}
    status = 422 if request.method == "POST" else 200
    return render(request, "resources/service_form.html", context, status=status)


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"}))
    sector = forms.ChoiceField(label=_("Public or private"), choices=Sector.choices, initial=Sector.PRIVATE)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    email = forms.EmailField(label=_("Email"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


@requires("resources.manage_directory")
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.add_organization(user=request.user, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_service_new")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": _("Add a provider"), "active_nav": "resources"}
    return render(request, "resources/simple_form.html", context, status=status)


@require_safe
@requires("resources.view_agreements")
def agreements(request: HttpRequest) -> HttpResponse:
    context = {
        "agreements": list(agreements_visible_to(request.user).prefetch_related("services")[:PAGE_ROWS]),
        "can_manage": can(request.user, "resources.manage_agreements"),
        "active_nav": "resources",
    }
    return render(request, "resources/agreements.html", context)


class AgreementForm(forms.Form):
    organization = forms.ChoiceField(label=_("Provider"), required=False)
    signed_on = KoreanDateField(label=_("Signed on"), required=False)
    ends_on = KoreanDateField(label=_("Ends on (empty: no end date)"), required=False)
    scope = forms.CharField(label=_("What it covers"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    services = forms.MultipleChoiceField(
        label=_("Services it covers"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "—"), *((str(o.pk), o.name) for o in organizations_for(user))]
        self.fields["services"].choices = [
            (str(s.pk), f"{s.organization.name} · {s.name}") for s in directory_services(user)[:PAGE_ROWS]
        ]


@requires("resources.manage_agreements")
def agreement_new(request: HttpRequest) -> HttpResponse:
    form = AgreementForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            organization = data.pop("organization")
            services.record_agreement(
                user=request.user, organization_id=int(organization) if organization else None, **data
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_agreements")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": _("Record an agreement"), "active_nav": "resources"}
    return render(request, "resources/simple_form.html", context, status=status)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe: its own FileField takes one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".json,application/json"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(label=_("HSDS files (*.json), one per service"), required=False)


@requires("resources.exchange_directory")
def hsds_exchange(request: HttpRequest) -> HttpResponse:
    """Import HSDS documents (POST) and the page that offers the export and the import."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST":
        try:
            uploads = valid_data(form)["files"]
            if sum(upload.size for upload in uploads) > hsds.MAX_IMPORT_BYTES:  # before any of them is read
                raise ValidationError(
                    {"files": _("These files are too large together: import them in parts of at most 20 MB.")}
                )
            documents = {upload.name: _read_upload(upload) for upload in uploads}
            result = hsds.import_documents(user=request.user, documents=documents)
        except ValidationError as refused:
            show_errors(form, refused)
    context = {"form": form, "result": result, "active_nav": "resources"}
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "resources/hsds.html", context, status=status)


def _read_upload(upload: Any) -> bytes | None:
    return upload.read() if upload.size <= hsds.MAX_DOCUMENT_BYTES else None


@require_POST
@requires("resources.exchange_directory")
def hsds_export(request: HttpRequest) -> HttpResponse:
    """The whole directory as a ZIP of HSDS documents, one per service."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in hsds.export_documents(user=request.user).items():
            out.writestr(name, text)
    response = HttpResponse(archive.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="hsds-directory.zip"'
    return response
