"""The service directory as Open Referral HSDS 3.0: one JSON document per service, in the shape of HSDS's
`service_full` example (the service with its organization nested), for operators (`dolbom directory export --out
DIR`, `dolbom directory import DIR`) and administrators.

What the directory keeps maps onto HSDS as follows; what HSDS has and the directory does not model (locations,
schedules, contacts, languages …) is not kept by an import.

| directory                    | HSDS                                                                          |
|------------------------------|-------------------------------------------------------------------------------|
| service, its provider        | service (id, name, description, url, email, status, eligibility_description), |
|                              | organization (id, name, description, email, website)                          |
| phone                        | phones[0].number                                                              |
| areas served                 | service_areas: extent = the 10-digit administrative code, extent_type "text"  |
| won value per unit, unit     | cost_options: currency "KRW", amount, amount_description                      |
| need domains, public/private,| attributes with taxonomy terms of the taxonomies "dolbom:need_domain",        |
| capacity                     | "dolbom:sector" and "dolbom:capacity" (its value the number)                   |

Identifiers of the nested objects are derived from the service's (UUID 5), so that an export read back and
exported again gives the same document. Every document is validated against the HSDS 3.0 JSON schema shipped in
`resources/hsds/schema` (with `jsonschema`, offline) before anything is written; an import is all or nothing.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.registry.models import Sector
from dolbom.resources.models import Organization, Service, ServiceArea, ServiceDomain
from dolbom.resources.selectors import NEED_DOMAINS, directory_services
from dolbom.resources.services.directory import (
    agency_named,
    check_domains,
    service_values,
    the_district_of,
)

HSDS_DIR = Path(__file__).resolve().parents[1] / "hsds"
SCHEMA = HSDS_DIR / "schema" / "service_with_definitions.json"
# The namespace of the identifiers derived for nested objects and taxonomy terms (fixed: changing it would change
# every exported document).
NAMESPACE = uuid.UUID("6f1c1f0e-7c1a-4e0b-9d0e-2d6a9b1f3c20")
DOMAIN_TAXONOMY, SECTOR_TAXONOMY, CAPACITY_TAXONOMY = "dolbom:need_domain", "dolbom:sector", "dolbom:capacity"
AREA_CODE = re.compile(r"^\d{10}$")
KRW = "KRW"
MAX_DOCUMENT_BYTES = 2_000_000  # far above any one service's document; a larger file is not one
# All the files of one import together: some thousands of services. Each file is read and parsed in memory, so
# without it a hundred files just under the limit above would hold gigabytes.
MAX_IMPORT_BYTES = 20_000_000
MAX_ERRORS_SHOWN = 20


@functools.cache
def service_validator() -> Draft202012Validator:
    """HSDS 3.0's `service` schema (the variant with its definitions inline, which needs no other file), with
    formats (uuid, email) checked."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _sub_id(service: Service, part: str) -> str:
    return str(uuid.uuid5(service.hsds_id, part))


def _term(taxonomy: str, code: str, name: str) -> dict[str, str]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{taxonomy}:{code}")),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": taxonomy,
    }


def _attribute(service: Service, taxonomy: str, code: str, name: str, value: str = "") -> dict[str, Any]:
    term = _term(taxonomy, code, name)
    attribute: dict[str, Any] = {
        "id": _sub_id(service, f"attribute:{taxonomy}:{code}"),
        "link_id": str(service.hsds_id),
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if value:
        attribute["value"] = value
    return attribute


def service_document(service: Service) -> dict[str, Any]:
    """One service as an HSDS 3.0 `service` document. Labels are in the installation's language, whatever the
    language of the request, so that the same directory always gives the same documents."""
    organization = service.organization
    with translation.override(settings.LANGUAGE_CODE):
        doc: dict[str, Any] = {
            "id": str(service.hsds_id),
            "organization_id": str(organization.hsds_id),
            "name": service.name,
            "status": service.status,
        }
        for key, value in (
            ("description", service.description),
            ("eligibility_description", service.eligibility),
            ("url", service.url),
            ("email", service.email),
        ):
            if value:
                doc[key] = value
        if service.phone:
            doc["phones"] = [{"id": _sub_id(service, "phone"), "number": service.phone}]
        areas = sorted(service.areas.all(), key=lambda a: a.code)
        if areas:
            doc["service_areas"] = [
                {"id": _sub_id(service, f"area:{a.code}"), "name": a.name, "extent": a.code, "extent_type": "text"}
                for a in areas
            ]
        if service.unit_won or service.unit_label:
            option: dict[str, Any] = {"id": _sub_id(service, "cost"), "currency": KRW, "amount": service.unit_won}
            if service.unit_label:
                option["amount_description"] = service.unit_label
            doc["cost_options"] = [option]
        labels = dict(NEED_DOMAINS.choices)
        attributes = [
            _attribute(service, DOMAIN_TAXONOMY, d.domain, str(labels.get(d.domain, d.domain)))
            for d in sorted(service.domains.all(), key=lambda d: d.domain)
        ]
        attributes.append(_attribute(service, SECTOR_TAXONOMY, service.sector, str(Sector(service.sector).label)))
        if service.capacity is not None:
            capacity = str(Service._meta.get_field("capacity").verbose_name)
            attributes.append(_attribute(service, CAPACITY_TAXONOMY, "capacity", capacity, str(service.capacity)))
        doc["attributes"] = attributes
        org: dict[str, Any] = {
            "id": str(organization.hsds_id),
            "name": organization.name,
            "description": organization.description,
        }
        if organization.email:
            org["email"] = organization.email
        if organization.website:
            org["website"] = organization.website
        doc["organization"] = org
    return doc


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Exchange:
    files: int
    organizations: int
    services: int

    def render(self) -> str:
        return _("%(files)s files: %(services)s services of %(organizations)s providers") % {
            "files": f"{self.files:,}",
            "services": f"{self.services:,}",
            "organizations": f"{self.organizations:,}",
        }


def export_documents(*, user: Any) -> dict[str, str]:
    """The whole directory as HSDS documents, by file name (`<service id>.json`), the export audited."""
    ensure_can(user, "resources.exchange_directory")
    services = list(directory_services(user).order_by("hsds_id"))
    documents = {f"{s.hsds_id}.json": _dump(service_document(s)) for s in services}
    audit.record(
        user,
        "resources.export_directory",
        detail={"services": len(services), "organizations": len({s.organization_id for s in services})},
    )
    return documents


def export_directory(*, user: Any, out: Path) -> Exchange:
    """Write the directory into a folder, one HSDS document per service."""
    documents = export_documents(user=user)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (out / name).write_text(text, encoding="utf-8")
    organizations = {json.loads(text)["organization_id"] for text in documents.values()}
    return Exchange(files=len(documents), organizations=len(organizations), services=len(documents))


# ------------------------------------------------------------------------------------------------------ import


def _where(error: SchemaError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(document)"


def _problem(error: SchemaError) -> str:
    """jsonschema's finding in Korean, for the kinds a directory file gets wrong; its own words otherwise."""
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return _("the required field %(field)s is missing") % {"field": missing[0] if missing else "?"}
    if error.validator == "type":
        return _("should be of type %(type)s") % {"type": error.validator_value}
    if error.validator == "enum":
        return _("should be one of %(values)s") % {"values": ", ".join(map(str, error.validator_value))}
    if error.validator == "format":
        return _("is not a valid %(format)s") % {"format": error.validator_value}
    return error.message


def _refusal(file: str, field: str, problem: str) -> str:
    return _("%(file)s, field %(field)s: %(problem)s") % {"file": file, "field": field, "problem": problem}


def _read(name: str, data: bytes | None, errors: list[str]) -> dict[str, Any] | None:
    if data is None or len(data) > MAX_DOCUMENT_BYTES:
        errors.append(_refusal(name, "(document)", _("the file is too large for one service")))
        return None
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        errors.append(_refusal(name, "(document)", _("not JSON in UTF-8 (%(detail)s)") % {"detail": exc}))
        return None
    except RecursionError:
        # Two megabytes of "[" nest deeper than Python's parser (and the schema check after it) can follow.
        errors.append(_refusal(name, "(document)", _("nested too deeply to be a service")))
        return None
    try:
        found = sorted(service_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        errors.append(_refusal(name, "(document)", _("nested too deeply to be a service")))
        return None
    for error in found:
        errors.append(_refusal(name, _where(error), _problem(error)))
    return None if found else doc


def _attribute_codes(doc: dict[str, Any], taxonomy: str) -> list[tuple[str, str]]:
    codes = []
    for attribute in doc.get("attributes", []):
        term = attribute.get("taxonomy_term") or {}
        if term.get("taxonomy") == taxonomy:
            codes.append((str(term.get("code", "")), str(attribute.get("value", ""))))
    return codes


@dataclass
class _Parsed:
    file: str
    doc: dict[str, Any]
    values: dict[str, Any]
    domains: list[str]
    areas: list[tuple[str, str]]


def _parse(file: str, doc: dict[str, Any], errors: list[str]) -> _Parsed | None:
    """A valid HSDS document mapped onto the directory's fields, each refusal naming the file and the field."""
    found: dict[str, str] = {}
    won, unit = 0, ""
    for index, option in enumerate(doc.get("cost_options", [])):
        if str(option.get("currency", "")).upper() != KRW or "amount" not in option:
            continue  # another currency: not a won value the reports could add up
        amount = option["amount"]
        if not float(amount).is_integer() or amount < 0:
            errors.append(_refusal(file, f"cost_options/{index}/amount", _("a won amount is a whole number from 0")))
            return None
        won, unit = int(amount), str(option.get("amount_description", ""))
        break
    sectors = [code for code, _value in _attribute_codes(doc, SECTOR_TAXONOMY)]
    capacities = [value for _code, value in _attribute_codes(doc, CAPACITY_TAXONOMY)]
    capacity = None
    if capacities:
        # ASCII digits only, and few: int() refuses "²" (which isdigit() accepts) and numbers of thousands of digits.
        if not (capacities[0].isascii() and capacities[0].isdigit() and len(capacities[0]) <= 9):
            errors.append(_refusal(file, "attributes (dolbom:capacity)/value", _("a capacity is a whole number")))
            return None
        capacity = int(capacities[0])
    phones = doc.get("phones", [])
    values = service_values(
        name=doc["name"],
        description=doc.get("description", ""),
        eligibility=doc.get("eligibility_description", ""),
        status=doc["status"],
        sector=sectors[0] if sectors else Sector.PRIVATE,
        capacity=capacity,
        unit_won=won,
        unit_label=unit,
        phone=phones[0]["number"] if phones else "",
        email=doc.get("email", ""),
        url=doc.get("url", ""),
        errors=found,
    )
    domains = check_domains([code for code, _value in _attribute_codes(doc, DOMAIN_TAXONOMY)], found)
    areas = [
        (str(area["extent"]), str(area.get("name", ""))[:50] or str(area["extent"]))
        for area in doc.get("service_areas", [])
        if area.get("extent_type") == "text" and AREA_CODE.match(str(area.get("extent", "")))
    ]
    organization = doc.get("organization")
    if organization is None:
        found["organization"] = _("the service names no organization (HSDS: organization)")
    elif doc.get("organization_id") not in (None, organization["id"]):
        found["organization_id"] = _("differs from organization/id")
    for field, message in found.items():
        errors.append(_refusal(file, field, message))
    if found:
        return None
    return _Parsed(file=file, doc=doc, values=values, domains=domains, areas=sorted(set(areas)))


def import_directory(*, user: Any, folder: Path) -> Exchange:
    """Read every `*.json` of a folder as an HSDS 3.0 service document into the directory (`import_documents`)."""
    ensure_can(user, "resources.exchange_directory")
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not paths:
        raise ValidationError({"folder": _("No HSDS file (*.json) in %(folder)s.") % {"folder": folder}})
    # A file too large for one service is refused by name without being read (None).
    documents = {p.name: p.read_bytes() if p.stat().st_size <= MAX_DOCUMENT_BYTES else None for p in paths}
    return import_documents(user=user, documents=documents)


def import_documents(*, user: Any, documents: dict[str, bytes | None]) -> Exchange:
    """HSDS 3.0 service documents, by file name, into the directory: a service or provider already there (the same
    HSDS id) is updated, others are added, kept by the importer's district. Nothing is written unless every file
    is valid; the refusal names each file and field at fault."""
    ensure_can(user, "resources.exchange_directory")
    district = the_district_of(user)
    if not documents:
        raise ValidationError({"files": _("Choose the HSDS files (*.json) to import.")})
    errors: list[str] = []
    parsed = []
    seen: dict[str, str] = {}
    for name in sorted(documents):
        doc = _read(name, documents[name], errors)
        if doc is None:
            continue
        if doc["id"] in seen:
            errors.append(_refusal(name, "id", _("the same service as %(other)s") % {"other": seen[doc["id"]]}))
            continue
        seen[doc["id"]] = name
        item = _parse(name, doc, errors)
        if item is not None:
            parsed.append(item)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > len(shown):
            shown.append(_("… and %(count)s more problems.") % {"count": len(errors) - len(shown)})
        raise ValidationError(shown)
    with transaction.atomic():
        organizations: dict[str, Organization] = {}
        for item in parsed:
            org = item.doc["organization"]
            if org["id"] not in organizations:
                organizations[org["id"]] = _upsert_organization(org, sector=item.values["sector"], district=district)
        for item in parsed:
            _upsert_service(user, district, item, organizations[item.doc["organization"]["id"]])
        result = Exchange(files=len(documents), organizations=len(organizations), services=len(parsed))
        audit.record(
            user,
            "resources.import_directory",
            detail={"files": result.files, "services": result.services, "organizations": result.organizations},
        )
    return result


def _upsert_organization(doc: dict[str, Any], *, sector: str, district: str) -> Organization:
    organization = Organization.objects.filter(hsds_id=doc["id"]).first() or Organization(
        hsds_id=doc["id"], sector=sector
    )
    if organization.pk and (
        organization.services.exclude(district_id=district).exists()
        or organization.agreements.exclude(district_id=district).exists()
    ):
        # A provider another district lists services of or has an agreement with is theirs as well: a file may link
        # services to it, but not rename it (nor, through its new name, tie it to another agency's logins).
        return organization
    organization.name = doc["name"][:200]
    organization.description = doc.get("description", "")
    organization.email = doc.get("email", "")
    organization.website = doc.get("website", "")[:200]
    if organization.agency_id is None:
        organization.agency = agency_named(organization.name)
    organization.save()
    return organization


def _upsert_service(user: Any, district: str, item: _Parsed, organization: Organization) -> Service:
    service = Service.objects.select_for_update().filter(hsds_id=item.doc["id"]).first()
    if service is None:
        service = Service(hsds_id=item.doc["id"], district_id=district)
    elif service.district_id != district:
        raise PermissionDenied(
            _refusal(item.file, "id", _("this service is kept by another district's administrators"))
        )
    for key, value in item.values.items():
        setattr(service, key, value)
    service.organization = organization
    service.save()
    ServiceDomain.objects.filter(service=service).delete()
    ServiceArea.objects.filter(service=service).delete()
    ServiceDomain.objects.bulk_create(ServiceDomain(service=service, domain=d) for d in item.domains)
    ServiceArea.objects.bulk_create(ServiceArea(service=service, code=code, name=name) for code, name in item.areas)
    return service
