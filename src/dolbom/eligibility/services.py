"""Eligibility's writes and audited reads: a calculation kept on a household, and the pages that show one.

Reading a household's means is reading personal data: the form that starts from its members and every calculation
opened are in the audit log, as is each calculation made (with its year, rules and outcomes, never its amounts).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.jobs.runtime import Progress
from dolbom.core.jobs.services import start_job
from dolbom.core.models import Job
from dolbom.core.permissions import can, ensure_can
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.core.text import visible_text
from dolbom.eligibility.aftercare import changes_since_grant
from dolbom.eligibility.calculator import HouseholdFacts, calculate, calculation_as_dict, facts_as_dict
from dolbom.eligibility.models import (
    AftercareReview,
    AlreadyOn,
    ApplicationOutcome,
    BenefitApplication,
    EligibilityCheck,
    ReguidanceCampaign,
    ReguidanceTarget,
    Reverification,
    ReverificationResult,
    ReviewDecision,
)
from dolbom.eligibility.reguidance import candidates, reason_text
from dolbom.eligibility.ruleset import Benefit, RulesError, load_rules
from dolbom.eligibility.selectors import (
    AftercarePage,
    CheckSummary,
    NewCheckPage,
    ReguidancePage,
    aftercare_page,
    aftercare_reviews_visible_to,
    benefit_applications_visible_to,
    check_summary,
    current_grants_visible_to,
    eligibility_checks_visible_to,
    household_applications,
    latest_check,
    new_check_page,
    reguidance_campaigns_visible_to,
    reguidance_page,
    reguidance_targets_visible_to,
    reverifications_visible_to,
    rules_in_force,
)
from dolbom.intake.selectors import consultations_visible_to, current_record, pending_benefit_decisions
from dolbom.intake.services.campaign_items import open_reguidance_items
from dolbom.intake.services.consultations import take_decision
from dolbom.intake.signals import Panel
from dolbom.registry.models import Household
from dolbom.registry.selectors import households_visible_to

# The kind of job that launches a campaign (eligibility.jobs).
LAUNCH_KIND = "reguidance_launch"


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
    pending = []
    if can(user, "eligibility.record_application"):
        pending = list(pending_benefit_decisions(user).filter(consultation_id=consultation.pk))
    context = {
        "summary": summary,
        "household_id": consultation.household_id,
        "may_check": can(user, "eligibility.check"),
        "pending_applications": pending,
    }
    return Panel(template="eligibility/_consultation_summary.html", context=context)


# ------------------------------------------------------------------------------------------------ re-guidance
NAME_MAX, MARGIN_MAX = 100, 50


def create_reguidance(*, user: Any, name: str, margin_percent: int | None, district_code: str) -> ReguidanceCampaign:
    """A re-guidance campaign of the user's district, with the margin above a line that still counts."""
    ensure_can(user, "eligibility.manage_reguidance")
    scope_for(user).ensure_district(district_code)
    errors: dict[str, str] = {}
    text = visible_text(name or "")
    if not text:
        errors["name"] = _("Enter a name for the campaign.")
    elif len(text) > NAME_MAX:
        errors["name"] = _("The name is too long: at most %(limit)s characters.") % {"limit": NAME_MAX}
    if margin_percent is None or not 0 <= margin_percent <= MARGIN_MAX:
        errors["margin_percent"] = _("Enter the margin as a whole percentage from 0 to %(max)s.") % {"max": MARGIN_MAX}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = ReguidanceCampaign.objects.create(
            district_id=district_code, name=text, margin_percent=margin_percent, created_by=user
        )
        audit.record(user, "eligibility.create_reguidance", campaign, detail={"margin_percent": margin_percent})
    return campaign


def launch_reguidance(*, user: Any, campaign_id: int, progress: Progress | None = None) -> int:
    """Choose the district's households (eligibility.reguidance) and put each on its dong's worklist with its
    reasons; one already on the worklist or in case management is marked, not listed again. Launching again adds
    only households not yet targets. Returns how many were added.

    Run as a job (eligibility.jobs), `progress` hears of each phase (LAUNCH_PHASES) and may stop the launch
    before anything is written. The choice is read before the transaction, so that the job's page sees the
    progress while the writes wait; inside it, households that became targets meanwhile are left out."""
    ensure_can(user, "eligibility.manage_reguidance")
    campaign = visible_or_404(reguidance_campaigns_visible_to(user), campaign_id)
    scope_for(user).ensure_district(campaign.district_id)
    if progress is not None:
        progress.phase("choosing")
    candidates_now = candidates(campaign.district_id, campaign.margin_percent, today_kst())
    if progress is not None:
        progress.phase("listing")
    with transaction.atomic():
        campaign = reguidance_campaigns_visible_to(user).select_for_update(of=("self",)).filter(pk=campaign_id).first()
        if campaign is None:
            raise Http404
        done = set(campaign.targets.values_list("household_id", flat=True))
        chosen = [c for c in candidates_now if c.household_id not in done]
        fresh = [c for c in chosen if c.already == AlreadyOn.NO]
        items = open_reguidance_items(
            user=user, district_code=campaign.district_id, households=[(c.household_id, c.dong_id) for c in fresh]
        )
        for candidate, item in zip(fresh, items, strict=True):
            candidate.work_item = item
        ReguidanceTarget.objects.bulk_create(
            [
                ReguidanceTarget(campaign=campaign, household_id=c.household_id, dong_id=c.dong_id, reasons=c.reasons,
                                 already=c.already, work_item=c.work_item)
                for c in chosen
            ],
            batch_size=1000,
        )  # fmt: skip
        if campaign.launched_at is None:
            campaign.launched_at = timezone.now()
            campaign.save(update_fields=["launched_at"])
        per_reason: dict[str, int] = {}
        for candidate in chosen:
            for code in {reason["code"] for reason in candidate.reasons}:
                per_reason[code] = per_reason.get(code, 0) + 1
        detail = {"added": len(chosen), "on_worklist": len(fresh), "marked": len(chosen) - len(fresh),
                  "per_reason": per_reason}  # fmt: skip
        audit.record(user, "eligibility.launch_reguidance", campaign, detail=detail)
    return len(chosen)


def queue_reguidance_launch(*, user: Any, campaign_id: int) -> Job:
    """Queue the launch of a campaign as a job (its page follows it); JobBusy while one is waiting or running."""
    ensure_can(user, "eligibility.manage_reguidance")
    campaign = visible_or_404(reguidance_campaigns_visible_to(user), campaign_id)
    return start_job(
        user=user,
        kind=LAUNCH_KIND,
        target=f"reguidance:{campaign.pk}",
        district_code=campaign.district_id,
        params={"campaign": campaign.pk},
    )


def open_reguidance(*, user: Any, campaign_id: int) -> ReguidancePage:
    """A campaign with its targets by dong, the reading audited (it names households and why)."""
    ensure_can(user, "eligibility.view_reguidance")
    page = reguidance_page(user, campaign_id)
    audit.record(user, "eligibility.view_reguidance", page.campaign, detail={"targets": page.total})
    return page


def _check_dates(applied_on: date | None, outcome: str, outcome_on: date | None, errors: dict[str, str]) -> None:
    today = today_kst()
    if applied_on is None:
        errors["applied_on"] = _("Enter the day of the application, such as 2026-11-30.")
    elif applied_on > today:
        errors["applied_on"] = _("The application cannot be dated after today.")
    if outcome not in ApplicationOutcome.values:
        errors["outcome"] = _("Choose the outcome.")
    elif outcome != ApplicationOutcome.PENDING and outcome_on is None:
        errors["outcome_on"] = _("Enter the day of the decision.")
    elif outcome_on is not None and (outcome_on > today or (applied_on is not None and outcome_on < applied_on)):
        errors["outcome_on"] = _("The decision is dated between the application and today.")


def _application_errors(benefit: str, applied_on: date | None, outcome: str, outcome_on: date | None) -> dict:
    errors: dict[str, str] = {}
    if benefit not in Benefit.values:
        errors["benefit"] = _("Choose the benefit applied for.")
    _check_dates(applied_on, outcome, outcome_on, errors)
    return errors


def record_application(
    *,
    user: Any,
    target_id: int,
    benefit: str,
    applied_on: date | None,
    outcome: str = ApplicationOutcome.PENDING,
    outcome_on: date | None = None,
) -> BenefitApplication:
    """What a re-guided household applied for, and, when known, what the office decided."""
    ensure_can(user, "eligibility.record_application")
    errors = _application_errors(benefit, applied_on, outcome, outcome_on)
    with transaction.atomic():
        target = visible_or_404(reguidance_targets_visible_to(user), target_id)
        scope_for(user).ensure_area(target.dong_id)
        if errors:
            raise ValidationError(errors)
        application = BenefitApplication.objects.create(
            household_id=target.household_id, benefit=benefit, applied_on=applied_on, outcome=outcome,
            outcome_on=outcome_on if outcome != ApplicationOutcome.PENDING else None, target=target,
            recorded_by=user,
        )  # fmt: skip
        audit.record(
            user, "eligibility.record_application", application,
            detail={"campaign": target.campaign_id, "benefit": benefit, "outcome": outcome},
        )  # fmt: skip
    return application


def record_household_application(
    *,
    user: Any,
    household_id: int,
    benefit: str,
    applied_on: date | None,
    outcome: str = ApplicationOutcome.PENDING,
    outcome_on: date | None = None,
    decision_id: int | None = None,
) -> BenefitApplication:
    """An application recorded from the household's own page: one made before Dolbom or outside a campaign — a
    rejection that re-guidance should find again, or a grant that after-care follows — or the one a consultation
    decided on (`decision_id`), which it takes up on intake's side in the same transaction. Sent twice for the
    same decision, the application recorded the first time is returned."""
    ensure_can(user, "eligibility.record_application")
    errors = _application_errors(benefit, applied_on, outcome, outcome_on)
    with transaction.atomic():
        household = _household(user, household_id)
        scope_for(user).ensure_area(household.dong_id)
        if decision_id is not None:
            done = BenefitApplication.objects.filter(decision_id=decision_id, household=household).first()
            if done is not None:
                return done
            decision = visible_or_404(pending_benefit_decisions(user), decision_id)
            if decision.consultation.household_id != household.pk:
                raise Http404
        if errors:
            raise ValidationError(errors)
        application = BenefitApplication.objects.create(
            household=household, benefit=benefit, applied_on=applied_on, outcome=outcome,
            outcome_on=outcome_on if outcome != ApplicationOutcome.PENDING else None, recorded_by=user,
            decision_id=decision_id,
        )  # fmt: skip
        if decision_id is not None:
            take_decision(
                user=user, decision_id=decision_id, reference=f"eligibility.BenefitApplication:{application.pk}"
            )
        audit.record(
            user, "eligibility.record_application", application,
            detail={"benefit": benefit, "outcome": outcome, "decision": decision_id},
        )  # fmt: skip
    return application


def open_household_applications(*, user: Any, household_id: int) -> tuple[Household, list[BenefitApplication]]:
    """The household's applications and outcomes, the reading audited (whether a family receives a benefit is
    personal data)."""
    ensure_can(user, "eligibility.view_checks")
    household = _household(user, household_id)
    applications = household_applications(user, household)
    audit.record(user, "eligibility.view_applications", household, detail={"applications": len(applications)})
    return household, applications


def change_application_outcome(
    *, user: Any, application_id: int, outcome: str, outcome_on: date | None
) -> BenefitApplication:
    """The office's decision on an application recorded earlier (or a benefit granted and suspended since)."""
    ensure_can(user, "eligibility.record_application")
    with transaction.atomic():
        rows = benefit_applications_visible_to(user).select_for_update(of=("self",))
        application = visible_or_404(rows, application_id)
        scope_for(user).ensure_area(application.household.dong_id)
        errors: dict[str, str] = {}
        _check_dates(application.applied_on, outcome, outcome_on, errors)
        if errors:
            raise ValidationError(errors)
        before = application.outcome
        application.outcome = outcome
        application.outcome_on = outcome_on if outcome != ApplicationOutcome.PENDING else None
        application.save(update_fields=["outcome", "outcome_on"])
        audit.record(user, "eligibility.change_application", application, detail={"before": before, "after": outcome})
    return application


def work_item_reasons(*, user: Any, item: Any) -> Panel | None:
    """Beside a worklist item (intake.signals.work_item_shown): the re-guidance campaigns that chose its household
    through it, with their reasons, as far as the user sees them. Nothing for an item no campaign points at."""
    if not can(user, "eligibility.view_reguidance"):
        return None
    targets = list(reguidance_targets_visible_to(user).filter(work_item_id=item.pk).order_by("pk"))
    if not targets:
        return None
    shown = [(target, [reason_text(r) for r in target.reasons]) for target in targets]
    return Panel(template="eligibility/_work_item_reasons.html", context={"targets": shown})


# ------------------------------------------------------------------------------------------------ after-care
def open_aftercare(*, user: Any, dong: str = "") -> AftercarePage:
    """The after-care queue (re-verifications due, changes to decide), the reading audited: it names recipients."""
    ensure_can(user, "eligibility.view_aftercare")
    if dong:
        scope_for(user).ensure_area(dong)
    page = aftercare_page(user, today_kst(), dong=dong)
    detail = {"due": len(page.due), "open_reviews": len(page.open_reviews), "dong": dong}
    audit.record(user, "eligibility.view_aftercare", detail=detail)
    return page


def _grant_for_update(user: Any, application_id: int) -> BenefitApplication:
    rows = current_grants_visible_to(user).select_for_update(of=("self",)).select_related("household")
    application = visible_or_404(rows, application_id)
    scope_for(user).ensure_area(application.household.dong_id)
    return application


def record_reverification(
    *,
    user: Any,
    application_id: int,
    done_on: date | None,
    result: str,
    note: str = "",
    submission: uuid.UUID | None = None,
) -> Reverification:
    """A periodic re-verification of a recipient: the date, what it found and, unless nothing changed, what."""
    ensure_can(user, "eligibility.aftercare")
    if submission is not None:
        sent = reverifications_visible_to(user).filter(submission=submission).first()
        if sent is not None:
            return sent
    note = visible_text(note or "").strip()
    with transaction.atomic():
        application = _grant_for_update(user, application_id)
        errors: dict[str, str] = {}
        granted_on = application.outcome_on or application.applied_on
        if done_on is None:
            errors["done_on"] = _("Enter the day of the re-verification, such as 2026-11-30.")
        elif done_on > today_kst():
            errors["done_on"] = _("The re-verification cannot be dated after today.")
        elif done_on < granted_on:
            errors["done_on"] = _("The re-verification is dated on or after the grant (%(on)s).") % {
                "on": granted_on.isoformat()
            }
        if result not in ReverificationResult.values:
            errors["result"] = _("Choose what the re-verification found.")
        elif result != ReverificationResult.UNCHANGED and not note:
            errors["note"] = _("Write what changed, for the benefit office.")
        if len(note) > 500:
            errors["note"] = _("Keep the note under 500 characters.")
        if errors:
            raise ValidationError(errors)
        done = Reverification.objects.create(
            application=application, done_on=done_on, result=result, note=note,
            rule_version=rules_in_force(today_kst()).version, recorded_by=user, submission=submission or uuid.uuid4(),
        )  # fmt: skip
        audit.record(user, "eligibility.reverify", done, detail={"benefit": application.benefit, "result": result})
    return done


def look_for_changes(*, user: Any) -> int:
    """Look at the user's recipients for changes since their grant (or last re-verification) and put each new
    one on the review queue. Looking again finds nothing twice. Returns how many were new."""
    ensure_can(user, "eligibility.aftercare")
    today = today_kst()
    found = changes_since_grant(current_grants_visible_to(user), today)
    with transaction.atomic():
        before = aftercare_reviews_visible_to(user).count()
        reviews = [
            AftercareReview(
                application_id=f.application_id,
                household_id=f.household_id,
                dong_id=f.dong_id,
                reason=f.reason,
                change=f.change,
                observed_on=f.observed_on,
            )
            for f in found
        ]
        # The unique (application, change) makes a change found again, or by two officers at once, one review.
        AftercareReview.objects.bulk_create(reviews, ignore_conflicts=True, batch_size=500)
        new = aftercare_reviews_visible_to(user).count() - before
        audit.record(user, "eligibility.look_for_changes", detail={"found": len(found), "new": new})
    return new


def decide_review(*, user: Any, review_id: int, decision: str, note: str = "") -> AftercareReview:
    """A person's decision on a change: still due, re-verify now, or passed to the benefit office. The benefit
    itself is not changed here; a decision can be changed, the one before kept in the audit log."""
    ensure_can(user, "eligibility.aftercare")
    note = visible_text(note or "").strip()
    with transaction.atomic():
        rows = aftercare_reviews_visible_to(user).select_for_update(of=("self",))
        review = visible_or_404(rows, review_id)
        scope_for(user).ensure_area(review.dong_id)
        errors: dict[str, str] = {}
        if decision not in ReviewDecision.values or decision == ReviewDecision.OPEN:
            errors["decision"] = _("Choose a decision.")
        elif decision == ReviewDecision.REFER and not note:
            errors["note"] = _("Write what the benefit office should look at.")
        if len(note) > 500:
            errors["note"] = _("Keep the note under 500 characters.")
        if errors:
            raise ValidationError(errors)
        before = review.decision
        review.decision, review.note = decision, note
        review.decided_by, review.decided_at = user, timezone.now()
        review.save(update_fields=["decision", "note", "decided_by", "decided_at"])
        audit.record(user, "eligibility.decide_review", review, detail={"before": before, "after": decision})
    return review
