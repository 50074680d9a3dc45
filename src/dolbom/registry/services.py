"""Writes and audited reads of the registry. Each function is one transaction, checks permission and audits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.rrn import InvalidResidentNumber
from dolbom.core.scope import ensure_visible, scope_for, visible_or_404
from dolbom.core.text import visible_length, visible_text
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
    SearchResult,
    households_visible_to,
    persons_visible_to,
    search_households,
    visible_members,
)

REVEALABLE = ("name", "phone", "rrn")
# A reason another person can later read and judge ("방문 상담"), not a keystroke to get past the form.
REVEAL_REASON_MIN = 4
# The reasons an officer gives most, offered as choices (the form adds "other", typed). Each is at least
# REVEAL_REASON_MIN long in Korean; the audit log keeps the words the officer saw, and the code beside them.
REVEAL_PRESETS = {
    "visit": gettext_lazy("Home visit consultation"),
    "benefit": gettext_lazy("Benefit application"),
    "emergency": gettext_lazy("Emergency support check"),
    "case": gettext_lazy("Case management"),
}


def search(*, user: Any, text: str, page: int = 1) -> SearchResult:
    """Search households and audit the search: its kind and a masked query, with a keyed hash for full numbers,
    never the typed text of a number (see SearchQuery.audit_detail); how many households matched, and which ones
    the page showed, since the results show each household's full address, unit included."""
    ensure_can(user, "registry.search_households")
    if len(text or "") > SEARCH_MAX_LENGTH:
        message = _("Type at most %(limit)s characters: a name, a number or part of an address.")
        raise ValidationError({"q": message % {"limit": SEARCH_MAX_LENGTH}})
    result = search_households(user, text, page=page)
    if result.query.kind != "empty":
        audit.record(
            user,
            "registry.search",
            detail={
                **result.query.audit_detail,
                "results": len(result.hits),
                "total": result.total,
                "complete": result.complete,
                "page": result.page,
                "households": [hit.household.pk for hit in result.hits],
            },
        )
    return result


def open_household(*, user: Any, household_id: int) -> Household:
    """A household the user may see, with the viewing audited; any other id answers 404, so that guessing ids
    tells nothing about which households exist."""
    ensure_can(user, "registry.view_household")
    household = visible_or_404(
        households_visible_to(user).select_related("address", "dong", "dong__parent"), household_id
    )
    audit.record(user, "registry.view_household", household)
    return household


@dataclass(frozen=True)
class Revealed:
    person_id: int
    name: str
    phone: str
    rrn: str
    relationship: str = ""


def _checked_reason(reason: str) -> str:
    reason = visible_text(reason)
    if visible_length(reason) < REVEAL_REASON_MIN:
        message = _("State why you need the unmasked details (at least %(n)s characters).")
        raise ValidationError({"reason": message % {"n": REVEAL_REASON_MIN}})
    return reason


def _reveal(user: Any, person: Person, reason: str, detail: dict[str, Any]) -> Revealed:
    audit.record(user, "registry.reveal_person", person, reason=reason, detail={"fields": list(REVEALABLE), **detail})
    return Revealed(person_id=person.pk, name=person.name, phone=person.phone, rrn=person.resident_number())


def reveal_person(*, user: Any, person_id: int, reason: str, preset: str = "") -> Revealed:
    """Show one person's unmasked details for a stated reason; the reason is kept in the audit log."""
    ensure_can(user, "registry.reveal_personal_data")
    person = visible_or_404(persons_visible_to(user), person_id)
    reason = _checked_reason(reason)
    return _reveal(user, person, reason, {"preset": preset} if preset else {})


def reveal_household(*, user: Any, household_id: int, reason: str, preset: str = "") -> list[Revealed]:
    """Show the unmasked details of every member of the household the user may see, for one reason: a home visit
    concerns them all. Each person revealed is one audit event (`registry.reveal_person`, as when revealed one by
    one), so that the log answers "who saw this person's number" the same way however it was shown; the events
    name the household and how many were shown together, and are written in one transaction, all or none."""
    ensure_can(user, "registry.reveal_personal_data")
    household = visible_or_404(households_visible_to(user), household_id)
    reason = _checked_reason(reason)
    members = visible_members(user, household)
    detail: dict[str, Any] = {"household": household.pk, "together": len(members)}
    if preset:
        detail["preset"] = preset
    with transaction.atomic():
        revealed = [_reveal(user, m.person, reason, detail) for m in members]
    return [
        Revealed(r.person_id, r.name, r.phone, r.rrn, relationship=m.get_relationship_display())
        for r, m in zip(revealed, members, strict=True)
    ]


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
    scope_for(user).ensure_area(address.dong_id)
    on = on or today_kst()
    if sum(m.relationship == Relationship.HEAD for m in members) != 1:
        raise ValidationError({"members": _("A household has exactly one head.")})
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
        raise ValidationError({f"members[{row}]": _("This resident registration number is already registered.")})
    person.save()
    return person


def move_out(*, user: Any, membership: Membership, on: date, reason: str = "") -> Membership:
    """End a person's membership of a household (전출, 사망, 분가) as of a date."""
    ensure_can(user, "registry.record_move")
    ensure_visible(households_visible_to(user), membership.household_id)
    if on < membership.moved_in:
        raise ValidationError({"on": _("The move-out date cannot be before the move-in date.")})
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
        raise ValidationError({"purpose": _("Unknown purpose of consent.")})
    ensure_visible(persons_visible_to(user), person.pk)
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
    ensure_visible(persons_visible_to(user), consent.person_id)
    on = on or today_kst()
    if on < consent.given_on:
        raise ValidationError({"on": _("The withdrawal date cannot be before the date of consent.")})
    with transaction.atomic():
        consent.withdrawn_on = on
        consent.save(update_fields=["withdrawn_on"])
        audit.record(user, "registry.withdraw_consent", consent, reason=reason)
    return consent


def reference_snapshot(obj: Model | None) -> dict[str, Any] | None:
    """The values of a reference-data row (areas, agencies, staff) as the audit log keeps them: every field, and
    the ids of many-to-many relations (a staff member's areas). None for a row that does not exist yet."""
    if obj is None or obj.pk is None:
        return None
    values: dict[str, Any] = {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}
    for m2m in obj._meta.many_to_many:
        values[m2m.name] = sorted(str(pk) for pk in getattr(obj, m2m.name).values_list("pk", flat=True))
    return {k: v if isinstance(v, (str, int, bool, list, type(None))) else str(v) for k, v in values.items()}


def audit_reference_change(*, user: Any, obj: Model, before: dict[str, Any] | None) -> None:
    """Record a change of reference data made through the admin, with each changed value before and after. Called
    inside the admin's transaction, after the row and its many-to-many fields are saved."""
    after = reference_snapshot(obj) or {}
    if before is None:
        changes = {k: [None, v] for k, v in after.items()}
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    action = "registry.add_reference_data" if before is None else "registry.change_reference_data"
    audit.record(user, action, obj, detail={"changes": changes})
