"""Every read of the resources domain that is more than a get, already scoped to the user.

The service directory is reference data: every staff member who links households to services reads all of it
(`directory_services`, `services_for_linkage`, which case management calls). What belongs to a district — its
agreements, its donations ledger, its volunteers — is seen through a `Reach`, like every other domain's rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from dolbom.core.permissions import can
from dolbom.core.scope import Reach, district_of, scoped, visible_or_404
from dolbom.intake.selectors import NeedDomain
from dolbom.resources.models import Agreement, Organization, Service, ServiceArea, ServiceDomain, ServiceStatus

# ------------------------------------------------------------------------------------------------ directory

# Agreements are the district's own records (its 협약 with providers).
AGREEMENT = Reach(district="district")
# Who may change a directory entry: the administrators of the district that keeps it.
SERVICE_KEEPER = Reach(district="district")

NEED_DOMAINS = NeedDomain


def _directory() -> QuerySet[Service]:
    return Service.objects.select_related("organization").prefetch_related(
        Prefetch("domains", queryset=ServiceDomain.objects.order_by("domain")),
        Prefetch("areas", queryset=ServiceArea.objects.order_by("code")),
    )


def serves_area(code: str) -> Q:
    """Services that serve a 읍면동 or a district: named for it, for its district, or for no area in particular."""
    codes = {code, district_of(code)}
    named = ServiceArea.objects.filter(service=OuterRef("pk"), code__in=codes)
    anywhere = ServiceArea.objects.filter(service=OuterRef("pk"))
    return Q(Exists(named)) | ~Q(Exists(anywhere))


def directory_services(
    user: Any, *, domain: str | None = None, area: str | None = None, text: str = "", active_only: bool = False
) -> QuerySet[Service]:
    """The directory, as every staff member who may read it sees it, searched by need domain, area and words."""
    if not can(user, "resources.view_directory"):
        return Service.objects.none()
    services = _directory()
    if domain:
        services = services.filter(Exists(ServiceDomain.objects.filter(service=OuterRef("pk"), domain=domain)))
    if area:
        services = services.filter(serves_area(area))
    if text:
        words = text.split()[:5]
        for word in words:
            services = services.filter(
                Q(name__icontains=word) | Q(description__icontains=word) | Q(organization__name__icontains=word)
            )
    if active_only:
        services = services.filter(status=ServiceStatus.ACTIVE)
    return services


def services_for_linkage(user: Any, *, domain: str | None = None, area: str | None = None) -> QuerySet[Service]:
    """The active services a linkage may pick from, for a need domain and the household's 읍면동: what case
    management offers when it links a household to a service. Each carries its provider, need domains
    (`domains`), won value per unit (`unit_won`, `unit_label`) and whether it is public or private (`sector`)."""
    return directory_services(user, domain=domain, area=area, active_only=True)


def directory_service(user: Any, service_id: int) -> Service:
    """One entry of the directory (404 for a user who may not read the directory, or an unknown id)."""
    return visible_or_404(directory_services(user), service_id)


def services_kept_by(user: Any) -> QuerySet[Service]:
    """The entries the user may change: those kept by their district."""
    return scoped(Service.objects.all(), user, SERVICE_KEEPER)


def kept_service(user: Any, service_id: int) -> Service:
    """A service the user may change (404 for any other)."""
    return visible_or_404(_directory().filter(pk__in=services_kept_by(user).values("pk")), service_id)


def organizations_for(user: Any) -> QuerySet[Organization]:
    """Providers to choose from when adding a service."""
    if not can(user, "resources.view_directory"):
        return Organization.objects.none()
    return Organization.objects.all()


def agreements_visible_to(user: Any) -> QuerySet[Agreement]:
    return scoped(Agreement.objects.select_related("organization", "district"), user, AGREEMENT)


def with_domain_names(services: list[Service]) -> list[Service]:
    """The services, each with `domain_names`: its need domains as the user reads them."""
    labels = dict(NEED_DOMAINS.choices)
    for service in services:
        service.domain_names = [str(labels.get(d.domain, d.domain)) for d in service.domains.all()]
    return services
