"""Referrals (복지위기 신고): reports of a household in crisis, by safety-net members, residents or agencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.registry.models import AdministrativeArea, Household


class ReferralChannel(models.TextChoices):
    SAFETY_NET = "safety_net", _("Safety-net member")
    AGENCY = "agency", _("Agency")
    PHONE = "phone", _("Phone")
    PUBLIC_FORM = "public_form", _("Public form")
    WALK_IN = "walk_in", _("Walk-in")


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being checked")
    CLOSED = "closed", _("Closed")


class Referral(models.Model):
    """What the reporter saw, where. The reporter sees their own referrals and their status, nothing more."""

    channel = models.CharField(_("channel"), max_length=12, choices=ReferralChannel.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="referrals")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    address_text = models.CharField(_("where"), max_length=200)
    concern = models.TextField(_("what was noticed"))
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{_('Referral')} {self.pk}"
