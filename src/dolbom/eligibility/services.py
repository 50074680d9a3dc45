"""Eligibility's writes and audited reads: a calculation kept on a household, and the pages that show one.

Reading a household's means is reading personal data: the form that starts from its members and every calculation
opened are in the audit log, as is each calculation made (with its year, rules and outcomes, never its amounts).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import can, ensure_can
from dolbom.core.scope import visible_or_404
from dolbom.eligibility.calculator import HouseholdFacts, calculate, calculation_as_dict, facts_as_dict
from dolbom.eligibility.models import EligibilityCheck
from dolbom.eligibility.ruleset import RulesError, load_rules
from dolbom.eligibility.selectors import (
    CheckSummary,
    NewCheckPage,
    check_summary,
    eligibility_checks_visible_to,
    latest_check,
    new_check_page,
)
from dolbom.intake.selectors import consultations_visible_to, current_record
from dolbom.intake.signals import Panel
from dolbom.registry.models import Household
from dolbom.registry.selectors import households_visible_to


def _household(user: Any, household_id: int) -> Household:
    rows = households_visible_to(user).select_related("address", "dong", "dong__parent")
    return visible_or_404(rows, household_id)


def open_check_form(*, user: Any, household_id: int, consultation_id: int | None = None) -> NewCheckPage:
    """The form of a new calculation for a household, started from its members (the reading audited). Opened from
    a consultation, it starts from the registered members the officer found living there, and leads back to it;
    a consultation of another household or outside the user's scope is a 404."""
    ensure_can(user, "eligibility.check")
    household = _household(user, household_id)
    living_here = None
    if consultation_id is not None:
        consultation = visible_or_404(consultations_visible_to(user).filter(household=household), consultation_id)
        living_here = set(current_record(consultation).members.values_list("pk", flat=True))
    page = new_check_page(user, household, today_kst(), living_here=living_here, consultation_id=consultation_id)
    audit.record(user, "eligibility.view_check_form", household, detail={"consultation": consultation_id})
    return page


def record_check(
    *, user: Any, household_id: int, facts: HouseholdFacts, year: int, submission: uuid.UUID, note: str = ""
) -> EligibilityCheck:
    """Calculate under `year`'s rules and keep the calculation on the household, with today's date."""
    ensure_can(user, "eligibility.check")
    staff = getattr(user, "staff", None)
    if staff is None:
        raise PermissionDenied("eligibility.check: no staff record")
    try:
        rules = load_rules(year)
    except LookupError as missing:
        raise ValidationError({"year": missing.args[0]}) from None
    except RulesError as refused:
        raise ValidationError({"year": str(refused)}) from None
    with transaction.atomic():
        done = EligibilityCheck.objects.filter(submission=submission).first()
        if done is not None:
            # The same form sent twice: the calculation it already made, if the user may see it.
            return visible_or_404(eligibility_checks_visible_to(user), done.pk)
        household = _household(user, household_id)
        calculation = calculate(rules, facts)
        check = EligibilityCheck.objects.create(
            household=household,
            checked_on=today_kst(),
            year=rules.year,
            rule_version=rules.version,
            household_size=calculation.size,
            income_evaluation=calculation.income_evaluation,
            property_income=calculation.property_income,
            recognised_income=calculation.recognised_income,
            outcomes={result.benefit: result.outcome for result in calculation.benefits},
            inputs=facts_as_dict(facts),
            result=calculation_as_dict(calculation),
            note=note,
            officer=staff,
            recorded_by=user,
            submission=submission,
        )
        detail = {
            "household": household.pk,
            "year": rules.year,
            "rule_version": rules.version,
            "outcomes": check.outcomes,
            "unverified_figures": len(calculation.flags),
        }
        audit.record(user, "eligibility.record_check", check, detail=detail)
    return check


def open_check(*, user: Any, check_id: int) -> EligibilityCheck:
    """One calculation with its steps (the reading audited); 404 outside the user's scope."""
    ensure_can(user, "eligibility.view_checks")
    check = visible_or_404(eligibility_checks_visible_to(user).select_related("household__address"), check_id)
    audit.record(user, "eligibility.view_check", check)
    return check


def rules_note(year: int) -> str:
    """A sentence about the rules a calculation used, for the page."""
    rules = load_rules(year)
    return _("Rules %(version)s, figures checked %(checked)s") % {
        "version": rules.version,
        "checked": rules.checked.isoformat(),
    }


def consultation_summary(*, user: Any, consultation: Any) -> Panel | None:
    """The household's latest calculation beside its consultation (intake.signals.consultation_shown), for those
    who may read calculations; the calculation shown is in the audit log. The consultation was opened in the
    user's scope already; the calculation is narrowed again through eligibility's own scope."""
    if not can(user, "eligibility.view_checks"):
        return None
    check = latest_check(user, consultation.household_id)
    if check is not None:
        audit.record(user, "eligibility.view_summary", check, detail={"consultation": consultation.pk})
    summary: CheckSummary = check_summary(check)
    context = {
        "summary": summary,
        "household_id": consultation.household_id,
        "may_check": can(user, "eligibility.check"),
    }
    return Panel(template="eligibility/_consultation_summary.html", context=context)
