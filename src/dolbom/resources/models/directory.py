"""The service directory (서비스 자원 목록): providers, the services they offer, and the district's agreements (협약)
with them. Its shape follows Open Referral HSDS 3.0 (organization → service), so that a directory can be exchanged
with others as HSDS documents (services/hsds.py). The directory is reference data, not personal data: every staff
member who links households to services reads it, administrators keep it.

Areas served are administrative codes kept as text, not foreign keys: a directory imported from elsewhere may name
areas this installation has not loaded, and an import into an empty database must not depend on the registry.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.registry.models import AdministrativeArea, Agency, Sector


class Organization(models.Model):
    """A provider of services (HSDS organization): one of the registry's agencies, or a provider known only to the
    directory (a foundation, a hospital, a directory imported from elsewhere)."""

    hsds_id = models.UUIDField(_("HSDS identifier"), unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    sector = models.CharField(_("sector"), max_length=8, choices=Sector.choices, default=Sector.PRIVATE)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    """HSDS 3.0's statuses of a service, with its codes."""

    ACTIVE = "active", pgettext_lazy("service status", "Active")
    INACTIVE = "inactive", pgettext_lazy("service status", "Inactive")
    DEFUNCT = "defunct", pgettext_lazy("service status", "Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", pgettext_lazy("service status", "Temporarily closed")


class Service(models.Model):
    """One service of the directory: what a case linkage picks, with what one unit of it is worth in won and
    whether the help is public or private (the reports count "325 services worth about 72 million won")."""

    hsds_id = models.UUIDField(_("HSDS identifier"), unique=True, default=uuid.uuid4, editable=False)
    # The district whose administrators keep the entry (an imported directory belongs to the importer's district);
    # every staff member reads the whole directory.
    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("kept by district")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="services", verbose_name=_("provider")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("who may use it"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices, default=Sector.PRIVATE)
    capacity = models.PositiveIntegerField(_("capacity (households a month)"), null=True, blank=True)
    unit_won = models.PositiveBigIntegerField(_("won value per unit"), default=0)
    unit_label = models.CharField(pgettext_lazy("quantity", "unit"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    url = models.URLField(_("web address"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ServiceDomain(models.Model):
    """A need domain (욕구 영역) a service answers: a row each, so that the search by domain is an indexed lookup on
    every database."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("need domain"), max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "domain"], name="one_row_per_service_domain")]
        indexes = [models.Index(fields=["domain", "service"])]

    def __str__(self) -> str:
        return self.domain


class ServiceArea(models.Model):
    """An area a service serves: a 시군구 (the whole district) or a 읍면동. A service without one serves wherever
    its provider works."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("area code"), max_length=10)
    # Kept with the code: a directory read elsewhere names the area without this installation's registry.
    name = models.CharField(_("area name"), max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="one_row_per_service_area")]
        indexes = [models.Index(fields=["code", "service"])]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """A district's agreement (협약) with a provider: from when to when, on what, and the services it covers."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("provider")
    )
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    scope = models.TextField(_("what it covers"))
    services = models.ManyToManyField(Service, related_name="agreements", blank=True, verbose_name=_("services"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("signed_on")),
                name="agreement_ends_after_it_is_signed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.signed_on:%Y-%m-%d})"
