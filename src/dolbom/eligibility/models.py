"""A calculation kept on the household: what the officer entered, what the calculator answered, under which year's
rules, and when. Never changed afterwards: a new calculation is a new row, so the household's history shows what
the family was told at the door and on which figures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.registry.models import Household, Staff


class EligibilityCheck(models.Model):
    """One eligibility calculation for a household (소득인정액 모의 계산). The inputs hold amounts and ages only, no
    name or number: the members are counted, not identified."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="eligibility_checks")
    checked_on = models.DateField(_("date"), db_index=True)
    year = models.PositiveSmallIntegerField(_("rules year"))
    rule_version = models.CharField(_("rules version"), max_length=20)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    income_evaluation = models.BigIntegerField(_("income evaluation (won)"))
    property_income = models.BigIntegerField(_("income-converted property (won)"))
    recognised_income = models.BigIntegerField(_("recognised income (won)"))
    # benefit → outcome (dolbom.eligibility.calculator.Outcome), for lists that need no steps
    outcomes = models.JSONField(_("outcomes"), default=dict)
    inputs = models.JSONField(_("inputs"), default=dict)  # calculator.HouseholdFacts, as entered
    result = models.JSONField(_("result"), default=dict)  # steps, benefits and flags, as shown
    note = models.CharField(_("note"), max_length=500, blank=True)
    officer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The same form sent twice (a double click, the back button) is the same calculation, found by this token.
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("eligibility check")
        verbose_name_plural = _("eligibility checks")
        ordering = ["-checked_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{_('Eligibility check')} {self.pk}"
