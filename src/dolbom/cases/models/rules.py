"""A district's rules for case management: its case types and the lengths of things.

National guidance fixes little (docs/facts.md): the case types 일반사례 and 고난도사례, and the timelines of local
guidance (assessment about 10 days after intake, selection about 5 days after the conference, a plan about 15
days after selection, an agreed plan within 30 days of intake). A standard case duration, its extension, the
monitoring interval and the checks after closure are local practice; the defaults below are starting points a
district's administrator replaces with its own (each rule keeps its source).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.core.workdays import Counting, Period, PeriodUnit
from dolbom.registry.models import AdministrativeArea, AreaLevel


class CaseTier(models.TextChoices):
    """What a case type is, for the figures: the two types of the 희망복지지원단 guidance."""

    GENERAL = "general", _("General case")
    COMPLEX = "complex", _("Complex case")


class CaseType(models.Model):
    """A district's case type (reference data). A district without any gets 일반사례 and 고난도사례 the first time
    one is needed."""

    district = models.ForeignKey(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="case_types",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    name = models.CharField(_("name"), max_length=40)
    tier = models.CharField(_("tier"), max_length=8, choices=CaseTier.choices)
    duration_months = models.PositiveSmallIntegerField(
        _("duration in months"), help_text=_("How long a case of this type runs before it is closed or extended.")
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("case type")
        verbose_name_plural = _("case types")
        ordering = ["district", "tier", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="case_type_name_per_district")]

    def __str__(self) -> str:
        return self.name


class CaseClock(models.TextChoices):
    """The deadlines of a case, each counted from its own start."""

    ASSESSMENT = "assessment", _("Needs assessment, after intake")
    SELECTION = "selection", _("Selection decision, after the case conference")
    PLAN = "plan", _("Case plan, after selection")
    AGREED_PLAN = "agreed_plan", _("Plan agreed with the household, after intake")
    LINKAGE_ANSWER = "linkage_answer", _("Answer to a service linkage, after the request")
    MONITORING = "monitoring", _("Monitoring, after the last one")
    FOLLOW_UP = "follow_up", _("Follow-up check, after closure")


DEFAULT_CLOCKS: dict[str, Period] = {
    CaseClock.ASSESSMENT: Period(10),
    CaseClock.SELECTION: Period(5),
    CaseClock.PLAN: Period(15),
    CaseClock.AGREED_PLAN: Period(30),
    CaseClock.LINKAGE_ANSWER: Period(7),
    CaseClock.MONITORING: Period(1, PeriodUnit.MONTHS),
    CaseClock.FOLLOW_UP: Period(3, PeriodUnit.MONTHS),
}


class CaseClockRule(models.Model):
    """One clock's length in one district; the defaults above stand where a district has set none."""

    district = models.ForeignKey(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="case_clock_rules",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    clock = models.CharField(_("clock"), max_length=16, choices=CaseClock.choices)
    length = models.PositiveSmallIntegerField(_("within"))
    unit = models.CharField(_("unit"), max_length=6, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)
    counting = models.CharField(_("counting"), max_length=8, choices=Counting.choices, default=Counting.CALENDAR)
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("Where the rule comes from."))

    class Meta:
        verbose_name = _("case deadline rule")
        verbose_name_plural = _("case deadline rules")
        constraints = [models.UniqueConstraint(fields=["district", "clock"], name="one_case_rule_per_clock")]

    def __str__(self) -> str:
        return f"{self.district} · {self.get_clock_display()}"

    @property
    def period(self) -> Period:
        return Period(self.length, self.unit, self.counting)


class CaseSettings(models.Model):
    """The district's other lengths: how many extensions a case may get and how long each is, and how many
    follow-up checks follow a closure."""

    district = models.OneToOneField(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="case_settings",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    extension_months = models.PositiveSmallIntegerField(_("months per extension"), default=3)
    max_extensions = models.PositiveSmallIntegerField(_("extensions at most"), default=2)
    follow_up_checks = models.PositiveSmallIntegerField(
        _("follow-up checks after closure"), default=2, help_text=_("Spaced by the follow-up clock.")
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("case management settings")
        verbose_name_plural = _("case management settings")

    def __str__(self) -> str:
        return str(self.district)


DEFAULT_SETTINGS = {"extension_months": 3, "max_extensions": 2, "follow_up_checks": 2}
# 일반사례 and 고난도사례 as the guidance names them (their names are the tiers' labels in the installation's
# language); the durations in months are local starting points.
DEFAULT_TYPES = ((CaseTier.GENERAL, 6), (CaseTier.COMPLEX, 12))
