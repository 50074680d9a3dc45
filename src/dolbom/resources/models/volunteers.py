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

    @property
    def skill_codes(self) -> list[str]:
        """The volunteer's skills as codes (`Skill` values), in code order; prefetch `skills` when listing."""
        return sorted(row.skill for row in self.skills.all())

    @property
    def skill_names(self) -> list[str]:
        """The volunteer's skills as the user reads them, in code order."""
        return [str(row.get_skill_display()) for row in sorted(self.skills.all(), key=lambda row: row.skill)]


class VolunteerSkill(models.Model):
    """One skill of one volunteer. A row per skill (rather than a list in a JSON column, which SQLite cannot
    search) lets the database pick the volunteers who answer a need through the index on `skill`."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="skills")
    skill = models.CharField(_("skill"), max_length=16, choices=Skill.choices)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            # Leading with `skill`, its index answers "who has one of these skills"; the foreign key's own index
            # answers "what skills has this volunteer".
            models.UniqueConstraint(fields=["skill", "volunteer"], name="one_row_per_volunteer_skill"),
        ]

    def __str__(self) -> str:
        return str(self.get_skill_display())


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
