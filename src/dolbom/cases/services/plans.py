"""The case plan, in versions: drawn up (the first version starts the planning), agreed with the household (a
signed form, or spoken in front of a witness), approved at a conference. A change is the next version; an agreed
version is never edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.cases.models import CasePlan, CaseState, Goal, Move
from dolbom.cases.services.cases import locked_case
from dolbom.cases.services.lifecycle import move, refresh_due
from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.needs import NeedDomain
from dolbom.core.permissions import ensure_can
from dolbom.core.text import visible_length, visible_text
from dolbom.registry.models import Agency, ConsentMethod

# A plan is drawn up once a case is selected, and again after a reassessment; while services run on an approved
# plan, a change starts with a reassessment (monitoring note), so that the conference sees why.
PLANNABLE = frozenset({CaseState.SELECTED, CaseState.PLANNING, CaseState.REASSESSMENT})
MAX_MONITORING_DAYS = 366


@dataclass(frozen=True)
class GoalEntry:
    domain: str
    goal: str
    target: str
    target_on: date | None
    services: str = ""
    responsible_agency_id: int | None = None


def _goal_errors(goals: list[GoalEntry], made_on: date) -> dict[str, str]:
    if not goals:
        return {"goals": _("Write at least one goal.")}
    for number, goal in enumerate(goals, start=1):
        where = {"n": number}
        if goal.domain not in NeedDomain.values:
            return {"goals": _("Goal %(n)s: choose its domain.") % where}
        if visible_length(goal.goal) < 2 or visible_length(goal.target) < 2:
            return {"goals": _("Goal %(n)s: write the goal and a target that can be measured.") % where}
        if goal.target_on is None or goal.target_on < made_on:
            return {"goals": _("Goal %(n)s: its target date is on or after the plan's date.") % where}
    return {}


def draft_plan(
    *,
    user: Any,
    case_id: int,
    made_on: date | None,
    goals: list[GoalEntry],
    summary: str = "",
    monitoring_days: int | None = None,
) -> CasePlan:
    """The next version of the case's plan. The first one moves a selected case into planning."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        if made_on is None or made_on > today_kst():
            raise ValidationError({"made_on": _("Enter the plan's date; it cannot be in the future.")})
        if monitoring_days is not None and not 1 <= monitoring_days <= MAX_MONITORING_DAYS:
            raise ValidationError({"monitoring_days": _("Monitor at least once a year.")})
        errors = _goal_errors(goals, made_on)
        if errors:
            raise ValidationError(errors)
        if case.state not in PLANNABLE:
            raise ValidationError(
                {"made_on": _("A plan is drawn up after selection or a reassessment; this case is %(state)s.")
                 % {"state": case.get_state_display()}}
            )  # fmt: skip
        last = case.plans.order_by("-version").first()
        plan = CasePlan.objects.create(
            case=case,
            version=(last.version + 1) if last else 1,
            made_on=made_on,
            summary=visible_text(summary),
            monitoring_days=monitoring_days,
            recorded_by=user,
        )
        agencies = {
            a.pk: a
            for a in Agency.objects.filter(
                pk__in=[g.responsible_agency_id for g in goals if g.responsible_agency_id], active=True
            )
        }
        for order, goal in enumerate(goals):
            if goal.responsible_agency_id and goal.responsible_agency_id not in agencies:
                raise ValidationError({"goals": _("Goal %(n)s: choose an active agency.") % {"n": order + 1}})
            Goal.objects.create(
                plan=plan,
                domain=goal.domain,
                goal=visible_text(goal.goal)[:300],
                target=visible_text(goal.target)[:300],
                services=visible_text(goal.services)[:300],
                responsible_agency=agencies.get(goal.responsible_agency_id),
                target_on=goal.target_on,
                order=order,
            )
        if case.state == CaseState.SELECTED:
            move(case, Move.PLAN, user=user, on=made_on, detail={"plan": plan.version})
        else:
            refresh_due(case)
        audit.record(user, "cases.draft_plan", case, detail={"plan": plan.pk, "version": plan.version})
    return plan


def record_agreement(
    *, user: Any, case_id: int, plan_id: int | None, agreed_on: date | None, method: str, witness_name: str = ""
) -> CasePlan:
    """The household agreed to the plan: the latest version only, on or after its date, by a signed form or
    spoken in front of a witness whose name is kept."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        plan = case.plans.select_for_update().filter(pk=plan_id).first() if plan_id else None
        if plan is None:
            raise ValidationError({"plan": _("Choose the case's plan.")})
        if method not in ConsentMethod.values:
            raise ValidationError({"method": _("Choose how the household agreed.")})
        witness_name = visible_text(witness_name)
        if method == ConsentMethod.VERBAL and not witness_name:
            raise ValidationError({"witness_name": _("A spoken agreement needs the witness's name.")})
        if agreed_on is None or agreed_on < plan.made_on or agreed_on > today_kst():
            raise ValidationError({"agreed_on": _("The agreement is dated between the plan's date and today.")})
        if case.plans.filter(version__gt=plan.version).exists():
            raise ValidationError({"plan": _("A later version of the plan exists: the household agrees to that one.")})
        if plan.agreed_on is not None:
            return plan
        plan.agreed_on, plan.agreement, plan.witness_name = agreed_on, method, witness_name[:60]
        plan.save(update_fields=["agreed_on", "agreement", "witness_name"])
        audit.record(user, "cases.record_agreement", case, detail={"plan": plan.pk, "method": method})
        refresh_due(case)
    return plan
