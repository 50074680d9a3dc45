"""Writes and audited reads of the registry. Each function is one transaction, checks permission and audits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core import audit
from dolbom.core.crypto import rrn_hashes
from dolbom.core.dates import today_kst
from dolbom.core.numbers import normalise as normalise_text
from dolbom.core.numbers import redact as redact_numbers
from dolbom.core.permissions import ensure_can
from dolbom.core.prepared import prepared_list, viewer_key
from dolbom.core.roles import Role
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.core.scope import ensure_visible, scope_for, visible_or_404
from dolbom.core.text import visible_length, visible_text
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    Agency,
    AgencyKind,
    AreaLevel,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Disability,
    Household,
    Membership,
    MembershipEnd,
    Person,
    Relationship,
    Sector,
    Staff,
    consent_active_on,
)
from dolbom.registry.selectors import (
    SEARCH_MAX_LENGTH,
    SearchResult,
    consent_recipients_for,
    current_membership,
    find_address,
    households_visible_to,
    other_current_members,
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
REVEAL_REASON_MAX = 500


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
    found = prepared_list(
        "registry.household",
        lambda household_id: (
            households_visible_to(user).select_related("address", "dong", "dong__parent").filter(pk=household_id)
        ),
        key=viewer_key(user),  # built once per user and day, the household's id bound at each call
        household_id=household_id,
    )
    if not found:
        raise Http404
    household = found[0]
    audit.record(user, "registry.view_household", household)
    return household


@dataclass(frozen=True)
class Revealed:
    person_id: int
    name: str
    phone: str
    rrn: str
    relationship: str = ""


def checked_reveal_reason(reason: str) -> str:
    """The reason given to see personal data unmasked, as kept in the audit log: visible text, neither empty nor
    endless. Every reveal in every domain asks it the same way."""
    reason = visible_text(reason)
    if len(reason) > REVEAL_REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason is too long (at most %(n)s characters).") % {"n": REVEAL_REASON_MAX}}
        )
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
    reason = checked_reveal_reason(reason)
    return _reveal(user, person, reason, {"preset": preset} if preset else {})


def reveal_household(*, user: Any, household_id: int, reason: str, preset: str = "") -> list[Revealed]:
    """Show the unmasked details of every member of the household the user may see, for one reason: a home visit
    concerns them all. Each person revealed is one audit event (`registry.reveal_person`, as when revealed one by
    one), so that the log answers "who saw this person's number" the same way however it was shown; the events
    name the household and how many were shown together, and are written in one transaction, all or none."""
    ensure_can(user, "registry.reveal_personal_data")
    household = visible_or_404(households_visible_to(user), household_id)
    reason = checked_reveal_reason(reason)
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


# ------------------------------------------------------------------------------------------------ registry writes
# Every write below is one transaction that checks the role (core.permissions), the area (core.scope) and writes its
# audit event inside the transaction. A refusal an officer can correct is a ValidationError keyed by the field
# ("on", "resident_number"; "members.1.resident_number" for the second member typed on a registration form), so a
# page puts it next to what was typed; a row outside the user's area is PermissionDenied.


@dataclass(frozen=True)
class NewMember:
    """A member as typed on a form. Birth date and sex may be left out: the resident number holds both, and when
    they are typed they must agree with it (a typo in either shows)."""

    name: str
    birth_date: date | None
    sex: str
    resident_number: str
    relationship: str = Relationship.HEAD
    phone: str = ""
    disability: str = ""
    nationality: str = "KR"


@dataclass(frozen=True)
class NewAddress:
    """A road-name address in a dong. An address already recorded there with the same road-name address and unit
    is reused, so that two households at one door share one address row."""

    dong_code: str
    road_address: str
    detail: str = ""
    tong: int | None = None
    ban: int | None = None
    postal_code: str = ""


class AlreadyRegistered(ValidationError):
    """A resident number that is already registered. `household_id` is the household the person lives in when the
    user may open it (a double submission: the page links to it), None otherwise: which household of another
    area a number belongs to is not the user's to learn."""

    def __init__(self, errors: dict[str, str], household_id: int | None) -> None:
        super().__init__(errors)
        self.household_id = household_id


NAME_MAX = 60
_POSTAL_CODE = re.compile(r"^\d{5}$")


def register_household(
    *, user: Any, address: Address | NewAddress, members: list[NewMember], on: date | None = None
) -> Household:
    """Register a household at an address of the user's area with its members, all or nothing. A person whose
    resident number is registered but who lives in no household (someone who moved away and came back) is taken
    back with their history; a number of a current resident is refused."""
    ensure_can(user, "registry.register_household")
    on = on or today_kst()
    errors: dict[str, str] = {}
    _check_not_future(on, "on", errors)
    place = _check_address(user, address, errors)
    if not members:
        errors["members"] = _("Enter at least one member.")
    elif sum(m.relationship == Relationship.HEAD for m in members) != 1:
        errors["members"] = _("Mark exactly one member as the head of the household.")
    people, duplicate = _people_for(user, members, errors, household=None)
    if errors:
        raise _refusal(errors, duplicate)
    returning = sum(p.pk is not None for p in people)
    try:
        with transaction.atomic():
            household_address, created = _save_address(place)
            household = Household.objects.create(
                address=household_address, dong_id=household_address.dong_id, registered_on=on
            )
            for member, person in zip(members, people, strict=True):
                person.save()
                Membership.objects.create(
                    household=household, person=person, relationship=member.relationship, moved_in=on
                )
            audit.record(
                user,
                "registry.register_household",
                household,
                detail={
                    "members": len(members),
                    "returning": returning,
                    "address": household_address.pk,
                    "new_address": created,
                    "on": on.isoformat(),
                },
            )
    except IntegrityError:
        # Two submissions at once: the other one registered the same numbers between the check above and these
        # inserts (the unique key on the number's hash stopped this one). Say so as the check would have.
        duplicate = _people_for(user, members, errors, household=None)[1]
        if errors:
            raise _refusal(errors, duplicate) from None
        raise
    return household


def add_member(*, user: Any, household: Household, member: NewMember, on: date) -> Membership:
    """전입: a person moves into a household of the user's area, from outside the district or back into it (a
    person registered before and living in no household now is taken back with their history)."""
    ensure_can(user, "registry.record_move")
    _ensure_household_in_area(user, household)
    errors: dict[str, str] = {}
    _check_not_future(on, "on", errors)
    if on < household.registered_on:
        errors["on"] = _("The move-in date cannot be before the household was registered (%(date)s).") % {
            "date": household.registered_on.strftime("%Y.%m.%d")
        }
    _check_relationship(household, member.relationship, "relationship", errors)
    (person,), duplicate = _people_for(user, [member], errors, household=household, prefix="")
    if errors:
        raise _refusal(errors, duplicate)
    returning = person.pk is not None
    try:
        with transaction.atomic():
            person.save()
            membership = Membership.objects.create(
                household=household, person=person, relationship=member.relationship, moved_in=on
            )
            audit.record(
                user,
                "registry.add_member",
                membership,
                detail={"household": household.pk, "returning": returning, "on": on.isoformat()},
            )
    except IntegrityError:
        # The same person added twice at once (a double submission): the second finds the first's membership.
        duplicate = _people_for(user, [member], errors, household=household, prefix="")[1]
        if errors:
            raise _refusal(errors, duplicate) from None
        raise
    return membership


def move_to_household(
    *,
    user: Any,
    person: Person,
    household: Household,
    relationship: str,
    on: date,
    new_head: Person | None = None,
) -> Membership:
    """A person moves from their household to another existing household of the user's area (세대 이동)."""
    ensure_can(user, "registry.record_move")
    current = _current_membership_in_area(user, person)
    _ensure_household_in_area(user, household)
    errors: dict[str, str] = {}
    if household.pk == current.household_id:
        errors["household"] = _("The person already lives in this household. Choose another household.")
    if on < household.registered_on:
        errors["on"] = _("The move date cannot be before the household was registered (%(date)s).") % {
            "date": household.registered_on.strftime("%Y.%m.%d")
        }
    _check_relationship(household, relationship, "relationship", errors)
    handover = _check_leaving(current, [current], on, new_head, errors)
    if errors:
        raise _refusal(errors)
    with transaction.atomic():
        head_change = _leave([current], on, MembershipEnd.MOVED_WITHIN, handover)
        membership = Membership.objects.create(
            household=household, person=person, relationship=relationship, moved_in=on
        )
        audit.record(
            user,
            "registry.move_member",
            membership,
            detail={
                "from": current.household_id,
                "to": household.pk,
                "on": on.isoformat(),
                **head_change,
            },
        )
    return membership


def move_out(
    *, user: Any, membership: Membership, on: date, reason: str = "", new_head: Person | None = None
) -> Membership:
    """전출: a person moves out of the district; their membership ends that day and the history stays."""
    ensure_can(user, "registry.record_move")
    _ensure_household_in_area(user, membership.household)
    errors: dict[str, str] = {}
    handover = _check_leaving(membership, [membership], on, new_head, errors)
    if errors:
        raise _refusal(errors)
    with transaction.atomic():
        head_change = _leave([membership], on, MembershipEnd.MOVED_AWAY, handover)
        audit.record(
            user,
            "registry.move_out",
            membership,
            reason=_loggable(reason),
            detail={"household": membership.household_id, "on": on.isoformat(), **head_change},
        )
    return membership


def split_household(
    *,
    user: Any,
    person: Person,
    address: Address | NewAddress,
    on: date,
    companions: Sequence[tuple[Person, str]] = (),
    new_head: Person | None = None,
) -> Household:
    """분가: a person leaves their household to head a new one at an address of the user's area, with the members
    of the old household who go along (each with their relationship to the new head)."""
    ensure_can(user, "registry.record_move")
    ensure_can(user, "registry.register_household")
    current = _current_membership_in_area(user, person)
    errors: dict[str, str] = {}
    place = _check_address(user, address, errors)
    leaving = [current]
    staying = {m.person_id: m for m in other_current_members(current)}
    for companion, relationship in companions:
        membership = staying.get(companion.pk)
        if membership is None:
            errors["companions"] = _("Only members of the same household can go along.")
            continue
        if relationship not in Relationship.values or relationship == Relationship.HEAD:
            errors["companions"] = _("Choose each companion's relationship to the new head.")
        leaving.append(membership)
    handover = _check_leaving(current, leaving, on, new_head, errors)
    if errors:
        raise _refusal(errors)
    roles = {person.pk: Relationship.HEAD, **{p.pk: r for p, r in companions}}
    with transaction.atomic():
        household_address, created = _save_address(place)
        head_change = _leave(leaving, on, MembershipEnd.SPLIT, handover)
        household = Household.objects.create(
            address=household_address, dong_id=household_address.dong_id, registered_on=on
        )
        for membership in leaving:
            Membership.objects.create(
                household=household,
                person_id=membership.person_id,
                relationship=roles[membership.person_id],
                moved_in=on,
            )
        audit.record(
            user,
            "registry.split_household",
            household,
            detail={
                "from": current.household_id,
                "members": len(leaving),
                "address": household_address.pk,
                "new_address": created,
                "on": on.isoformat(),
                **head_change,
            },
        )
    return household


def record_death(*, user: Any, person: Person, on: date, new_head: Person | None = None) -> Person:
    """사망 신고: the person's date of death; their membership ends that day."""
    ensure_can(user, "registry.record_death")
    current = _current_membership_in_area(user, person)
    errors: dict[str, str] = {}
    if on < person.birth_date:
        errors["on"] = _("The date of death cannot be before the birth date. Check the year.")
    handover = _check_leaving(current, [current], on, new_head, errors)
    if errors:
        raise _refusal(errors)
    with transaction.atomic():
        if not Person.objects.filter(pk=person.pk, date_of_death__isnull=True).update(date_of_death=on):
            raise ValidationError({"__all__": _("This person is recorded as deceased.")})
        person.date_of_death = on
        head_change = _leave([current], on, MembershipEnd.DEATH, handover)
        audit.record(
            user,
            "registry.record_death",
            person,
            detail={"household": current.household_id, "on": on.isoformat(), **head_change},
        )
    return person


def record_consent(
    *,
    user: Any,
    person: Person,
    recipient: Agency,
    purpose: str,
    given_on: date | None = None,
    method: str = ConsentMethod.SIGNED_FORM,
    witness_name: str = "",
) -> Consent:
    """Record a person's consent to share data with an agency for a purpose, and how it was given: a signed form,
    or verbally in front of a witness whose name is kept."""
    ensure_can(user, "registry.record_consent")
    ensure_visible(persons_visible_to(user), person.pk)
    given_on = given_on or today_kst()
    errors: dict[str, str] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose the purpose of the consent.")
    if not consent_recipients_for(user).filter(pk=recipient.pk).exists():
        errors["recipient"] = _("Choose an agency of your district from the list.")
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose how the consent was given.")
    witness = visible_text(witness_name) if method == ConsentMethod.VERBAL else ""
    if method == ConsentMethod.VERBAL and visible_length(witness) < 2:
        errors["witness_name"] = _("A verbal consent needs the name of the witness who heard it.")
    elif len(witness) > NAME_MAX:
        errors["witness_name"] = _("Type at most %(n)s characters.") % {"n": NAME_MAX}
    _check_not_future(given_on, "given_on", errors)
    if person.date_of_death is not None:
        errors["__all__"] = _("This person is recorded as deceased.")
    same = person.consents.filter(consent_active_on(today_kst()), recipient=recipient, purpose=purpose).first()
    if same is not None:
        errors["__all__"] = _("This consent is already recorded (since %(date)s). Nothing was added.") % {
            "date": same.given_on.strftime("%Y.%m.%d")
        }
    if errors:
        raise _refusal(errors)
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            recipient=recipient,
            purpose=purpose,
            given_on=given_on,
            method=method,
            witness_name=witness,
            recorded_by=Staff.objects.filter(user=user).first(),
        )
        audit.record(
            user,
            "registry.record_consent",
            consent,
            detail={"recipient": recipient.pk, "purpose": purpose, "method": method, "given_on": given_on.isoformat()},
        )
    return consent


def withdraw_consent(*, user: Any, consent: Consent, on: date | None = None, reason: str = "") -> Consent:
    """A person withdraws consent: from that date the agency no longer sees them."""
    ensure_can(user, "registry.withdraw_consent")
    ensure_visible(persons_visible_to(user), consent.person_id)
    on = on or today_kst()
    errors: dict[str, str] = {}
    if consent.withdrawn_on is not None:
        errors["__all__"] = _("This consent was already withdrawn on %(date)s.") % {
            "date": consent.withdrawn_on.strftime("%Y.%m.%d")
        }
    elif on < consent.given_on:
        errors["on"] = _("The withdrawal date cannot be before the date of consent.")
    _check_not_future(on, "on", errors)
    if errors:
        raise _refusal(errors)
    with transaction.atomic():
        # Only if still in force: a withdrawal recorded twice at once keeps the first date.
        if not Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(withdrawn_on=on):
            raise ValidationError({"__all__": _("This consent was already withdrawn. Reload the page.")})
        consent.withdrawn_on = on
        audit.record(
            user, "registry.withdraw_consent", consent, reason=_loggable(reason), detail={"on": on.isoformat()}
        )
    return consent


# ------------------------------------------------------------------------------------------ the checks they share


@dataclass(frozen=True)
class _Registered:
    """A member typed is a current resident already; in `household_id` when the user may open that household."""

    household_id: int | None


def _refusal(errors: dict[str, str], duplicate: _Registered | None = None) -> ValidationError:
    if duplicate is not None:
        return AlreadyRegistered(errors, duplicate.household_id)
    return ValidationError(errors)


def _loggable(reason: str) -> str:
    """A free-text reason as the append-only audit log may keep it: visible characters, no number in clear."""
    return redact_numbers(visible_text(reason))[:200]


def _check_not_future(on: date, field: str, errors: dict[str, str]) -> None:
    if on > today_kst():
        errors.setdefault(field, _("The date is in the future. Check the year, month and day."))


def _ensure_household_in_area(user: Any, household: Household) -> None:
    """A household the user may open *and* that lies in their area: the writes are the work of the area's officers
    and district staff, never of an agency that sees the household through a consent."""
    ensure_visible(households_visible_to(user), household.pk)
    scope_for(user).ensure_area(household.dong_id)


def _current_membership_in_area(user: Any, person: Person) -> Membership:
    ensure_visible(persons_visible_to(user), person.pk)
    current = current_membership(person)
    if current is None:  # a person is only visible through a membership in force; kept for callers outside views
        raise PermissionDenied("the person lives in no household")
    scope_for(user).ensure_area(current.household.dong_id)
    if person.date_of_death is not None:
        raise ValidationError({"__all__": _("This person is recorded as deceased.")})
    return current


def _check_relationship(household: Household, relationship: str, field: str, errors: dict[str, str]) -> None:
    """One head per household: the first person of an empty household heads it, a household with a head gets no
    second one."""
    if relationship not in Relationship.values:
        errors[field] = _("Choose the relationship to the head of the household.")
        return
    members = household.memberships.filter(moved_out__isnull=True)
    has_head = members.filter(relationship=Relationship.HEAD).exists()
    if relationship == Relationship.HEAD and has_head:
        errors[field] = _("This household already has a head. Choose the relationship to that head.")
    elif relationship != Relationship.HEAD and not has_head:
        errors[field] = _("Nobody heads this household now: the person moving in becomes its head.")


def _check_leaving(
    anchor: Membership, leaving: list[Membership], on: date, new_head: Person | None, errors: dict[str, str]
) -> Membership | None:
    """Check that memberships of one household can end on `on`; when its head leaves and members stay, one of
    them must become the head. Returns the membership of the new head, if any."""
    _check_not_future(on, "on", errors)
    for membership in leaving:
        if membership.moved_out is not None:
            errors["__all__"] = _("This person no longer lives in this household. Reload the household page.")
        elif on < membership.moved_in:
            errors["on"] = _("The date cannot be before the person moved in (%(date)s).") % {
                "date": membership.moved_in.strftime("%Y.%m.%d")
            }
    if not any(m.relationship == Relationship.HEAD for m in leaving):
        return None
    gone = {m.pk for m in leaving}
    staying = [m for m in other_current_members(anchor) if m.pk not in gone]
    if not staying:
        return None
    chosen = next((m for m in staying if new_head is not None and m.person_id == new_head.pk), None)
    if chosen is None:
        errors["new_head"] = _("The head of the household leaves: choose who heads it from now on.")
    return chosen


def _leave(leaving: list[Membership], on: date, why: str, new_head: Membership | None) -> dict[str, Any]:
    """End the memberships, and make `new_head` the head. Each row changes only if it is still in force: when two
    officers (or two tabs) record the same move at once, the second finds it done and is refused, instead of
    ending it twice. Returns what the audit event keeps of the change of head."""
    stale = ValidationError({"__all__": _("This person no longer lives in this household. Reload the household page.")})
    for membership in leaving:
        still = Membership.objects.filter(pk=membership.pk, moved_out__isnull=True)
        if not still.update(moved_out=on, ended_by=why):
            raise stale
        membership.moved_out, membership.ended_by = on, why
    if new_head is None:
        return {}
    # The relationship is re-stated in place: the others' relationships were to the old head and stay as
    # recorded; the audit event keeps what the new head's relationship was.
    detail = {"new_head": new_head.person_id, "new_head_was": new_head.relationship}
    if not Membership.objects.filter(pk=new_head.pk, moved_out__isnull=True).update(relationship=Relationship.HEAD):
        raise stale
    new_head.relationship = Relationship.HEAD
    return detail


def _check_address(user: Any, address: Address | NewAddress, errors: dict[str, str]) -> Address | NewAddress:
    """An existing address or a new one, in a dong of the user's area; a new one's fields checked as typed."""
    scope = scope_for(user)
    if isinstance(address, Address):
        scope.ensure_area(address.dong_id)
        return address
    dong = AdministrativeArea.objects.filter(code=address.dong_code, level=AreaLevel.EUPMYEONDONG).first()
    if dong is None:
        errors["dong"] = _("Choose the dong of the address.")
        return address
    scope.ensure_area(dong.code)
    road = visible_text(address.road_address)
    if len(road) < 4:
        errors["road_address"] = _("Type the road-name address: the road name and the building number.")
    elif len(road) > 200:
        errors["road_address"] = _("Type at most %(n)s characters.") % {"n": 200}
    if len(visible_text(address.detail)) > 100:
        errors["detail"] = _("Type at most %(n)s characters.") % {"n": 100}
    for field, value in (("tong", address.tong), ("ban", address.ban)):
        if value is not None and not 1 <= value <= 999:
            errors[field] = _("Type a number from 1 to 999.")
    if address.postal_code and not _POSTAL_CODE.match(address.postal_code):
        errors["postal_code"] = _("A postal code has five digits.")
    return NewAddress(
        dong_code=dong.code,
        road_address=road,
        detail=visible_text(address.detail),
        tong=address.tong,
        ban=address.ban,
        postal_code=address.postal_code,
    )


def _save_address(place: Address | NewAddress) -> tuple[Address, bool]:
    """The address row: the one given, the one already recorded at that door, or a new one."""
    if isinstance(place, Address):
        return place, False
    found = find_address(place.dong_code, place.road_address, place.detail)
    if found is not None:
        return found, False
    created = Address.objects.create(
        dong_id=place.dong_code,
        road_address=place.road_address,
        detail=place.detail,
        tong=place.tong,
        ban=place.ban,
        postal_code=place.postal_code,
    )
    return created, True


def _people_for(
    user: Any,
    members: list[NewMember],
    errors: dict[str, str],
    *,
    household: Household | None,
    prefix: str | None = None,
) -> tuple[list[Person], _Registered | None]:
    """The persons to write for the members typed: new ones, or a registered person living in no household now.
    Every member is checked before anything is written, so that one answer names every mistake; errors are keyed
    `members.<position>.<field>` (or by the field alone with `prefix=""`)."""
    people: list[Person] = []
    duplicate: _Registered | None = None
    hashes: dict[str, int] = {}
    for position, member in enumerate(members):
        key = f"members.{position}." if prefix is None else prefix
        person = _person_from(member, key, errors)
        people.append(person)
        if not person.rrn_hash:
            continue
        if person.rrn_hash in hashes:
            errors[f"{key}resident_number"] = _("The same resident registration number is typed twice.")
        hashes[person.rrn_hash] = position
    # During a rotation of the lookup key a registered person's hash may still be under an old key: look for the
    # number's hash under every configured key (core.crypto, "Rotating the lookup key"), keyed by the current one.
    current_of = {
        alias: digest
        for digest, position in hashes.items()
        for alias in rrn_hashes(people[position].resident_number().replace("-", ""))
    }
    registered = {current_of[p.rrn_hash]: p for p in Person.objects.filter(rrn_hash__in=list(current_of))}
    visible = households_visible_to(user)
    for digest, position in hashes.items():
        found = registered.get(digest)
        if found is None:
            continue
        key = f"members.{position}." if prefix is None else prefix
        current = current_membership(found)
        if current is not None:
            duplicate = duplicate or _Registered(None)
            if household is not None and current.household_id == household.pk:
                errors[f"{key}resident_number"] = _("This person is already a member of this household.")
            elif visible.filter(pk=current.household_id).exists():
                duplicate = _Registered(current.household_id)
                errors[f"{key}resident_number"] = _(
                    "This resident registration number is already registered, in household %(number)s. "
                    "To move the person, use “Move to another household” on that household's page."
                ) % {"number": current.household_id}
            else:
                errors[f"{key}resident_number"] = _(
                    "This resident registration number is already registered in a household of another area. "
                    "The move out is recorded there first."
                )
        elif found.date_of_death is not None:
            errors[f"{key}resident_number"] = _(
                "This resident registration number belongs to a person recorded as deceased. Check the number."
            )
        elif found.name != people[position].name:
            errors[f"{key}name"] = _(
                "The name differs from the name registered with this resident registration number. Check both."
            )
        else:
            # Someone registered before who lives in no household now: back with their own record and history;
            # what was typed today (phone, disability) is the current truth.
            typed = people[position]
            found.phone, found.phone_last4 = typed.phone, typed.phone_last4
            found.disability = typed.disability
            people[position] = found
    return people, duplicate


def _person_from(member: NewMember, key: str, errors: dict[str, str]) -> Person:
    """A new Person from what was typed, validated field by field; the errors go into `errors` under `key`."""
    name = visible_text(member.name)
    if not name:
        errors[f"{key}name"] = _("Type the name.")
    elif len(name) > NAME_MAX:
        errors[f"{key}name"] = _("Type at most %(n)s characters.") % {"n": NAME_MAX}
    if member.relationship not in Relationship.values:
        errors[f"{key}relationship"] = _("Choose the relationship to the head of the household.")
    if member.disability not in Disability.values:
        errors[f"{key}disability"] = _("Choose a disability registration from the list.")
    nationality = (member.nationality or "KR").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", nationality):
        errors[f"{key}nationality"] = _("Type the two-letter country code, e.g. KR, VN, CN.")
    person = Person(name=name, disability=member.disability, nationality=nationality)
    try:
        number = parse_rrn(normalise_text(member.resident_number).replace(" ", ""))
    except InvalidResidentNumber as exc:
        errors[f"{key}resident_number"] = str(exc)
    else:
        person.birth_date = member.birth_date or number.birth_date
        person.sex = member.sex or number.sex
        try:
            person.set_resident_number(number.formatted)
        except InvalidResidentNumber as exc:
            errors[f"{key}resident_number"] = str(exc)
        else:
            if number.foreign and nationality == "KR":
                errors[f"{key}nationality"] = _(
                    "This is a foreign registration number: type the person's nationality (e.g. VN, CN)."
                )
            elif not number.foreign and nationality != "KR":
                errors[f"{key}nationality"] = _(
                    "This is a Korean resident registration number: the nationality is KR. For a foreign "
                    "national, type the foreign registration number."
                )
    try:
        person.set_phone(member.phone)
    except ValueError as exc:
        errors[f"{key}phone"] = str(exc)
    return person


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


# Retention (docs/operations.md, "Retention"). A consent opens a person's data to one agency; its withdrawal closes
# it at once through the scope (core.scope), and nothing in the registry is held on the basis of a consent alone
# (persons and households come from the national registry under the Social Security Benefits Act). What is left is
# the consent's own record — who agreed to what, when, and when they withdrew — kept as the proof of what was
# allowed while it stood, and deleted when that proof is no longer needed.
CONSENT_PURGE_ACTION = "registry.retention_purge"


def withdrawn_consents_before(withdrawn_before: date) -> int:
    return Consent.objects.filter(withdrawn_on__lt=withdrawn_before).count()


def purge_withdrawn_consents(*, withdrawn_before: date, operator: str, rule_version: str) -> int:
    """Delete the records of consents withdrawn before `withdrawn_before`, with the audit event (counts only)."""
    from dolbom.core import purge as rows

    with transaction.atomic():
        found = rows.collect(Consent.objects.filter(withdrawn_on__lt=withdrawn_before).select_for_update())
        foreign = sorted(label for label in found.labels() if label != "registry.consent")
        if foreign:
            message = _("Rows of %(tables)s refer to the consents to purge: nothing was purged.")
            raise ValidationError(message % {"tables": ", ".join(foreign)})
        count = found.total
        if not count:
            return 0
        rows.delete(found)
        detail = {
            "withdrawn_before": withdrawn_before.isoformat(),
            "consents": count,
            "rules": rule_version,
            "operator": operator,
        }
        audit.record(None, CONSENT_PURGE_ACTION, detail=detail)
    return count


# --- Reference data from the command line (`dolbom area add`, `agency add`, `staff add`) ---------------------------
# The same rules as the admin pages (registry/admin.py): a superuser sets up any district (a fresh installation has
# none), a district administrator only their own; every addition is audited with its values, like the admin's.


def _administered_districts(user: Any) -> frozenset[str] | None:
    """The 시군구 codes whose reference data the user administers; None: all (a superuser, for the initial setup)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    ensure_can(user, "registry.manage_reference_data")
    return scope_for(user).area_codes


def _ensure_in_district(user: Any, area: AdministrativeArea) -> None:
    districts = _administered_districts(user)
    if districts is None:
        return
    district = area if area.level == AreaLevel.SIGUNGU else area.parent
    if district is None or district.code not in districts:
        raise PermissionDenied("registry.manage_reference_data")


def _audit_added(user: Any, obj: Model) -> None:
    audit_reference_change(user=user, obj=obj, before=None)


# How many leading digits of a code are its parent's: a 시도's two, a 시군구's five.
_PREFIX = {AreaLevel.SIDO: 2, AreaLevel.SIGUNGU: 5}


@transaction.atomic
def add_area(*, user: Any, code: str, name: str, level: str, parent_code: str = "") -> AdministrativeArea:
    """A 시도, 시군구 or 읍면동 with its 10-digit administrative code. Only a superuser adds a 시도 or 시군구;
    a district administrator adds dongs to their own district (the admin page's rule)."""
    errors: dict[str, str] = {}
    parent = AdministrativeArea.objects.filter(code=parent_code).first() if parent_code else None
    if parent_code and parent is None:
        errors["parent"] = _("No area has the code %(code)s.") % {"code": parent_code}
    expected_parent = {
        AreaLevel.SIDO: None,
        AreaLevel.SIGUNGU: AreaLevel.SIDO,
        AreaLevel.EUPMYEONDONG: AreaLevel.SIGUNGU,
    }
    if level not in expected_parent:
        errors["level"] = _("Choose a level: sido, sigungu or eupmyeondong.")
    elif not parent_code and expected_parent[level] is not None:
        errors["parent"] = _("Give the area this one is part of.")
    elif parent is not None and parent.level != expected_parent[level]:
        errors["parent"] = _("This area cannot be part of the area given.")
    if not re.fullmatch(r"\d{10}", code or ""):
        errors["code"] = _("An area code is ten digits.")
    elif AdministrativeArea.objects.filter(code=code).exists():
        errors["code"] = _("An area with this code exists already.")
    elif parent is not None and code[: _PREFIX[parent.level]] != parent.code[: _PREFIX[parent.level]]:
        errors["code"] = _("An area's code begins with the digits of the area it is part of.")
    name = visible_text(name or "")
    if visible_length(name) == 0:
        errors["name"] = _("Enter a name.")
    if errors:
        raise ValidationError(errors)
    if level != AreaLevel.EUPMYEONDONG:
        if _administered_districts(user) is not None:
            raise PermissionDenied("registry.manage_reference_data")
    else:
        _ensure_in_district(user, parent)
    area = AdministrativeArea.objects.create(code=code, name=name, level=level, parent=parent)
    _audit_added(user, area)
    return area


@transaction.atomic
def add_agency(*, user: Any, name: str, sector: str, kind: str, area_code: str) -> Agency:
    """An agency (a community service centre, the district's unit, a private welfare centre …) located in an area
    of the district."""
    errors: dict[str, str] = {}
    area = AdministrativeArea.objects.filter(code=area_code).first()
    if area is None:
        errors["area"] = _("No area has the code %(code)s.") % {"code": area_code}
    if sector not in Sector.values:
        errors["sector"] = _("Choose a sector: %(choices)s.") % {"choices": ", ".join(Sector.values)}
    if kind not in AgencyKind.values:
        errors["kind"] = _("Choose a kind: %(choices)s.") % {"choices": ", ".join(AgencyKind.values)}
    name = visible_text(name or "")
    if visible_length(name) == 0:
        errors["name"] = _("Enter a name.")
    elif Agency.objects.filter(name=name).exists():
        errors["name"] = _("An agency with this name exists already.")
    if errors:
        raise ValidationError(errors)
    _ensure_in_district(user, area)
    agency = Agency.objects.create(name=name, sector=sector, kind=kind, area=area)
    _audit_added(user, agency)
    return agency


@transaction.atomic
def add_staff_account(
    *,
    user: Any,
    username: str,
    display_name: str,
    role: str,
    agency_name: str,
    area_codes: Sequence[str],
    password: str,
) -> Staff:
    """A login account and its staff record (agency, role, areas) in one step: the admin page needs two (the
    account, then the staff record). The password is checked by the same validators as a password change."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    errors: dict[str, Any] = {}
    user_model = get_user_model()
    username = (username or "").strip()
    if not username:
        errors["username"] = _("Enter a user name.")
    elif user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = _("An account with this user name exists already.")
    if role not in Role.values:
        errors["role"] = _("Choose a role: %(choices)s.") % {"choices": ", ".join(Role.values)}
    agency = Agency.objects.select_related("area__parent").filter(name=agency_name).first()
    if agency is None:
        errors["agency"] = _("No agency is named %(name)s.") % {"name": agency_name}
    areas = list(AdministrativeArea.objects.select_related("parent").filter(code__in=set(area_codes)))
    missing = sorted(set(area_codes) - {a.code for a in areas})
    if missing:
        errors["areas"] = _("No area has the code %(code)s.") % {"code": ", ".join(missing)}
    display_name = visible_text(display_name or "")
    if visible_length(display_name) == 0:
        errors["display_name"] = _("Enter a name.")
    try:
        validate_password(password, user_model(username=username))
    except ValidationError as invalid:
        errors["password"] = " ".join(invalid.messages)
    if errors:
        raise ValidationError(errors)
    _ensure_in_district(user, agency.area)
    for area in areas:
        _ensure_in_district(user, area)
    account = user_model.objects.create_user(username=username, password=password)
    staff = Staff.objects.create(user=account, agency=agency, role=role, display_name=display_name)
    staff.areas.set(areas)
    _audit_added(user, staff)
    return staff
