"""The donations ledger's writes: donors, gifts received into the fund of their designation, allocations out of a
fund, sponsorships and their monthly payments, and corrections as reversing rows. Receipts are services/receipts.py.

Every change that moves money locks its fund (`select_for_update`) and checks the fund's balance inside the same
transaction, so that two officers allocating the last won of a fund at once cannot both succeed. What a fund may
pay for is decided in one place, `allowed_in`; a designated gift can therefore never be spent elsewhere. The audit
log keeps amounts, funds and household ids, never a donor's or a resident's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of
from dolbom.core.text import visible_text
from dolbom.registry.models import (
    AdministrativeArea,
    Consent,
    ConsentPurpose,
    Household,
    Membership,
    Sector,
    consent_active_on,
    current_on,
)
from dolbom.registry.selectors import households_visible_to
from dolbom.resources.models import (
    Allocation,
    Designation,
    Donation,
    Donor,
    DonorKind,
    Fund,
    GiftKind,
    Lot,
    Sponsorship,
)
from dolbom.resources.selectors import (
    donations_visible_to,
    donors_visible_to,
    funds_visible_to,
    ledger_allocations_visible_to,
    sponsorships_visible_to,
)
from dolbom.resources.services.directory import the_district_of
from dolbom.resources.services.receipts import donor_legal_values

WON_MAX = 10**12
TEXT_MAX = 200
LABEL_MAX = 100


def _text(value: str, *, field: str, label: str, limit: int, required: bool, errors: dict[str, str]) -> str:
    text = visible_text(value or "")
    if required and not text:
        errors[field] = _("Enter %(field)s.") % {"field": label}
    elif len(text) > limit:
        message = _("%(field)s is too long: at most %(limit)s characters (now %(length)s). Shorten it.")
        errors[field] = message % {"field": label, "limit": f"{limit:,}", "length": f"{len(text):,}"}
    return text


def _won(value: Any, *, field: str, errors: dict[str, str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not (0 < value <= WON_MAX):
        errors[field] = _("Enter an amount in won above zero, such as 100,000.")
        return 0
    return value


# ---------------------------------------------------------------------------------------------------- funds


def fund_key(
    designation: str,
    *,
    dong: str = "",
    purpose: str = "",
    group: str = "",
    household: int | None = None,
    sector: str = Sector.PRIVATE,
) -> str:
    # Private funds keep their original keys; public money gets its own funds beside them.
    prefix = "public:" if sector == Sector.PUBLIC else ""
    return (
        prefix
        + {
            Designation.GENERAL: "general",
            Designation.DONG: f"dong:{dong}",
            Designation.PURPOSE: f"purpose:{purpose}",
            Designation.GROUP: f"group:{group}",
            Designation.HOUSEHOLD: f"household:{household}",
        }[Designation(designation)]
    )


def _fund(
    district: str,
    designation: str,
    *,
    dong: str = "",
    purpose: str = "",
    group: str = "",
    household: Household | None = None,
    sector: str = Sector.PRIVATE,
) -> Fund:
    key = fund_key(
        designation,
        dong=dong,
        purpose=purpose,
        group=group,
        household=household.pk if household else None,
        sector=sector,
    )
    fund, _created = Fund.objects.get_or_create(
        district_id=district,
        key=key,
        defaults={
            "sector": sector,
            "designation": designation,
            "dong_id": dong or None,
            "purpose": purpose,
            "group": group,
            "household": household,
        },
    )
    return fund


def allowed_in(
    fund: Fund, *, household: Household | None, programme: str = "", purpose: str = "", group: str = ""
) -> str | None:
    """Why a fund may not pay for this, or None when its designation allows it. The one rule of what designated
    money and goods may be spent on."""
    if household is not None and district_of(household.dong_id) != fund.district_id:
        return _("This household lives in another district than the fund's.")
    if fund.designation == Designation.DONG and (household is None or household.dong_id != fund.dong_id):
        return _("This gift is designated to %(dong)s: only a household of that dong may receive it.") % {
            "dong": fund.dong.name if fund.dong_id else "—"
        }
    if fund.designation == Designation.PURPOSE and purpose != fund.purpose:
        return _("This gift is designated to the purpose “%(purpose)s”: give it only for that purpose.") % {
            "purpose": fund.purpose
        }
    if fund.designation == Designation.GROUP and (household is None or group != fund.group):
        return _("This gift is designated to the group “%(group)s”: give it only to a household of that group.") % {
            "group": fund.group
        }
    if fund.designation == Designation.HOUSEHOLD and (household is None or household.pk != fund.household_id):
        return _("This is one household's sponsorship: it is paid only to that household.")
    return None


def consented_to_support(household: Household, on: date) -> bool:
    """Whether a current member of the household consented to their data being used for resource support."""
    members = Membership.objects.filter(current_on(on), household=household).values("person_id")
    return Consent.objects.filter(
        consent_active_on(on), purpose=ConsentPurpose.RESOURCE_SUPPORT, person_id__in=members
    ).exists()


@dataclass(frozen=True)
class Balance:
    fund: Fund
    received: int  # cash received, corrections included
    allocated: int  # cash given out, corrections included
    goods_received: int  # won value of goods received: gifts in kind, and lots stocked outside the ledger
    goods_given: int  # won value of goods given out
    goods_remaining: int  # won value of the goods still in stock

    @property
    def remaining(self) -> int:
        return self.received - self.allocated


def balance_of(fund: Fund) -> Balance:
    def total(rows: Any, field: str) -> int:
        return rows.aggregate(total=Sum(field))["total"] or 0

    from dolbom.resources.models import Distribution  # the food bank's movements, valued in won

    return Balance(
        fund=fund,
        received=total(fund.donations.filter(kind=GiftKind.CASH), "amount_won"),
        allocated=total(fund.allocations.all(), "amount_won"),
        # Goods bought with public money or given straight to the food bank come in as lots with no gift behind
        # them: they count as received too, so that goods received = given out + still in stock for every fund.
        goods_received=total(fund.donations.filter(kind=GiftKind.IN_KIND), "amount_won")
        + sum(lot.received * lot.unit_won for lot in fund.lots.filter(donation__isnull=True)),
        goods_given=total(Distribution.objects.filter(lot__fund=fund), "value_won"),
        goods_remaining=sum(lot.remaining * lot.unit_won for lot in fund.lots.all()),
    )


# --------------------------------------------------------------------------------------------------- donors


def add_donor(
    *,
    user: Any,
    kind: str,
    name: str,
    phone: str = "",
    anonymous: bool = False,
    consent_on: date | None = None,
    registration_number: str = "",
    address: str = "",
    resident_number: str = "",
) -> Donor:
    """A company, group or person who gives to the district. A person's data is kept only with their consent.
    What a receipt needs (a business registration number or a resident number, an address) may be given now or
    later on the donor's page (services/receipts.py)."""
    ensure_can(user, "resources.record_donations")
    district = the_district_of(user)
    errors: dict[str, str] = {}
    if kind not in DonorKind.values:
        errors["kind"] = _("Choose the kind of donor.")
    text = _text(name, field="name", label=_("the name"), limit=LABEL_MAX, required=True, errors=errors)
    phone_text = _text(phone, field="phone", label=_("Phone"), limit=20, required=False, errors=errors)
    if kind == DonorKind.PERSON and consent_on is None:
        errors["consent_on"] = _(
            "A person's data is kept only with their consent: enter the date they consented, such as 2026-11-30."
        )
    legal = donor_legal_values(
        district=district,
        kind=kind,
        registration_number=registration_number,
        address=address,
        resident_number=resident_number,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    from dolbom.resources.services.receipts import one_donor_per_person  # receipts builds on this module

    with one_donor_per_person():
        donor = Donor.objects.create(
            district_id=district,
            kind=kind,
            name=text,
            phone=phone_text,
            anonymous=anonymous,
            consent_on=consent_on,
            created_by=user,
            **legal,
        )
        fields = sorted({"resident_number" if key.startswith("rrn_") else key for key in legal})
        audit.record(
            user, "resources.add_donor", donor, detail={"kind": kind, "anonymous": anonymous, "fields": fields}
        )
    return donor


# ------------------------------------------------------------------------------------------------ donations


def _designated_fund(
    user: Any,
    district: str,
    *,
    designation: str,
    dong_code: str,
    purpose: str,
    group: str,
    household_id: int | None,
    errors: dict[str, str],
) -> tuple[str, str, str, Household | None]:
    if designation not in Designation.values:
        errors["designation"] = _("Choose how the gift is designated.")
        return "", "", "", None
    household = None
    if designation == Designation.DONG:
        area = AdministrativeArea.objects.filter(pk=dong_code or "").first()
        if area is None or area.parent_id != district:
            errors["dong"] = _("Choose the dong the gift is designated to, in your district.")
    if designation == Designation.PURPOSE:
        purpose = _text(purpose, field="purpose", label=_("the purpose"), limit=LABEL_MAX, required=True, errors=errors)
    if designation == Designation.GROUP:
        group = _text(
            group, field="group", label=_("the group of households"), limit=LABEL_MAX, required=True, errors=errors
        )
    if designation == Designation.HOUSEHOLD:
        household = households_visible_to(user).filter(pk=household_id or 0).first()
        if household is None:
            errors["household"] = _("Choose the household from the search.")
    return (
        dong_code if designation == Designation.DONG else "",
        purpose if designation == Designation.PURPOSE else "",
        group if designation == Designation.GROUP else "",
        household,
    )


def receive_donation(
    *,
    user: Any,
    donor_id: int | None,
    kind: str,
    received_on: date | None,
    amount_won: int | None = None,
    description: str = "",
    designation: str = Designation.GENERAL,
    dong_code: str = "",
    purpose: str = "",
    group: str = "",
    household_id: int | None = None,
    agency_id: int | None = None,
    item: str = "",
    unit: str = "",
    units: int | None = None,
    unit_won: int | None = None,
    expires_on: date | None = None,
    lot_code: str = "",
) -> Donation:
    """A gift received into the fund of its designation. Goods are stocked at once as a lot of the food bank that
    holds them (`agency_id`), worth `units × unit_won`."""
    ensure_can(user, "resources.record_donations")
    district = the_district_of(user)
    errors: dict[str, str] = {}
    donor = donors_visible_to(user).filter(pk=donor_id or 0).first()
    if donor is None:
        errors["donor"] = _("Choose the donor from the list.")
    if kind not in GiftKind.values:
        errors["kind"] = _("Choose cash or goods.")
    if received_on is None:
        errors["received_on"] = _("Enter the date the gift was received, such as 2026-11-30.")
    what = _text(
        description, field="description", label=_("What was given"), limit=TEXT_MAX, required=False, errors=errors
    )
    dong, purpose, group, household = _designated_fund(
        user,
        district,
        designation=designation,
        dong_code=dong_code,
        purpose=purpose,
        group=group,
        household_id=household_id,
        errors=errors,
    )
    lot_values: dict[str, Any] = {}
    if kind == GiftKind.IN_KIND:
        from dolbom.resources.selectors import food_banks_for  # the agencies that may hold the district's goods

        holder = food_banks_for(user).filter(pk=agency_id or 0).first()
        if holder is None:
            errors["agency"] = _("Choose the food bank or centre that keeps the goods.")
        lot_values = {
            "agency": holder,
            "item": _text(item, field="item", label=_("the item"), limit=LABEL_MAX, required=True, errors=errors),
            "unit": _text(unit, field="unit", label=_("the unit"), limit=20, required=True, errors=errors),
            "lot_code": _text(lot_code, field="lot_code", label=_("Lot"), limit=40, required=False, errors=errors),
            "expires_on": expires_on,
        }
        if not isinstance(units, int) or not (0 < units <= 1_000_000):
            errors["units"] = _("Enter how many units, a whole number above zero.")
        unit_value = _won(unit_won, field="unit_won", errors=errors)
        amount = (units or 0) * unit_value if "units" not in errors else 0
        if not (0 < amount <= WON_MAX):
            errors.setdefault("unit_won", _("Enter an amount in won above zero, such as 100,000."))
    else:
        amount = _won(amount_won, field="amount_won", errors=errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sector = Sector.PUBLIC if donor.kind == DonorKind.PUBLIC else Sector.PRIVATE
        fund = _fund(district, designation, dong=dong, purpose=purpose, group=group, household=household, sector=sector)
        donation = Donation.objects.create(
            district_id=district,
            fund=fund,
            donor=donor,
            kind=kind,
            received_on=received_on,
            amount_won=amount,
            description=what or lot_values.get("item", ""),
            recorded_by=user,
        )
        if kind == GiftKind.IN_KIND:
            Lot.objects.create(
                district_id=district,
                fund=fund,
                donation=donation,
                received_on=received_on,
                received=units,
                remaining=units,
                unit_won=unit_won,
                sector=sector,
                recorded_by=user,
                **lot_values,
            )
        audit.record(
            user,
            "resources.receive_donation",
            donation,
            detail={
                "kind": kind,
                "amount": amount,
                "fund": fund.key if designation != Designation.HOUSEHOLD else "household",
                "donor": donor.pk,
            },
        )
    return donation


def reverse_donation(*, user: Any, donation_id: int, reason: str) -> Donation:
    """Correct a gift recorded by mistake with a reversing row. Money already given out of its fund must be
    corrected first (the fund would owe more than it received), and goods only while none has gone out."""
    ensure_can(user, "resources.record_donations")
    errors: dict[str, str] = {}
    why = _text(reason, field="reason", label=_("the reason"), limit=TEXT_MAX, required=True, errors=errors)
    with transaction.atomic():
        original = donations_visible_to(user).select_for_update(of=("self",)).filter(pk=donation_id).first()
        if original is None:
            raise Http404
        fund = Fund.objects.select_for_update().get(pk=original.fund_id)
        if original.reverses_id is not None or Donation.objects.filter(reverses=original).exists():
            errors["reason"] = _("This entry is a correction or has been corrected already.")
        elif original.kind == GiftKind.CASH and balance_of(fund).remaining < original.amount_won:
            errors["reason"] = _(
                "Part of this gift has been given out: correct those allocations first, then this gift."
            )
        lots = list(Lot.objects.select_for_update().filter(donation=original))
        if original.kind == GiftKind.IN_KIND and any(lot.remaining != lot.received for lot in lots):
            errors["reason"] = _("Some of these goods have gone out: correct those distributions first.")
        if errors:
            raise ValidationError(errors)
        reversal = Donation.objects.create(
            district_id=original.district_id,
            fund=fund,
            donor=original.donor,
            kind=original.kind,
            received_on=today_kst(),
            amount_won=-original.amount_won,
            description=original.description,
            sponsorship_id=original.sponsorship_id,
            month=original.month,
            reverses=original,
            reason=why,
            recorded_by=user,
        )
        for lot in lots:  # the goods were never received: none of them can go out
            lot.remaining = 0
            lot.save(update_fields=["remaining"])
        audit.record(
            user,
            "resources.reverse_donation",
            reversal,
            detail={"reverses": original.pk, "amount": original.amount_won},
        )
    return reversal


# ---------------------------------------------------------------------------------------------- allocations


def _lock_fund(user: Any, fund_id: int) -> Fund:
    """The fund, locked for the rest of the transaction; 404 for a fund outside the user's scope (another dong's,
    the general fund for a dong officer, another district's), so that its existence is not told."""
    fund = funds_visible_to(user).select_for_update(of=("self",)).filter(pk=fund_id).first()
    if fund is None:
        raise Http404
    return fund


def _household_in_scope(user: Any, household_id: int) -> Household:
    household = households_visible_to(user).filter(pk=household_id).first()
    if household is None:
        raise Http404  # outside the user's scope, or no such household: the same answer
    return household


def _household_for_support(user: Any, household_id: int, on: date, errors: dict[str, str]) -> Household:
    household = _household_in_scope(user, household_id)
    if not consented_to_support(household, on):
        errors["household"] = _(
            "No member of this household has consented to resource support: record the consent first."
        )
    return household


def allocate(
    *,
    user: Any,
    fund_id: int | None,
    amount_won: int | None,
    on: date | None = None,
    household_id: int | None = None,
    programme: str = "",
    purpose: str = "",
    group: str = "",
) -> Allocation:
    """Give money out of one fund, to a household that consented to resource support or to a programme, within
    what the fund holds and what its designation allows. The district's staff give from any fund of the district;
    a dong officer from the funds designated to their dong, to its households."""
    ensure_can(user, "resources.allocate")
    on = on or today_kst()
    with transaction.atomic():
        # Scope before anything else: a fund or a household outside the user's reach answers 404 whatever else
        # the form holds, so that a refusal never describes what lies outside.
        fund = _lock_fund(user, fund_id) if fund_id is not None else None
        errors: dict[str, str] = {}
        household = _household_for_support(user, household_id, on, errors) if household_id is not None else None
        amount = _won(amount_won, field="amount_won", errors=errors)
        programme = _text(
            programme, field="programme", label=_("the programme"), limit=TEXT_MAX, required=False, errors=errors
        )
        purpose = _text(
            purpose, field="purpose", label=_("the purpose"), limit=LABEL_MAX, required=False, errors=errors
        )
        group = _text(
            group, field="group", label=_("the group of households"), limit=LABEL_MAX, required=False, errors=errors
        )
        if household is None and not programme:
            errors["household"] = _("Choose a household, or name the programme the money goes to.")
        if fund is None:
            errors["fund"] = _("Choose the fund the money comes from.")
        else:
            refusal = allowed_in(fund, household=household, programme=programme, purpose=purpose, group=group)
            if refusal:
                errors["fund"] = refusal
            remaining = balance_of(fund).remaining
            if amount and amount > remaining:
                errors["amount_won"] = _("The fund holds %(remaining)s won: allocate at most that.") % {
                    "remaining": f"{remaining:,}"
                }
        if errors:
            raise ValidationError(errors)
        allocation = Allocation.objects.create(
            district_id=fund.district_id,
            fund=fund,
            household=household,
            dong_id=household.dong_id if household else None,
            programme=programme,
            purpose=purpose,
            group=group,
            amount_won=amount,
            sector=fund.sector,
            on=on,
            recorded_by=user,
        )
        audit.record(
            user,
            "resources.allocate",
            allocation,
            detail={"fund": fund.pk, "amount": amount, "household": household.pk if household else None},
        )
    return allocation


def reverse_allocation(*, user: Any, allocation_id: int, reason: str) -> Allocation:
    """Correct an allocation recorded by mistake: a reversing row gives the money back to its fund. Only an
    allocation out of a fund the user sees: a dong officer corrects what was given from their dong's funds."""
    ensure_can(user, "resources.allocate")
    with transaction.atomic():
        original = ledger_allocations_visible_to(user).select_for_update(of=("self",)).filter(pk=allocation_id).first()
        if original is None:
            raise Http404
        errors: dict[str, str] = {}
        why = _text(reason, field="reason", label=_("the reason"), limit=TEXT_MAX, required=True, errors=errors)
        Fund.objects.select_for_update().get(pk=original.fund_id)
        if original.reverses_id is not None or Allocation.objects.filter(reverses=original).exists():
            errors["reason"] = _("This entry is a correction or has been corrected already.")
        if errors:
            raise ValidationError(errors)
        reversal = Allocation.objects.create(
            district_id=original.district_id,
            fund_id=original.fund_id,
            household=original.household,
            dong_id=original.dong_id,
            programme=original.programme,
            purpose=original.purpose,
            group=original.group,
            amount_won=-original.amount_won,
            sector=original.sector,
            on=today_kst(),
            sponsorship=original.sponsorship,
            month=original.month,
            reverses=original,
            reason=why,
            recorded_by=user,
        )
        audit.record(
            user,
            "resources.reverse_allocation",
            reversal,
            detail={"reverses": original.pk, "amount": original.amount_won},
        )
    return reversal


# --------------------------------------------------------------------------------------------- sponsorships


def start_sponsorship(
    *, user: Any, donor_id: int | None, household_id: int | None, monthly_won: int | None, starts_on: date | None
) -> Sponsorship:
    """결연: a donor pays a household a fixed amount every month from `starts_on` until the sponsorship ends."""
    ensure_can(user, "resources.record_donations")
    district = the_district_of(user)
    errors: dict[str, str] = {}
    donor = donors_visible_to(user).filter(pk=donor_id or 0).first()
    if donor is None:
        errors["donor"] = _("Choose the donor from the list.")
    elif donor.kind == DonorKind.PUBLIC:
        errors["donor"] = _("A sponsorship is a private donor's: public money is allocated from its fund instead.")
    amount = _won(monthly_won, field="monthly_won", errors=errors)
    if starts_on is None:
        errors["starts_on"] = _("Enter the first month's date, such as 2026-12-01.")
    household = None
    if household_id is None:
        errors["household"] = _("Choose the household from the search.")
    else:
        household = _household_for_support(user, household_id, starts_on or today_kst(), errors)
        if district_of(household.dong_id) != district:
            errors["household"] = _("This household lives in another district than the fund's.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fund = _fund(district, Designation.HOUSEHOLD, household=household)
        sponsorship = Sponsorship.objects.create(
            district_id=district,
            donor=donor,
            household=household,
            fund=fund,
            monthly_won=amount,
            starts_on=starts_on,
            created_by=user,
        )
        audit.record(
            user,
            "resources.start_sponsorship",
            sponsorship,
            detail={"household": household.pk, "monthly": amount, "donor": donor.pk},
        )
    return sponsorship


def end_sponsorship(*, user: Any, sponsorship_id: int, ends_on: date | None) -> Sponsorship:
    ensure_can(user, "resources.record_donations")
    with transaction.atomic():
        sponsorship = sponsorships_visible_to(user).select_for_update(of=("self",)).filter(pk=sponsorship_id).first()
        if sponsorship is None:
            raise Http404
        if ends_on is None or ends_on < sponsorship.starts_on:
            raise ValidationError({"ends_on": _("Enter the last day, on or after the sponsorship began.")})
        if sponsorship.ends_on is not None:
            raise ValidationError({"ends_on": _("This sponsorship has ended already.")})
        sponsorship.ends_on = ends_on
        sponsorship.save(update_fields=["ends_on"])
        audit.record(user, "resources.end_sponsorship", sponsorship, detail={"ends_on": ends_on.isoformat()})
    return sponsorship


MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _month_bounds(month: str) -> tuple[date, date]:
    # Payments are found again by their month as text: a month written with other digits (２０２６-11, which int()
    # reads) or with a trailing newline would not match the one already paid, and pay it a second time.
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise ValueError(month)
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def _standing(rows: Any) -> Any:
    """Rows neither a correction nor corrected: what stands in the ledger."""
    return rows.filter(reverses__isnull=True, reversed_by__isnull=True)


def pay_sponsorships(*, user: Any, month: str) -> list[Allocation]:
    """Record the month's payment of every sponsorship in force that month with no payment standing for it: the
    donor's gift into the household's fund and, at once, its allocation to the household. Running it twice pays
    once; a month whose payment was corrected is paid again, once (the new payment `repays` the correction). When
    only the payment was corrected, the donor's gift of the month still stands in the fund and pays it; when the
    gift was corrected too, the gift is recorded again."""
    ensure_can(user, "resources.record_donations")
    try:
        first, last = _month_bounds(month)
    except (ValueError, TypeError):
        raise ValidationError({"month": _("Enter the month as 2026-12.")}) from None
    paid = []
    with transaction.atomic():
        standing = _standing(Allocation.objects.filter(sponsorship=OuterRef("pk"), month=month))
        due = (
            sponsorships_visible_to(user)
            .select_for_update(of=("self",))
            .filter(starts_on__lte=last)
            .exclude(ends_on__lt=first)
            .exclude(Exists(standing))
            .select_related("fund", "household", "donor")
        )
        for sponsorship in due:
            fund = Fund.objects.select_for_update().get(pk=sponsorship.fund_id)
            payments = Allocation.objects.filter(sponsorship=sponsorship, month=month)
            # Read again under the sponsorship's lock: on PostgreSQL a run that paid the month while this one
            # waited for the lock is seen now, and this run pays nothing more. (The constraints on Allocation
            # refuse a second standing payment even so.)
            if _standing(payments).exists():
                continue
            correction = payments.filter(reverses__isnull=False, repaid_by__isnull=True).order_by("-pk").first()
            gift_stands = _standing(Donation.objects.filter(sponsorship=sponsorship, month=month)).exists()
            if gift_stands and balance_of(fund).remaining < sponsorship.monthly_won:
                # The month's gift came back into the fund with the correction and has been given to the
                # household since by hand: paying it again would spend what the fund no longer holds.
                continue
            if not gift_stands:
                Donation.objects.create(
                    district_id=sponsorship.district_id,
                    fund=fund,
                    donor=sponsorship.donor,
                    kind=GiftKind.CASH,
                    received_on=first,
                    amount_won=sponsorship.monthly_won,
                    description=month,
                    sponsorship=sponsorship,
                    month=month,
                    recorded_by=user,
                )
            paid.append(
                Allocation.objects.create(
                    district_id=sponsorship.district_id,
                    fund=fund,
                    household=sponsorship.household,
                    dong_id=sponsorship.household.dong_id,
                    amount_won=sponsorship.monthly_won,
                    sector=fund.sector,
                    on=first,
                    sponsorship=sponsorship,
                    month=month,
                    repays=correction,
                    recorded_by=user,
                )
            )
        audit.record(
            user,
            "resources.pay_sponsorships",
            detail={
                "month": month,
                "payments": len(paid),
                "total": sum(a.amount_won for a in paid),
                "repaid": sum(1 for a in paid if a.repays_id),
            },
        )
    return paid


# ----------------------------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class LedgerPage:
    balances: list[Balance]
    donations: list[Donation]
    allocations: list[Allocation]
    sponsorships: list[Sponsorship]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "received": sum(b.received for b in self.balances),
            "allocated": sum(b.allocated for b in self.balances),
            "remaining": sum(b.remaining for b in self.balances),
            "goods_received": sum(b.goods_received for b in self.balances),
            "goods_given": sum(b.goods_given for b in self.balances),
            "goods_remaining": sum(b.goods_remaining for b in self.balances),
        }


LEDGER_ROWS = 100


def open_ledger(*, user: Any) -> LedgerPage:
    """The ledger as far as the user keeps it: each fund's balance, the latest gifts into those funds, allocations
    out of them and their sponsorships (a dong officer: the funds designated to their dong). The reading is
    audited: it names donors and the households money went to."""
    ensure_can(user, "resources.view_donations")
    funds = funds_visible_to(user)
    page = LedgerPage(
        balances=[balance_of(fund) for fund in funds.order_by("designation", "key")],
        donations=list(donations_visible_to(user)[:LEDGER_ROWS]),
        allocations=list(ledger_allocations_visible_to(user).select_related("household__address")[:LEDGER_ROWS]),
        sponsorships=list(sponsorships_visible_to(user).filter(fund__in=funds.values("pk"))[:LEDGER_ROWS]),
    )
    audit.record(
        user, "resources.view_ledger",
        detail={"funds": len(page.balances), "allocations": len(page.allocations),
                "households": sorted({a.household_id for a in page.allocations if a.household_id})},
    )  # fmt: skip
    return page
