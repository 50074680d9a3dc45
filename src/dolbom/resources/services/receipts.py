"""Donation receipts (기부금 영수증): what the donor must be known by, issuing a receipt, and printing it.

A receipt carries what 소득세법 시행규칙 별지 제45호의2서식 (and the 법인세법 equivalent) asks for: ① the donor —
name or company name, resident number or business registration number (a group's 고유번호), address; ② the body
that received the gift — the district's `ReceiptIssuer`; ③ the gift — its code, cash or goods, date, what it was
(item, quantity and unit value for goods) and amount; the number and date of issue, and the statements of donor
and receiver. `issue_receipt` refuses, naming what is missing, until all of it is known.

A person donor's resident number is personal data of the most protected kind (PIPA art. 24): it is kept only
encrypted, shown masked on every page, revealed for a stated reason with the reveal audited, and printed in full
only on the receipt itself, which is what the donor needs it for; every printing is audited. A donor who asked to
stay anonymous is named nowhere but on their own receipt: not on the donor's page, nor when the data is revealed.
The audit log keeps ids, numbers of receipts and the names of fields, never a name, an address or a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core import audit
from dolbom.core.business_number import InvalidBusinessNumber, format_business_number, parse_business_number
from dolbom.core.crypto import encrypt, purpose_hash, purpose_hashes
from dolbom.core.dates import today_kst
from dolbom.core.masking import mask_address_detail
from dolbom.core.numbers import normalise
from dolbom.core.pdf import render_pdf
from dolbom.core.permissions import ensure_can
from dolbom.core.rrn import InvalidResidentNumber, parse_rrn
from dolbom.core.scope import visible_or_404
from dolbom.core.text import visible_text
from dolbom.registry.models import Sector
from dolbom.registry.services import checked_reveal_reason
from dolbom.resources.models import Donation, Donor, DonorKind, GiftCode, GiftKind, ReceiptIssuer
from dolbom.resources.models.donations import DONOR_RRN_CONTEXT, DONOR_RRN_PURPOSE
from dolbom.resources.models.receipts import GIFT_CODE_NAMES
from dolbom.resources.selectors import donations_visible_to, donors_visible_to

ADDRESS_MAX = 200
# What a receipt shows when a form's field has nothing to say (an in-kind gift's description, a legal basis).
NOTHING = "—"


# ------------------------------------------------------------------------------------------- the donor's data


def _address(value: str, errors: dict[str, str]) -> str:
    text = visible_text(value or "")
    if len(text) > ADDRESS_MAX:
        message = _("%(field)s is too long: at most %(limit)s characters (now %(length)s). Shorten it.")
        errors["address"] = message % {"field": _("The address"), "limit": ADDRESS_MAX, "length": len(text)}
    return text


def already_a_donor() -> str:
    return _("This person is already one of the district's donors: choose them from the list instead.")


@contextmanager
def one_donor_per_person() -> Iterator[None]:
    """Two officers adding the same person at the same moment both pass the check above; the database's
    `one_donor_per_rrn` refuses the second, and that refusal is answered like the check's, not as an error page."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as refused:
        if "one_donor_per_rrn" in str(refused) or "rrn_index" in str(refused):
            raise ValidationError({"resident_number": already_a_donor()}) from None
        raise


def donor_legal_values(
    *,
    district: str,
    kind: str,
    registration_number: str = "",
    address: str = "",
    resident_number: str = "",
    donor_id: int | None = None,
    errors: dict[str, str],
) -> dict[str, Any]:
    """The fields of `Donor` that a receipt needs, from what an officer typed, checked; an empty field sets
    nothing (a resident number is never shown back in a form, so leaving it empty keeps the one on record).
    Problems go into `errors` by field name."""
    values: dict[str, Any] = {}
    if (registration_number or "").strip():
        if kind == DonorKind.PERSON:
            errors["registration_number"] = _(
                "A person is known on the receipt by their resident registration number. A business owner giving "
                "as a business is added as a company."
            )
        else:
            try:
                values["registration_number"] = parse_business_number(registration_number)
            except InvalidBusinessNumber as refused:
                errors["registration_number"] = str(refused)
    if (address or "").strip():
        values["address"] = _address(address, errors)
    if (resident_number or "").strip():
        if kind != DonorKind.PERSON:
            errors["resident_number"] = _(
                "Only a person has a resident registration number: enter a company's or group's business "
                "registration number instead."
            )
            return values
        try:
            digits = parse_rrn(normalise(resident_number).replace(" ", "")).digits
        except InvalidResidentNumber as refused:
            errors["resident_number"] = str(refused)
            return values
        index = purpose_hash(DONOR_RRN_PURPOSE, digits)
        indexes = purpose_hashes(DONOR_RRN_PURPOSE, digits)  # every configured lookup key (a rotation)
        if Donor.objects.filter(district_id=district, rrn_index__in=indexes).exclude(pk=donor_id or 0).exists():
            errors["resident_number"] = already_a_donor()
        values.update(
            rrn_cipher=encrypt(digits, context=DONOR_RRN_CONTEXT),
            rrn_index=index,
            rrn_masked=f"{digits[:6]}-{digits[6]}******",
        )
    return values


def set_donor_legal(
    *, user: Any, donor_id: int, registration_number: str = "", address: str = "", resident_number: str = ""
) -> Donor:
    """Record or correct what the receipt needs to know of a donor. An empty field keeps what is on record."""
    ensure_can(user, "resources.record_donations")
    with one_donor_per_person():
        donor = visible_or_404(donors_visible_to(user).select_for_update(), donor_id)
        errors: dict[str, str] = {}
        values = donor_legal_values(
            district=donor.district_id,
            kind=donor.kind,
            registration_number=registration_number,
            address=address,
            resident_number=resident_number,
            donor_id=donor.pk,
            errors=errors,
        )
        if not values and not errors:
            errors["address"] = _("Enter what is missing or wrong: nothing was typed.")
        if errors:
            raise ValidationError(errors)
        for name, value in values.items():
            setattr(donor, name, value)
        donor.save(update_fields=list(values))
        fields = sorted({"resident_number" if name.startswith("rrn_") else name for name in values})
        audit.record(user, "resources.change_donor", donor, detail={"fields": fields})
    return donor


def donor_gaps(donor: Donor) -> list[str]:
    """What the receipt still needs to know of the donor, as the officer reads it (empty: nothing)."""
    gaps = []
    if donor.kind == DonorKind.PERSON:
        if not donor.has_resident_number:
            gaps.append(_("resident registration number"))
    elif not donor.registration_number:
        gaps.append(_("business registration number (or a group's identification number)"))
    if not donor.address:
        gaps.append(_("address"))
    return gaps


def issuer_of(district: str) -> ReceiptIssuer | None:
    """The district's details as the body that receives gifts, when its administrator has set them."""
    return ReceiptIssuer.objects.filter(district_id=district).first()


@dataclass(frozen=True)
class DonorPage:
    donor: Donor
    gaps: list[str]
    donations: list[Donation]
    revealed: dict[str, str] = field(default_factory=dict)  # after an audited reveal: the data in clear

    @property
    def masked_address(self) -> str:
        if self.donor.kind == DonorKind.PERSON:
            return mask_address_detail(self.donor.address)
        return self.donor.address


def _donor_page(user: Any, donor_id: int) -> DonorPage:
    donor = visible_or_404(donors_visible_to(user), donor_id)
    donations = list(donations_visible_to(user).filter(donor=donor)[:50])
    return DonorPage(donor=donor, gaps=donor_gaps(donor), donations=donations)


def open_donor(*, user: Any, donor_id: int) -> DonorPage:
    """A donor's page: who they are (masked), what a receipt still needs of them, their latest gifts. The
    reading is audited: it concerns one identified donor."""
    ensure_can(user, "resources.view_donations")
    page = _donor_page(user, donor_id)
    audit.record(user, "resources.view_donor", page.donor)
    return page


def donor_form_page(*, user: Any, donor_id: int) -> DonorPage:
    """The same page, to show a refused form again with what was typed (the change refused is what the user did;
    the page they came from was recorded by `open_donor`)."""
    ensure_can(user, "resources.view_donations")
    return _donor_page(user, donor_id)


def reveal_donor(*, user: Any, donor_id: int, reason: str) -> DonorPage:
    """A person donor's resident number and address in clear, for a stated reason kept in the audit log. An
    anonymous donor's name stays hidden: it is printed on their receipt and nowhere else."""
    ensure_can(user, "resources.reveal_donor")
    page = _donor_page(user, donor_id)
    donor = page.donor
    if donor.kind != DonorKind.PERSON:
        raise ValidationError({"reason": _("Only a person donor's data is masked: everything is shown already.")})
    reason = checked_reveal_reason(reason)
    revealed = {"address": donor.address}
    if donor.has_resident_number:
        revealed["resident_number"] = donor.resident_number()
    if not donor.anonymous:
        revealed["name"] = donor.name
    audit.record(user, "resources.reveal_donor", donor, reason=reason, detail={"fields": sorted(revealed)})
    return DonorPage(donor=donor, gaps=page.gaps, donations=page.donations, revealed=revealed)


# ------------------------------------------------------------------------------------------------ the receipt


def _missing_message(gaps: list[str]) -> str:
    return _(
        "The receipt cannot be issued yet: the donor's %(fields)s is not recorded. Enter it on the donor's page, "
        "then issue the receipt."
    ) % {"fields": ", ".join(gaps)}


NO_ISSUER = gettext_lazy(
    "The district's details as the body receiving the gift (its name, business registration number and address) "
    "are not set: the district administrator enters them under Administration, Donation receipt issuers."
)


def _is_void(donation: Donation) -> bool:
    return donation.reverses_id is not None or Donation.objects.filter(reverses=donation).exists()


@dataclass(frozen=True)
class ReceiptPage:
    donation: Donation
    gaps: list[str]  # what the donor still lacks
    issuer: ReceiptIssuer | None
    void: bool  # a correction, or a gift that has been corrected: no receipt

    @property
    def default_code(self) -> str:
        return self.issuer.default_code if self.issuer else GiftCode.SPECIAL


def receipt_page(*, user: Any, donation_id: int) -> ReceiptPage:
    """A gift's receipt as the page shows it: issued or not, and what is missing before it can be."""
    ensure_can(user, "resources.record_donations")
    donation = visible_or_404(donations_visible_to(user), donation_id)
    return ReceiptPage(
        donation=donation,
        gaps=donor_gaps(donation.donor),
        issuer=issuer_of(donation.district_id),
        void=_is_void(donation),
    )


def issue_receipt(*, user: Any, donation_id: int, code: str = "") -> Donation:
    """Number the donation receipt (기부금 영수증) of a gift — the district's own sequence per year — once the donor
    and the district are known by everything the receipt must say. `code` is the kind of gift (GiftCode); left
    empty, the issuer's usual one."""
    ensure_can(user, "resources.record_donations")
    with transaction.atomic():
        donation = donations_visible_to(user).select_for_update(of=("self",)).filter(pk=donation_id).first()
        if donation is None:
            raise Http404
        if donation.receipt_number or _is_void(donation):
            raise ValidationError({"receipt": _("This gift has a receipt already, or is a correction.")})
        if donation.fund.sector == Sector.PUBLIC:
            raise ValidationError({"receipt": _("Public money gets no donation receipt.")})
        gaps = donor_gaps(donation.donor)
        if gaps:
            raise ValidationError({"receipt": _missing_message(gaps)})
        issuer = issuer_of(donation.district_id)
        if issuer is None:
            raise ValidationError({"receipt": str(NO_ISSUER)})
        code = code or issuer.default_code
        if code not in GiftCode.values:
            raise ValidationError({"code": _("Choose the kind of gift as the receipt states it.")})
        year = donation.received_on.year
        # Numbers of one district and year, locked in order: two receipts issued at once get different numbers.
        issued = Donation.objects.select_for_update().filter(
            district_id=donation.district_id, receipt_number__startswith=f"{year}-"
        )
        donation.receipt_number = f"{year}-{issued.count() + 1:05d}"
        donation.receipt_issued_on = today_kst()
        donation.receipt_code = code
        donation.receipt_issuer = issuer.snapshot()
        donation.save(update_fields=["receipt_number", "receipt_issued_on", "receipt_code", "receipt_issuer"])
        audit.record(
            user, "resources.issue_receipt", donation, detail={"number": donation.receipt_number, "code": code}
        )
    return donation


@dataclass(frozen=True)
class GiftLine:
    """③ 기부내용, one line: what the gift was, and for goods how many at what unit value."""

    what: str
    amount_won: int
    quantity: str = ""
    unit_won: int | None = None


def _gift_lines(donation: Donation) -> list[GiftLine]:
    if donation.kind == GiftKind.IN_KIND:
        lots = list(donation.lots.order_by("pk"))
        if lots:
            return [
                GiftLine(lot.item, lot.received * lot.unit_won, f"{lot.received:,}{lot.unit}", lot.unit_won)
                for lot in lots
            ]
    return [GiftLine(donation.description or NOTHING, donation.amount_won)]


def receipt_html(donation: Donation, issuer: dict[str, str]) -> str:
    """The receipt as HTML for WeasyPrint: the donor's full number is on it, which is what the receipt is for."""
    donor = donation.donor
    if donor.kind == DonorKind.PERSON:
        number = donor.resident_number()
    else:
        number = format_business_number(donor.registration_number)
    context = {
        "donation": donation,
        "donor": donor,
        "donor_number": number,
        "issuer": {**issuer, "registration_number": format_business_number(issuer.get("registration_number", ""))},
        "lines": _gift_lines(donation),
        "code_name": GIFT_CODE_NAMES[GiftCode(donation.receipt_code)] if donation.receipt_code else NOTHING,
        "printed_at": timezone.localtime(),
    }
    return render_to_string("resources/receipt_pdf.html", context)


def receipt_pdf(*, user: Any, donation_id: int) -> bytes:
    """The issued receipt as an A4 PDF in Korean, with the donor's full resident or business number. Every
    printing is audited (who printed which receipt)."""
    ensure_can(user, "resources.print_receipts")
    donation = visible_or_404(donations_visible_to(user), donation_id)
    if not donation.receipt_number:
        raise ValidationError({"receipt": _("Issue the receipt first: it has no number yet.")})
    if _is_void(donation):
        raise ValidationError({"receipt": _("This gift was corrected: its receipt is void and is not printed.")})
    gaps = donor_gaps(donation.donor)
    if gaps:
        raise ValidationError({"receipt": _missing_message(gaps)})
    # A receipt issued before the issuer was copied onto it prints with the district's details as they are now.
    issuer = donation.receipt_issuer or (snapshot.snapshot() if (snapshot := issuer_of(donation.district_id)) else {})
    if not issuer:
        raise ValidationError({"receipt": str(NO_ISSUER)})
    pdf = render_pdf(receipt_html(donation, issuer))
    detail = {"number": donation.receipt_number, "donor": donation.donor_id}
    audit.record(user, "resources.print_receipt", donation, detail=detail)
    return pdf


def receipt_filename(donation_id: int) -> str:
    return f"donation-receipt-{donation_id}.pdf"
