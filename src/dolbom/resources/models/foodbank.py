"""The food bank and market (푸드뱅크·푸드마켓): lots of donated goods with their expiry, held by an agency (a food
bank, a welfare centre), and what goes out of them to households and events.

A lot's `remaining` never goes below zero (a check constraint, and the services lock the lots they take from),
and goods go out first-expiring first (services/foodbank.py). A lot keeps the fund of the gift it came from, so
that designated goods, like designated money, only go where the donor asked. Movements out are never changed: a
correction is a reversing row that puts the units back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.registry.models import AdministrativeArea, Agency, Household, Sector
from dolbom.resources.models.donations import Donation, Fund


class Lot(models.Model):
    """Units of one item received together: "쌀 10kg", lot "2026-11-A", 40 bags, best before 2027-05-31."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("held by"))
    item = models.CharField(_("item"), max_length=100)
    unit = models.CharField(pgettext_lazy("quantity", "unit"), max_length=20)
    lot_code = models.CharField(_("lot"), max_length=40, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    received_on = models.DateField(_("received on"))
    received = models.PositiveIntegerField(_("units received"))
    remaining = models.PositiveIntegerField(_("units remaining"))
    unit_won = models.PositiveBigIntegerField(_("won value per unit"))
    # Donated goods are private; goods bought with public money (a district's purchase for the food market) are
    # public, so that what goes out of them is counted as such.
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices, default=Sector.PRIVATE)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="lots")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, null=True, blank=True, related_name="lots")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["item", F("expires_on").asc(nulls_last=True), "received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(received__gt=0), name="lot_has_units"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("received")), name="lot_remaining_in_bounds"
            ),
        ]
        indexes = [models.Index(fields=["agency", "item", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.item} {self.lot_code}".strip()


class Distribution(models.Model):
    """Units taken out of one lot for a household or an event, with their won value."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="distributions")
    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("household")
    )
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dong")
    )
    event = models.CharField(_("event"), max_length=200, blank=True)
    units = models.IntegerField(_("units"))
    value_won = models.BigIntegerField(_("won value"))
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices)  # its lot's, as written
    on = models.DateField(_("date"))
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, units__gt=0) | Q(reverses__isnull=False, units__lt=0),
                name="distribution_positive_unless_reversal",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | ~Q(event="") | Q(reverses__isnull=False),
                name="distribution_goes_somewhere",
            ),
        ]
        indexes = [models.Index(fields=["dong", "on"])]

    def __str__(self) -> str:
        return f"{self.lot} × {self.units}"
