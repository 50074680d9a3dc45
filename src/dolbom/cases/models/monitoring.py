"""Monitoring (점검) at the plan's interval, reassessment (재사정) of needs and crisis level, and the follow-up
checks (사후관리) after closure. Notes are added, never edited: a correction is a new note."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dolbom.cases.models.cases import Case
from dolbom.cases.models.plans import Goal, GoalStatus
from dolbom.registry.models import Staff


class NoteKind(models.TextChoices):
    MONITORING = "monitoring", _("Monitoring")
    REASSESSMENT = "reassessment", _("Reassessment")


class MonitoringNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(_("kind"), max_length=12, choices=NoteKind.choices)
    held_on = models.DateField(_("date"))
    worker = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("worker"))
    note = models.TextField(_("what was found"))
    # A reassessment: needs per domain ({domain: level}, the levels of intake's assessment) and the crisis level
    # on the district's scale, by name as it read that day.
    needs = models.JSONField(_("needs"), default=dict, blank=True)
    crisis_level = models.CharField(_("crisis level"), max_length=30, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring note")
        verbose_name_plural = _("monitoring notes")
        ordering = ["case", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.held_on}"


class GoalProgress(models.Model):
    note = models.ForeignKey(MonitoringNote, on_delete=models.PROTECT, related_name="progress")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(_("status"), max_length=8, choices=GoalStatus.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("goal progress")
        verbose_name_plural = _("goal progress")
        constraints = [models.UniqueConstraint(fields=["note", "goal"], name="one_progress_per_goal_and_note")]

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_status_display()}"


class FollowUpCheck(models.Model):
    """A check after closure, due on a date; done with what was found. A household found in difficulty again is
    reopened (a new transition), not noted away."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The case was reopened before the check was done: it stays in the history, and no longer falls due.
    superseded_on = models.DateField(_("no longer due since"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up check")
        verbose_name_plural = _("follow-up checks")
        ordering = ["case", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="one_follow_up_per_number")]

    def __str__(self) -> str:
        return f"{self.case} #{self.number}"
