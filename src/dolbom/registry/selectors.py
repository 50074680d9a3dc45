"""Reads of the registry, already narrowed to what the user may see. Views never filter by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dolbom.core.crypto import purpose_hash, rrn_hashes
from dolbom.core.dates import KST, today_kst
from dolbom.core.masking import mask_name, mask_phone
from dolbom.core.numbers import find_numbers
from dolbom.core.numbers import normalise as normalise_text
from dolbom.core.numbers import redact as redact_numbers
from dolbom.core.roles import Role
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.core.scope import Scope, scope_for, scoped, visible_or_404
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
    current_on,
)
from dolbom.registry.scoping import CITY, CONSENT, DISTRICT, HOUSEHOLD, MEMBERSHIP, PERSON


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


def cities_visible_to(user: Any) -> QuerySet[AdministrativeArea]:
    """The cities whose city-wide work (pooled models) the user may do."""
    return scoped(AdministrativeArea.objects.filter(level=AreaLevel.SIDO), user, CITY).order_by("code")


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """Names of administrative areas by code: reference data, the same for everyone."""
    return dict(AdministrativeArea.objects.filter(code__in=list(codes)).values_list("code", "name"))


def masked_head_names(user: Any, household_ids: list[int], *, on: date | None = None) -> dict[int, str]:
    """The masked name of each household's head, among the persons the user may see, in one query (none for no
    households: building the scoped query alone costs a page more than the database takes to answer it)."""
    if not household_ids:
        return {}
    on = on or today_kst()
    heads = Membership.objects.filter(current_on(on), relationship=Relationship.HEAD, household_id__in=household_ids)
    # The name alone, not a Person: a list of 500 households made 500 persons only to read their names.
    heads = scoped(heads, user, MEMBERSHIP, on=on).values_list("household_id", "person__name")
    return {household_id: mask_name(name) for household_id, name in heads}


# The search box takes a name, a number or part of an address: nothing a person types there is longer. Longer
# input is refused (with a message) before anything is normalised or searched.
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class AddressQuery:
    """Part of an address: words of a road-name address or a dong's name, an apartment unit, a 통/반."""

    text: str  # as typed (normalised): what the audit log keeps, numbers redacted
    words: tuple[str, ...] = ()  # what is left once the unit and the 통/반 are taken out
    building: str = ""  # "104" of "104동 1002호"
    unit: str = ""  # "1002" of "1002호"
    tong: int | None = None
    ban: int | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SearchQuery:
    kind: str  # rrn, birth, phone, phone_four, name, address, card, invalid, empty
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
        if self.kind == "phone_four":
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
        """The kind, the masked query and, for a full number or a name, a keyed hash of it: an investigator
        holding the key can tell whether a given number or name was searched (박*수 alone names hundreds of
        people), nobody else can read it."""
        detail = {"kind": self.kind, "query": self.loggable}
        if self.kind in ("rrn", "phone", "card", "invalid", "name"):
            detail["hash"] = purpose_hash("audit.search", f"{self.kind}={self.value}")
        return detail


_BIRTH = re.compile(r"^(\d{6})(?:-?([0-9])?\**)?$")
_FOUR = re.compile(r"^\d{4}$")
_NAME_BESIDE = re.compile(r"^[가-힣]{2,5}$")
# A name typed with a space after the family name ("박 민수", "남궁 민수"): one or two syllables, a space, the rest.
_SPACED_NAME = re.compile(r"^[가-힣]{1,2} [가-힣]{1,4}$")
# Road names end in 로 or 길 (도로명주소), which no Korean given name does in practice.
_ROAD_SUFFIXES = ("로", "길", "아파트", "빌라")
# An apartment unit, "104동 1002호", "104동1002호" or "1002호". The building's number stands alone: in "새솔1동"
# the digit belongs to the dong's name.
_UNIT = re.compile(r"(?<!\w)(?:(\d{1,4})\s*동\s*)?(\d{1,5})\s*호(?!\w)")
# A 통, with or without its 반: "3통", "3통 2반".
_TONG = re.compile(r"(?<!\w)(\d{1,3})\s*통(?:\s*(\d{1,3})\s*반)?(?!\w)")
# Words that may be a dong's name ("새솔1동", "가온동", "한빛읍"), looked up among the administrative areas.
_AREA_SUFFIXES = ("동", "읍", "면")


def parse_search(text: str) -> SearchQuery:
    """Read what an officer typed: a full or masked resident number, a phone number or four of its digits, a
    name, or part of an address. The text is normalised first (NFKC, which also composes decomposed Korean jamo;
    full-width characters, every kind of dash, dots and spaces between digits), so that a number is recognised
    however it was typed; a number found anywhere in the text decides the search, so that it is never mistaken
    for an address and kept in clear."""
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
    if _FOUR.match(compact):
        return SearchQuery("phone_four", compact)
    if _SPACED_NAME.match(text) and not text.endswith(_ROAD_SUFFIXES + _AREA_SUFFIXES):
        return SearchQuery("name", text.replace(" ", ""))
    if re.search(r"\d", text) or len(text) > 6 or " " in text or text.endswith(_ROAD_SUFFIXES):
        return SearchQuery("address", _address_query(text))
    return SearchQuery("name", text)


def _address_query(text: str) -> AddressQuery:
    building = unit = ""
    tong = ban = None
    rest = text
    if match := _UNIT.search(rest):
        building, unit = match.group(1) or "", match.group(2)
        rest = rest[: match.start()] + " " + rest[match.end() :]
    if match := _TONG.search(rest):
        tong, ban = int(match.group(1)), int(match.group(2)) if match.group(2) else None
        rest = rest[: match.start()] + " " + rest[match.end() :]
    return AddressQuery(text, tuple(rest.split()), building, unit, tong, ban)


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
        # Every configured lookup key: a rotation of the key rewrites the stored hashes while the service runs.
        return persons.filter(rrn_hash__in=rrn_hashes(query.value))
    if query.kind == "birth":
        birth, seventh = query.value
        matched = persons.filter(birth_date=birth)
        return matched.filter(rrn_seventh=seventh) if seventh else matched
    if query.kind == "phone":
        digits = query.value
        return persons.filter(phone_last4=digits[-4:]).filter(phone__in=_phone_forms(digits))
    if query.kind == "phone_four":
        # Four digits are the last four or the middle four of a mobile number: both, each through its index.
        return persons.filter(Q(phone_last4=query.value) | Q(phone_middle4=query.value))
    if query.kind == "name":
        return persons.filter(_name_prefix(query.value))
    return persons.none()


def _matching_addresses(query: AddressQuery, within: Q) -> QuerySet[Address]:
    """Addresses matching each part typed, through an index where there is one (the unit, the 통 within a dong,
    the dong); the words of a road-name address are looked for anywhere in it, among the addresses `within`."""
    addresses = Address.objects.filter(within)
    words = list(query.words)
    candidates = [w for w in words if w.endswith(_AREA_SUFFIXES) and not w[:-1].isdigit()]
    if candidates:
        # Dong names are reference data, the same for everyone; the scope still decides which households are seen.
        areas = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG, name__in=candidates)
        names = dict(areas.values_list("code", "name"))
        if names:
            addresses = addresses.filter(dong_id__in=list(names))
            words = [w for w in words if w not in names.values()]
    if words:
        addresses = addresses.filter(road_address__icontains=" ".join(words))
    if query.unit:
        unit = f"{query.unit}호"
        if query.building:
            # Stored details read "104동 1002호"; one stored without the space is found as well.
            addresses = addresses.filter(detail__in=[f"{query.building}동 {unit}", f"{query.building}동{unit}"])
        else:
            addresses = addresses.filter(unit=unit)
    if query.tong is not None:
        addresses = addresses.filter(tong=query.tong)
        if query.ban is not None:
            addresses = addresses.filter(ban=query.ban)
    return addresses


def _matching_memberships(query: SearchQuery, on: date, scope: Scope) -> QuerySet[Membership]:
    """Memberships in force whose person or household matches: the search key alone, so that the database starts
    from its index (see `search_households`). The scope is applied to the result by the caller; an address is
    only looked for in the dongs of an officer or a district, since part of a road name is found by reading every
    address (the 7 k of a dong rather than the 100 k of a city)."""
    current = Membership.objects.filter(current_on(on))
    if query.kind == "address":
        within = Q()
        if scope.sees_by_area:
            dongs = AdministrativeArea.objects.filter(scope.aggregate_areas()).values_list("code", flat=True)
            within = Q(dong_id__in=list(dongs))
        at_address = Household.objects.filter(address__in=_matching_addresses(query.value, within))
        return current.filter(household__in=at_address)
    return current.filter(person__in=_matching_persons(query))


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


PAGE_SIZE = 50
# Households counted at most: the count is exact up to here, so that "김" in a district of 100 k households
# costs a bounded count, not a scan of every match; beyond it the page says "more than" and asks to narrow.
COUNT_LIMIT = 1000
ROWS_READ = 3 * (COUNT_LIMIT + 1)


@dataclass(frozen=True)
class HouseholdHit:
    """One row of the results, with what tells it from the next one: the birth years, the unit, the 통/반, the
    number of members. Names are masked; only persons the user may see are named or counted."""

    household: Household
    head_name: str  # masked, "" when the head is not among the persons the user may see
    head_birth_year: int | None
    member_count: int
    matched: str  # the member who matched, masked ("" for an address)
    matched_birth_year: int | None
    matched_by: str  # for four digits of a phone number: "middle" or "last"

    @property
    def address(self) -> Address:
        return self.household.address

    # Words for the results page, made here once per row: a translation tag per cell in the template's loop cost
    # more than the search itself.
    @property
    def head_born(self) -> str:
        return _born(self.head_birth_year)

    @property
    def matched_born(self) -> str:
        return _born(self.matched_birth_year)

    @property
    def matched_by_text(self) -> str:
        if self.matched_by == "middle":
            return _("middle four digits of the phone number")
        if self.matched_by == "last":
            return _("last four digits of the phone number")
        return ""

    @property
    def members_text(self) -> str:
        return ngettext("%(n)s person", "%(n)s persons", self.member_count) % {"n": self.member_count}


def _born(year: int | None) -> str:
    return _("born %(year)s") % {"year": year} if year else ""


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    hits: list[HouseholdHit]
    total: int  # households matching, as far as counted (at most COUNT_LIMIT); all of them can be paged through
    page: int
    per_page: int = PAGE_SIZE
    complete: bool = True  # False: more households match than were counted

    @property
    def more_than_counted(self) -> bool:
        return not self.complete

    @property
    def total_display(self) -> str:
        return f"{self.total:,}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.hits)


def search_households(user: Any, text: str, *, page: int = 1, per_page: int = PAGE_SIZE) -> SearchResult:
    """One page of the households matching the query among those the user may see, in a fixed order (by
    household), with how many match in all (exact up to COUNT_LIMIT, beyond which the search should be narrowed).
    A page past the last is the last."""
    query = parse_search(text)
    scope = scope_for(user)
    if query.kind == "empty" or not scope.sees_persons:
        return SearchResult(query, [], 0, 1, per_page)
    today = today_kst()
    # Memberships are scoped with their person: a private agency sees only persons who consented, so counts, heads
    # and matched members come from them alone and it learns nothing of the members who did not consent, not even
    # their masked names or birth years.
    members = Membership.objects.filter(current_on(today)).filter(scope.condition(MEMBERSHIP, on=today))
    # The matches come from a subquery on the search key alone, and the scope is checked for each of them in a
    # correlated subquery. Joined directly with the scope, SQLite (which keeps no statistics unless ANALYZE is run,
    # and then takes a dong for ten households) starts from the user's dongs and reads every household of the
    # district: 60 ms to seconds at 100 k households. This way the key's index (name, number, unit, 통) is the
    # only way in, and the work grows with the matches, not with the area.
    seen = scoped(Membership.objects.filter(pk=OuterRef("pk")), user, MEMBERSHIP, on=today)
    links = Membership.objects.filter(pk__in=_matching_memberships(query, today, scope).values("pk"))
    links = links.filter(Exists(seen))
    # One query gives the count and the ids of every page: the matching memberships in household order, as many as
    # can make COUNT_LIMIT + 1 households (a household rarely has more than three members who match one key).
    first_match: dict[int, int] = {}  # household → its first matching membership, in household order
    rows = links.values_list("household_id", "pk").order_by("household_id", "pk")
    read = 0
    for household_id, membership_id in rows[:ROWS_READ]:
        read += 1
        first_match.setdefault(household_id, membership_id)
        if len(first_match) > COUNT_LIMIT:
            break
    # More than COUNT_LIMIT households, or rows cut off before them: more may match than are counted.
    complete = len(first_match) <= COUNT_LIMIT and read < ROWS_READ
    found = list(first_match)[:COUNT_LIMIT]  # the households that can be paged through
    pages = max(1, -(-len(found) // per_page))
    page = min(max(1, page), pages)
    household_ids = found[(page - 1) * per_page : page * per_page]
    if not household_ids:
        return SearchResult(query, [], len(found), page, per_page, complete)

    # The members the user may see of the page's households, in one query: how many, the head, and the member who
    # matched (a member the user may see, since the matches were scoped).
    matching = {first_match[h] for h in household_ids} if query.kind != "address" else set()
    counts: dict[int, int] = {}
    heads: dict[int, tuple[str, int]] = {}
    matched: dict[int, tuple[str, int | None, str]] = {}
    fields = ("pk", "household_id", "relationship", "person__name", "person__birth_date", "person__phone_last4")
    for pk, household_id, relationship, name, birth, last4 in (
        members.filter(household_id__in=household_ids).order_by().values_list(*fields)
    ):
        counts[household_id] = counts.get(household_id, 0) + 1
        if relationship == Relationship.HEAD:
            heads[household_id] = (mask_name(name), birth.year)
        if pk in matching:
            by = ("last" if last4 == query.value else "middle") if query.kind == "phone_four" else ""
            matched[household_id] = (mask_name(name), birth.year, by)
    hits = []
    for h in Household.objects.filter(pk__in=household_ids).select_related("address", "dong").order_by("pk"):
        head_name, head_year = heads.get(h.pk, ("", None))
        name, year, by = matched.get(h.pk, ("", None, ""))
        hits.append(
            HouseholdHit(
                household=h,
                head_name=head_name,
                head_birth_year=head_year,
                member_count=counts.get(h.pk, 0),
                matched=name,
                matched_birth_year=year,
                matched_by=by,
            )
        )
    return SearchResult(query, hits, len(found), page, per_page, complete)


def visible_person_ids(user: Any, person_ids: Iterable[int], *, on: date | None = None) -> set[int]:
    """Which of a few persons the user may see: what `persons_visible_to` says, asked of these rows only. The
    scope's condition is applied to them directly (joins, de-duplicated here) rather than as the subquery of every
    person of the user's area, which SQLite builds in full each time: 150 ms for a district of 100 k households,
    on every household page."""
    condition = scope_for(user).condition(PERSON, on=on)
    return set(Person.objects.filter(pk__in=list(person_ids)).filter(condition).values_list("pk", flat=True))


def visible_members(user: Any, household: Household, *, on: date | None = None) -> list[Membership]:
    """Current members the user may see, the head first, then by the date they moved in and age; hidden members
    are left out, not blanked, so nothing leaks."""
    on = on or today_kst()
    head_first = Case(When(relationship=Relationship.HEAD, then=Value(0)), default=Value(1))
    current = list(
        household.memberships.filter(current_on(on))
        .select_related("person")
        .order_by(head_first, "moved_in", "person__birth_date", "pk")
    )
    seen = visible_person_ids(user, (m.person_id for m in current))
    return [m for m in current if m.person_id in seen]


def household_title(members: list[Membership], household: Household) -> str:
    """What the household page is called: its head's masked name and the address ("박*수 · 새솔로 12 104동 1002호"),
    or the address alone when the head is not among the members the user may see."""
    head = next((m.person for m in members if m.relationship == Relationship.HEAD), None)
    door = household.address.door
    return f"{head.masked_name} · {door}" if head else door


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a household's history. Domains above the registry give theirs in the same shape (their
    selectors import this class), and the household page merges them."""

    on: date
    kind: str
    text: str
    details: tuple[str, ...] = ()  # further lines: the reasons of a listing, a visit's note
    at: datetime | None = None  # the moment, where one is known, to order the entries of one day

    @property
    def day(self) -> str:
        """The day as 2026-12-02 (what Django's `date:"Y-m-d"` writes, without building a formatter per line)."""
        return f"{self.on:%Y-%m-%d}"

    @property
    def sort_key(self) -> tuple[date, datetime]:
        # An entry with a day only (a move, a signal) stands before that day's timed entries: midnight in Korea.
        return self.on, self.at or datetime.combine(self.on, time.min, tzinfo=KST)


@dataclass(frozen=True)
class HouseholdRecord:
    """What the registry holds on one household as the user may see it, read once for the household page: its
    memberships (past and present) with their persons, one check of which persons the user may see, and those
    persons' consents. Each part below is what its own query used to answer; the page asked the same rows
    three times (members, history, consents) and twice more for the consents."""

    members: list[Membership]  # current members the user may see, the head first (as `visible_members`)
    timeline: list[TimelineEntry]  # moves and consents, newest first
    active_consents: dict[int, list[Consent]]  # each member's consents in force today, oldest first
    consents: list[Consent]  # the current members' consents, withdrawn ones included, by name then newest


def household_record(user: Any, household: Household, *, on: date | None = None) -> HouseholdRecord:
    """The household's registry record for its page: three queries, whatever the number of members."""
    on = on or today_kst()
    memberships = list(household.memberships.select_related("person"))
    visible = visible_person_ids(user, {m.person_id for m in memberships})
    current = [m for m in memberships if m.person_id in visible and _in_force(m.moved_in, m.moved_out, on)]
    # The order of `visible_members`: the head first, then by the date they moved in, age and row.
    current.sort(key=lambda m: (m.relationship != Relationship.HEAD, m.moved_in, m.person.birth_date, m.pk))
    # Every consent of the persons the user may see. A consent is visible exactly when its person is (the
    # registry's CONSENT reach is PERSON's, through the consent's person), so this is `consents_visible_to`.
    consents = list(
        Consent.objects.filter(person_id__in=visible)
        .select_related("person", "recipient")
        .order_by("person__name", "-given_on", "-pk")
    )
    member_ids = {m.person_id for m in current}
    active: dict[int, list[Consent]] = {m.person_id: [] for m in current}
    for consent in sorted(consents, key=lambda c: (c.given_on, c.pk)):
        if consent.person_id in member_ids and _in_force(consent.given_on, consent.withdrawn_on, on):
            active[consent.person_id].append(consent)
    return HouseholdRecord(
        members=current,
        timeline=_timeline(memberships, visible, consents),
        active_consents=active,
        consents=[c for c in consents if c.person_id in member_ids],
    )


def _in_force(start: date, end: date | None, on: date) -> bool:
    """`current_on` and `consent_active_on`, asked of a row already read: begun by `on`, not ended by it."""
    return start <= on and (end is None or end > on)


def _timeline(memberships: list[Membership], visible: set[int], consents: list[Consent]) -> list[TimelineEntry]:
    """What happened to the household, newest first, from the records the registry holds."""
    entries: list[TimelineEntry] = []
    for m in (m for m in memberships if m.person_id in visible):
        name = m.person.masked_name
        moved_in = _("%(name)s moved in (%(relationship)s)")
        entries.append(
            TimelineEntry(
                m.moved_in, "moved_in", moved_in % {"name": name, "relationship": m.get_relationship_display()}
            )
        )
        if m.moved_out:
            entries.append(TimelineEntry(m.moved_out, "moved_out", _("%(name)s moved out") % {"name": name}))
    # By person and row, as the database answered the former query of these consents by its person index.
    for c in sorted(consents, key=lambda c: (c.person_id, c.pk)):
        purpose = c.get_purpose_display()
        name = c.person.masked_name
        given = _("%(name)s consented to share information: %(recipient)s (%(purpose)s)")
        values = {"name": name, "recipient": c.recipient, "purpose": purpose}
        entries.append(TimelineEntry(c.given_on, "consent", given % values))
        if c.withdrawn_on:
            withdrawn = _("%(name)s withdrew consent: %(recipient)s") % values
            entries.append(TimelineEntry(c.withdrawn_on, "consent_withdrawn", withdrawn))
    return sorted(entries, key=lambda e: e.sort_key, reverse=True)


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
