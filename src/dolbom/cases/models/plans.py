"""The case plan (서비스 계획) in versions: goals per need domain with a measurable target, the services to reach
them, who is responsible and by when, and the household's agreement (a signed form, or spoken in front of a
witness). A plan is changed by writing the next version; an agreed version is never edited."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.cases.models.cases import Case
from dolbom.core.needs import NeedDomain
from dolbom.registry.models import Agency, ConsentMethod


class CasePlan(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    version = models.PositiveSmallIntegerField(default=1)
    made_on = models.DateField(_("drawn up on"))
    monitoring_days = models.PositiveSmallIntegerField(
        _("monitoring every (days)"), null=True, blank=True,
        help_text=_("Empty: the district's monitoring clock."),
    )  # fmt: skip
    summary = models.TextField(_("summary"), blank=True)
    agreed_on = models.DateField(_("agreed on"), null=True, blank=True)
    agreement = models.CharField(_("agreement"), max_length=12, choices=ConsentMethod.choices, blank=True)
    witness_name = models.CharField(_("witness"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")
        ordering = ["case", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="one_plan_per_case_version")]

    def __str__(self) -> str:
        return f"{self.case} {_('plan')} v{self.version}"


class GoalStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class Goal(models.Model):
    plan = models.ForeignKey(CasePlan, on_delete=models.PROTECT, related_name="goals")
    domain = models.CharField(_("domain"), max_length=20, choices=NeedDomain.choices)
    goal = models.CharField(_("goal"), max_length=300)
    target = models.CharField(_("measurable target"), max_length=300)
    services = models.CharField(_("services to reach it"), max_length=300, blank=True)
    responsible_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("responsible")
    )
    target_on = models.DateField(_("target date"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.goal
