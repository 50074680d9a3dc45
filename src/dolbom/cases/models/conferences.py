"""The case conference (사례회의 / 통합사례회의) as a first-class object: an agenda of cases, attendees from several
agencies, and a decision per case that moves it (select, approve the plan, extend, transfer, close). The district's
regular conference (monthly in many districts, a local practice) and ad-hoc conferences of one dong are the same
object with a different `kind`. The minutes are the record: once a conference is closed its decisions stand, and a
wrong one is corrected by the next conference, never edited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.cases.models.cases import Case, ClosureReason
from dolbom.registry.models import AdministrativeArea, Agency, Staff


class ConferenceKind(models.TextChoices):
    DISTRICT = "district", _("District integrated case conference")
    DONG = "dong", _("Dong case conference")


class ConferenceStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("conference status", "Planned")
    HELD = "held", _("Held: decisions being recorded")
    CLOSED = "closed", _("Minutes closed")


class Conference(models.Model):
    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="conferences",
        verbose_name=_("dong"), help_text=_("Only for a dong's own conference."),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=8, choices=ConferenceKind.choices)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    chair = models.CharField(_("chair"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ConferenceStatus.choices)
    notes = models.TextField(_("general discussion"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case conference")
        verbose_name_plural = _("case conferences")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%Y-%m-%d}"


class Attendee(models.Model):
    """Someone at the table: a staff member of Dolbom, or a person from an agency named by hand."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="attendees")
    name = models.CharField(_("name"), max_length=60)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )
    agency_name = models.CharField(_("agency (not in the list)"), max_length=100, blank=True)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["conference", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def agency_label(self) -> str:
        return self.agency.name if self.agency_id else self.agency_name


class Proposal(models.TextChoices):
    """What a case comes to the table for."""

    SELECTION = "selection", _("Selection")
    PLAN = "plan", _("Plan approval")
    EXTENSION = "extension", _("Extension")
    TRANSFER = "transfer", pgettext_lazy("agenda proposal", "Transfer")
    CLOSURE = "closure", pgettext_lazy("agenda proposal", "Closure")
    REVIEW = "review", _("Progress review")


class Outcome(models.TextChoices):
    """What the conference decided about one case."""

    SELECT = "select", _("Select")
    NOT_SELECT = "not_select", _("Do not select")
    APPROVE_PLAN = "approve_plan", _("Approve the plan")
    EXTEND = "extend", _("Extend")
    TRANSFER = "transfer", _("Transfer")
    CLOSE = "close", _("Close")
    CONTINUE = "continue", _("Continue as planned")
    DEFER = "defer", _("Defer to a later conference")


class AgendaItem(models.Model):
    """One case on a conference's agenda, and what was decided about it. The decision moves the case (a
    `Transition` naming this item) in the same transaction as it is recorded."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="agenda")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="agenda_items")
    proposal = models.CharField(_("for"), max_length=10, choices=Proposal.choices)
    presenter = models.CharField(_("presented by"), max_length=60, blank=True)
    discussion = models.TextField(_("discussion"), blank=True)
    outcome = models.CharField(_("decision"), max_length=14, choices=Outcome.choices, blank=True)
    # What the decision needs: the lead for a selection or a transfer, the months of an extension, the reason of a
    # closure, the type of case.
    lead_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lead agency")
    )
    lead_worker = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lead worker")
    )
    to_dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("to dong"),
    )  # fmt: skip
    closure_reason = models.CharField(_("closure reason"), max_length=14, choices=ClosureReason.choices, blank=True)
    decision_note = models.TextField(_("reasons for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["conference", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["conference", "case"], name="a_case_once_per_conference")]

    def __str__(self) -> str:
        return f"{self.conference} · {self.case}"
