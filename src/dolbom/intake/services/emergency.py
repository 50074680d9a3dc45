"""Emergency support (긴급복지지원): opening an application for a household, and each step after it — the on-site
check, the decision, the support given, the follow-up investigation and, when it found the support improper, the
review. One transaction per step, the step written as a row and the audit event inside it.

Every step goes through `_move`, which refuses any move not in `models.emergency.MOVES`. A step sent twice (a double
click) changes nothing the second time.

The audit log records what was done and to which application, never the crisis or the reasons typed: those are
personal data and stay in the record, which is scoped like the household it is about.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for
from dolbom.core.text import visible_length, visible_text
from dolbom.intake.amounts import load_amounts
from dolbom.intake.models import (
    MOVES,
    OPEN_STATES,
    EmergencyKind,
    EmergencyState,
    EmergencyStep,
    EmergencySupport,
    FollowUpResult,
    ReviewResult,
    StepKind,
    SupportGiven,
)
from dolbom.intake.selectors import (
    EmergencyPage,
    EmergencyRow,
    NewEmergencyPage,
    consultations_visible_to,
    emergency_list,
    emergency_page,
    emergency_supports_visible_to,
    household_size,
    new_emergency_page,
    work_items_visible_to,
)
from dolbom.intake.services.consultations import pending_emergency_decisions, take_decision
from dolbom.registry.selectors import households_visible_to, officers_of_dong
from dolbom.registry.services import checked_reveal_reason

# A second identical step within this time is the same form sent twice.
REPEAT_WINDOW = timedelta(minutes=2)
# Larger than any one support the law allows (a year of the largest livelihood and housing amounts together):
# more is a typing error, such as a resident number typed into the amount.
MAX_AMOUNT = 100_000_000
MAX_MONTHS = 12


def open_emergency_support(
    *,
    user: Any,
    household_id: int,
    requested_on: date | None,
    kinds: list[str],
    reason: str,
    consultation_id: int | None = None,
    work_item_id: int | None = None,
    officer_id: int | None = None,
) -> EmergencySupport:
    """Open an application for a household: its on-site check is due from `requested_on`. Called from the household's
    page, a worklist item, or an initial consultation's decision (`consultation_id`). The officer in charge is the one
    given, else the user when they are an officer of the household's dong; otherwise nobody yet, and the application
    shows on every officer's 오늘 할 일 in that dong until one takes it."""
    ensure_can(user, "intake.emergency")
    kinds = list(dict.fromkeys(kinds or []))
    with transaction.atomic():
        # The household first: outside the user's area the answer is 404, whatever else the request holds.
        household = households_visible_to(user).filter(pk=household_id).first()
        if household is None:
            raise Http404
        errors = _date_errors("requested_on", requested_on)
        if not kinds or any(kind not in EmergencyKind.values for kind in kinds):
            errors["kinds"] = _("Choose at least one kind of support.")
        if visible_length(reason) < 4:
            errors["reason"] = _("Describe the crisis in a few words.")
        if errors:
            raise ValidationError(errors)
        scope_for(user).ensure_area(household.dong_id)
        existing = emergency_supports_visible_to(user).filter(household=household, state__in=OPEN_STATES).first()
        if existing is not None:
            if existing.opened_by_id == user.pk and timezone.now() - existing.opened_at < REPEAT_WINDOW:
                return existing  # the same form sent twice
            message = _("This household already has an open application (no. %(id)s, requested on %(on)s). Add to it.")
            raise ValidationError({"household": message % {"id": existing.pk, "on": existing.requested_on}})
        work_item = None
        if work_item_id is not None:
            work_item = work_items_visible_to(user).filter(pk=work_item_id, household=household).first()
            if work_item is None:
                raise ValidationError({"work_item": _("The worklist item is not about this household.")})
        if consultation_id is not None:
            consultation = consultations_visible_to(user).filter(pk=consultation_id, household=household).first()
            if consultation is None:
                raise ValidationError({"consultation": _("The consultation is not about this household.")})
        officer = _officer_in_charge(user, household.dong_id, officer_id)
        try:
            with transaction.atomic():
                support = EmergencySupport.objects.create(
                    household=household,
                    dong_id=household.dong_id,
                    work_item=work_item,
                    consultation_id=consultation_id,
                    requested_on=requested_on,
                    kinds=kinds,
                    reason=visible_text(reason),
                    officer=officer,
                    state=EmergencyState.REQUESTED,
                    opened_by=user,
                )
        except IntegrityError as exc:  # opened by someone else at the same moment
            raise ValidationError({"household": _("This household already has an open application.")}) from exc
        _record_step(user, support, StepKind.OPEN, "", on=requested_on, reason=support.reason, officer=officer)
        if consultation_id is not None:  # the consultation's decision is carried on: its clocks run from now
            for decision in pending_emergency_decisions(consultation_id):
                take_decision(user=user, decision_id=decision.pk, reference=f"intake.EmergencySupport:{support.pk}")
        audit.record(
            user,
            "intake.open_emergency_support",
            support,
            detail={"household": household.pk, "kinds": kinds, "consultation": consultation_id},
        )
    return support


def _officer_in_charge(user: Any, dong_code: str, officer_id: int | None) -> Any:
    officers = officers_of_dong(dong_code)
    if officer_id is not None:
        officer = officers.filter(pk=officer_id).first()
        if officer is None:
            raise ValidationError({"officer": _("Only an officer of the household's dong can be in charge.")})
        return officer
    staff = getattr(user, "staff", None)
    return officers.filter(pk=staff.pk).first() if staff is not None else None


def _date_errors(field: str, on: date | None, *, not_before: date | None = None) -> dict[str, str]:
    if on is None:
        return {field: _("Enter the date.")}
    if on > today_kst():
        return {field: _("A date in the future cannot be entered.")}
    if not_before is not None and on < not_before:
        return {field: _("The date cannot be before %(date)s, the previous step.") % {"date": not_before}}
    return {}


def _reason_errors(reason: str, message: str) -> dict[str, str]:
    return {"reason": message} if visible_length(reason) < 4 else {}


def _locked(user: Any, support_id: int) -> EmergencySupport:
    """The application, locked for the step; outside the user's area it answers 404 like one that does not exist."""
    support = emergency_supports_visible_to(user).select_for_update(of=("self",)).filter(pk=support_id).first()
    if support is None:
        raise Http404
    return support


def _repeated(user: Any, support: EmergencySupport, step: str) -> bool:
    """Whether this user just did this very step: the form sent twice, not a second step."""
    last = support.steps.order_by("-at", "-pk").first()
    return (
        last is not None
        and last.kind == step
        and last.by_id == user.pk
        and timezone.now() - last.at < REPEAT_WINDOW
        and step not in (StepKind.GIVE, StepKind.ASSIGN)  # these may rightly follow each other
    )


def _move(user: Any, support: EmergencySupport, step: str) -> str | None:
    """The state after `step`, or None when the step was just done (nothing to do); refused if not allowed."""
    after = MOVES.get((support.state, step))
    if after is None:
        if _repeated(user, support, step):
            return None
        message = _("This step is not possible now: the application is “%(state)s”. Reload the page to see it.")
        raise ValidationError({"step": message % {"state": support.get_state_display()}})
    return after


def _record_step(
    user: Any,
    support: EmergencySupport,
    step: str,
    before: str,
    *,
    on: date,
    reason: str = "",
    given: SupportGiven | None = None,
    officer: Any = None,
) -> EmergencyStep:
    return EmergencyStep.objects.create(
        support=support,
        kind=step,
        from_state=before,
        to_state=support.state,
        on=on,
        reason=visible_text(reason),
        given=given,
        officer=officer,
        by=user,
    )


def _step(
    user: Any,
    support_id: int,
    step: str,
    *,
    on: date,
    reason: str,
    changes: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> EmergencySupport:
    """Lock, check the move, apply it with `changes`, write the step row and the audit event."""
    with transaction.atomic():
        support = _locked(user, support_id)
        after = _move(user, support, step)
        if after is None:
            return support
        before = support.state
        support.state = after
        for name, value in (changes or {}).items():
            setattr(support, name, value)
        support.save(update_fields=["state", *(changes or {})])
        _record_step(user, support, step, before, on=on, reason=reason)
        audit.record(user, f"intake.emergency_{step}", support, detail={"from": before, "to": after, **(detail or {})})
    return support


def _current(user: Any, support_id: int) -> EmergencySupport:
    support = emergency_supports_visible_to(user).filter(pk=support_id).first()
    if support is None:
        raise Http404
    return support


def record_check(*, user: Any, support_id: int, on: date | None, note: str) -> EmergencySupport:
    """The on-site check was done (현장확인): when, and what was found."""
    ensure_can(user, "intake.emergency")
    support = _current(user, support_id)
    errors = _date_errors("on", on, not_before=support.requested_on)
    errors |= _reason_errors(note, _("Write what you found on site."))
    if errors:
        raise ValidationError(errors)
    return _step(user, support_id, StepKind.CHECK, on=on, reason=note, changes={"checked_on": on})


def decide(*, user: Any, support_id: int, on: date | None, supported: bool | None, reason: str) -> EmergencySupport:
    """The decision after the on-site check: support (the follow-up investigation is then due within its period), or
    no support, with the reason either way."""
    ensure_can(user, "intake.emergency")
    support = _current(user, support_id)
    errors = _date_errors("on", on, not_before=support.checked_on)
    if supported is None:
        errors["decision"] = _("Choose the decision.")
    errors |= _reason_errors(reason, _("Give the reason for the decision."))
    if errors:
        raise ValidationError(errors)
    step = StepKind.SUPPORT if supported else StepKind.NO_SUPPORT
    return _step(user, support_id, step, on=on, reason=reason, changes={"decided_on": on})


def record_given(
    *,
    user: Any,
    support_id: int,
    kind: str,
    amount: int | None,
    months: int | None,
    starts_on: date | None,
    note: str = "",
) -> SupportGiven:
    """Support given: its kind, the amount in won (a month, for the kinds paid monthly), for how many months, from
    when. The year's figure for the household is kept beside it, so that a report can show where they differ."""
    ensure_can(user, "intake.emergency")
    _current(user, support_id)  # outside the user's area: 404 before anything else
    errors: dict[str, str] = {}
    if kind not in EmergencyKind.values:
        errors["kind"] = _("Choose the kind of support.")
    if amount is None or not 0 < amount <= MAX_AMOUNT:
        errors["amount"] = _("Enter the amount in won, such as 500000.")
    if months is not None and not 1 <= months <= MAX_MONTHS:
        errors["months"] = _("Enter the months of support, from 1 to 12, or leave it empty for a single payment.")
    if starts_on is None:
        errors["starts_on"] = _("Enter the date.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        support = _locked(user, support_id)
        after = _move(user, support, StepKind.GIVE)
        if starts_on < support.decided_on:
            raise ValidationError({"starts_on": _("Support cannot start before the decision (%(date)s).") % {
                "date": support.decided_on}})  # fmt: skip
        amounts = load_amounts()
        size = household_size(user, support.household, today_kst())
        suggestion = amounts.suggest(kind, starts_on.year, size)
        given = SupportGiven.objects.create(
            support=support,
            kind=kind,
            amount=amount,
            months=months,
            starts_on=starts_on,
            suggested_amount=suggestion.won if suggestion else None,
            amounts_version=amounts.version if suggestion else "",
            recorded_by=user,
        )
        before, support.state = support.state, after
        _record_step(user, support, StepKind.GIVE, before, on=today_kst(), reason=note, given=given)
        audit.record(
            user,
            "intake.emergency_give",
            support,
            detail={"given": given.pk, "kind": kind, "amount": amount, "months": months},
        )
    return given


def record_follow_up(*, user: Any, support_id: int, on: date | None, result: str, reason: str) -> EmergencySupport:
    """The follow-up investigation (사후조사) is done. "Appropriate" closes the application; "to be reviewed" sends
    it to review — the support is never cut by the software: people review it and record what they decided."""
    ensure_can(user, "intake.emergency")
    support = _current(user, support_id)
    errors = _date_errors("on", on, not_before=support.decided_on)
    if result not in FollowUpResult.values:
        errors["result"] = _("Choose the result of the follow-up investigation.")
    errors |= _reason_errors(reason, _("Write what the investigation found."))
    if support.state == EmergencyState.SUPPORTING and not support.given.exists():
        errors["result"] = _("Record the support given first.")
    if errors:
        raise ValidationError(errors)
    step = StepKind.APPROPRIATE if result == FollowUpResult.APPROPRIATE else StepKind.TO_REVIEW
    changes = {"follow_up_on": on, "follow_up_result": result}
    return _step(user, support_id, step, on=on, reason=reason, changes=changes, detail={"result": result})


def conclude_review(*, user: Any, support_id: int, on: date | None, result: str, reason: str) -> EmergencySupport:
    """Record what the review decided (the district's committee): the support stands, stops, or is to be repaid."""
    ensure_can(user, "intake.emergency")
    support = _current(user, support_id)
    errors = _date_errors("on", on, not_before=support.follow_up_on)
    if result not in ReviewResult.values:
        errors["result"] = _("Choose what the review decided.")
    errors |= _reason_errors(reason, _("Write the review's decision and who took it."))
    if errors:
        raise ValidationError(errors)
    changes = {"review_result": result}
    return _step(user, support_id, StepKind.REVIEWED, on=on, reason=reason, changes=changes, detail={"result": result})


def assign_officer(*, user: Any, support_id: int, officer_id: int | None, reason: str = "") -> EmergencySupport:
    """Put an officer of the household's dong in charge."""
    ensure_can(user, "intake.emergency")
    with transaction.atomic():
        support = _locked(user, support_id)
        if officer_id is None:
            raise ValidationError({"officer": _("Choose the officer in charge.")})
        officer = _officer_in_charge(user, support.dong_id, officer_id)
        if support.officer_id == officer.pk:
            return support
        after = _move(user, support, StepKind.ASSIGN)
        before, support.state, support.officer = support.state, after, officer
        support.save(update_fields=["state", "officer"])
        _record_step(user, support, StepKind.ASSIGN, before, on=today_kst(), reason=reason, officer=officer)
        audit.record(user, "intake.emergency_assign", support, detail={"officer": officer.pk})
    return support


def open_support(*, user: Any, support_id: int) -> EmergencyPage:
    """One application with its steps and clocks, the reading audited."""
    ensure_can(user, "intake.view_emergency")
    page = emergency_page(user, support_id, today_kst())
    audit.record(user, "intake.view_emergency_support", page.support)
    return page


def open_support_with_numbers(*, user: Any, support_id: int, reason: str, preset: str = "") -> EmergencyPage:
    """The application with the numbers written in its text shown in full, for a reason kept in the audit log."""
    ensure_can(user, "intake.view_emergency")
    ensure_can(user, "registry.reveal_personal_data")
    page = emergency_page(user, support_id, today_kst())
    reason = checked_reveal_reason(reason)
    detail = {"fields": ["text"], **({"preset": preset} if preset else {})}
    audit.record(user, "intake.reveal_emergency_numbers", page.support, reason=reason, detail=detail)
    return page


def open_new_support(
    *, user: Any, household_id: int, work_item_id: int | None = None, consultation_id: int | None = None
) -> NewEmergencyPage:
    """The form to open an application for a household, the reading audited (it names the household)."""
    ensure_can(user, "intake.emergency")
    page = new_emergency_page(user, household_id, work_item_id, today_kst(), consultation_id=consultation_id)
    audit.record(user, "intake.view_emergency_form", page.household)
    return page


def open_support_list(*, user: Any, open_only: bool = True) -> list[EmergencyRow]:
    """The applications of the user's area, the reading audited."""
    ensure_can(user, "intake.view_emergency")
    rows = emergency_list(user, today_kst(), open_only=open_only)
    audit.record(user, "intake.view_emergency_list", detail={"rows": len(rows), "open_only": open_only})
    return rows
