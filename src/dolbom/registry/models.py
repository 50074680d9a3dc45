"""People, households, places, agencies, staff and consents: the registry every other domain refers to."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.crypto import RRN_CONTEXT, RRN_HASH_PREFIX, decrypt_rrn, encrypt_rrn, rrn_hash
from dolbom.core.encrypted import EncryptedField, LookupHashField
from dolbom.core.masking import mask_address_detail, mask_name, mask_phone, mask_rrn_from_parts
from dolbom.core.numbers import PHONE, find_numbers
from dolbom.core.numbers import normalise as normalise_text
from dolbom.core.roles import Role
from dolbom.core.rrn import check_rrn_agrees, parse_rrn


class AreaLevel(models.TextChoices):
    SIDO = "sido", _("Province or metropolitan city")
    SIGUNGU = "sigungu", _("District")
    EUPMYEONDONG = "eupmyeondong", _("Dong")


# 시도 2, 시군구 3, 읍면동 3, 리 2 digits.
AREA_CODE = re.compile(r"\d{10}")


class AdministrativeArea(models.Model):
    """시도 / 시군구 / 읍면동 with the 10-digit administrative code (시도 2, 시군구 3, 읍면동 3, 리 2)."""

    code = models.CharField(
        _("code"), max_length=10, primary_key=True, validators=[RegexValidator(AREA_CODE, _("Ten digits."))]
    )
    name = models.CharField(_("name"), max_length=50)
    level = models.CharField(_("level"), max_length=12, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("part of")
    )
    visit_capacity = models.PositiveIntegerField(
        _("outreach visits per round"),
        default=0,
        help_text=_("How many outreach visits the dong can make per round."),
    )

    class Meta:
        verbose_name = _("administrative area")
        verbose_name_plural = _("administrative areas")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def district_code(self) -> str:
        return self.code[:5] + "00000"


def nfc(text: str) -> str:
    """Korean text in its composed form (NFC): a name or an address typed on one system arrives as decomposed
    jamo from another (macOS file names, some Excel exports), and a composed search would never find it."""
    return unicodedata.normalize("NFC", text or "")


def tong_ban_text(tong: int | None, ban: int | None) -> str:
    """ "3통 2반", "3통", or "" for an address's 통 and 반."""
    if tong is None:
        return ""
    if ban is None:
        return gettext("%(tong)s tong") % {"tong": tong}
    return gettext("%(tong)s tong %(ban)s ban") % {"tong": tong, "ban": ban}


class Address(models.Model):
    """A road-name address (도로명주소) with the 통/반 of the dong's administrative subdivision."""

    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="addresses", verbose_name=_("dong")
    )
    road_address = models.CharField(_("road-name address"), max_length=200, db_index=True)
    detail = models.CharField(_("unit"), max_length=100, blank=True, db_index=True)
    # The unit without the building ("1002호" of "104동 1002호"), so that a search for "1002호" is an indexed
    # lookup, not a scan for a suffix. Computed by the database itself, so that every writer (the bulk loader's
    # plain INSERTs and COPY included) keeps it right: the part of `detail` after its first space, or all of it.
    unit = models.GeneratedField(
        expression=Substr("detail", StrIndex("detail", Value(" ")) + 1),
        output_field=models.CharField(max_length=100),
        db_persist=True,
        db_index=True,
    )
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    tong = models.PositiveSmallIntegerField(_("tong"), null=True, blank=True)
    ban = models.PositiveSmallIntegerField(_("ban"), null=True, blank=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [
            # "새솔1동 3통": the 통 (and 반) within the dongs a user sees.
            models.Index(fields=["dong", "tong", "ban"], name="registry_address_tong"),
            # Part of a road name is found by reading addresses: an officer's dongs' from this index alone.
            models.Index(fields=["dong", "road_address"], name="registry_address_dong_road"),
        ]

    def __str__(self) -> str:
        return f"{self.road_address} {self.detail}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.road_address, self.detail = nfc(self.road_address).strip(), " ".join(nfc(self.detail).split())
        super().save(*args, **kwargs)

    # Who may read the unit. The unit (동·호) is what lets an officer find the door, and what identifies a home
    # among the hundreds of an apartment complex. It is shown whole wherever the household is one the viewer may
    # open (the search, the household page and the outreach list only ever list such households, and each of
    # those reads is audited: `registry.search` with the households shown, `registry.view_household`,
    # `discovery.view_outreach_list`): an officer of the dong, the district's staff, and a private agency for the
    # households that consented to share with it, which it may open anyway. Anywhere else an address is shown
    # (a page about something else that mentions a household the viewer may not open) it is `masked_text`.

    @property
    def tong_ban(self) -> str:
        """ "3통 2반", "3통", or ""."""
        return tong_ban_text(self.tong, self.ban)

    @property
    def door(self) -> str:
        """The whole address to find the door: road-name address and unit."""
        return f"{self.road_address} {self.detail}".strip()

    @property
    def masked_text(self) -> str:
        """The address with the 호 hidden (101동 ***호), for a viewer who may not open the household."""
        return f"{self.road_address} {mask_address_detail(self.detail)}".strip()


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Disability(models.TextChoices):
    """Since July 2019 disability is registered as severe or not severe instead of grades 1–6."""

    NONE = "", _("None registered")
    SEVERE = "severe", _("Severe (former grades 1–3)")
    MILD = "mild", _("Not severe (former grades 4–6)")


class Person(models.Model):
    name = models.CharField(_("name"), max_length=60, db_index=True)
    birth_date = models.DateField(_("birth date"), db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    rrn_cipher = EncryptedField(_("resident registration number (encrypted)"), editable=False, context=RRN_CONTEXT)
    rrn_hash = LookupHashField(max_length=64, unique=True, editable=False, of="rrn_cipher", prefix=RRN_HASH_PREFIX)
    rrn_seventh = models.CharField(max_length=1, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    # The four characters after the first dash: the middle four digits of "010-2579-6218" (a three-digit middle,
    # "02-123-4567", gives "123-", which no four-digit search matches). Computed by the database, like
    # `Address.unit`, so that bulk loads need not know of it; indexed for the search by four digits.
    phone_middle4 = models.GeneratedField(
        expression=Substr("phone", StrIndex("phone", Value("-")) + 1, 4),
        output_field=models.CharField(max_length=4),
        db_persist=True,
        db_index=True,
    )
    disability = models.CharField(_("disability"), max_length=8, choices=Disability.choices, blank=True, default="")
    nationality = models.CharField(_("nationality"), max_length=2, default="KR", help_text=_("ISO 3166 code"))
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.masked_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name = nfc(self.name).strip()
        super().save(*args, **kwargs)

    def set_resident_number(self, value: str) -> None:
        """Validate the number against birth date and sex, then keep it only encrypted and as a lookup hash."""
        number = parse_rrn(value)
        check_rrn_agrees(number, birth_date=self.birth_date, sex=self.sex)
        self.rrn_cipher = encrypt_rrn(number.digits)
        self.rrn_hash = rrn_hash(number.digits)
        self.rrn_seventh = number.digits[6]

    def resident_number(self) -> str:
        """The clear number. Only core-audited reveal paths call this (see registry.services.reveal_person)."""
        digits = decrypt_rrn(self.rrn_cipher)
        return f"{digits[:6]}-{digits[6:]}"

    def set_phone(self, value: str) -> None:
        """Keep a phone number however it was typed (any dash, dots, spaces, full-width digits, +82) in one form."""
        digits = phone_digits(value)
        self.phone = _format_phone(digits) if digits else ""
        self.phone_last4 = digits[-4:] if digits else ""

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_rrn(self) -> str:
        return mask_rrn_from_parts(birth_yymmdd=self.birth_date.strftime("%y%m%d"), seventh=self.rrn_seventh)

    @property
    def foreign(self) -> bool:
        return self.nationality != "KR"


def phone_digits(value: str) -> str:
    """The digits of a Korean phone number typed in any form, or "" for an empty field; ValueError saying what to
    type when it is no phone number. core.numbers decides what a phone number looks like, as it does for search."""
    text = normalise_text(value)
    if not text:
        return ""
    found = [f for f in find_numbers(text) if f.kind == PHONE]
    rest = "".join(ch for ch in text if ch.isdigit())
    if len(found) != 1 or found[0].digits != rest:
        raise ValueError(gettext("Type a phone number such as 010-1234-5678 or 02-123-4567."))
    digits = found[0].digits
    return "0" + digits[2:] if digits.startswith("82") else digits


def _format_phone(digits: str) -> str:
    if digits.startswith("02"):
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"


class Household(models.Model):
    """A household (가구): people living together at an address. `dong` follows the address, for scoping."""

    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households", verbose_name=_("address"))
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="households", verbose_name=_("dong")
    )
    registered_on = models.DateField(_("registered on"))
    created_at = models.DateTimeField(auto_now_add=True)
    # The household's number in the national registry (세대번호) and the 시군구 whose export gave it: a re-import
    # finds the household again by the two. Empty for households registered on the pages or generated. Database
    # defaults as well: the synthetic city's bulk loader inserts households with explicit columns.
    registry_district = models.CharField(
        _("district of the registry number"), max_length=10, blank=True, default="", db_default="", editable=False
    )
    registry_number = models.CharField(
        _("household number in the national registry"),
        max_length=40,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["registry_district", "registry_number"],
                condition=~Q(registry_number=""),
                name="one_household_per_registry_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Household')} {self.pk}"


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "relative", _("Other relative")
    # The registry's generic "세대원": a family member other than head and spouse whose relation the source does not
    # state (the 2025 change lets 등·초본 show only that). Kept as such rather than guessed as a child or a relative.
    MEMBER = "member", _("Household member (relation not stated)")
    COHABITANT = "cohabitant", _("Cohabitant")


class MembershipEnd(models.TextChoices):
    """Why a membership ended. Empty for memberships loaded from elsewhere, whose reason is not known."""

    UNKNOWN = "", _("Not recorded")
    MOVED_AWAY = "moved_away", _("Moved out of the district")
    MOVED_WITHIN = "moved_within", _("Moved to another household")
    SPLIT = "split", _("Split off into a new household")
    DEATH = "death", _("Death")


class Membership(models.Model):
    """Who lived in which household, from when to when: counts and eligibility are asked 'as of' a date."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("household")
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person"))
    relationship = models.CharField(_("relationship to the head"), max_length=12, choices=Relationship.choices)
    moved_in = models.DateField(_("moved in"))
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    # A database default as well: the synthetic city's bulk loader inserts memberships with explicit columns.
    ended_by = models.CharField(
        _("why the membership ended"),
        max_length=12,
        choices=MembershipEnd.choices,
        blank=True,
        default=MembershipEnd.UNKNOWN,
        db_default=MembershipEnd.UNKNOWN,
    )

    class Meta:
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(moved_out__isnull=True),
                name="one_current_household_per_person",
            ),
            models.CheckConstraint(
                condition=Q(moved_out__isnull=True) | Q(moved_out__gte=models.F("moved_in")),
                name="membership_ends_after_it_starts",
            ),
        ]
        indexes = [
            # The memberships of a household in force on a date, with who and in what relationship, read from the
            # index alone: a round's snapshot reads a district's million members so on SQLite, 0.3-0.4 s sooner at
            # 500,000 households than through the table's rows (docs/benchmarks.md).
            models.Index(
                fields=["household", "moved_in", "moved_out", "person", "relationship"], name="memberships_in_force"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.household}"


class RegistryRevision(models.Model):
    """A number that grows with every committed change to households, persons or memberships, so that figures
    computed from the registry can be kept until it moves (registry/revision.py). Database triggers keep it
    (migration 0010), not the services: a bulk load, an import or an operator's SQL cannot change the registry
    without moving it. One row."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("registry revision")

    def __str__(self) -> str:
        return str(self.value)


class RegistryChange(models.Model):
    """PostgreSQL: one row per transaction that changed the registry, which its triggers add instead of updating
    the revision's one row, so that writers in different districts never wait on each other's lock. The revision
    is the row's value plus these rows, folded into it now and then (registry/revision.py)."""

    transaction_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("registry change")

    def __str__(self) -> str:
        return str(self.transaction_id)


def current_on(on: date, prefix: str = "") -> Q:
    """Memberships in force on a date; `prefix` lets other models filter through a relation."""
    return Q(**{f"{prefix}moved_in__lte": on}) & (
        Q(**{f"{prefix}moved_out__isnull": True}) | Q(**{f"{prefix}moved_out__gt": on})
    )


class Sector(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class AgencyKind(models.TextChoices):
    DONG_CENTRE = "dong_centre", _("Community service centre")
    DISTRICT_UNIT = "district_unit", _("District case-management unit")
    CITY_OFFICE = "city_office", _("City welfare department")
    WELFARE_CENTRE = "welfare_centre", _("Community welfare centre")
    FOUNDATION = "foundation", _("Foundation")
    FOOD_BANK = "food_bank", _("Food bank")
    SELF_SUFFICIENCY = "self_sufficiency", _("Self-sufficiency centre")
    MULTICULTURAL = "multicultural", _("Multicultural family support centre")
    MEDICAL = "medical", _("Medical institution")
    HOUSING_OFFICE = "housing_office", _("Public rental housing office")
    OTHER = "other", _("Other")


class Agency(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    sector = models.CharField(_("sector"), max_length=8, choices=Sector.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    area = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("located in")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A user's place in the system: the agency they work for, their role and the areas they serve."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff", verbose_name=_("account")
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", verbose_name=_("agency"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    areas = models.ManyToManyField(AdministrativeArea, related_name="staff", blank=True, verbose_name=_("areas"))
    display_name = models.CharField(_("name"), max_length=60)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"


class ConsentPurpose(models.TextChoices):
    CASE_MANAGEMENT = "case_management", _("Integrated case management")
    SERVICE_LINKAGE = "service_linkage", _("Service linkage")
    RESOURCE_SUPPORT = "resource_support", _("Donations and resource support")


class ConsentMethod(models.TextChoices):
    """How the person gave consent: a signed form, or spoken (by phone, or a person who cannot sign) in front of a
    witness whose name is kept with the consent."""

    SIGNED_FORM = "signed_form", _("Signed consent form")
    VERBAL = "verbal", _("Verbal, with a witness")


class Consent(models.Model):
    """A person's consent to share their data with one agency for one purpose (개인정보 제3자 제공 동의)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents", verbose_name=_("person"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    recipient = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="consents_received", verbose_name=_("recipient agency")
    )
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    # Database defaults as well: the synthetic city's bulk loader inserts consents with explicit columns.
    method = models.CharField(
        _("how consent was given"),
        max_length=12,
        choices=ConsentMethod.choices,
        default=ConsentMethod.SIGNED_FORM,
        db_default=ConsentMethod.SIGNED_FORM,
    )
    witness_name = models.CharField(_("witness"), max_length=60, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["recipient", "withdrawn_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawn_after_given",
            ),
            models.CheckConstraint(
                condition=~Q(method=ConsentMethod.VERBAL) | ~Q(witness_name=""),
                name="verbal_consent_has_witness",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.recipient} ({self.get_purpose_display()})"

    @property
    def masked_witness(self) -> str:
        return mask_name(self.witness_name)


def consent_active_on(on: date, prefix: str = "") -> Q:
    """Consents in force on a date; `prefix` lets other models filter through a relation."""
    return Q(**{f"{prefix}given_on__lte": on}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": on})
    )
