"""Referrals (복지위기 신고): reports of a household in crisis, by safety-net members, residents, agencies, or an
officer taking a call. Each referral is also an item of the dong's worklist (`WorkItem`), where the work on it is
done; the referral keeps what the reporter gave and what the reporter may see of the answer."""

from __future__ import annotations

import secrets

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


class ReferralAnswer(models.TextChoices):
    """What the reporter is told when the referral is closed: never who the household is or what it got."""

    HELPED = "helped", _("The household was connected with help")
    NO_ACTION = "no_action", _("Checked: no action was needed")
    NOT_REACHED = "not_reached", _("The household could not be reached")
    ELSEWHERE = "elsewhere", _("Handed to the office responsible")
    CHECKED = "checked", _("Checked by the community service centre")


def new_receipt_number() -> str:
    """A short number a reporter can read over the phone (no 0/O, 1/I); unguessable enough that knowing one's own
    number tells nothing of others'."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(2))


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
    reporter_contact = models.CharField(
        _("reporter's contact"), max_length=100, blank=True, help_text=_("for a call back; never shown to others")
    )
    receipt_number = models.CharField(_("receipt number"), max_length=9, unique=True, default=new_receipt_number)
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    answer = models.CharField(_("answer"), max_length=12, choices=ReferralAnswer.choices, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{_('Referral')} {self.pk}"
