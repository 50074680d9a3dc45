"""Donations (후원금품): donors, gifts of money and goods, general or designated (지정기탁), and what is given out of
them — allocations to households and programmes, and sponsorships (결연) paying a household every month.

The ledger is kept per district and per designation (`Fund`): every gift goes into the fund of its designation,
and every allocation comes out of one fund, which only accepts what its designation allows (services/donations.py
`allowed_in`). So a designated won can only ever be spent as the donor asked, and `received = allocated +
remaining` holds per fund by construction. Rows are never changed: a correction is a reversing row (`reverses`)
with the opposite amount, so that the ledger shows what was recorded, when, and what undid it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dolbom.core.business_number import format_business_number
from dolbom.core.crypto import decrypt, purpose_prefix
from dolbom.core.encrypted import EncryptedField, LookupHashField
from dolbom.core.masking import mask_name
from dolbom.registry.models import AdministrativeArea, Household, Sector
from dolbom.resources.models.receipts import GiftCode

# A donor's resident number is encrypted under its own context: its ciphertext cannot be moved into a registry
# person's column (or the reverse) and decrypt there. Its lookup hash has its own purpose for the same reason: a
# donor can be found by their number within the ledger, never joined with the persons a district helps.
DONOR_RRN_CONTEXT = b"resources.donor.rrn"
DONOR_RRN_PURPOSE = "donor-rrn"


class DonorKind(models.TextChoices):
    COMPANY = "company", _("Company")
    GROUP = "group", _("Group")
    PERSON = "person", pgettext_lazy("donor", "Person")  # 개인, not the registry's person helped (대상자)
    # The district's own budget or another public body's grant, kept in this ledger so that it is allocated and
    # counted like the rest; its funds are public (`Fund.sector`) and it gets no donation receipt.
    PUBLIC = "public", _("Public budget")


class Donor(models.Model):
    """Who gives. A person's name and phone are personal data, kept with their consent (`consent_on`) and shown
    masked; one who asked for anonymity is shown as anonymous everywhere but on their own receipt.

    What a donation receipt needs of the donor (① 기부자): a company's or group's registration number (사업자등록번호,
    or a group's 고유번호) and address; a person's resident number and address. The resident number is kept only
    encrypted (`rrn_cipher`, AES-GCM under DOLBOM_RRN_KEY as the registry's are), with a keyed lookup hash and its
    masked form beside it, and read in clear only to print the receipt or for an audited reveal."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of donor"), max_length=8, choices=DonorKind.choices)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("wishes to stay anonymous"), default=False)
    consent_on = models.DateField(_("consented to keeping their data on"), null=True, blank=True)
    registration_number = models.CharField(
        _("business registration or identification number"), max_length=10, blank=True
    )  # ten digits, no dash
    address = models.CharField(_("address"), max_length=200, blank=True)
    rrn_cipher = EncryptedField(
        _("resident registration number (encrypted)"), null=True, editable=False, context=DONOR_RRN_CONTEXT
    )
    rrn_index = LookupHashField(  # core.crypto.purpose_hash
        max_length=64, blank=True, editable=False, of="rrn_cipher", prefix=purpose_prefix(DONOR_RRN_PURPOSE)
    )
    rrn_masked = models.CharField(max_length=14, blank=True, editable=False)  # 800101-1******
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DonorKind.PERSON) | Q(consent_on__isnull=False), name="person_donor_consented"
            ),
            # Only a person has a resident number, and only one donor of a district holds a given number.
            models.CheckConstraint(
                condition=Q(kind=DonorKind.PERSON) | Q(rrn_index=""), name="only_a_person_donor_has_an_rrn"
            ),
            models.UniqueConstraint(
                fields=["district", "rrn_index"], condition=~Q(rrn_index=""), name="one_donor_per_rrn"
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The donor as the ledger and a household's history show them."""
        if self.anonymous:
            return str(_("Anonymous donor"))
        return mask_name(self.name) if self.kind == DonorKind.PERSON else self.name

    @property
    def has_resident_number(self) -> bool:
        return bool(self.rrn_index)

    @property
    def formatted_registration_number(self) -> str:
        return format_business_number(self.registration_number)

    def resident_number(self) -> str:
        """The clear number, 800101-1234567. Only the receipt's printing and the audited reveal call this
        (services/receipts.py)."""
        digits = decrypt(self.rrn_cipher, context=DONOR_RRN_CONTEXT)
        return f"{digits[:6]}-{digits[6:]}"


class Designation(models.TextChoices):
    GENERAL = "general", _("General (anywhere in the district)")
    DONG = "dong", _("Designated to a dong")
    PURPOSE = "purpose", _("Designated to a purpose")
    GROUP = "group", _("Designated to a group of households")
    HOUSEHOLD = "household", _("Sponsorship of one household")


class Fund(models.Model):
    """One designation of one district's ledger: the general fund, a dong's, a purpose's ("난방비"), a group's
    ("홀몸 어르신"), or one sponsored household's."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    designation = models.CharField(_("designation"), max_length=10, choices=Designation.choices)
    dong = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    group = models.CharField(_("group of households"), max_length=100, blank=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Public money (a donor of kind PUBLIC) and private gifts never share a fund, so that every allocation out of
    # a fund has one source that the reports can count.
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices, default=Sector.PRIVATE)
    key = models.CharField(max_length=140)  # sector, designation and target: one fund per key in a district

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.UniqueConstraint(fields=["district", "key"], name="one_fund_per_designation"),
            # Only a fund designated to a dong names one: a dong officer's scope reaches funds through `dong`
            # (resources.selectors.FUND), so this is what keeps the general, purpose, group and sponsorship funds
            # out of any dong's reach.
            models.CheckConstraint(
                condition=Q(designation=Designation.DONG, dong__isnull=False)
                | (~Q(designation=Designation.DONG) & Q(dong__isnull=True)),
                name="fund_names_a_dong_only_when_designated_to_it",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.sector == Sector.PUBLIC:
            return f"{self.get_sector_display()} · {self._designation_label}"
        return self._designation_label

    @property
    def _designation_label(self) -> str:
        if self.designation == Designation.DONG and self.dong_id:
            return f"{self.get_designation_display()}: {self.dong.name}"
        if self.designation == Designation.PURPOSE:
            return f"{self.get_designation_display()}: {self.purpose}"
        if self.designation == Designation.GROUP:
            return f"{self.get_designation_display()}: {self.group}"
        if self.designation == Designation.HOUSEHOLD:
            return f"{self.get_designation_display()} #{self.household_id}"
        return str(self.get_designation_display())


class GiftKind(models.TextChoices):
    CASH = "cash", _("Cash")
    IN_KIND = "in_kind", _("Goods (in kind)")


class Donation(models.Model):
    """A gift received (후원금품 접수) into one fund, with what the donation receipt (기부금 영수증) needs. A
    correction is a row with the opposite amount that `reverses` it."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="donations")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="donations", verbose_name=_("donor"))
    kind = models.CharField(_("kind of gift"), max_length=8, choices=GiftKind.choices)
    received_on = models.DateField(_("received on"))
    amount_won = models.BigIntegerField(_("amount or value (won)"))
    description = models.CharField(_("what was given"), max_length=200, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=20, blank=True)
    receipt_issued_on = models.DateField(_("receipt issued on"), null=True, blank=True)
    receipt_code = models.CharField(
        _("kind of gift on the receipt"), max_length=2, choices=GiftCode.choices, blank=True
    )
    # The issuer's details as they stood on the day of issue (ReceiptIssuer.snapshot), printed on every copy.
    receipt_issuer = models.JSONField(default=dict, blank=True, editable=False)
    # A sponsorship's monthly gift says which sponsorship and month it is, so that a month paid again after a
    # correction knows whether the donor's gift of that month still stands (services/donations.pay_sponsorships).
    sponsorship = models.ForeignKey(
        "Sponsorship", on_delete=models.PROTECT, null=True, blank=True, related_name="gifts"
    )
    month = models.CharField(_("month given for"), max_length=7, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount_won__gt=0) | Q(reverses__isnull=False, amount_won__lt=0),
                name="donation_positive_unless_reversal",
            ),
            models.UniqueConstraint(
                fields=["district", "receipt_number"], condition=~Q(receipt_number=""), name="one_receipt_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_won:,}"


class Sponsorship(models.Model):
    """결연: a donor paying one household a fixed amount every month, from a month until it is ended."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="sponsorships", verbose_name=_("donor"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household"))
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    monthly_won = models.PositiveBigIntegerField(_("amount a month (won)"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_won__gt=0), name="sponsorship_pays_something"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="sponsorship_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → #{self.household_id}"


class Allocation(models.Model):
    """Money given out of one fund: to a household (whose member consented to resource support) or to a programme.
    A sponsorship's monthly payment is one, with its `month`. A correction is a reversing row."""

    district = models.ForeignKey(AdministrativeArea, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="allocations")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("household")
    )
    dong = models.ForeignKey(
        AdministrativeArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dong")
    )
    programme = models.CharField(_("programme"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    group = models.CharField(_("group of households"), max_length=100, blank=True)
    amount_won = models.BigIntegerField(_("amount (won)"))
    sector = models.CharField(_("public or private"), max_length=8, choices=Sector.choices)  # its fund's, as written
    on = models.DateField(_("date"))
    sponsorship = models.ForeignKey(
        Sponsorship, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    month = models.CharField(_("month paid for"), max_length=7, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    # A month paid again after its payment was corrected names that correction (the reversing row).
    repays = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="repaid_by")
    reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("donations", "allocation")
        verbose_name_plural = pgettext_lazy("donations", "allocations")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount_won__gt=0) | Q(reverses__isnull=False, amount_won__lt=0),
                name="allocation_positive_unless_reversal",
            ),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | ~Q(programme="") | Q(reverses__isnull=False),
                name="allocation_goes_somewhere",
            ),
            # A sponsorship month is never paid twice, and a month whose payment was corrected can be paid again.
            # The payments of one month form a chain: the first payment (`repays` empty) is unique per month, and
            # every later one `repays` the correction of the one before, which `repays` being one-to-one lets it
            # do once. Since a payment is only corrected once (`reverses` is one-to-one too), each month has one
            # chain and only its last payment can stand uncorrected: two payments standing at once would need two
            # first payments or two payments after one correction, and the database refuses both, whatever two
            # transactions see. (A counter of attempts in the key would allow an uncorrected attempt 1 beside an
            # attempt 2; a flag set on the corrected payment would edit a ledger row.)
            models.UniqueConstraint(
                fields=["sponsorship", "month"],
                condition=Q(sponsorship__isnull=False, reverses__isnull=True, repays__isnull=True),
                name="one_first_payment_per_sponsorship_month",
            ),
            models.CheckConstraint(
                condition=Q(repays__isnull=True) | Q(sponsorship__isnull=False, reverses__isnull=True),
                name="only_a_sponsorship_payment_repays",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_won:,}"
