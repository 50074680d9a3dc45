"""The initial consultation, the needs assessment and the decision (docs/process.md steps 3–5): recording each,
correcting them, and the audited reads of what they hold. One transaction per action, the audit event inside it.

How it joins the rest:
- A consultation closes the worklist item it comes from with the outcome `consultation` (`work.close`). A walk-in
  from the household page continues the household's open item when there is one, or opens a `walk_in` item; the
  meeting is recorded as a visit first, so that who met the household, when and how is on record as for any item.
- Each decision is a row the next capability takes up: a case-management candidate (cases), a benefit application
  (eligibility), emergency support (the officer is taken straight to the application, whose opening takes the
  decision up and starts the clocks). They wait as `pending` and are listed on the household's page until
  `take_decision` is called by that capability.
- A household a screening round listed gets its label from the decision (help → in need, no need → not in need),
  written back through discovery's `record_outcome`, as the worklist does when it closes an item.

Honest mistakes: every form carries a token (`submission`), so the same form sent twice is recorded once; a
consultation is corrected by a new version, an assessment re-done by a new row, a decision withdrawn with a reason;
nothing is overwritten. A correction or a new assessment made from a page shown before someone else's is refused
and names who recorded the newer one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import visible_or_404
from dolbom.core.text import visible_length, visible_text
from dolbom.discovery.services import outreach as discovery_outreach
from dolbom.intake.models import (
    Assessment,
    ConsentAnswer,
    Consultation,
    ConsultationRecord,
    ContactKind,
    CrisisKind,
    CrisisLevel,
    Decision,
    DecisionKind,
    DecisionStatus,
    ImmediateRisk,
    NeedDomain,
    NeedLevel,
    NeedRating,
    Referral,
    ReferralAnswer,
    RiskKind,
    VisitResult,
    WorkItem,
    WorkOutcome,
    WorkSource,
    WorkStatus,
)
from dolbom.intake.selectors import (
    ConsultationPage,
    ConsultationStart,
    HouseholdConsultations,
    consultation_page,
    consultation_start,
    consultations_visible_to,
    current_assessment,
    current_record,
    decisions_visible_to,
    household_consultations,
    open_item_of_household,
    work_items_visible_to,
)
from dolbom.intake.services import work
from dolbom.intake.signals import Panel, consultation_shown
from dolbom.registry.models import ConsentPurpose, Household
from dolbom.registry.selectors import households_visible_to, officers_of_dong, visible_members
from dolbom.registry.services import checked_reveal_reason

# Free text another officer must be able to read and act on: a few words at least.
MIN_TEXT = 5
MIN_REASON = 4


# What the consent answer may name: the registry's purposes of consent (the consent itself is recorded there).
CONSENT_PURPOSES = ConsentPurpose.choices


def _who(user: Any) -> str:
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else user.get_username()


# ------------------------------------------------------------------------------------------- the crisis scale
def _default_scale() -> list[tuple[str, str]]:
    return [
        (pgettext("crisis level", "High crisis"), _("Life, safety or shelter at risk now: act today.")),
        (pgettext("crisis level", "Crisis"), _("A crisis that needs help soon.")),
        (pgettext("crisis level", "General"), _("Needs that ordinary services can meet.")),
    ]


def crisis_scale(*, district_code: str, user: Any = None) -> list[CrisisLevel]:
    """The district's crisis levels in use, most serious first. A district that has never had a scale gets the
    default one (고위기 / 위기 / 일반), stored as its own rows in the installation's language: from then on the
    labels are the district's data, which its administrator renames, reorders or extends in the admin."""
    levels = CrisisLevel.objects.filter(district_id=district_code)
    if not levels.exists():
        try:
            with transaction.atomic():
                with translation.override(settings.LANGUAGE_CODE):
                    defaults = _default_scale()
                for order, (name, description) in enumerate(defaults, start=1):
                    CrisisLevel.objects.create(
                        district_id=district_code, name=name, order=order, description=description
                    )
                audit.record(user, "intake.default_crisis_scale", detail={"district": district_code})
        except IntegrityError:
            pass  # created at the same moment by another request: theirs stands
    return list(levels.filter(active=True).order_by("order", "pk"))


# ------------------------------------------------------------------------------------------------ consultation
@dataclass(frozen=True)
class RiskAnswer:
    present: bool | None  # None: not answered
    note: str = ""


@dataclass(frozen=True)
class ConsultationEntry:
    """What the consultation form holds."""

    officer_id: int | None
    held_on: date | None
    contact: str
    what_happened: str
    crisis_kinds: list[str]
    risks: Mapping[str, RiskAnswer]
    consent: str
    member_ids: list[int] = field(default_factory=list)
    others_present: str = ""
    consent_purposes: list[str] = field(default_factory=list)
    consent_note: str = ""


def _entry_errors(entry: ConsultationEntry) -> dict[str, str]:
    errors: dict[str, str] = {}
    if entry.held_on is None:
        errors["held_on"] = _("Enter the date of the consultation.")
    elif entry.held_on > today_kst():
        errors["held_on"] = _("A date in the future cannot be entered.")
    if entry.contact not in ContactKind.values:
        errors["contact"] = _("Choose where the consultation took place.")
    if visible_length(entry.what_happened) < MIN_TEXT:
        errors["what_happened"] = _("Describe what happened in at least five characters.")
    if not entry.crisis_kinds or not set(entry.crisis_kinds) <= set(CrisisKind.values):
        errors["crisis_kinds"] = _("Choose at least one kind of crisis (other, if none fits).")
    for kind in RiskKind:
        answer = entry.risks.get(kind.value) or RiskAnswer(None)
        if answer.present is None:
            errors[f"risk_{kind.value}"] = _("Answer yes or no.")
        elif answer.present and visible_length(answer.note) < 2:
            errors[f"risk_{kind.value}_note"] = _("Say what the risk is, so that someone can act on it.")
    if entry.consent not in ConsentAnswer.values:
        errors["consent"] = _("Say whether consent to share was asked and given.")
    elif entry.consent == ConsentAnswer.GIVEN and not entry.consent_purposes:
        errors["consent_purposes"] = _("Choose what the consent was given for.")
    if not set(entry.consent_purposes) <= set(ConsentPurpose.values):
        errors["consent_purposes"] = _("Choose what the consent was given for.")
    return errors


def _officer(household: Household, officer_id: int | None) -> Any:
    officer = officers_of_dong(household.dong_id).filter(pk=officer_id).first() if officer_id else None
    if officer is None:
        raise ValidationError({"officer": _("Choose an officer of the household's dong.")})
    return officer


def _members(user: Any, household: Household, member_ids: Iterable[int]) -> list[Any]:
    """The registered members ticked as living here: only members the user sees on the household page."""
    visible = {m.person_id: m.person for m in visible_members(user, household)}
    chosen = set(member_ids)
    if not chosen <= set(visible):
        raise ValidationError({"members": _("Choose among the household's registered members.")})
    return [visible[pk] for pk in sorted(chosen)]


def _write_record(
    consultation: Consultation,
    *,
    user: Any,
    version: int,
    entry: ConsultationEntry,
    officer: Any,
    members: list[Any],
    submission: uuid.UUID,
    correction_reason: str = "",
) -> ConsultationRecord:
    record = ConsultationRecord.objects.create(
        consultation=consultation,
        version=version,
        held_on=entry.held_on,
        officer=officer,
        contact=entry.contact,
        others_present=visible_text(entry.others_present),
        what_happened=entry.what_happened.strip(),
        crisis_kinds=[kind for kind in CrisisKind.values if kind in entry.crisis_kinds],
        consent=entry.consent,
        consent_purposes=[p for p in ConsentPurpose.values if p in entry.consent_purposes]
        if entry.consent == ConsentAnswer.GIVEN
        else [],
        consent_note=entry.consent_note.strip(),
        correction_reason=correction_reason,
        recorded_by=user,
        submission=submission,
    )
    record.members.set(members)
    ImmediateRisk.objects.bulk_create(
        ImmediateRisk(
            record=record,
            kind=kind,
            present=bool(entry.risks[kind].present),
            note=visible_text(entry.risks[kind].note)[:500],
        )
        for kind in RiskKind.values
    )
    return record


def _audit_detail(entry: ConsultationEntry) -> dict[str, Any]:
    """Codes only: what happened and the notes are personal and stay in the record."""
    return {
        "crisis_kinds": sorted(entry.crisis_kinds),
        "risks": sorted(kind for kind, answer in entry.risks.items() if answer.present),
        "consent": entry.consent,
    }


def _already_recorded(user: Any, submission: uuid.UUID) -> Consultation | None:
    """The consultation a form with this token already recorded (the same form sent twice)."""
    done = ConsultationRecord.objects.filter(submission=submission).values_list("consultation_id", flat=True).first()
    return None if done is None else visible_or_404(consultations_visible_to(user), done)


def _refuse_second_consultation(item: WorkItem) -> None:
    existing = Consultation.objects.filter(work_item=item).first()
    if existing is not None:
        message = _("An initial consultation is already recorded for this item (no. %(id)s): correct that one.")
        raise ValidationError({"__all__": message % {"id": existing.pk}})


def record_consultation(
    *,
    user: Any,
    submission: uuid.UUID,
    entry: ConsultationEntry,
    work_item_id: int | None = None,
    household_id: int | None = None,
) -> Consultation:
    """Record an initial consultation, from a worklist item in contact (`work_item_id`) or, for a walk-in, from
    the household (`household_id`), and close the item with the outcome `consultation`."""
    ensure_can(user, "intake.consult")
    if (work_item_id is None) == (household_id is None):
        raise ValueError("record_consultation: give a work item or a household")
    errors = _entry_errors(entry)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        done = _already_recorded(user, submission)
        if done is not None:
            return done
        if work_item_id is not None:
            item = work.locked(user, work_item_id, None)
            household = _ready_item(item)
            officer = _officer(household, entry.officer_id)
        else:
            household = visible_or_404(households_visible_to(user), household_id)
            officer = _officer(household, entry.officer_id)
            item = _walk_in_item(user, household, entry, officer)
        members = _members(user, household, entry.member_ids)
        consultation = Consultation.objects.create(
            household=household, work_item=item, opened_by=user, submission=submission
        )
        _write_record(
            consultation, user=user, version=1, entry=entry, officer=officer, members=members, submission=submission
        )
        work.close(user=user, work_item_id=item.pk, outcome=WorkOutcome.CONSULTATION, on=entry.held_on)
        detail = {"work_item": item.pk, "household": household.pk, **_audit_detail(entry)}
        audit.record(user, "intake.record_consultation", consultation, detail=detail)
    return consultation


def _ready_item(item: WorkItem) -> Household:
    """An item is ready for its consultation once someone met the household and the report is tied to it."""
    _refuse_second_consultation(item)
    if item.household_id is None:
        raise ValidationError({"__all__": _("First say which registered household this is, on the worklist item.")})
    if item.status != WorkStatus.IN_CONTACT:
        raise ValidationError(
            {"__all__": _("Record the meeting first: a consultation follows a visit or call where you met them.")}
        )
    return item.household


def _walk_in_item(user: Any, household: Household, entry: ConsultationEntry, officer: Any) -> WorkItem:
    """The item a walk-in consultation closes: the household's open item when it has one (a listed household who
    came to the office has been reached), otherwise a new walk-in item. The meeting is recorded as its visit."""
    item = open_item_of_household(user, household.pk)
    if item is None:
        item = WorkItem.objects.create(dong_id=household.dong_id, household=household, source=WorkSource.WALK_IN)
        audit.record(user, "intake.open_walk_in", item, detail={"household": household.pk})
    _refuse_second_consultation(item)
    if item.status != WorkStatus.IN_CONTACT:
        work.record_visit(
            user=user,
            work_item_id=item.pk,
            visitor_id=officer.pk,
            on=entry.held_on,
            kind=entry.contact,
            result=VisitResult.MET,
        )
    return item


def correct_consultation(
    *,
    user: Any,
    consultation_id: int,
    submission: uuid.UUID,
    entry: ConsultationEntry,
    reason: str,
    seen_version: int | None = None,
) -> ConsultationRecord:
    """A wrong entry is corrected by a new version that says why; the earlier versions stay as history."""
    ensure_can(user, "intake.consult")
    errors = _entry_errors(entry)
    reason = visible_text(reason)
    if visible_length(reason) < MIN_REASON:
        errors["reason"] = _("Say what was wrong (at least four characters).")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        done = ConsultationRecord.objects.filter(submission=submission).first()
        if done is not None:
            visible_or_404(consultations_visible_to(user), done.consultation_id)
            return done
        rows = consultations_visible_to(user).select_for_update(of=("self",))
        consultation = visible_or_404(rows, consultation_id)
        current = current_record(consultation)
        if seen_version is not None and seen_version != current.version:
            message = _("%(who)s corrected this consultation after you opened it. Check the newer version first.")
            raise ValidationError({"version": message % {"who": _who(current.recorded_by)}})
        household = consultation.household
        record = _write_record(
            consultation,
            user=user,
            version=current.version + 1,
            entry=entry,
            officer=_officer(household, entry.officer_id),
            members=_members(user, household, entry.member_ids),
            submission=submission,
            correction_reason=reason,
        )
        detail = {"version": record.version, **_audit_detail(entry)}
        audit.record(user, "intake.correct_consultation", consultation, detail=detail)
    return record


# ------------------------------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class NeedAnswer:
    level: str
    note: str = ""


def record_assessment(
    *,
    user: Any,
    consultation_id: int,
    submission: uuid.UUID,
    officer_id: int | None,
    assessed_on: date | None,
    needs: Mapping[str, NeedAnswer],
    crisis_level_id: int | None,
    crisis_reasons: str,
    seen_assessment_id: int | None = None,
) -> Assessment:
    """Assess the needs in the ten domains and the crisis level on the district's scale, with the reasons. An
    assessment already standing is replaced by this one and kept as history. `seen_assessment_id` is the one the
    form showed as standing (0: none): another recorded since is named, not silently replaced."""
    ensure_can(user, "intake.consult")
    errors: dict[str, str] = {}
    for domain in NeedDomain:
        answer = needs.get(domain.value)
        if answer is None or answer.level not in NeedLevel.values:
            errors[f"need_{domain.value}"] = _("Choose a level for this domain.")
    if visible_length(crisis_reasons) < MIN_TEXT:
        errors["crisis_reasons"] = _("Give the reasons for the crisis level in at least five characters.")
    if assessed_on is None:
        errors["assessed_on"] = _("Enter the date of the assessment.")
    elif assessed_on > today_kst():
        errors["assessed_on"] = _("A date in the future cannot be entered.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        done = Assessment.objects.filter(submission=submission).first()
        if done is not None:
            visible_or_404(consultations_visible_to(user), done.consultation_id)
            return done
        consultation = visible_or_404(consultations_visible_to(user).select_for_update(of=("self",)), consultation_id)
        household = consultation.household
        if assessed_on < current_record(consultation).held_on:
            raise ValidationError({"assessed_on": _("The assessment cannot be dated before the consultation.")})
        scale = crisis_scale(district_code=household.dong.parent_id, user=user)
        level = next((lv for lv in scale if lv.pk == crisis_level_id), None)
        if level is None:
            raise ValidationError({"crisis_level": _("Choose a crisis level of the district's scale.")})
        standing = current_assessment(consultation)
        if seen_assessment_id is not None and (seen_assessment_id or None) != getattr(standing, "pk", None):
            message = _("%(who)s recorded an assessment after you opened this page. Check it first.")
            raise ValidationError({"replaces": message % {"who": _who(standing.recorded_by)}})
        assessment = Assessment.objects.create(
            consultation=consultation,
            assessed_on=assessed_on,
            officer=_officer(household, officer_id),
            crisis_level=level,
            crisis_reasons=crisis_reasons.strip(),
            replaces=standing,
            recorded_by=user,
            submission=submission,
        )
        NeedRating.objects.bulk_create(
            NeedRating(
                assessment=assessment,
                domain=domain,
                level=needs[domain].level,
                note=visible_text(needs[domain].note)[:1000],
            )
            for domain in NeedDomain.values
        )
        serious = sorted(d for d, a in needs.items() if a.level == NeedLevel.SERIOUS)
        detail = {"crisis_level": level.pk, "serious": serious, "replaces": getattr(standing, "pk", None)}
        audit.record(user, "intake.record_assessment", consultation, detail=detail)
    return assessment


# --------------------------------------------------------------------------------------------------- decision
# Decisions another capability carries on wait for it; the others are complete when made.
CARRIED_ON = frozenset({DecisionKind.EMERGENCY, DecisionKind.BENEFIT, DecisionKind.CASE_CANDIDATE})
# What a decision says of the household's need: the label a screening round's listing learns from.
HELP = CARRIED_ON


def record_decision(
    *,
    user: Any,
    consultation_id: int,
    submission: uuid.UUID,
    kinds: Iterable[str],
    decided_on: date | None = None,
    service: str = "",
    partner: str = "",
    reason: str = "",
    note: str = "",
) -> list[Decision]:
    """Decide what follows: one or more of a simple linkage (what, to whom), emergency support, a benefit
    application, a case-management candidate — or no need, alone, with its reason. Each carried-on decision waits
    as `pending` for its capability; a household a round listed gets its label."""
    ensure_can(user, "intake.consult")
    kinds = [k for k in DecisionKind.values if k in set(kinds)]
    decided_on = decided_on or today_kst()
    service, partner, reason = visible_text(service), visible_text(partner), visible_text(reason)
    errors = _decision_errors(kinds, decided_on, service=service, partner=partner, reason=reason)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        done = list(Decision.objects.filter(submission=submission))
        if done:
            visible_or_404(consultations_visible_to(user), done[0].consultation_id)
            return done
        consultation = visible_or_404(consultations_visible_to(user).select_for_update(of=("self",)), consultation_id)
        if decided_on < current_record(consultation).held_on:
            raise ValidationError({"decided_on": _("The decision cannot be dated before the consultation.")})
        assessment = current_assessment(consultation)
        if assessment is None and kinds != [DecisionKind.NO_NEED]:
            raise ValidationError({"kinds": _("Record the needs assessment first: the decision rests on it.")})
        _refuse_contradictions(consultation, kinds)
        decisions = []
        for kind in kinds:
            decision = Decision.objects.create(
                consultation=consultation,
                assessment=assessment,
                kind=kind,
                status=DecisionStatus.PENDING if kind in CARRIED_ON else DecisionStatus.DONE,
                decided_on=decided_on,
                service=service if kind == DecisionKind.LINKAGE else "",
                partner=partner if kind == DecisionKind.LINKAGE else "",
                note=reason if kind == DecisionKind.NO_NEED else note.strip(),
                decided_by=user,
                submission=submission,
            )
            decisions.append(decision)
        _write_back(user, consultation, on=decided_on)
        detail = {"kinds": kinds, "decisions": [d.pk for d in decisions]}
        audit.record(user, "intake.decide", consultation, detail=detail)
    return decisions


def _decision_errors(kinds: list[str], decided_on: date, *, service: str, partner: str, reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not kinds:
        errors["kinds"] = _("Choose at least one decision.")
    elif DecisionKind.NO_NEED in kinds and len(kinds) > 1:
        errors["kinds"] = _("“No need” cannot go with another decision.")
    if DecisionKind.LINKAGE in kinds:
        if visible_length(service) < 2:
            errors["service"] = _("Say which service the household is linked to.")
        if visible_length(partner) < 2:
            errors["partner"] = _("Say to whom (agency or person) the household is linked.")
    if DecisionKind.NO_NEED in kinds and visible_length(reason) < MIN_REASON:
        errors["reason"] = _("Say why there is no need (at least four characters).")
    if decided_on > today_kst():
        errors["decided_on"] = _("A date in the future cannot be entered.")
    return errors


def _refuse_contradictions(consultation: Consultation, kinds: list[str]) -> None:
    """A decision already standing is not made twice, and no need does not stand beside help."""
    standing = consultation.decisions.exclude(status=DecisionStatus.WITHDRAWN)
    kinds_standing = set(standing.values_list("kind", flat=True))
    repeated = [k for k in kinds if k in kinds_standing and k != DecisionKind.LINKAGE]
    if repeated:
        names = ", ".join(str(DecisionKind(k).label) for k in repeated)
        raise ValidationError({"kinds": _("Already decided: %(kinds)s.") % {"kinds": names}})
    if kinds_standing and (DecisionKind.NO_NEED in kinds or DecisionKind.NO_NEED in kinds_standing):
        raise ValidationError(
            {"kinds": _("“No need” cannot stand beside another decision: withdraw the one that is wrong first.")}
        )


def _label_for(kinds: set[str]) -> WorkOutcome | None:
    if kinds & HELP:
        return WorkOutcome.HELPED
    if DecisionKind.LINKAGE in kinds:
        return WorkOutcome.REFERRED
    if DecisionKind.NO_NEED in kinds:
        return WorkOutcome.NOT_ELIGIBLE
    return None


REFERRAL_ANSWERS = {
    WorkOutcome.HELPED: ReferralAnswer.HELPED,
    WorkOutcome.REFERRED: ReferralAnswer.HELPED,
    WorkOutcome.NOT_ELIGIBLE: ReferralAnswer.NO_ACTION,
}


def _write_back(user: Any, consultation: Consultation, *, on: date) -> None:
    """What the standing decisions say goes back where the household was found: the label of a round's listing
    (in need: helped or referred; not in need), and the neutral answer a referral's reporter sees."""
    kinds = set(consultation.decisions.exclude(status=DecisionStatus.WITHDRAWN).values_list("kind", flat=True))
    outcome = _label_for(kinds)
    if outcome is None:
        return  # every decision withdrawn: the last label stands until a new decision
    item = consultation.work_item
    if item.outreach_item_id is not None and item.outreach_item.outcome != outcome:
        discovery_outreach.record_outcome(user=user, item_id=item.outreach_item_id, outcome=outcome, on=on)
    if item.referral_id is not None:
        Referral.objects.filter(pk=item.referral_id).update(answer=REFERRAL_ANSWERS[outcome])


def withdraw_decision(*, user: Any, decision_id: int, reason: str) -> Decision:
    """A decision made in error is withdrawn with the reason; it stays on record. One already taken up by its
    capability is changed there."""
    ensure_can(user, "intake.consult")
    reason = visible_text(reason)
    if visible_length(reason) < MIN_REASON:
        raise ValidationError({"reason": _("Say why the decision is withdrawn (at least four characters).")})
    with transaction.atomic():
        decision = visible_or_404(decisions_visible_to(user).select_for_update(of=("self",)), decision_id)
        if decision.status == DecisionStatus.WITHDRAWN:
            return decision
        if decision.status == DecisionStatus.TAKEN:
            raise ValidationError({"reason": _("This decision has been taken up already; change it where it went.")})
        decision.status, decision.withdrawn_reason = DecisionStatus.WITHDRAWN, reason
        decision.withdrawn_by, decision.withdrawn_at = user, timezone.now()
        decision.save(update_fields=["status", "withdrawn_reason", "withdrawn_by", "withdrawn_at"])
        _write_back(user, decision.consultation, on=today_kst())
        audit.record(user, "intake.withdraw_decision", decision.consultation, detail={"decision": decision.pk})
    return decision


def pending_emergency_decisions(consultation_id: int) -> QuerySet[Decision]:
    """A consultation's emergency-support decisions still waiting for their application, unscoped: for the
    emergency service, which opens the application in the user's scope first."""
    return Decision.objects.filter(
        consultation_id=consultation_id, kind=DecisionKind.EMERGENCY, status=DecisionStatus.PENDING
    )


def take_decision(*, user: Any, decision_id: int, reference: str) -> Decision:
    """The next capability takes up a pending decision (a case opened for a candidate, an application started, an
    emergency request opened); `reference` names what it became, e.g. "cases.Case:12"."""
    ensure_can(user, "intake.take_decision")
    with transaction.atomic():
        decision = visible_or_404(decisions_visible_to(user).select_for_update(of=("self",)), decision_id)
        if decision.status == DecisionStatus.TAKEN and decision.taken_reference == reference:
            return decision
        if decision.status != DecisionStatus.PENDING:
            raise ValidationError({"status": _("Only a decision waiting for its next step can be taken up.")})
        decision.status, decision.taken_reference = DecisionStatus.TAKEN, reference[:100]
        decision.taken_by, decision.taken_at = user, timezone.now()
        decision.save(update_fields=["status", "taken_reference", "taken_by", "taken_at"])
        audit.record(user, "intake.take_decision", decision, detail={"reference": decision.taken_reference})
    return decision


# ----------------------------------------------------------------------------------------------- audited reads
def open_consultation_start(
    *, user: Any, work_item_id: int | None = None, household_id: int | None = None
) -> ConsultationStart:
    """The consultation form: the household's members as the user may see them. From an item, the item must be
    ready (met, tied to a household, no consultation yet); the refusal says what to do first."""
    ensure_can(user, "intake.consult")
    if work_item_id is not None:
        item = visible_or_404(work_items_visible_to(user), work_item_id)
        household = _ready_item(item)
    else:
        household = visible_or_404(households_visible_to(user).select_related("address", "dong"), household_id)
        item = open_item_of_household(user, household.pk)
    start = consultation_start(user, household, item)
    audit.record(user, "intake.view_consultation_form", household, detail={"work_item": getattr(item, "pk", None)})
    return start


def open_consultation(*, user: Any, consultation_id: int) -> ConsultationPage:
    """One consultation with its versions, assessments and decisions, the reading audited."""
    return _open(user, consultation_id, "intake.view_consultations")


def open_consultation_for_work(*, user: Any, consultation_id: int) -> ConsultationPage:
    """The same, as the start of a correction, an assessment or a decision: for those who may record them."""
    return _open(user, consultation_id, "intake.consult")


def open_consultation_with_numbers(
    *, user: Any, consultation_id: int, reason: str, preset: str = ""
) -> ConsultationPage:
    """The consultation with the numbers written in its text shown in full, for a reason kept in the audit log."""
    ensure_can(user, "intake.view_consultations")
    ensure_can(user, "registry.reveal_personal_data")
    page = consultation_page(user, consultation_id)
    reason = checked_reveal_reason(reason)
    detail = {"fields": ["text"], **({"preset": preset} if preset else {})}
    audit.record(user, "intake.reveal_consultation_numbers", page.consultation, reason=reason, detail=detail)
    return page


def _open(user: Any, consultation_id: int, action: str) -> ConsultationPage:
    ensure_can(user, action)
    page = consultation_page(user, consultation_id)
    audit.record(user, "intake.view_consultation", page.consultation)
    # What the domains downstream keep about the household (eligibility's latest calculation), each scoped and
    # audited by its own domain: intake does not know them.
    answers = consultation_shown.send(sender=Consultation, user=user, consultation=page.consultation)
    page.panels = [panel for _receiver, panel in answers if isinstance(panel, Panel)]
    return page


@dataclass
class AssessmentStart:
    page: ConsultationPage
    scale: list[CrisisLevel]
    officers: list[Any]


def open_assessment_start(*, user: Any, consultation_id: int) -> AssessmentStart:
    """The assessment form: the consultation it follows, the district's crisis scale and the dong's officers."""
    page = open_consultation_for_work(user=user, consultation_id=consultation_id)
    household = page.consultation.household
    scale = crisis_scale(district_code=household.dong.parent_id, user=user)
    return AssessmentStart(page=page, scale=scale, officers=list(officers_of_dong(household.dong_id)))


def open_household_consultations(*, user: Any, household_id: int) -> HouseholdConsultations:
    """A household's consultations and its decisions waiting for their next step, the reading audited."""
    ensure_can(user, "intake.view_consultations")
    page = household_consultations(user, household_id)
    audit.record(user, "intake.view_household_consultations", page.household)
    return page


def new_submission() -> uuid.UUID:
    """The token a form carries so that sending it twice records it once."""
    return uuid.uuid4()


def consultation_of_decision(*, user: Any, decision_id: int) -> int:
    """The consultation a decision belongs to, among those the user may see (404 otherwise)."""
    ensure_can(user, "intake.view_consultations")
    return visible_or_404(decisions_visible_to(user), decision_id).consultation_id
