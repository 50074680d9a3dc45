"""The dong's worklist: one row per household (or, before it is identified, per report) that someone must reach,
whatever found it — a screening round, a referral, a survey campaign, an outreach event or a walk-in — with who
has it, every visit or call made, and how it ended.

A round's listing stays discovery's record (score, reasons, the label the next model learns from); the work on it
is done here, and its outcome is written back through discovery's services. Every visit is a row, and a
correction is a new row pointing at the one it corrects: nothing an officer recorded is overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.registry.models import AdministrativeArea, Household, Staff


class WorkSource(models.TextChoices):
    ROUND = "round", _("Screening round")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Survey campaign")
    EVENT = "event", _("Outreach event")
    WALK_IN = "walk_in", _("Walk-in")
    REGUIDANCE = "reguidance", _("Re-guidance campaign")


class WorkStatus(models.TextChoices):
    OPEN = "open", _("Not yet assigned")
    ASSIGNED = "assigned", pgettext_lazy("work item status", "Assigned")
    IN_CONTACT = "in_contact", _("In contact")
    CLOSED = "closed", pgettext_lazy("work item status", "Closed")


class WorkOutcome(models.TextChoices):
    """How reaching the household ended. The first seven mean for a round's listing what discovery's outcomes mean
    (the label of the next model); `consultation` is the door to intake's next steps."""

    HELPED = "helped", _("Helped")
    REFERRED = "referred", _("Referred to a service")
    NOT_ELIGIBLE = "not_eligible", _("Not in need or not eligible")
    UNREACHABLE = "unreachable", _("Unreachable")
    REFUSED = "refused", _("Refused")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")
    CONSULTATION = "consultation", _("Initial consultation held")


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    OFFICE = "office", _("At the office")


class VisitResult(models.TextChoices):
    MET = "met", _("Met")
    ABSENT = "absent", _("Nobody there / no answer")
    REFUSED = "refused", _("Refused contact")
    MOVED = "moved", _("No longer lives there")


class IntakePolicy(models.Model):
    """A district's rules for reaching households (reference data, edited by its administrator)."""

    district = models.OneToOneField(
        AdministrativeArea, on_delete=models.PROTECT, related_name="intake_policy", verbose_name=_("district")
    )
    tries_before_unreachable = models.PositiveSmallIntegerField(
        _("tries before unreachable"),
        default=3,
        help_text=_("Absent visits or unanswered calls after which the household is recorded as unreachable."),
    )
    retry_after_days = models.PositiveSmallIntegerField(
        _("days before another try"), default=3, help_text=_("When nobody was there, the next try is due after.")
    )

    class Meta:
        verbose_name = _("intake policy")
        verbose_name_plural = _("intake policies")

    def __str__(self) -> str:
        return str(self.district)


class WorkItem(models.Model):
    """A household to reach, on a dong's worklist."""

    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="work_items")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="work_items")
    source = models.CharField(_("found by"), max_length=10, choices=WorkSource.choices)
    # Where it came from: exactly one, by source (see the constraint).
    outreach_item = models.OneToOneField(
        "discovery.OutreachItem", on_delete=models.PROTECT, null=True, blank=True, related_name="work_item"
    )
    referral = models.OneToOneField(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="work_item"
    )
    assigned_to = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="work_items", verbose_name=_("officer")
    )
    status = models.CharField(_("status"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=14, choices=WorkOutcome.choices, blank=True)
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
    next_try_on = models.DateField(_("next try due"), null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Raised by every change: a form carries the version it was shown with, and a change made in the meantime
    # by someone else is refused and named instead of silently overwritten.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("worklist item")
        verbose_name_plural = _("worklist")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["dong", "status"]), models.Index(fields=["assigned_to", "status"])]
        constraints = [
            models.CheckConstraint(
                name="work_item_source_has_its_record",
                condition=(
                    (Q(source="round") & Q(outreach_item__isnull=False) & Q(referral__isnull=True))
                    | (Q(source="referral") & Q(referral__isnull=False) & Q(outreach_item__isnull=True))
                    | (~Q(source__in=["round", "referral"]) & Q(outreach_item__isnull=True) & Q(referral__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}"


class Visit(models.Model):
    """One attempt to reach the household: a home visit, a call, a meeting at the office."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer"))
    on = models.DateField(_("date"))
    kind = models.CharField(_("contact"), max_length=8, choices=ContactKind.choices)
    result = models.CharField(_("result"), max_length=8, choices=VisitResult.choices)
    note = models.TextField(_("note"), blank=True)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by",
        verbose_name=_("corrects"),
    )  # fmt: skip
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on:%Y-%m-%d}"
