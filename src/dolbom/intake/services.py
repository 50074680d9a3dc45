"""Writes of intake. Each function is one transaction, checks permission and scope, and audits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.roles import Role
from dolbom.core.scope import scope_for
from dolbom.intake.models import Referral, ReferralChannel
from dolbom.registry.models import AdministrativeArea, AreaLevel

CHANNEL_OF_ROLE = {Role.SAFETY_NET: ReferralChannel.SAFETY_NET, Role.AGENCY_WORKER: ReferralChannel.AGENCY}


def file_referral(*, user: Any, dong: AdministrativeArea, address_text: str, concern: str) -> Referral:
    """A staff member or safety-net member reports a household in crisis in a dong of their own area."""
    ensure_can(user, "intake.file_referral")
    errors = {}
    if dong.level != AreaLevel.EUPMYEONDONG:
        errors["dong"] = _("Choose a dong.")
    if len(address_text.strip()) < 2:
        errors["address_text"] = _("Enter where the household lives.")
    if len(concern.strip()) < 5:
        errors["concern"] = _("Describe the difficulty in at least five characters.")
    if errors:
        raise ValidationError(errors)
    scope = scope_for(user)
    if not scope.files_in(dong.code):
        raise PermissionDenied("intake.file_referral: outside the user's area")
    channel = CHANNEL_OF_ROLE.get(scope.role, ReferralChannel.WALK_IN)
    with transaction.atomic():
        referral = Referral.objects.create(
            channel=channel,
            reported_by=user,
            dong=dong,
            address_text=address_text.strip(),
            concern=concern.strip(),
        )
        audit.record(user, "intake.file_referral", referral, detail={"dong": dong.code, "channel": channel})
    return referral
