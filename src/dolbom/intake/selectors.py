"""Reads of intake, narrowed through `dolbom.core.scope`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dolbom.core.scope import Reach, scope_for, scoped
from dolbom.intake.models import Referral
from dolbom.registry.models import AdministrativeArea, AreaLevel

# Officers see the referrals of their area; safety-net members and private agencies those they filed.
REFERRAL = Reach(dong="dong", author="reported_by")


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    return scoped(Referral.objects.select_related("dong"), user, REFERRAL)


def referral_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 the user may file a referral about (see `Scope.files_in`)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    return dongs.filter(scope_for(user).filing_areas()).order_by("code")
