from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dolbom.core.roles import Role, scope_for
from dolbom.intake.models import Referral


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    """Safety-net members and private agencies see the referrals they filed; officers those of their area."""
    scope = scope_for(user)
    referrals = Referral.objects.select_related("dong")
    if scope.sees_district:
        return referrals.filter(dong__parent_id__in=scope.area_codes)
    if scope.role == Role.DONG_OFFICER:
        return referrals.filter(dong_id__in=scope.area_codes)
    if scope.role in (Role.SAFETY_NET, Role.AGENCY_WORKER):
        return referrals.filter(reported_by_id=scope.user_id)
    return referrals.none()
