"""The safety net (인적안전망): residents and local workers appointed to notice households in crisis and report
them — 통장·이장, honorary social welfare officers, the Good Neighbours, apartment management offices, postal
workers, schools, pharmacies, estate agents (docs/process.md, "People and places"). Each appointment names the area
the member watches and its dates; a member may have a login (role safety_net) to file referrals, and what they
filed is counted per period from those referrals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.core.masking import mask_name, mask_phone
from dolbom.registry.models import AdministrativeArea


class SafetyNetKind(models.TextChoices):
    TONG_HEAD = "tong_head", _("Tong or village head")
    HONORARY_OFFICER = "honorary", _("Honorary social welfare officer")
    GOOD_NEIGHBOURS = "neighbours", _("Good Neighbours")
    MANAGEMENT_OFFICE = "management", _("Apartment management office")
    POSTAL_WORKER = "postal", _("Postal worker")
    SCHOOL = "school", _("School")
    PHARMACY = "pharmacy", _("Pharmacy")
    ESTATE_AGENT = "estate_agent", _("Real estate agency")
    COUNCIL_MEMBER = "council", _("Community social security council member")
    OTHER = "other", pgettext_lazy("safety-net kind", "Other")


class SafetyNetMember(models.Model):
    """One appointment of one member: who, of what kind, watching which dong (and optionally which 통), from when
    to when. A renewal is a new appointment; an ended one stays, with its reason, for the activity counts."""

    kind = models.CharField(_("kind"), max_length=12, choices=SafetyNetKind.choices)
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="safety_net_members", verbose_name=_("dong")
    )
    tongs = models.JSONField(_("tong numbers"), default=list, blank=True)
    appointed_from = models.DateField(_("appointed from"))
    appointed_to = models.DateField(_("appointed until"), null=True, blank=True)
    end_reason = models.CharField(_("why the appointment ended"), max_length=200, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="safety_net_appointments",
        verbose_name=_("login account"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised by every change, so that two officers editing the same member at once cannot silently overwrite.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("safety-net member")
        verbose_name_plural = _("safety-net members")
        ordering = ["dong", "kind", "name", "pk"]
        indexes = [models.Index(fields=["account", "appointed_from"])]
        constraints = [
            models.CheckConstraint(
                name="safety_net_dates_in_order",
                condition=models.Q(appointed_to__isnull=True) | models.Q(appointed_to__gte=models.F("appointed_from")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked_name}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def tong_text(self) -> str:
        return ", ".join(str(t) for t in self.tongs)
