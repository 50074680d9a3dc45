"""The first conversation and what it decides (docs/process.md steps 3–5): the initial consultation (초기상담), the
needs assessment (욕구조사/사정) in the ten domains with a crisis level on the district's scale, and the decision
that sends the household on — each decision a row that the next capability (emergency support, eligibility, case
management) picks up.

Nothing an officer recorded is overwritten. A consultation is an episode (`Consultation`, one per worklist item)
whose content is kept in numbered versions (`ConsultationRecord`): a correction is version 2, and version 1 stays.
An assessment re-done is a new row that says which one it replaces. A wrong decision is withdrawn with a reason,
never deleted. Every form carries a token (`submission`): the same form sent twice (a double click, the browser's
back button) is the same record, found by its token, not a second one.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.core.needs import NeedDomain
from dolbom.intake.models.work import ContactKind, WorkItem
from dolbom.registry.models import AdministrativeArea, ConsentPurpose, Household, Person, Staff


class CrisisKind(models.TextChoices):
    """What happened, as the officer names it: the short list of the emergency-support law's crises and more."""

    JOB_LOSS = "job_loss", _("Job loss or business closure")
    ILLNESS = "illness", _("Illness or injury")
    DEBT = "debt", _("Debt or arrears")
    BEREAVEMENT = "bereavement", _("Bereavement")
    VIOLENCE = "violence", _("Violence or abuse")
    DISASTER = "disaster", _("Fire or disaster")
    ISOLATION = "isolation", _("Isolation")
    OTHER = "other", pgettext_lazy("kind of crisis", "Other")


class RiskKind(models.TextChoices):
    """Immediate risks the officer checks before leaving: any one of them may need help today."""

    SAFETY = "safety", pgettext_lazy("immediate risk", "Safety")
    HEALTH = "health", pgettext_lazy("immediate risk", "Health")
    SHELTER = "shelter", pgettext_lazy("immediate risk", "Shelter")
    FOOD = "food", pgettext_lazy("immediate risk", "Food")
    HEATING = "heating", pgettext_lazy("immediate risk", "Heating")


class ConsentAnswer(models.TextChoices):
    """Whether the household agreed to share its data (the consent itself is recorded in the registry)."""

    GIVEN = "given", _("Consent given")
    REFUSED = "refused", _("Consent refused")
    NOT_ASKED = "not_asked", _("Not asked yet")


class NeedLevel(models.TextChoices):
    NONE = "none", _("No need")
    SOME = "some", _("Some need")
    SERIOUS = "serious", _("Serious need")


class DecisionKind(models.TextChoices):
    LINKAGE = "linkage", _("Simple service linkage")
    EMERGENCY = "emergency", _("Emergency support")
    BENEFIT = "benefit", _("Benefit application")
    CASE_CANDIDATE = "case_candidate", _("Case-management candidate")
    NO_NEED = "no_need", _("No need")


class DecisionStatus(models.TextChoices):
    """A decision that needs another capability waits as `pending` until that capability takes it up; one that is
    complete when made (a simple linkage, no need) is `done`."""

    PENDING = "pending", _("Waiting for the next step")
    TAKEN = "taken", _("Taken up")
    DONE = "done", pgettext_lazy("decision status", "Done")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CrisisLevel(models.Model):
    """One step of a district's crisis scale (위기도): reference data its administrator edits in the admin. No
    national labels exist (docs/facts.md), so each district keeps its own; a district without any gets the
    default 고위기 / 위기 / 일반 the first time it is needed."""

    district = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="crisis_levels", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=30)
    order = models.PositiveSmallIntegerField(
        _("order"), help_text=_("1 is the most serious; the scale is shown in this order.")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("A level no longer used stays on the assessments that chose it.")
    )

    class Meta:
        verbose_name = _("crisis level")
        verbose_name_plural = _("crisis levels")
        ordering = ["district", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="crisis_level_name_per_district")]

    def __str__(self) -> str:
        return self.name


class Consultation(models.Model):
    """One initial consultation of a household: the episode that its versions, assessments and decisions belong
    to. It closes the worklist item it came from, so an item has at most one."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="consultations")
    work_item = models.OneToOneField(WorkItem, on_delete=models.PROTECT, related_name="consultation")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("initial consultation")
        verbose_name_plural = _("initial consultations")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{_('Initial consultation')} {self.pk}"


class ConsultationRecord(models.Model):
    """What was recorded at the consultation, one version: the highest version is what stands, the earlier ones
    are the history."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="records")
    version = models.PositiveSmallIntegerField(default=1)
    held_on = models.DateField(_("date"))
    officer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer"))
    contact = models.CharField(_("contact"), max_length=8, choices=ContactKind.choices)
    # The registered members the officer found living here; a registered member not among them is a finding too.
    members = models.ManyToManyField(Person, related_name="+", blank=True, verbose_name=_("members living here"))
    others_present = models.TextField(_("people here who are not registered"), blank=True)
    what_happened = models.TextField(_("what happened"))
    crisis_kinds = models.JSONField(_("kinds of crisis"), default=list)
    consent = models.CharField(_("consent to share"), max_length=10, choices=ConsentAnswer.choices)
    consent_purposes = models.JSONField(_("consented purposes"), default=list, blank=True)
    consent_note = models.TextField(_("about the consent"), blank=True)
    correction_reason = models.CharField(_("why corrected"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("consultation record")
        verbose_name_plural = _("consultation records")
        ordering = ["consultation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "version"], name="one_record_per_consultation_version")
        ]

    def __str__(self) -> str:
        return f"{self.consultation} v{self.version}"

    def crisis_kind_labels(self) -> list[str]:
        return [str(CrisisKind(kind).label) for kind in self.crisis_kinds if kind in CrisisKind.values]

    def consent_purpose_labels(self) -> list[str]:
        return [str(ConsentPurpose(p).label) for p in self.consent_purposes if p in ConsentPurpose.values]


class ImmediateRisk(models.Model):
    """One of the immediate risks of a consultation record, answered yes or no, with what the officer saw."""

    record = models.ForeignKey(ConsultationRecord, on_delete=models.PROTECT, related_name="risks")
    kind = models.CharField(_("risk"), max_length=8, choices=RiskKind.choices)
    present = models.BooleanField(_("present"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("immediate risk")
        verbose_name_plural = _("immediate risks")
        constraints = [models.UniqueConstraint(fields=["record", "kind"], name="one_answer_per_risk")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.present}"


class Assessment(models.Model):
    """The needs of the household in the ten domains and its crisis level, with the reasons. Re-done as a new row
    that names the one it replaces: the latest stands, the others are its history."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("date"))
    officer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("officer"))
    crisis_level = models.ForeignKey(
        CrisisLevel, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("crisis level")
    )
    crisis_reasons = models.TextField(_("reasons for the crisis level"))
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by",
        verbose_name=_("replaces"),
    )  # fmt: skip
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    submission = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["consultation", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{_('Needs assessment')} {self.pk}"


class NeedRating(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="needs")
    domain = models.CharField(_("domain"), max_length=20, choices=NeedDomain.choices)
    level = models.CharField(_("level"), max_length=8, choices=NeedLevel.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [models.UniqueConstraint(fields=["assessment", "domain"], name="one_rating_per_domain")]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.get_level_display()}"


class Decision(models.Model):
    """One thing decided after the consultation. A decision that another capability carries on (emergency
    support, a benefit application, a case-management candidate) waits as `pending` until it is taken up there,
    with a reference to what it became."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="decisions")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=DecisionStatus.choices)
    decided_on = models.DateField(_("date"))
    # A simple linkage: what, and to whom. No need: why. Anything else the next step should know.
    service = models.CharField(_("what"), max_length=200, blank=True)
    partner = models.CharField(_("to whom"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    submission = models.UUIDField(default=uuid.uuid4, editable=False)
    withdrawn_reason = models.CharField(_("why withdrawn"), max_length=500, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    taken_reference = models.CharField(_("taken up as"), max_length=100, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["consultation", "recorded_at", "pk"]
        indexes = [models.Index(fields=["kind", "status"])]
        constraints = [
            # One form sends several kinds at once; sent twice, it is found by its token and not recorded again.
            models.UniqueConstraint(fields=["submission", "kind"], name="one_decision_per_kind_per_submission")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
