"""The case (통합사례관리) and its lifecycle: every change of state is a `Transition` row (who, when, from, to, why,
from which conference decision), and only the moves of `MOVES` are possible, so that a case's history is a query
and an illegal move is refused before anything is written.

    candidate ─select─▶ selected ─plan─▶ planning ─approve_plan─▶ in service ⇄ monitoring
        │                                    ▲                       │  ▲           │
        └─not_select─▶ closed                └──── reassessment ◀────┘  └─keep_plan─┘
    any open state ─close─▶ follow-up (checks due) ─last check─▶ closed;  closed/follow-up ─reopen─▶ planning

A household has at most one open case in a district (a partial unique index, so that two officers opening one at
the same moment cannot both succeed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.cases.models.rules import CaseType
from dolbom.registry.models import AdministrativeArea, Agency, Household, Staff


class CaseState(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    SELECTED = "selected", pgettext_lazy("case state", "Selected")
    PLANNING = "planning", _("Planning")
    IN_SERVICE = "in_service", _("In service")
    MONITORING = "monitoring", pgettext_lazy("case state", "Monitoring")
    REASSESSMENT = "reassessment", pgettext_lazy("case state", "Reassessment")
    FOLLOW_UP = "follow_up", _("Closed, follow-up due")
    CLOSED = "closed", pgettext_lazy("case state", "Closed")


OPEN_STATES = frozenset(
    {
        CaseState.CANDIDATE,
        CaseState.SELECTED,
        CaseState.PLANNING,
        CaseState.IN_SERVICE,
        CaseState.MONITORING,
        CaseState.REASSESSMENT,
    }
)
ENDED_STATES = frozenset({CaseState.FOLLOW_UP, CaseState.CLOSED})
SERVING_STATES = frozenset({CaseState.IN_SERVICE, CaseState.MONITORING, CaseState.REASSESSMENT})


class Move(models.TextChoices):
    PROPOSE = "propose", _("Proposed as a candidate")
    SELECT = "select", _("Selected for case management")
    NOT_SELECT = "not_select", _("Not selected")
    PLAN = "plan", _("Planning started")
    APPROVE_PLAN = "approve_plan", _("Plan approved, services start")
    START_MONITORING = "start_monitoring", _("Monitoring phase")
    RESUME_SERVICE = "resume_service", _("Back in service")
    REASSESS = "reassess", _("Reassessment")
    KEEP_PLAN = "keep_plan", _("Plan kept after reassessment")
    EXTEND = "extend", _("Extended")
    TRANSFER = "transfer", _("Transferred")
    CLOSE = "close", pgettext_lazy("case move", "Closed")
    FOLLOW_UP_DONE = "follow_up_done", _("Follow-up completed")
    REOPEN = "reopen", _("Reopened")


def _stay(move: str, states: frozenset[str]) -> dict[tuple[str, str], str]:
    return {(state, move): state for state in states}


MOVES: dict[tuple[str, str], str] = {
    ("", Move.PROPOSE): CaseState.CANDIDATE,
    (CaseState.CANDIDATE, Move.SELECT): CaseState.SELECTED,
    (CaseState.CANDIDATE, Move.NOT_SELECT): CaseState.CLOSED,
    (CaseState.SELECTED, Move.PLAN): CaseState.PLANNING,
    (CaseState.PLANNING, Move.APPROVE_PLAN): CaseState.IN_SERVICE,
    (CaseState.REASSESSMENT, Move.APPROVE_PLAN): CaseState.IN_SERVICE,
    (CaseState.IN_SERVICE, Move.START_MONITORING): CaseState.MONITORING,
    (CaseState.MONITORING, Move.RESUME_SERVICE): CaseState.IN_SERVICE,
    (CaseState.IN_SERVICE, Move.REASSESS): CaseState.REASSESSMENT,
    (CaseState.MONITORING, Move.REASSESS): CaseState.REASSESSMENT,
    (CaseState.REASSESSMENT, Move.KEEP_PLAN): CaseState.IN_SERVICE,
    **_stay(Move.EXTEND, frozenset({CaseState.PLANNING}) | SERVING_STATES),
    **_stay(Move.TRANSFER, OPEN_STATES),
    # Closing leads to follow-up; to closed at once when no check follows (`NO_FOLLOW_UP`, or a district with none).
    **{(state, Move.CLOSE): CaseState.FOLLOW_UP for state in OPEN_STATES},
    (CaseState.FOLLOW_UP, Move.FOLLOW_UP_DONE): CaseState.CLOSED,
    (CaseState.FOLLOW_UP, Move.REOPEN): CaseState.PLANNING,
    (CaseState.CLOSED, Move.REOPEN): CaseState.PLANNING,
}


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    MOVED = "moved", _("Moved away")
    REFUSED = "refused", _("Household refused")
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED = "transferred", _("Transferred to another district or agency")
    INELIGIBLE = "ineligible", _("Not eligible")
    NOT_SELECTED = "not_selected", _("Not selected at the conference")


# Reasons after which nobody is left to check on: no follow-up is scheduled, the case is closed at once.
NO_FOLLOW_UP = frozenset({ClosureReason.DECEASED, ClosureReason.MOVED, ClosureReason.TRANSFERRED})


class Case(models.Model):
    """One household's integrated case in one district."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="cases")
    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="cases", verbose_name=_("dong"))
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases", verbose_name=_("type"))
    state = models.CharField(_("state"), max_length=14, choices=CaseState.choices)
    lead_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="led_cases", verbose_name=_("lead agency")
    )
    lead_worker = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="led_cases",
        verbose_name=_("lead worker"),
    )  # fmt: skip
    # Where it came from: the intake decision that made the household a candidate (none for a case opened by a
    # conference directly, e.g. a household a partner presented).
    intake_decision = models.ForeignKey(
        "intake.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intake_on = models.DateField(_("intake"), help_text=_("The first consultation: the clocks count from here."))
    assessed_on = models.DateField(_("needs assessed"), null=True, blank=True)
    selected_on = models.DateField(_("selected"), null=True, blank=True)
    ends_on = models.DateField(_("planned end"), null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=14, choices=ClosureReason.choices, blank=True)
    last_monitored_on = models.DateField(_("last monitored"), null=True, blank=True)
    # The next thing due (a deadline of local guidance, monitoring, a follow-up check) and which clock it is: kept
    # by every service that changes what it depends on, so that 오늘 할 일 and the menu's badge are one indexed
    # query instead of a computation per case.
    next_due_on = models.DateField(_("next due"), null=True, blank=True, db_index=True)
    next_due_clock = models.CharField(max_length=16, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["district", "state"])]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "district"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="one_open_case_per_household_and_district",
            ),
            models.CheckConstraint(
                condition=Q(state__in=sorted(OPEN_STATES), closed_on__isnull=True)
                | Q(state__in=sorted(ENDED_STATES), closed_on__isnull=False),
                name="case_closed_exactly_when_ended",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Case')} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Transition(models.Model):
    """One move of a case: the state before and after, who, when, why, and the conference decision behind it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    move = models.CharField(_("move"), max_length=16, choices=Move.choices)
    from_state = models.CharField(max_length=14, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=14, choices=CaseState.choices)
    on = models.DateField(_("date"))
    reason = models.TextField(_("why"), blank=True)
    agenda_item = models.ForeignKey(
        "cases.AgendaItem", on_delete=models.PROTECT, null=True, blank=True, related_name="transitions"
    )
    detail = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case transition")
        verbose_name_plural = _("case transitions")
        ordering = ["case", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_state or '-'} → {self.to_state}"
