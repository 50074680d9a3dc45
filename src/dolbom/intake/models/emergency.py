"""Emergency welfare support (긴급복지지원, docs/process.md step 6): support first, verify after.

An application for a household starts the clocks: the on-site check without delay (the Songsan promise: 3 days),
the decision, the support given (kind, amount in won, months, start), and the follow-up investigation within one
month, whose finding is "appropriate" or "to be reviewed". Support found improper goes to review by people (the
committee), never to an automatic cut.

Every step is a row (`EmergencyStep`: who, when, from which state to which, why), and only the moves of `MOVES`
are possible: the history is a query, never a reconstruction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.registry.models import AdministrativeArea, Household, Staff


class EmergencyKind(models.TextChoices):
    """The kinds of support of the law (art. 9) and its decree."""

    LIVELIHOOD = "livelihood", _("Livelihood")
    HOUSING = "housing", _("Housing")
    MEDICAL = "medical", _("Medical care")
    EDUCATION = "education", _("Education")
    FUEL = "fuel", _("Winter heating fuel")
    ELECTRICITY = "electricity", _("Electricity bills")
    BIRTH_FUNERAL = "birth_funeral", _("Childbirth or funeral costs")
    FACILITY = "facility", _("Welfare facility")
    OTHER = "other", pgettext_lazy("emergency support kind", "Other")


class EmergencyState(models.TextChoices):
    REQUESTED = "requested", _("Requested: on-site check due")
    CHECKED = "checked", _("Checked on site: decision due")
    SUPPORTING = "supporting", _("Supported: follow-up due")
    UNDER_REVIEW = "under_review", _("Under review")
    NOT_SUPPORTED = "not_supported", _("Not supported")
    CLOSED = "closed", pgettext_lazy("emergency support state", "Closed")


# States in which something is still to be done, and the clock each one runs.
OPEN_STATES = (
    EmergencyState.REQUESTED,
    EmergencyState.CHECKED,
    EmergencyState.SUPPORTING,
    EmergencyState.UNDER_REVIEW,
)


class StepKind(models.TextChoices):
    OPEN = "open", _("Application received")
    ASSIGN = "assign", _("Officer in charge changed")
    CHECK = "check", _("Checked on site")
    SUPPORT = "support", _("Decided to support")
    NO_SUPPORT = "no_support", _("Decided not to support")
    GIVE = "give", _("Support given")
    APPROPRIATE = "appropriate", _("Follow-up: support appropriate")
    TO_REVIEW = "to_review", _("Follow-up: to be reviewed")
    REVIEWED = "reviewed", _("Review concluded")


# The one table of allowed moves: (state before, step) → state after. A step not in it is refused.
MOVES: dict[tuple[str, str], str] = {
    ("", StepKind.OPEN): EmergencyState.REQUESTED,
    **{(state, StepKind.ASSIGN): state for state in OPEN_STATES},
    (EmergencyState.REQUESTED, StepKind.CHECK): EmergencyState.CHECKED,
    (EmergencyState.CHECKED, StepKind.SUPPORT): EmergencyState.SUPPORTING,
    (EmergencyState.CHECKED, StepKind.NO_SUPPORT): EmergencyState.NOT_SUPPORTED,
    (EmergencyState.SUPPORTING, StepKind.GIVE): EmergencyState.SUPPORTING,
    (EmergencyState.SUPPORTING, StepKind.APPROPRIATE): EmergencyState.CLOSED,
    (EmergencyState.SUPPORTING, StepKind.TO_REVIEW): EmergencyState.UNDER_REVIEW,
    (EmergencyState.UNDER_REVIEW, StepKind.REVIEWED): EmergencyState.CLOSED,
}


class FollowUpResult(models.TextChoices):
    APPROPRIATE = "appropriate", _("Appropriate")
    TO_REVIEW = "to_review", _("To be reviewed")


class ReviewResult(models.TextChoices):
    """What the people who reviewed it decided (the district's 긴급지원심의위원회): recorded, never inferred."""

    STANDS = "stands", _("Support stands")
    STOPPED = "stopped", _("Support stopped by decision")
    REPAY = "repay", _("Repayment ordered")


class EmergencySupport(models.Model):
    """One application for emergency support for a household."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="emergency_supports")
    # The household's dong when the application was made: the scope of the record and its clocks' district.
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="emergency_supports")
    work_item = models.ForeignKey(
        "intake.WorkItem", on_delete=models.PROTECT, null=True, blank=True, related_name="emergency_supports"
    )
    # The initial consultation that decided it. An id until the consultations module exists; it becomes a foreign
    # key to that module's model when both are on main.
    consultation_id = models.PositiveBigIntegerField(_("consultation"), null=True, blank=True)
    requested_on = models.DateField(_("requested on"))
    kinds = models.JSONField(_("kinds requested"), default=list)
    reason = models.TextField(_("crisis"))
    officer = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("officer in charge")
    )
    state = models.CharField(_("state"), max_length=14, choices=EmergencyState.choices)
    checked_on = models.DateField(_("checked on site on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    follow_up_on = models.DateField(_("follow-up done on"), null=True, blank=True)
    follow_up_result = models.CharField(
        _("follow-up result"), max_length=12, choices=FollowUpResult.choices, blank=True
    )
    review_result = models.CharField(_("review result"), max_length=8, choices=ReviewResult.choices, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("emergency support")
        verbose_name_plural = _("emergency supports")
        ordering = ["-requested_on", "-pk"]
        indexes = [models.Index(fields=["dong", "state"]), models.Index(fields=["officer", "state"])]
        constraints = [
            # One open application per household: a second request adds kinds of support to the open one.
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
                name="one_open_emergency_support_per_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Emergency support')} #{self.pk}"

    def get_kinds_display(self) -> list[str]:
        return [str(EmergencyKind(kind).label) for kind in self.kinds if kind in EmergencyKind.values]


class SupportGiven(models.Model):
    """Support given: kind, amount in won (a month, for monthly kinds), months, start. A correction is a new row."""

    support = models.ForeignKey(EmergencySupport, on_delete=models.PROTECT, related_name="given")
    kind = models.CharField(_("kind"), max_length=14, choices=EmergencyKind.choices)
    amount = models.PositiveBigIntegerField(_("amount (won)"))
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    starts_on = models.DateField(_("from"))
    # What the year's figures suggested, kept beside the amount decided (None: the file has no figure for it).
    suggested_amount = models.PositiveBigIntegerField(null=True, blank=True)
    amounts_version = models.CharField(max_length=20, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("support given")
        verbose_name_plural = _("support given")
        ordering = ["starts_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:,}"

    @property
    def total(self) -> int:
        return self.amount * (self.months or 1)


class EmergencyStep(models.Model):
    """One step of an application: who, when, from which state to which, and why."""

    support = models.ForeignKey(EmergencySupport, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=12, choices=StepKind.choices)
    from_state = models.CharField(max_length=14, choices=EmergencyState.choices, blank=True)
    to_state = models.CharField(max_length=14, choices=EmergencyState.choices)
    on = models.DateField(_("date"))
    reason = models.TextField(_("why"), blank=True)
    given = models.OneToOneField(SupportGiven, on_delete=models.PROTECT, null=True, blank=True, related_name="step")
    officer = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("emergency support step")
        verbose_name_plural = _("emergency support steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on:%Y-%m-%d}"
