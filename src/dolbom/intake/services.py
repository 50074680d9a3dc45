from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.roles import Role, scope_for
from dolbom.intake.models import Referral, ReferralChannel
from dolbom.registry.models import AdministrativeArea


def file_referral(*, user: Any, dong: AdministrativeArea, address_text: str, concern: str) -> Referral:
    """A staff member or safety-net member reports a household in crisis in a dong."""
    ensure_can(user, "intake.file_referral")
    errors = {}
    if dong.level != "eupmyeondong":
        errors["dong"] = "읍면동을 선택하세요."
    if len(address_text.strip()) < 2:
        errors["address_text"] = "위치를 입력하세요."
    if len(concern.strip()) < 5:
        errors["concern"] = "어떤 어려움이 있는지 다섯 글자 이상 적어 주세요."
    if errors:
        raise ValidationError(errors)
    role = scope_for(user).role
    channel = {Role.SAFETY_NET: ReferralChannel.SAFETY_NET, Role.AGENCY_WORKER: ReferralChannel.AGENCY}.get(
        role, ReferralChannel.WALK_IN
    )
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
