"""Writes of intake. Each function is one transaction, checks permission and scope, and audits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.roles import Role
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.core.text import visible_text
from dolbom.intake.models import Referral, ReferralChannel, WorkItem, WorkSource
from dolbom.intake.selectors import ReferralFilter, ReferralListPage, referral_list
from dolbom.intake.services import work
from dolbom.registry.models import AdministrativeArea, AreaLevel
from dolbom.registry.selectors import households_visible_to

CHANNEL_OF_ROLE = {Role.SAFETY_NET: ReferralChannel.SAFETY_NET, Role.AGENCY_WORKER: ReferralChannel.AGENCY}


# Channels an officer may record a report under when taking it in person or by phone.
OFFICER_CHANNELS = frozenset({ReferralChannel.PHONE, ReferralChannel.WALK_IN})


def file_referral(
    *,
    user: Any,
    dong: AdministrativeArea,
    address_text: str,
    concern: str,
    channel: str | None = None,
    reporter_contact: str = "",
) -> Referral:
    """A staff member or safety-net member reports a household in crisis in a dong of their own area; an officer
    may record a report taken by phone or at the counter (`channel`), with the reporter's contact for a call back.
    The referral goes on the dong's worklist at once."""
    ensure_can(user, "intake.file_referral")
    address_text, concern = visible_text(address_text), visible_text(concern)
    errors = {}
    if dong.level != AreaLevel.EUPMYEONDONG:
        errors["dong"] = _("Choose a dong.")
    if len(address_text) < 2:
        errors["address_text"] = _("Enter where the household lives.")
    if len(concern) < 5:
        errors["concern"] = _("Describe the difficulty in at least five characters.")
    scope = scope_for(user)
    if channel and (channel not in OFFICER_CHANNELS or not scope.sees_by_area):
        errors["channel"] = _("Choose how the report was received.")
    if errors:
        raise ValidationError(errors)
    if not scope.files_in(dong.code):
        raise PermissionDenied("intake.file_referral: outside the user's area")
    channel = channel or CHANNEL_OF_ROLE.get(scope.role, ReferralChannel.WALK_IN)
    with transaction.atomic():
        referral = Referral.objects.create(
            channel=channel,
            reported_by=user,
            dong=dong,
            address_text=address_text,
            concern=concern,
            reporter_contact=visible_text(reporter_contact)[:100],
        )
        item = WorkItem.objects.create(dong=dong, source=WorkSource.REFERRAL, referral=referral)
        audit.record(
            user, "intake.file_referral", referral, detail={"dong": dong.code, "channel": channel, "work_item": item.pk}
        )
    return referral


def link_household(*, user: Any, work_item_id: int, household_id: int, seen_version: int | None = None) -> WorkItem:
    """Say which registered household a report is about. Never a merge: the report keeps what the reporter gave;
    the officer's choice is recorded. Both must be in the officer's area."""
    ensure_can(user, "intake.work")
    with transaction.atomic():
        item = work.locked(user, work_item_id, seen_version)
        household = visible_or_404(households_visible_to(user), household_id)
        if household.dong_id != item.dong_id:
            raise ValidationError({"household": _("The household lives in another dong than the report.")})
        if item.household_id == household.pk:
            return item
        previous = item.household_id
        item.household = household
        work.touch(item, "household")
        if item.referral_id is not None:
            Referral.objects.filter(pk=item.referral_id).update(household=household)
        audit.record(user, "intake.link_household", item, detail={"household": household.pk, "previous": previous})
    return item


def open_referral_list(*, user: Any, filters: ReferralFilter, sort: str = "new") -> ReferralListPage:
    """The referrals the user may see, the reading audited like the worklist's: where a household in crisis was
    seen, and what was noticed."""
    ensure_can(user, "intake.view_referrals")
    page = referral_list(user, filters, sort=sort)
    audit.record(
        user,
        "intake.view_referrals",
        detail={"dong": filters.dong, "referrals": len(page.referrals), "open_only": filters.open_only},
    )
    return page
