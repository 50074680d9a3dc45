"""The clocks of intake and their rules: how long after what each step is due, in calendar or working days.

Each rule is a district's reference data (its administrator edits it); a district that has set none gets the
defaults below. What the defaults rest on is in docs/user-guide.md, "오늘 할 일과 기한": the on-site check's 3 days
are the Songsan 3-dong promise, the follow-up's month is the law's; the others are starting points for a district to
replace with its own guidance.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.core.workdays import Counting, Period, PeriodUnit
from dolbom.registry.models import AdministrativeArea, AreaLevel


class Clock(models.TextChoices):
    ON_SITE_CHECK = "on_site_check", _("On-site check of an emergency support request")
    DECISION = "decision", _("Decision on emergency support, after the on-site check")
    FOLLOW_UP = "follow_up", _("Follow-up investigation, after the decision to support")
    REFERRAL_ANSWER = "referral_answer", _("Answer to a referral")
    WORK_OUTCOME = "work_outcome", _("Outcome of a worklist item")
    CONSULT_DECISION = "consult_decision", _("Decision after an initial consultation")


DEFAULT_PERIODS: dict[str, Period] = {
    Clock.ON_SITE_CHECK: Period(3),
    Clock.DECISION: Period(2),
    Clock.FOLLOW_UP: Period(1, PeriodUnit.MONTHS),
    Clock.REFERRAL_ANSWER: Period(7),
    Clock.WORK_OUTCOME: Period(14),
    # A consultation is the moment a household told its story: what follows is decided within the week.
    Clock.CONSULT_DECISION: Period(7),
}


class DeadlineRule(models.Model):
    """One clock's rule in one district."""

    district = models.ForeignKey(
        AdministrativeArea,
        on_delete=models.PROTECT,
        related_name="deadline_rules",
        limit_choices_to={"level": AreaLevel.SIGUNGU},
        verbose_name=_("district"),
    )
    clock = models.CharField(_("clock"), max_length=16, choices=Clock.choices)
    length = models.PositiveSmallIntegerField(_("within"))
    unit = models.CharField(_("unit"), max_length=6, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)
    counting = models.CharField(
        _("counting"),
        max_length=8,
        choices=Counting.choices,
        default=Counting.CALENDAR,
        help_text=_("Working days skip weekends and public holidays, substitute holidays included."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("Where the rule comes from."))

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [models.UniqueConstraint(fields=["district", "clock"], name="one_rule_per_clock_and_district")]

    def __str__(self) -> str:
        return f"{self.district} · {self.get_clock_display()}"

    @property
    def period(self) -> Period:
        return Period(self.length, self.unit, self.counting)
