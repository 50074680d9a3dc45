"""Writes and audited reads of the registry. Each function is one transaction, checks permission and audits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.roles import scope_for
from dolbom.core.rrn import InvalidResidentNumber
from dolbom.registry.models import (
    Address,
    Agency,
    Consent,
    ConsentPurpose,
    Household,
    Membership,
    Person,
    Relationship,
    Staff,
)
from dolbom.registry.selectors import (
    SEARCH_MAX_LENGTH,
    HouseholdHit,
    households_visible_to,
    persons_visible_to,
    search_households,
)

REVEALABLE = ("name", "phone", "rrn")


@dataclass(frozen=True)
class SearchOutcome:
    hits: list[HouseholdHit]
    truncated: bool  # more households matched than are shown: the officer should narrow the query
    ignored_text: bool = False  # a name typed beside a number: the number alone was searched


def search(*, user: Any, text: str, limit: int = 50) -> SearchOutcome:
    """Search households and audit the search: its kind and a masked query, with a keyed hash for full numbers,
    never the typed text of a number (see SearchQuery.audit_detail)."""
    ensure_can(user, "registry.search_households")
    if len(text or "") > SEARCH_MAX_LENGTH:
        message = _("Type at most %(limit)s characters: a name, a number or part of an address.")
        raise ValidationError({"q": message % {"limit": SEARCH_MAX_LENGTH}})
    query, hits, truncated = search_households(user, text, limit=limit)
    if query.kind != "empty":
        audit.record(
            user,
            "registry.search",
            detail={**query.audit_detail, "results": len(hits), "truncated": truncated},
        )
    return SearchOutcome(hits, truncated, query.ignored_text)


def open_household(*, user: Any, household_id: int) -> Household:
    """A household the user may see, with the viewing audited; any other id answers 404, so that guessing ids
    tells nothing about which households exist."""
    ensure_can(user, "registry.view_household")
    household = (
        households_visible_to(user).select_related("address", "dong", "dong__parent").filter(pk=household_id).first()
    )
    if household is None:
        raise Http404
    audit.record(user, "registry.view_household", household)
    return household


@dataclass(frozen=True)
class Revealed:
    person_id: int
    name: str
    phone: str
    rrn: str


def reveal_person(*, user: Any, person_id: int, reason: str) -> Revealed:
    """Show one person's unmasked details for a stated reason; the reason is kept in the audit log."""
    ensure_can(user, "registry.reveal_personal_data")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": "열람 사유를 입력하세요."})
    person = persons_visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    audit.record(user, "registry.reveal_person", person, reason=reason, detail={"fields": list(REVEALABLE)})
    return Revealed(person_id=person.pk, name=person.name, phone=person.phone, rrn=person.resident_number())


@dataclass(frozen=True)
class NewMember:
    name: str
    birth_date: date
    sex: str
    resident_number: str
    relationship: str = Relationship.HEAD
    phone: str = ""
    disability: str = ""
    nationality: str = "KR"


def register_household(*, user: Any, address: Address, members: list[NewMember], on: date | None = None) -> Household:
    """Register a household at an address with its members; a resident number already registered is refused."""
    ensure_can(user, "registry.register_household")
    _ensure_area_in_scope(user, address.dong_id, address.dong.parent_id)
    on = on or today_kst()
    if sum(m.relationship == Relationship.HEAD for m in members) != 1:
        raise ValidationError({"members": "가구주는 한 명이어야 합니다."})
    with transaction.atomic():
        household = Household.objects.create(address=address, dong_id=address.dong_id, registered_on=on)
        for index, member in enumerate(members, start=1):
            person = _new_person(member, row=index)
            Membership.objects.create(household=household, person=person, relationship=member.relationship, moved_in=on)
        audit.record(user, "registry.register_household", household, detail={"members": len(members)})
    return household


def _new_person(member: NewMember, *, row: int) -> Person:
    person = Person(
        name=member.name.strip(),
        birth_date=member.birth_date,
        sex=member.sex,
        disability=member.disability,
        nationality=member.nationality,
    )
    try:
        person.set_resident_number(member.resident_number)
        person.set_phone(member.phone)
    except (InvalidResidentNumber, ValueError) as exc:
        raise ValidationError({f"members[{row}]": str(exc)}) from exc
    if Person.objects.filter(rrn_hash=person.rrn_hash).exists():
        raise ValidationError({f"members[{row}]": "이미 등록된 주민등록번호입니다."})
    person.save()
    return person


def move_out(*, user: Any, membership: Membership, on: date, reason: str = "") -> Membership:
    """End a person's membership of a household (전출, 사망, 분가) as of a date."""
    ensure_can(user, "registry.record_move")
    if not households_visible_to(user).filter(pk=membership.household_id).exists():
        raise PermissionDenied("registry.move_out")
    if on < membership.moved_in:
        raise ValidationError({"on": "전출일이 전입일보다 빠를 수 없습니다."})
    with transaction.atomic():
        membership.moved_out = on
        membership.save(update_fields=["moved_out"])
        audit.record(user, "registry.move_out", membership, reason=reason, detail={"on": on.isoformat()})
    return membership


def record_consent(
    *, user: Any, person: Person, recipient: Agency, purpose: str, given_on: date | None = None
) -> Consent:
    """Record a person's consent to share data with an agency; the officer must be able to see the person."""
    ensure_can(user, "registry.record_consent")
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": "알 수 없는 동의 목적입니다."})
    if not persons_visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied("registry.record_consent")
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            recipient=recipient,
            purpose=purpose,
            given_on=given_on or today_kst(),
            recorded_by=Staff.objects.filter(user=user).first(),
        )
        audit.record(user, "registry.record_consent", consent, detail={"recipient": recipient.pk, "purpose": purpose})
    return consent


def withdraw_consent(*, user: Any, consent: Consent, on: date | None = None, reason: str = "") -> Consent:
    """A person withdraws consent: from that date the agency no longer sees them."""
    ensure_can(user, "registry.withdraw_consent")
    if not persons_visible_to(user).filter(pk=consent.person_id).exists():
        raise PermissionDenied("registry.withdraw_consent")
    on = on or today_kst()
    if on < consent.given_on:
        raise ValidationError({"on": "철회일이 동의일보다 빠를 수 없습니다."})
    with transaction.atomic():
        consent.withdrawn_on = on
        consent.save(update_fields=["withdrawn_on"])
        audit.record(user, "registry.withdraw_consent", consent, reason=reason)
    return consent


def _ensure_area_in_scope(user: Any, dong_code: str, district_code: str | None) -> None:
    scope = scope_for(user)
    if dong_code not in scope.area_codes and district_code not in scope.area_codes:
        raise PermissionDenied("outside your area")
