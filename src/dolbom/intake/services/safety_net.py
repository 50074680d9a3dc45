"""The safety net's registry: appointing a member, changing an appointment, ending it, and reading the members and
their activity. Each write is one transaction, checks the permission and the area, and is audited — with the
member's kind, area and dates, never their name or phone."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.core.text import visible_text
from dolbom.intake.models import SafetyNetKind, SafetyNetMember
from dolbom.intake.selectors import (
    ActivityPeriod,
    ActivityTable,
    current_on,
    safety_net_accounts_for,
    safety_net_activity,
    safety_net_members_visible_to,
)
from dolbom.intake.services.public import normalise_phone
from dolbom.registry.models import AdministrativeArea, AreaLevel
from dolbom.registry.services import audit_reference_change, reference_snapshot

MAX_TONG = 999
# Digits separated by commas, spaces or middle dots, each optionally followed by 통 (U+D1B5).
_TONGS = re.compile(r"[0-9\s,\u00b7\ud1b5]*", re.ASCII)


@dataclass(frozen=True)
class Appointment:
    """What a form gives for an appointment. `name` and `phone` None on a change keep what is stored (the edit
    page shows them masked and does not send them back)."""

    kind: str
    dong: AdministrativeArea | None
    appointed_from: date | None
    appointed_to: date | None = None
    tongs: tuple[int, ...] = ()
    account_id: int | None = None
    name: str | None = None
    phone: str | None = None


def parse_tongs(text: str) -> tuple[int, ...] | None:
    """The 통 numbers in `text` ("3, 5, 12", "3 5", "3통, 5통") in order, or None when anything else is there."""
    text = unicodedata.normalize("NFKC", text or "")
    if not _TONGS.fullmatch(text):
        return None
    numbers = sorted({int(part) for part in re.findall(r"\d+", text)})
    if any(n < 1 or n > MAX_TONG for n in numbers):
        return None
    return tuple(numbers)


def _errors(user: Any, data: Appointment, member: SafetyNetMember | None) -> tuple[dict[str, str], dict[str, Any]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if data.kind not in SafetyNetKind.values:
        errors["kind"] = _("Choose what kind of member this is.")
    if data.name is not None or member is None:
        name = visible_text(data.name or "")
        if len(name) < 2 or len(name) > 60:
            errors["name"] = _("Enter the member's name (2 to 60 characters).")
        values["name"] = name
    if data.phone is not None or member is None:
        phone = normalise_phone(data.phone or "")
        if phone is None:
            errors["phone"] = _("Enter a phone number in digits (for example 010-1234-5678), or leave it empty.")
        values["phone"] = phone or ""
    if data.dong is None or data.dong.level != AreaLevel.EUPMYEONDONG:
        errors["dong"] = _("Choose a dong.")
    if data.appointed_from is None:
        errors["appointed_from"] = _("Enter the date of the appointment.")
    elif data.appointed_to is not None and data.appointed_to < data.appointed_from:
        errors["appointed_to"] = _("The end of the appointment cannot be before its start.")
    if data.account_id is not None and data.dong is not None and "dong" not in errors:
        if not safety_net_accounts_for(data.dong.code).filter(pk=data.account_id).exists():
            errors["account"] = _("Only an active safety-net login of this dong can be linked.")
        elif data.appointed_from is not None and _account_taken(data, member):
            errors["account"] = _("This login is already linked to another appointment over these dates.")
    return errors, values


def _account_taken(data: Appointment, member: SafetyNetMember | None) -> bool:
    """Whether another appointment with the same login overlaps these dates: each filed referral must count for
    one appointment only."""
    others = SafetyNetMember.objects.filter(account_id=data.account_id).exclude(pk=getattr(member, "pk", None))
    overlap = Q(appointed_to__isnull=True) | Q(appointed_to__gte=data.appointed_from)
    if data.appointed_to is not None:
        overlap &= Q(appointed_from__lte=data.appointed_to)
    return others.filter(overlap).exists()


def _detail(member: SafetyNetMember) -> dict[str, Any]:
    return {
        "dong": member.dong_id,
        "kind": member.kind,
        "tongs": list(member.tongs),
        "from": member.appointed_from.isoformat(),
        "to": member.appointed_to.isoformat() if member.appointed_to else None,
        "account": member.account_id,
    }


def appoint(*, user: Any, data: Appointment) -> SafetyNetMember:
    """Register a member of the safety net in a dong of the user's area."""
    ensure_can(user, "intake.manage_safety_net")
    errors, values = _errors(user, data, None)
    if errors:
        raise ValidationError(errors)
    scope_for(user).ensure_area(data.dong.code)
    with transaction.atomic():
        member = SafetyNetMember.objects.create(
            kind=data.kind,
            dong=data.dong,
            tongs=list(data.tongs),
            appointed_from=data.appointed_from,
            appointed_to=data.appointed_to,
            account_id=data.account_id,
            **values,
        )
        audit.record(user, "intake.appoint_safety_net", member, detail=_detail(member))
    return member


def _locked(user: Any, member_id: int, seen_version: int | None) -> SafetyNetMember:
    member = visible_or_404(safety_net_members_visible_to(user).select_for_update(of=("self",)), member_id)
    if seen_version is not None and seen_version != member.version:
        raise ValidationError(
            {"version": _("Someone changed this member after you opened the page. Check it and save again.")}
        )
    return member


def change(*, user: Any, member_id: int, data: Appointment, seen_version: int | None = None) -> SafetyNetMember:
    """Correct or update an appointment (kind, area, dates, login; name and phone when given). Moving it to
    another dong needs that dong in the user's area too."""
    ensure_can(user, "intake.manage_safety_net")
    with transaction.atomic():
        member = _locked(user, member_id, seen_version)
        errors, values = _errors(user, data, member)
        if errors:
            raise ValidationError(errors)
        scope_for(user).ensure_area(data.dong.code)
        before = _detail(member)
        member.kind, member.dong, member.tongs = data.kind, data.dong, list(data.tongs)
        member.appointed_from, member.appointed_to, member.account_id = (
            data.appointed_from,
            data.appointed_to,
            data.account_id,
        )
        changed_personal = [field for field, value in values.items() if getattr(member, field) != value]
        for field, value in values.items():
            setattr(member, field, value)
        member.version += 1
        member.save()
        after = _detail(member)
        changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
        # Which personal fields changed, never their values: the audit log is kept for years.
        changes.update({field: ["*", "*"] for field in changed_personal})
        audit.record(user, "intake.change_safety_net", member, detail={"changes": changes})
    return member


def end_appointment(
    *, user: Any, member_id: int, on: date | None, reason: str, seen_version: int | None = None
) -> SafetyNetMember:
    """End an appointment on a date (today or earlier) with its reason. When its login has no other appointment
    in force, the login stops too: its staff record is deactivated (as the administrator would, and audited the
    same way), so a former member can no longer file referrals."""
    ensure_can(user, "intake.manage_safety_net")
    reason = visible_text(reason)
    on = on or today_kst()
    errors = {}
    if len(reason) < 2 or len(reason) > 200:
        errors["reason"] = _("State why the appointment ends (2 to 200 characters).")
    if on > today_kst():
        errors["on"] = _("An appointment is ended on today's date or an earlier one.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = _locked(user, member_id, seen_version)
        if member.ended_at is not None:
            raise ValidationError({"on": _("This appointment has already ended.")})
        if on < member.appointed_from:
            raise ValidationError({"on": _("The end of the appointment cannot be before its start.")})
        member.appointed_to, member.end_reason, member.ended_at = on, reason, timezone.now()
        member.version += 1
        member.save(update_fields=["appointed_to", "end_reason", "ended_at", "version"])
        deactivated = _stop_login(user, member, on)
        audit.record(
            user,
            "intake.end_safety_net",
            member,
            reason=reason,
            detail={"on": on.isoformat(), "login_stopped": deactivated},
        )
    return member


def _stop_login(user: Any, member: SafetyNetMember, on: date) -> bool:
    if member.account_id is None:
        return False
    after = SafetyNetMember.objects.filter(account_id=member.account_id).exclude(pk=member.pk)
    if after.filter(current_on(today_kst()) | Q(appointed_from__gt=on)).exists():
        return False
    staff = getattr(member.account, "staff", None)
    if staff is None or not staff.active:
        return False
    before = reference_snapshot(staff)
    staff.active = False
    staff.save(update_fields=["active"])
    audit_reference_change(user=user, obj=staff, before=before)
    return True


def list_members(*, user: Any, dong: str = "", current_only: bool = True) -> list[SafetyNetMember]:
    """The members of the user's area (names and phones masked on the page), the reading audited."""
    ensure_can(user, "intake.view_safety_net")
    members = safety_net_members_visible_to(user)
    if dong:
        members = members.filter(dong_id=dong)
    if current_only:
        members = members.filter(current_on(today_kst()))
    rows = list(members.order_by("dong__name", "kind", "name", "pk")[:1000])
    audit.record(
        user, "intake.view_safety_net", detail={"dong": dong, "members": len(rows), "current_only": current_only}
    )
    return rows


def open_member(*, user: Any, member_id: int) -> SafetyNetMember:
    """One appointment, for its edit page, the reading audited."""
    ensure_can(user, "intake.view_safety_net")
    member = visible_or_404(safety_net_members_visible_to(user), member_id)
    audit.record(user, "intake.view_safety_net_member", member)
    return member


def activity(*, user: Any, year: int, by: str = ActivityPeriod.MONTH, dong: str = "") -> ActivityTable:
    """Referrals filed per member and period, and how many led to help; the reading audited (it names members)."""
    ensure_can(user, "intake.view_safety_net")
    if dong and not scope_for(user).covers_area(dong):
        raise PermissionDenied("intake.view_safety_net: outside the user's area")
    table = safety_net_activity(user, year=year, by=by, dong=dong)
    audit.record(user, "intake.view_safety_net_activity", detail={"year": year, "by": by, "dong": dong})
    return table
