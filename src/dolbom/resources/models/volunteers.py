"""Volunteers (자원봉사, 재능나눔): who gives time, with what skills, when and where; the hours they gave, which the
district reports to 1365 (the national volunteer portal) for their certificates. A volunteer's name and phone are
personal data, kept with their consent and shown masked in lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.core.masking import mask_name, mask_phone
from dolbom.registry.models import AdministrativeArea


class Skill(models.TextChoices):
    REPAIRS = "repairs", _("Home repairs")
    TUTORING = "tutoring", _("Tutoring")
    MEDICAL = "medical", _("Medical")
    LEGAL = "legal", _("Legal advice")
    CLEANING = "cleaning", _("Cleaning")
    COOKING = "cooking", _("Cooking and side dishes")
    COMPANIONSHIP = "companionship", _("Visits and companionship")
    DRIVING = "driving", _("Driving")
    OTHER = "other", pgettext_lazy("volunteer skill", "Other")


class Volunteer(models.Model):
    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("dong where they help")
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    portal_id = models.CharField(_("1365 member ID"), max_length=30, blank=True)
    skills = models.JSONField(_("skills"), default=list)
    availability = models.CharField(_("when they can help"), max_length=200, blank=True)
    consent_on = models.DateField(_("consented to keeping their data on"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class VolunteerHours(models.Model):
    """Time one volunteer gave on one day."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    activity = models.CharField(_("what they did"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer hours")
        verbose_name_plural = _("volunteer hours")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0) & Q(minutes__lte=24 * 60), name="hours_within_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.on:%Y-%m-%d}"
