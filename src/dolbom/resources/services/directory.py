"""The service directory's writes: adding and changing a provider's service, and recording a district's agreement
(협약) with a provider. The directory holds no personal data; the audit log keeps what changed, by code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of, scope_for
from dolbom.core.text import visible_text
from dolbom.registry.models import AdministrativeArea, Agency, Sector
from dolbom.resources.models import (
    Agreement,
    Organization,
    Service,
    ServiceArea,
    ServiceDomain,
    ServiceStatus,
)
from dolbom.resources.selectors import NEED_DOMAINS, organizations_for, services_kept_by

NAME_MAX, TEXT_MAX, UNIT_MAX, PHONE_MAX = 200, 4000, 50, 50
WON_MAX = 10**12  # a trillion won: far above any unit of help, low enough to catch a slip of the keyboard


def _text(value: str, *, field: str, label: str, limit: int, required: bool, errors: dict[str, str]) -> str:
    text = visible_text(value or "")
    if required and not text:
        errors[field] = _("Enter %(field)s.") % {"field": label}
    elif len(text) > limit:
        message = _("%(field)s is too long: at most %(limit)s characters (now %(length)s). Shorten it.")
        errors[field] = message % {"field": label, "limit": f"{limit:,}", "length": f"{len(text):,}"}
    return text


def the_district_of(user: Any) -> str:
    """The one district a district administrator keeps the directory of."""
    districts = sorted(scope_for(user).district_codes) if scope_for(user).sees_district else []
    if len(districts) != 1:
        raise PermissionDenied("resources: the user keeps no single district's records")
    return districts[0]


def service_values(
    *,
    name: str,
    description: str = "",
    eligibility: str = "",
    status: str = ServiceStatus.ACTIVE,
    sector: str = Sector.PRIVATE,
    capacity: int | None = None,
    unit_won: int = 0,
    unit_label: str = "",
    phone: str = "",
    email: str = "",
    url: str = "",
    errors: dict[str, str],
) -> dict[str, Any]:
    """A service's own fields checked, each refusal under its field's name (the page and the HSDS import share
    these rules)."""
    if status not in ServiceStatus.values:
        errors["status"] = _("Choose the status of the service.")
    if sector not in Sector.values:
        errors["sector"] = _("Choose whether the service is public or private.")
    if capacity is not None and not (0 <= capacity <= 1_000_000):
        errors["capacity"] = _("Capacity: enter a whole number of households from 0 to 1,000,000.")
    if not isinstance(unit_won, int) or isinstance(unit_won, bool) or not (0 <= unit_won <= WON_MAX):
        errors["unit_won"] = _("Won value per unit: enter a whole amount in won from 0, such as 30,000.")
    return {
        "name": _text(name, field="name", label=_("the name"), limit=NAME_MAX, required=True, errors=errors),
        "description": _text(
            description, field="description", label=_("Description"), limit=TEXT_MAX, required=False, errors=errors
        ),
        "eligibility": _text(
            eligibility, field="eligibility", label=_("Who may use it"), limit=TEXT_MAX, required=False, errors=errors
        ),
        "status": status,
        "sector": sector,
        "capacity": capacity,
        "unit_won": unit_won,
        "unit_label": _text(
            unit_label,
            field="unit_label",
            label=pgettext("quantity", "Unit"),
            limit=UNIT_MAX,
            required=False,
            errors=errors,
        ),
        "phone": _text(phone, field="phone", label=_("Phone"), limit=PHONE_MAX, required=False, errors=errors),
        "email": _text(email, field="email", label=_("Email"), limit=254, required=False, errors=errors),
        "url": _text(url, field="url", label=_("Web address"), limit=200, required=False, errors=errors),
    }


def check_domains(domains: Iterable[str], errors: dict[str, str]) -> list[str]:
    chosen = sorted(set(domains))
    if any(d not in NEED_DOMAINS.values for d in chosen):
        errors["domains"] = _("Choose need domains from the list.")
    return chosen


def _check_areas(user: Any, district: str, areas: Iterable[str], errors: dict[str, str]) -> list[str]:
    """The areas a service serves: the district itself or its dongs, from the areas the administrator keeps."""
    chosen = sorted(set(areas))
    known = set(AdministrativeArea.objects.filter(pk__in=chosen).values_list("code", flat=True))
    if any(code not in known or district_of(code) != district for code in chosen):
        errors["areas"] = _("Choose the areas served from the list: your district or its dongs.")
    return chosen


def replace_facets(service: Service, *, domains: list[str], areas: list[str]) -> None:
    ServiceDomain.objects.filter(service=service).delete()
    ServiceArea.objects.filter(service=service).delete()
    ServiceDomain.objects.bulk_create(ServiceDomain(service=service, domain=d) for d in domains)
    names = dict(AdministrativeArea.objects.filter(pk__in=areas).values_list("code", "name"))
    ServiceArea.objects.bulk_create(ServiceArea(service=service, code=c, name=names.get(c, c)) for c in areas)


def save_service(
    *,
    user: Any,
    service_id: int | None = None,
    organization_id: int | None,
    domains: Iterable[str] = (),
    areas: Iterable[str] = (),
    **fields: Any,
) -> Service:
    """Add a service to the directory, or change one the user's district keeps."""
    ensure_can(user, "resources.manage_directory")
    district = the_district_of(user)
    errors: dict[str, str] = {}
    values = service_values(errors=errors, **fields)
    organization = organizations_for(user).filter(pk=organization_id).first() if organization_id else None
    if organization is None:
        errors["organization"] = _("Choose the provider from the list.")
    chosen_domains = check_domains(domains, errors)
    chosen_areas = _check_areas(user, district, areas, errors)
    with transaction.atomic():
        if service_id is None:
            service = Service(district_id=district)
        else:
            service = services_kept_by(user).select_for_update().filter(pk=service_id).first()
            if service is None:
                raise Http404
        if errors:
            raise ValidationError(errors)
        before = {key: getattr(service, key) for key in values} if service.pk else {}
        for key, value in values.items():
            setattr(service, key, value)
        service.organization = organization
        service.save()
        replace_facets(service, domains=chosen_domains, areas=chosen_areas)
        changed = sorted(key for key in values if before.get(key) != values[key]) if before else sorted(values)
        audit.record(
            user,
            "resources.add_service" if service_id is None else "resources.change_service",
            service,
            detail={"fields": changed, "domains": chosen_domains, "areas": chosen_areas},
        )
    return service


def add_organization(
    *, user: Any, name: str, sector: str, description: str = "", email: str = "", website: str = ""
) -> Organization:
    """A provider that is not yet in the directory. One of the registry's agencies of the same name is tied to it,
    so that its staff logins are the partner's."""
    ensure_can(user, "resources.manage_directory")
    errors: dict[str, str] = {}
    values = {
        "name": _text(name, field="name", label=_("the name"), limit=NAME_MAX, required=True, errors=errors),
        "description": _text(
            description, field="description", label=_("Description"), limit=TEXT_MAX, required=False, errors=errors
        ),
        "email": _text(email, field="email", label=_("Email"), limit=254, required=False, errors=errors),
        "website": _text(website, field="website", label=_("Web address"), limit=200, required=False, errors=errors),
    }
    if sector not in Sector.values:
        errors["sector"] = _("Choose whether the service is public or private.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        organization = Organization.objects.create(sector=sector, agency=agency_named(values["name"]), **values)
        audit.record(user, "resources.add_organization", organization, detail={"sector": sector})
    return organization


def agency_named(name: str) -> Agency | None:
    return Agency.objects.filter(name=name).first()


def record_agreement(
    *,
    user: Any,
    organization_id: int | None,
    signed_on: date | None,
    ends_on: date | None,
    scope: str,
    services: Iterable[int] = (),
) -> Agreement:
    """The district's agreement (협약) with a provider: dates, what it covers, the services it concerns."""
    ensure_can(user, "resources.manage_agreements")
    district = the_district_of(user)
    errors: dict[str, str] = {}
    text = _text(scope, field="scope", label=_("What it covers"), limit=TEXT_MAX, required=True, errors=errors)
    organization = organizations_for(user).filter(pk=organization_id).first() if organization_id else None
    if organization is None:
        errors["organization"] = _("Choose the provider from the list.")
    if signed_on is None:
        errors["signed_on"] = _("Enter the date the agreement was signed, such as 2026-03-02.")
    elif ends_on is not None and ends_on < signed_on:
        errors["ends_on"] = _("The agreement cannot end before it is signed.")
    service_ids = sorted({int(pk) for pk in services})
    covered = list(Service.objects.filter(pk__in=service_ids, organization=organization))
    if len(covered) != len(service_ids):
        errors["services"] = _("Choose services of this provider from the list.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        agreement = Agreement.objects.create(
            district_id=district,
            organization=organization,
            signed_on=signed_on,
            ends_on=ends_on,
            scope=text,
            created_by=user,
        )
        agreement.services.set(covered)
        audit.record(user, "resources.record_agreement", agreement, detail={"services": service_ids})
    return agreement
