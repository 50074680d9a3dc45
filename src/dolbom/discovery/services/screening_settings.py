"""The district's screening settings kept on the pages: the reserved share of a learned model's lists."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for
from dolbom.discovery.models import DEFAULT_RESERVED_SHARE, MAX_RESERVED_SHARE, ScreeningSettings
from dolbom.registry.models import AdministrativeArea, AreaLevel


def set_reserved_share(*, user: Any, district_code: str, share: Any) -> ScreeningSettings:
    """Set the percentage of each dong's list that the district's learned-model rounds keep in reserve (0 to
    MAX_RESERVED_SHARE). Raises PermissionDenied for a role that may not, or a district outside the user's area,
    and ValidationError for anything but a whole number in range. Audited with the value before and after; the
    rounds already run keep the share they ran with (in their params)."""
    ensure_can(user, "discovery.manage_settings")
    scope_for(user).ensure_district(district_code)
    if not AdministrativeArea.objects.filter(code=district_code, level=AreaLevel.SIGUNGU).exists():
        raise ValidationError({"district": _("No such district.")})
    value = _whole_percent(share)
    with transaction.atomic():
        row, created = ScreeningSettings.objects.select_for_update().get_or_create(
            district_id=district_code, defaults={"reserved_share": value, "updated_by": user}
        )
        before = DEFAULT_RESERVED_SHARE if created else row.reserved_share
        if not created:
            row.reserved_share = value
            row.updated_by = user
            row.save(update_fields=["reserved_share", "updated_by", "updated_at"])
        audit.record(
            user,
            "discovery.set_screening_settings",
            row,
            detail={"district": district_code, "reserved_share": {"before": before, "after": value}},
        )
    return row


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
