"""Reads of the registry, already narrowed to what the user may see. Views never filter by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core.crypto import purpose_hash, rrn_hash
from dolbom.core.dates import today_kst
from dolbom.core.masking import mask_name, mask_phone
from dolbom.core.numbers import find_numbers
from dolbom.core.numbers import normalise as normalise_text
from dolbom.core.numbers import redact as redact_numbers
from dolbom.core.roles import Role
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.core.scope import scope_for, scoped, visible_or_404
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    Agency,
    AreaLevel,
    Consent,
    Household,
    Membership,
    Person,
    Relationship,
    Staff,
    consent_active_on,
    current_on,
)
from dolbom.registry.scoping import CONSENT, DISTRICT, HOUSEHOLD, MEMBERSHIP, PERSON


def households_visible_to(user: Any) -> QuerySet[Household]:
    """Households the user may open: by area for officers, by consent for private agencies, none otherwise."""
    return scoped(Household.objects.all(), user, HOUSEHOLD)


def persons_visible_to(user: Any) -> QuerySet[Person]:
    """Persons whose details the user may see. A private agency sees only those who consented to share with it,
    even inside a household it can open."""
    return scoped(Person.objects.all(), user, PERSON)


def consents_visible_to(user: Any) -> QuerySet[Consent]:
    """Consents of the persons the user may see (a person is in an area through their membership in force)."""
    return scoped(Consent.objects.all(), user, CONSENT)


def areas_visible_to(user: Any) -> QuerySet[AdministrativeArea]:
    """The dongs the user works in (for filters and statistics)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    return dongs.filter(scope_for(user).aggregate_areas())


def districts_visible_to(user: Any) -> QuerySet[AdministrativeArea]:
    """The districts whose district-wide work (rounds, signal files, models) the user may do."""
    return scoped(AdministrativeArea.objects.filter(level=AreaLevel.SIGUNGU), user, DISTRICT).order_by("code")


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """Names of administrative areas by code: reference data, the same for everyone."""
    return dict(AdministrativeArea.objects.filter(code__in=list(codes)).values_list("code", "name"))


def masked_head_names(user: Any, household_ids: list[int], *, on: date | None = None) -> dict[int, str]:
    """The masked name of each household's head, among the persons the user may see, in one query."""
    on = on or today_kst()
    heads = Membership.objects.filter(current_on(on), relationship=Relationship.HEAD, household_id__in=household_ids)
    heads = scoped(heads, user, MEMBERSHIP, on=on).select_related("person")
    return {m.household_id: m.person.masked_name for m in heads}


# The search box takes a name, a number or part of an address: nothing a person types there is longer. Longer
# input is refused (with a message) before anything is normalised or searched.
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class SearchQuery:
    kind: str  # rrn, birth, phone, phone_last4, name, address, card, invalid, empty
    value: Any
    # Text typed beside a number ("홍길동 800101-1234567"): the number decides the search, the rest is ignored.
    ignored_text: bool = False

    @property
    def loggable(self) -> str:
        """What the audit log may keep of the query: never a resident, phone or card number in clear. The labels
        are not msgids: they are stored in the audit log, whose records keep one wording whatever the language of
        the request that wrote them."""
        if self.kind == "rrn":
            return "주민등록번호(전체)"
        if self.kind == "birth":
            birth, seventh = self.value
            return f"{birth:%y%m%d}-{seventh or '*'}******"
        if self.kind == "phone":
            return mask_phone(self.value)
        if self.kind == "phone_last4":
            return "전화번호 ****" + str(self.value)[-4:]
        if self.kind == "card":
            return "카드번호"
        if self.kind == "invalid":
            return "주민등록번호(형식 오류)"
        if self.kind == "name":
            return mask_name(self.value)
        # An address holds no number of the shapes above (parse_search reads those first); redact anyway, so that
        # what reaches the append-only log never depends on the classification being right.
        return redact_numbers(str(self.value))

    @property
    def audit_detail(self) -> dict[str, str]:
        """The kind, the masked query and, for a full number, a keyed hash of it: an investigator holding the key
        can tell whether a given number was searched, nobody else can read it."""
        detail = {"kind": self.kind, "query": self.loggable}
        if self.kind in ("rrn", "phone", "card", "invalid"):
            detail["hash"] = purpose_hash("audit.search", f"{self.kind}={self.value}")
        return detail


_BIRTH = re.compile(r"^(\d{6})(?:-?([0-9])?\**)?$")
_LAST4 = re.compile(r"^\d{4}$")
_NAME_BESIDE = re.compile(r"^[가-힣]{2,5}$")
# Road names end in 로 or 길 (도로명주소), which no Korean given name does in practice.
_ROAD_SUFFIXES = ("로", "길", "아파트", "빌라")


def parse_search(text: str) -> SearchQuery:
    """Read what an officer typed: a full or masked resident number, a phone number or its last four digits, a
    name, or part of an address. The text is normalised first (full-width characters, every kind of dash, dots
    and spaces between digits), so that a number is recognised however it was typed; a number found anywhere in
    the text decides the search, so that it is never mistaken for an address and kept in clear."""
    text = normalise_text(text)
    if not text:
        return SearchQuery("empty", "")
    found = find_numbers(text)
    if found:
        # A resident number before a phone number before a card number: the most exact key wins.
        first = min(found, key=lambda f: (_NUMBER_ORDER[f.kind], f.start))
        beside = bool((text[: first.start] + text[first.end :]).strip(" -"))
        if first.kind == "rrn":
            if not first.valid:
                return SearchQuery("invalid", first.digits, beside)
            try:
                return SearchQuery("rrn", parse_rrn(first.digits).digits, beside)
            except InvalidResidentNumber:
                return SearchQuery("invalid", first.digits, beside)
        if first.kind == "phone":
            digits = "0" + first.digits[2:] if first.digits.startswith("82") else first.digits
            return SearchQuery("phone", digits, beside)
        return SearchQuery("card", first.digits, beside)
    compact = _compact(text)
    birth = _birth_query(compact)
    if birth is not None:
        return SearchQuery("birth", birth)
    birth = _birth_beside_name(text)
    if birth is not None:
        return SearchQuery("birth", birth, ignored_text=True)
    if _LAST4.match(compact):
        return SearchQuery("phone_last4", compact)
    if re.search(r"\d", text) or len(text) > 6 or " " in text or text.endswith(_ROAD_SUFFIXES):
        return SearchQuery("address", text)
    return SearchQuery("name", text)


_NUMBER_ORDER = {"rrn": 0, "phone": 1, "card": 2}


def _compact(text: str) -> str:
    """Digits typed in groups ("80 01 01", "800101.1") read as one number."""
    return re.sub(r"[ .·]", "", text)


def _birth_query(compact: str) -> tuple[date, str | None] | None:
    match = _BIRTH.match(compact)
    return _parse_birth(*match.groups()) if match else None


def _birth_beside_name(text: str) -> tuple[date, str | None] | None:
    """A name beside a birth date ("김영희 500304-2", "500304-2 김영희") searches by the birth date. (Beside four
    digits the word is not taken as a name: "시청로 1234" and "가온동 12" are addresses.)"""
    if " " not in text:
        return None
    first, rest = text.split(" ", 1)
    head, last = text.rsplit(" ", 1)
    for name, number in ((first, rest), (last, head)):
        if _NAME_BESIDE.match(name) and not name.endswith(_ROAD_SUFFIXES):
            birth = _birth_query(_compact(number))
            if birth is not None:
                return birth
    return None


def _parse_birth(yymmdd: str, seventh: str | None) -> tuple[date, str | None] | None:
    if seventh:
        try:
            return parse_rrn(yymmdd + seventh + "000000").birth_date, seventh
        except InvalidResidentNumber:
            return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    # Without the seventh digit the century is ambiguous: a two-digit year above this year's is the 1900s.
    century = 2000 if 2000 + yy <= today_kst().year else 1900
    try:
        return date(century + yy, mm, dd), None
    except ValueError:
        return None


def _matching_persons(query: SearchQuery) -> QuerySet[Person]:
    persons = Person.objects.all()
    if query.kind == "rrn":
        return persons.filter(rrn_hash=rrn_hash(query.value))
    if query.kind == "birth":
        birth, seventh = query.value
        matched = persons.filter(birth_date=birth)
        return matched.filter(rrn_seventh=seventh) if seventh else matched
    if query.kind == "phone":
        digits = query.value
        return persons.filter(phone_last4=digits[-4:]).filter(phone__in=_phone_forms(digits))
    if query.kind == "phone_last4":
        return persons.filter(phone_last4=query.value)
    if query.kind == "name":
        return persons.filter(_name_prefix(query.value))
    return persons.none()


def _name_prefix(prefix: str) -> Q:
    """Names starting with `prefix`, through an index on both backends. SQLite compares bytes, so a range is exact
    and uses the plain index; PostgreSQL's range would follow the database collation (under a Korean ICU collation
    '자' sorts next to '장'), so there LIKE 'prefix%' runs on the varchar_pattern_ops index instead."""
    if connection.vendor == "postgresql":
        return Q(name__startswith=prefix)
    return Q(name__gte=prefix, name__lt=prefix + "\U0010ffff")


def _phone_forms(digits: str) -> list[str]:
    forms = {digits}
    if digits.startswith("02"):
        forms.add(f"02-{digits[2:-4]}-{digits[-4:]}")
    else:
        forms.add(f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}")
    return sorted(forms)


@dataclass(frozen=True)
class HouseholdHit:
    household: Household
    head_name: str  # masked
    member_count: int
    matched: str  # which member matched, masked


def search_households(user: Any, text: str, *, limit: int = 50) -> tuple[SearchQuery, list[HouseholdHit], bool]:
    """Households matching the query among those the user may see: at most `limit`, and whether there were more."""
    query = parse_search(text)
    scope = scope_for(user)
    if query.kind == "empty" or not scope.sees_persons:
        return query, [], False
    today = today_kst()
    # One indexed join with a LIMIT, not a scan of the user's area. Memberships are scoped with their person: a
    # private agency sees only persons who consented, so counts and heads' names come from them alone and it learns
    # nothing of the members who did not consent, not even their masked names.
    seen = scope.condition(MEMBERSHIP, on=today)
    links = Membership.objects.filter(current_on(today)).filter(seen)
    if query.kind == "address":
        links = links.filter(household__address__road_address__icontains=query.value)
    else:
        links = links.filter(person__in=_matching_persons(query))
    matched_by: dict[int, str] = {}
    for household_id, name in links.values_list("household_id", "person__name")[: (limit + 1) * 3]:
        matched_by.setdefault(household_id, "" if query.kind == "address" else mask_name(name))
    household_ids = sorted(matched_by)[: limit + 1]
    members = Membership.objects.filter(current_on(today)).filter(seen)
    heads = members.filter(relationship=Relationship.HEAD).select_related("person")
    counts = dict(
        members.filter(household_id__in=household_ids)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
        .order_by()
    )
    head_names = {m.household_id: m.person.masked_name for m in heads.filter(household_id__in=household_ids)}
    households = Household.objects.filter(pk__in=household_ids[:limit]).select_related("address", "dong")
    hits = [
        HouseholdHit(
            household=h,
            head_name=head_names.get(h.pk, ""),
            member_count=counts.get(h.pk, 0),
            matched=matched_by.get(h.pk, ""),
        )
        for h in households.order_by("pk")
    ]
    return query, hits, len(household_ids) > limit


def visible_members(user: Any, household: Household, *, on: date | None = None) -> list[Membership]:
    """Current members the user may see; hidden members are left out, not blanked, so nothing leaks."""
    on = on or today_kst()
    visible = persons_visible_to(user)
    return list(
        household.memberships.filter(current_on(on), person__in=visible)
        .select_related("person")
        .order_by("moved_in", "person__birth_date")
    )


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str
    text: str


def household_timeline(user: Any, household: Household) -> list[TimelineEntry]:
    """What happened to the household, newest first, from the records the registry holds."""
    visible = persons_visible_to(user)
    entries: list[TimelineEntry] = []
    memberships = household.memberships.filter(person__in=visible).select_related("person")
    for m in memberships:
        name = m.person.masked_name
        moved_in = _("%(name)s moved in (%(relationship)s)")
        entries.append(
            TimelineEntry(
                m.moved_in, "moved_in", moved_in % {"name": name, "relationship": m.get_relationship_display()}
            )
        )
        if m.moved_out:
            entries.append(TimelineEntry(m.moved_out, "moved_out", _("%(name)s moved out") % {"name": name}))
    consents = Consent.objects.filter(person__in=visible, person__memberships__household=household).select_related(
        "person", "recipient"
    )
    for c in consents.distinct():
        purpose = c.get_purpose_display()
        name = c.person.masked_name
        given = _("%(name)s consented to share information: %(recipient)s (%(purpose)s)")
        values = {"name": name, "recipient": c.recipient, "purpose": purpose}
        entries.append(TimelineEntry(c.given_on, "consent", given % values))
        if c.withdrawn_on:
            withdrawn = _("%(name)s withdrew consent: %(recipient)s") % values
            entries.append(TimelineEntry(c.withdrawn_on, "consent_withdrawn", withdrawn))
    return sorted(entries, key=lambda e: e.on, reverse=True)


def active_consents(person: Person, on: date | None = None) -> QuerySet[Consent]:
    return person.consents.filter(consent_active_on(on or today_kst())).select_related("recipient")


def officers_of_dong(dong_code: str) -> QuerySet[Staff]:
    """The active dong officers of a dong: who may be sent to a household there, or recorded as its visitor."""
    return Staff.objects.filter(active=True, role=Role.DONG_OFFICER, areas=dong_code).order_by("display_name")


# ---------------------------------------------------------------------------------------------- for the write pages


def registration_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The dongs where the user may register a household or create an address: their own dong, or every dong of
    their district (the services check `Scope.ensure_area` again, whatever a form offered)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    scope = scope_for(user)
    return dongs.filter(scope.aggregate_areas()).order_by("code") if scope.sees_by_area else dongs.none()


def consent_recipients_for(user: Any) -> QuerySet[Agency]:
    """The agencies a person of the user's area may consent to share with: the active agencies working in the
    user's districts, and the city-wide ones above them. An agency of another district is not offered: a consent
    to it would open the person to that district's agency workers, a mistake easily made in a long list."""
    districts = scope_for(user).district_codes
    provinces = {code[:2] + "0" * 8 for code in districts}
    in_district = Q(area__code__in=districts) | Q(area__parent__in=districts)
    return Agency.objects.filter(in_district | Q(area__code__in=provinces), active=True).order_by("name")


def current_membership(person: Person) -> Membership | None:
    """The person's membership in force (there is at most one), with its household."""
    return person.memberships.filter(moved_out__isnull=True).select_related("household", "household__address").first()


def other_current_members(membership: Membership) -> QuerySet[Membership]:
    """Who else lives in the household now: those who could become its head when this member leaves."""
    return (
        Membership.objects.filter(household_id=membership.household_id, moved_out__isnull=True)
        .exclude(pk=membership.pk)
        .select_related("person")
        .order_by("moved_in", "person__birth_date")
    )


def person_consents(user: Any, person: Person) -> QuerySet[Consent]:
    """Every consent of one person the user may see, withdrawn ones included, newest first."""
    return consents_visible_to(user).filter(person=person).select_related("recipient").order_by("-given_on", "-pk")


def household_consents(user: Any, household: Household, *, on: date | None = None) -> list[Consent]:
    """Consents of the household's current members that the user may see, withdrawn ones included."""
    members = Membership.objects.filter(current_on(on or today_kst()), household=household).values("person_id")
    rows = consents_visible_to(user).filter(person_id__in=members).select_related("person", "recipient")
    return list(rows.order_by("person__name", "-given_on", "-pk"))


def find_address(dong_code: str, road_address: str, detail: str) -> Address | None:
    """An address already recorded in the dong with the same road-name address and unit."""
    return Address.objects.filter(dong_id=dong_code, road_address=road_address, detail=detail).first()


def person_in_household(user: Any, person_id: int) -> tuple[Person, Membership]:
    """A person the user may see, with the membership through which they see them; 404 for anyone else."""
    person = visible_or_404(persons_visible_to(user), person_id)
    membership = current_membership(person)
    if membership is None:
        raise Http404
    return person, membership


def household_for(user: Any, household_id: int) -> Household:
    """A household the user may see, with its address; 404 for any other id."""
    return visible_or_404(households_visible_to(user).select_related("address", "dong"), household_id)


def consent_for(user: Any, consent_id: int) -> Consent:
    """A consent the user may see, with its person and agency; 404 for any other id."""
    return visible_or_404(consents_visible_to(user).select_related("person", "recipient"), consent_id)
