"""Who learns from whose outcomes, and which model a district's rounds use.

A district shares its recorded outcomes with its city's pooled models only under an agreement its administrator
records (from which date, approved by whom under which document) and may end at any time: the next pooled
training leaves its outcomes out, and the models trained while it held keep saying whose labels trained them.
A district's administrator chooses the model its rounds use among those that passed the release gate: its own or
its city's pooled ones. Every change is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import city_of, ensure_visible, scope_for
from dolbom.core.text import visible_length, visible_text
from dolbom.discovery.learning.explain import cut_name, explain_gate
from dolbom.discovery.learning.gate import gate_for
from dolbom.discovery.models import LabelSharingAgreement, ModelChoice
from dolbom.discovery.selectors import agreements_visible_to, scoring_models_visible_to, screening_settings_of

FIELD_LENGTH = 120
REASON_MIN = 5


def _text(value: str, field: str, errors: dict[str, str]) -> str:
    text = visible_text(value or "")
    if visible_length(text) == 0:
        errors[field] = _("Fill in this field.")
    elif visible_length(text) > FIELD_LENGTH:
        errors[field] = _("At most %(count)d characters.") % {"count": FIELD_LENGTH}
    return text


def record_agreement(
    *, user: Any, district_code: str, shares_from: date, approved_by: str, approved_on: date, document: str
) -> LabelSharingAgreement:
    """The district's agreement to let its outcomes, from `shares_from`, train its city's pooled models."""
    ensure_can(user, "discovery.share_labels")
    scope_for(user).ensure_district(district_code)
    errors: dict[str, str] = {}
    approver = _text(approved_by, "approved_by", errors)
    reference = _text(document, "document", errors)
    if approved_on > today_kst():
        errors["approved_on"] = _("The approval cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            agreement = LabelSharingAgreement.objects.create(
                city_id=city_of(district_code),
                district_id=district_code,
                shares_from=shares_from,
                approved_by=approver,
                approved_on=approved_on,
                document=reference,
                recorded_by=user,
            )
            audit.record(
                user,
                "discovery.share_labels",
                agreement,
                detail={
                    "district": district_code,
                    "city": agreement.city_id,
                    "shares_from": shares_from.isoformat(),
                    "approved_on": approved_on.isoformat(),
                    "document": reference,
                },
            )
    except IntegrityError as exc:  # the partial unique constraint: one agreement in force per district
        message = _("The district already has an agreement in force: end it first to record a new one.")
        raise ValidationError({NON_FIELD_ERRORS: message}) from exc
    return agreement


def end_agreement(*, user: Any, agreement_id: int, reason: str) -> LabelSharingAgreement:
    """End an agreement: pooled models trained from now on leave the district's outcomes out."""
    ensure_can(user, "discovery.share_labels")
    ensure_visible(agreements_visible_to(user), agreement_id)
    text = visible_text(reason or "")
    if visible_length(text) < REASON_MIN:
        raise ValidationError(
            {"reason": _("Say why the agreement ends (at least %(count)d characters).") % {"count": REASON_MIN}}
        )
    with transaction.atomic():
        agreement = LabelSharingAgreement.objects.select_for_update().get(pk=agreement_id)
        scope_for(user).ensure_district(agreement.district_id)
        if agreement.ended_at is not None:
            raise ValidationError({NON_FIELD_ERRORS: _("The agreement has already ended.")})
        agreement.ended_at, agreement.ended_by, agreement.end_reason = timezone.now(), user, text
        agreement.save(update_fields=["ended_at", "ended_by", "end_reason"])
        audit.record(user, "discovery.end_label_sharing", agreement, detail={"district": agreement.district_id})
    return agreement


def choose_model(*, user: Any, district_code: str, model_id: int) -> ModelChoice:
    """Make a model the one the district's rounds use. Refused for a model held back by the gate, with the
    gate's reasons."""
    ensure_can(user, "discovery.choose_model")
    scope_for(user).ensure_district(district_code)
    model = scoring_models_visible_to(user).filter(pk=model_id).first()
    if model is None or not model.usable_by(district_code):
        raise PermissionDenied("the model is not one the district may use")
    # The gate's verdict for the cut of the lists the district's rounds make (screening settings).
    balanced = screening_settings_of(district_code).balanced
    gate = gate_for(model.gate, balanced=balanced)
    if not gate.get("passed"):
        reasons = " ".join(explain_gate(gate))
        message = _(
            "Model #%(model)d was held back by the gate for %(cut)s of the lists, which the district's screening "
            "settings ask for, and cannot be used for its rounds. %(reasons)s"
        )
        facts = {"model": model.pk, "cut": cut_name(balanced=balanced), "reasons": reasons}
        raise ValidationError({NON_FIELD_ERRORS: message % facts})
    with transaction.atomic():
        previous = ModelChoice.objects.select_for_update().filter(district_id=district_code).first()
        choice, _created = ModelChoice.objects.update_or_create(
            district_id=district_code, defaults={"scoring_model": model, "chosen_by": user}
        )
        audit.record(
            user,
            "discovery.choose_model",
            model,
            detail={
                "district": district_code,
                "model": model.pk,
                "kind": model.kind,
                "previous": previous.scoring_model_id if previous is not None else None,
            },
        )
    return choice


def stop_using_model(*, user: Any, district_code: str) -> None:
    """The district's rounds go back to the scorecard only: no learned model is chosen."""
    ensure_can(user, "discovery.choose_model")
    scope_for(user).ensure_district(district_code)
    with transaction.atomic():
        choice = ModelChoice.objects.select_for_update().filter(district_id=district_code).first()
        if choice is None:
            raise ValidationError({NON_FIELD_ERRORS: _("The district's rounds use no learned model already.")})
        audit.record(
            user,
            "discovery.stop_using_model",
            choice.scoring_model,
            detail={"district": district_code, "model": choice.scoring_model_id},
        )
        choice.delete()
