"""The district's screening settings kept on the pages: the reserved share of a learned model's lists and their
balanced cut."""

from __future__ import annotations

from copy import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for
from dolbom.discovery.learning.gate import passes_gate
from dolbom.discovery.models import MAX_RESERVED_SHARE, ScreeningSettings
from dolbom.discovery.selectors import chosen_model
from dolbom.registry.models import AdministrativeArea, AreaLevel


def set_screening_settings(*, user: Any, district_code: str, share: Any, balanced: Any) -> ScreeningSettings:
    """Set the district's screening settings: the percentage of each dong's list that its learned-model rounds keep
    in reserve (0 to MAX_RESERVED_SHARE), and whether those rounds cut each dong's list in the balanced order
    (learning/balance.py). Raises PermissionDenied for a role that may not, or a district outside the user's area;
    ValidationError for a share that is not a whole number in range, or for a cut the model the district's rounds
    use has not passed the gate with (the district chooses another model first). Audited with the values before
    and after; the rounds already run keep the settings they ran with (in their params)."""
    ensure_can(user, "discovery.manage_settings")
    scope_for(user).ensure_district(district_code)
    if not AdministrativeArea.objects.filter(code=district_code, level=AreaLevel.SIGUNGU).exists():
        raise ValidationError({"district": _("No such district.")})
    value = _whole_percent(share)
    balanced = _yes_or_no(balanced)
    model = chosen_model(district_code)
    if model is not None and not passes_gate(model.gate, balanced=balanced):
        message = _(
            "Model #%(model)d, which the district's rounds use, has not passed the gate with this cut of the lists: "
            "choose another model or the scorecard on the learned models page first."
        )
        raise ValidationError({"balanced": message % {"model": model.pk}})
    with transaction.atomic():
        row, created = ScreeningSettings.objects.select_for_update().get_or_create(
            district_id=district_code, defaults={"reserved_share": value, "balanced": balanced, "updated_by": user}
        )
        before = ScreeningSettings(district_id=district_code) if created else copy(row)
        if not created:
            row.reserved_share, row.balanced, row.updated_by = value, balanced, user
            row.save(update_fields=["reserved_share", "balanced", "updated_by", "updated_at"])
        audit.record(
            user,
            "discovery.set_screening_settings",
            row,
            detail={
                "district": district_code,
                "reserved_share": {"before": before.reserved_share, "after": value},
                "balanced": {"before": before.balanced, "after": balanced},
            },
        )
    return row


def _yes_or_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("", "0", "false", "off", "no"):
        return False
    raise ValidationError({"balanced": _("Answer yes or no.")})


def _whole_percent(share: Any) -> int:
    message = _("The reserved share is a whole percentage from 0 to %(max)s.") % {"max": MAX_RESERVED_SHARE}
    if isinstance(share, bool):
        raise ValidationError({"reserved_share": message})
    try:
        value = int(str(share).strip().rstrip("%").strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError({"reserved_share": message}) from exc
    if not 0 <= value <= MAX_RESERVED_SHARE:
        raise ValidationError({"reserved_share": message})
    return value
