"""A calculation kept on the household: what the officer entered, what the calculator answered, under which year's
rules, and when. Never changed afterwards: a new calculation is a new row, so the household's history shows what
the family was told at the door and on which figures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.eligibility.ruleset import Benefit
from dolbom.registry.models import AdministrativeArea, Household, Staff


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


# ----------------------------------------------------------------------------------- applications and re-guidance
class ApplicationOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for the decision")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")
    # Granted once, stopped since (중지): a household re-guidance looks for, like a rejected one.
    SUSPENDED = "suspended", _("Suspended")


# What re-guidance looks for: a no from the benefit's office, now or earlier.
TURNED_DOWN = (ApplicationOutcome.REJECTED, ApplicationOutcome.SUSPENDED)


class BenefitApplication(models.Model):
    """A household's application for a public benefit (the customised benefits or the near-poor level) and what
    the office decided: the record of rejections and suspensions that re-guidance starts from, and what a
    re-guidance target led to. The registry keeps no benefit status, so the dong records it here.

    A changed outcome is written on the row (pending → granted, granted → suspended) with its date, the change
    in the audit log with the outcome before."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="benefit_applications")
    benefit = models.CharField(_("benefit"), max_length=12, choices=Benefit.choices)
    applied_on = models.DateField(_("applied on"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=ApplicationOutcome.choices, default=ApplicationOutcome.PENDING
    )
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
    # The re-guidance that led to the application, if any.
    target = models.ForeignKey(
        "eligibility.ReguidanceTarget", on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    # The consultation's decision to apply (intake's "benefit application") that this application took up: once.
    decision = models.OneToOneField(
        "intake.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="benefit_application"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("benefit application")
        verbose_name_plural = _("benefit applications")
        ordering = ["-applied_on", "-pk"]
        indexes = [models.Index(fields=["household", "outcome"])]

    def __str__(self) -> str:
        return f"{self.get_benefit_display()} {self.applied_on:%Y-%m-%d}"


class ReguidanceCampaign(models.Model):
    """A district's re-guidance (맞춤형 급여 안내, 위기·틈새가정 재안내): households turned down before, near the
    near-poor level or just above a line, and those whose situation changed since, each put on its dong's
    worklist with the reasons it was chosen. The margin is the district's: how far above a line still counts."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=100)
    margin_percent = models.PositiveSmallIntegerField(_("margin above a line (%)"), default=10)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("re-guidance campaign")
        verbose_name_plural = _("re-guidance campaigns")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class AlreadyOn(models.TextChoices):
    """A target already being worked on is marked, not put on the worklist a second time."""

    NO = "", _("Put on the worklist")
    OPEN_ITEM = "open_item", _("Already on the worklist")
    OPEN_CASE = "open_case", _("Already in case management")


class ReguidanceTarget(models.Model):
    """One household of a re-guidance campaign, with why it was chosen.

    A sibling of intake's survey-campaign target rather than a kind of it: the reasons, the margin and the
    applications are eligibility's, while the dong's work stays on intake's one worklist — `work_item` is the
    item this campaign opened (source re-guidance) or the household's item already open, so the visits are
    recorded where every other visit is."""

    campaign = models.ForeignKey(ReguidanceCampaign, on_delete=models.PROTECT, related_name="targets")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    # [{"code": ..., values}], shown in Korean by `reason_texts` (see selectors.reason_text).
    reasons = models.JSONField(_("reasons"), default=list)
    already = models.CharField(_("already"), max_length=10, choices=AlreadyOn.choices, blank=True, default="")
    work_item = models.ForeignKey(
        "intake.WorkItem", on_delete=models.PROTECT, null=True, blank=True, related_name="reguidance_targets"
    )

    class Meta:
        verbose_name = _("re-guidance target")
        verbose_name_plural = _("re-guidance targets")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="one_reguidance_target_per_household")
        ]
        indexes = [models.Index(fields=["campaign", "dong"])]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk}"


# ------------------------------------------------------------------------------------------------- after-care
class ReverificationResult(models.TextChoices):
    """What a periodic re-verification (정기 확인조사) found. The decision to change or stop a benefit is the benefit
    office's: the dong records what it found and what it passed on, never a decision it cannot take."""

    UNCHANGED = "unchanged", _("No change: the benefit continues")
    CHANGED = "changed", _("Changed: passed to the benefit office to adjust")
    ENDED = "ended", _("No longer eligible: passed to the benefit office to stop")


class Reverification(models.Model):
    """One re-verification of a recipient household for a granted benefit. The next one is due `reverify_months`
    (the year's rules) after the latest `done_on`, or after the grant when there is none yet: the schedule is
    computed, never stored, so a grant recorded late or a re-verification corrected moves it at once."""

    application = models.ForeignKey(BenefitApplication, on_delete=models.PROTECT, related_name="reverifications")
    done_on = models.DateField(_("re-verified on"))
    result = models.CharField(_("result"), max_length=10, choices=ReverificationResult.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    rule_version = models.CharField(_("rules version"), max_length=20)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The same form sent twice is the same re-verification.
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("re-verification")
        verbose_name_plural = _("re-verifications")
        ordering = ["-done_on", "-pk"]
        indexes = [models.Index(fields=["application", "-done_on"])]

    def __str__(self) -> str:
        return f"{self.application} {self.done_on:%Y-%m-%d}"


class ReviewDecision(models.TextChoices):
    """A person's decision on a change that may mean a benefit is no longer due (부정수급 의심 검토)."""

    OPEN = "", _("Waiting for a decision")
    NO_ISSUE = "no_issue", _("Checked: the benefit is still due")
    REVERIFY = "reverify", _("Re-verify the household now")
    REFER = "refer", _("Passed to the benefit office to adjust, stop or recover")


class AftercareReview(models.Model):
    """A change after a grant that may mean the benefit is no longer due — a member joined or left, died, the
    household moved away, or a later calculation found its income over the line — waiting for a person to decide.
    Nothing is decided automatically: the benefit stays as recorded until someone decides and is named here; a
    decision changed later is changed on the row, with the one before in the audit log."""

    application = models.ForeignKey(BenefitApplication, on_delete=models.PROTECT, related_name="reviews")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    # {"code": ..., "on": ISO date, values}: shown in Korean by aftercare.reason_text
    reason = models.JSONField(_("reason"), default=dict)
    # The change itself, so that looking again finds it once: "<code>:<row id or date>".
    change = models.CharField(_("change"), max_length=60)
    observed_on = models.DateField(_("changed on"))
    found_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=ReviewDecision.choices, blank=True, default=ReviewDecision.OPEN
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("after-care review")
        verbose_name_plural = _("after-care reviews")
        ordering = ["observed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "change"], name="one_review_per_change"),
        ]
        indexes = [models.Index(fields=["dong", "decision"])]

    def __str__(self) -> str:
        return f"{self.application} {self.change}"
