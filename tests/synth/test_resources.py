"""The generated city's resources: the same seed gives the same rows, and every rule of the ledger and the food bank
holds over them as it does over what the services write (tests/resources/test_ledger_properties.py): per fund,
received = allocated + remaining and goods received = given out + in stock, never below zero on any day;
designations respected; goods first-expiring first and never once expired; only consenting households receive;
no person donor without consent."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F, Q

from dolbom.core.models import AuditEvent
from dolbom.core.needs import NeedDomain
from dolbom.intake.amounts import load_amounts
from dolbom.registry.models import Agency, Household, Sector
from dolbom.resources.models import (
    Agreement,
    Allocation,
    Designation,
    Distribution,
    Donation,
    Donor,
    DonorKind,
    Fund,
    Lot,
    Organization,
    Service,
    ServiceArea,
    ServiceDomain,
    Sponsorship,
    Volunteer,
    VolunteerHours,
    VolunteerSkill,
)
from dolbom.resources.services.donations import allowed_in, balance_of, consented_to_support
from dolbom.resources.services.hsds import export_documents, service_validator
from dolbom.synth import areas
from dolbom.synth.load import load_city, load_resources
from dolbom.synth.resources import populate_resources

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)
DISTRICTS = [d.code for d in areas.DISTRICTS]


@pytest.fixture
def loaded(resource_city, settings) -> Any:
    settings.TODAY_OVERRIDE = TODAY
    load_city(resource_city.path)
    return resource_city


def _clear_resources() -> None:
    """Every row the generator writes, children first (corrections before what they correct)."""
    VolunteerHours.objects.all().delete()
    Volunteer.objects.all().delete()
    for model in (Distribution, Allocation, Donation):
        model.objects.filter(reverses__isnull=False).delete()
    Distribution.objects.all().delete()
    Lot.objects.all().delete()
    Allocation.objects.all().delete()
    Donation.objects.all().delete()
    Sponsorship.objects.all().delete()
    Fund.objects.all().delete()
    Donor.objects.all().delete()
    Agreement.objects.all().delete()
    Service.objects.all().delete()
    Organization.objects.all().delete()


def _sorted(rows: Any) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda row: tuple(str(value) for value in row))


def _fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """The rows by what they say (ids are the database's): enough to tell two generations apart."""
    return {
        "services": _sorted(
            Service.objects.values_list(
                "hsds_id", "district", "organization__name", "name", "sector", "capacity", "unit_won", "status"
            )
        ),
        "domains": _sorted(ServiceDomain.objects.values_list("service__hsds_id", "domain")),
        "areas": _sorted(ServiceArea.objects.values_list("service__hsds_id", "code")),
        "agreements": _sorted(Agreement.objects.values_list("organization__name", "signed_on", "ends_on", "scope")),
        "donors": _sorted(Donor.objects.values_list("district", "kind", "name", "phone", "anonymous", "consent_on")),
        "donations": _sorted(
            Donation.objects.values_list(
                "donor__name", "fund__key", "kind", "received_on", "amount_won", "description", "receipt_number"
            )
        ),
        "allocations": _sorted(
            Allocation.objects.values_list(
                "fund__key", "household", "programme", "purpose", "group", "amount_won", "on"
            )
        ),
        "sponsorships": _sorted(Sponsorship.objects.values_list("household", "monthly_won", "starts_on", "ends_on")),
        "lots": _sorted(
            Lot.objects.values_list("agency__name", "item", "expires_on", "received", "remaining", "fund__key")
        ),
        "distributions": _sorted(
            Distribution.objects.values_list("lot__lot_code", "household", "event", "units", "on").order_by()
        ),
        "volunteers": _sorted(Volunteer.objects.values_list("dong", "name", "availability", "consent_on")),
        "skills": _sorted(VolunteerSkill.objects.values_list("volunteer__portal_id", "skill")),
        "hours": _sorted(VolunteerHours.objects.values_list("volunteer__portal_id", "on", "minutes", "activity")),
    }


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(loaded):
    first = _fingerprint()
    assert all(first.values()), [name for name, rows in first.items() if not rows]
    _clear_resources()
    populate_resources(seed=loaded.seed, districts=DISTRICTS, today=TODAY)
    assert _fingerprint() == first
    _clear_resources()
    populate_resources(seed=loaded.seed + 1, districts=DISTRICTS, today=TODAY)
    other = _fingerprint()
    assert other["services"] != first["services"]  # identifiers derive from the seed
    assert other["donations"] != first["donations"] and other["volunteers"] != first["volunteers"]


def test_a_city_loaded_before_gets_its_resources_once(loaded):
    _clear_resources()
    assert load_resources(loaded.path) is not None
    assert Service.objects.exists() and Donation.objects.exists()
    assert load_resources(loaded.path) is None  # already there: nothing added twice
    assert AuditEvent.objects.filter(action="resources.bulk_load", actor__isnull=True).count() == 2


def test_every_district_has_a_directory_ledger_food_bank_and_volunteers(loaded):
    admin = get_user_model().objects.get(username="demo_admin")
    for code in DISTRICTS:
        services = Service.objects.filter(district=code)
        assert set(ServiceDomain.objects.filter(service__in=services).values_list("domain", flat=True)) == set(
            NeedDomain.values
        )
        assert {"public", "private"} <= set(services.values_list("sector", flat=True))
        tied = set(
            services.filter(organization__agency__isnull=False).values_list("organization__agency__kind", flat=True)
        )
        assert {"welfare_centre", "district_unit", "dong_centre", "foundation", "food_bank"} <= tied
        assert (
            services.filter(name__contains="긴급복지지원").exists()
            and services.filter(name__contains="주거급여").exists()
        )
        livelihood = load_amounts().suggest("livelihood", TODAY.year, 1)
        assert services.get(name="긴급복지지원 생계지원").unit_won == livelihood.won  # the law's figure, from its file
        assert Agreement.objects.filter(district=code).exists()
        kinds = set(Donor.objects.filter(district=code).values_list("kind", flat=True))
        assert kinds == set(DonorKind.values)
        assert Donor.objects.filter(district=code, kind=DonorKind.PUBLIC).count() == 1
        assert Donor.objects.filter(district=code, anonymous=True).exists()
        designations = set(Fund.objects.filter(district=code).values_list("designation", flat=True))
        assert designations == set(Designation.values)
        assert Lot.objects.filter(district=code, sector=Sector.PUBLIC, donation__isnull=True).exists()
        assert Donation.objects.filter(district=code).exclude(receipt_number="").exists()
        for model in (Donation, Allocation, Distribution):
            assert model.objects.filter(district=code, reverses__isnull=False).exists(), model
        # The expiry alerts: some lots expire within the week, one has expired with units left.
        left = Lot.objects.filter(district=code, remaining__gt=0)
        assert left.filter(expires_on__gte=TODAY, expires_on__lte=TODAY + timedelta(days=7)).count() >= 2
        assert left.filter(expires_on__lt=TODAY).count() == 1
        dongs = set(Volunteer.objects.filter(district=code).values_list("dong", flat=True))
        assert dongs == {d.code for d in areas.DONGS if d.code.startswith(code[:5])}
        assert VolunteerHours.objects.filter(district=code).exists()
    # What the demo agency keeps: the food market of the first district is its welfare centre's.
    assert Lot.objects.filter(agency__name="새솔종합사회복지관").exists()
    # The directory exports as valid HSDS 3.0.
    documents = export_documents(user=admin)
    assert len(documents) == Service.objects.count()
    for text in documents.values():
        assert not list(service_validator().iter_errors(json.loads(text)))


def test_the_ledger_balances_and_no_fund_ever_pays_out_what_it_does_not_hold(loaded):
    assert Fund.objects.count() > 10
    spent_to_the_last_won = 0  # funds whose allocations took all they held: where holding no more than is held bites
    for fund in Fund.objects.select_related("dong"):
        balance = balance_of(fund)
        assert balance.received == balance.allocated + balance.remaining
        assert balance.remaining >= 0, fund.label
        assert balance.goods_received == balance.goods_given + balance.goods_remaining, fund.label
        assert balance.goods_remaining >= 0
        # Day by day, gifts of a day before its allocations, corrections after the entries of their day.
        moves = [((g.received_on, 0, g.reverses_id is not None, g.pk), g.amount_won) for g in
                 fund.donations.filter(kind="cash")]  # fmt: skip
        moves += [((a.on, 1, a.reverses_id is not None, a.pk), -a.amount_won) for a in fund.allocations.all()]
        held = 0
        for when, amount in sorted(moves):
            held += amount
            assert held >= 0, (fund.label, when)
            spent_to_the_last_won += amount < 0 and held == 0
    assert spent_to_the_last_won
    # Sources are kept apart: public money in public funds only, and what goes out carries its fund's source.
    assert not Donation.objects.filter(donor__kind=DonorKind.PUBLIC).exclude(fund__sector=Sector.PUBLIC).exists()
    assert not Donation.objects.exclude(donor__kind=DonorKind.PUBLIC).filter(fund__sector=Sector.PUBLIC).exists()
    assert not Allocation.objects.exclude(sector=F("fund__sector")).exists()
    assert not Distribution.objects.exclude(sector=F("lot__sector")).exists()
    # Corrections reverse exactly what they correct.
    for model, field in ((Donation, "amount_won"), (Allocation, "amount_won"), (Distribution, "units")):
        for row in model.objects.filter(reverses__isnull=False).select_related("reverses"):
            assert getattr(row, field) == -getattr(row.reverses, field)
    # Every gift's receipt number is the district's own, once.
    numbers = list(Donation.objects.exclude(receipt_number="").values_list("district", "receipt_number"))
    assert len(numbers) == len(set(numbers))
    assert (
        not Donation.objects.exclude(receipt_number="")
        .filter(Q(fund__sector=Sector.PUBLIC) | Q(reverses__isnull=False) | Q(reversed_by__isnull=False))
        .exists()
    )


def test_designations_and_consent_hold_for_everything_given(loaded):
    households = {h.pk: h for h in Household.objects.all()}
    given = 0
    for a in Allocation.objects.filter(reverses__isnull=True).select_related("fund", "fund__dong"):
        household = households.get(a.household_id)
        assert allowed_in(a.fund, household=household, programme=a.programme, purpose=a.purpose, group=a.group) is None
        if household is not None:
            assert consented_to_support(household, a.on), (a.pk, a.on)
            assert a.dong_id == household.dong_id
            given += 1
    assert given > 10
    for s in Sponsorship.objects.all():
        assert consented_to_support(households[s.household_id], s.starts_on)
        assert s.fund.household_id == s.household_id and s.fund.designation == Designation.HOUSEHOLD
        months = sorted(s.payments.values_list("month", flat=True))
        assert months and months[0] == f"{s.starts_on:%Y-%m}" and len(months) == len(set(months))
    for d in Distribution.objects.filter(reverses__isnull=True).select_related("lot__fund__dong"):
        household = households.get(d.household_id)
        fund = d.lot.fund  # purpose and group are the fund's own: what remains to check is who may receive
        assert allowed_in(fund, household=household, programme=d.event, purpose=fund.purpose, group=fund.group) is None
        if household is not None:
            assert consented_to_support(household, d.on), (d.pk, d.on)
        assert d.value_won == d.units * d.lot.unit_won
    for donor in Donor.objects.filter(kind=DonorKind.PERSON):
        assert donor.consent_on is not None
        first = donor.donations.order_by("received_on").values_list("received_on", flat=True).first()
        assert first is None or donor.consent_on <= first


def test_stock_is_never_negative_and_goes_out_first_expiring_first(loaded):
    lots = {lot.pk: lot for lot in Lot.objects.select_related("fund", "donation")}
    assert len(lots) > 20
    households = dict(Household.objects.values_list("pk", "dong"))
    for lot in lots.values():
        out = sum(lot.distributions.values_list("units", flat=True))
        assert 0 <= lot.remaining <= lot.received
        assert lot.remaining == lot.received - out
        assert lot.sector == lot.fund.sector
    # Replay every movement of every shelf, in the order of the days (corrections after the entries of their day):
    # a lot never goes below zero, never gives before it came in or once expired, and no lot that expires sooner
    # and that the recipient could certainly receive still held units when a later one was taken from.
    remaining = {pk: lot.received for pk, lot in lots.items()}
    shelves: dict[tuple[int, str], list[Lot]] = defaultdict(list)
    for lot in lots.values():
        shelves[(lot.agency_id, lot.item)].append(lot)

    def order(lot: Lot, on: date) -> tuple[Any, ...]:
        return (lot.expires_on is None, lot.expires_on or on, lot.received_on, lot.pk)

    movements = sorted(Distribution.objects.all(), key=lambda d: (d.on, d.reverses_id is not None, d.pk))
    decided_by_expiry = 0
    assert any(d.household_id for d in movements) and any(d.event for d in movements)
    for d in movements:
        lot = lots[d.lot_id]
        if d.reverses_id is None:
            assert lot.received_on <= d.on and (lot.expires_on is None or d.on <= lot.expires_on)
            for other in shelves[(lot.agency_id, lot.item)]:
                certain = other.fund.designation == Designation.GENERAL or (
                    other.fund.designation == Designation.DONG
                    and d.household_id
                    and households[d.household_id] == other.fund.dong_id
                )
                if not certain or other.pk == lot.pk or remaining[other.pk] == 0 or other.received_on > d.on:
                    continue
                if other.expires_on is None or other.expires_on >= d.on:
                    assert order(other, d.on) > order(lot, d.on), (d.pk, other.pk)
                    # An older lot still held units, but this one expires sooner: the expiry decided.
                    decided_by_expiry += other.received_on < lot.received_on
        remaining[lot.pk] -= d.units
        assert remaining[lot.pk] >= 0
    assert remaining == {pk: lot.remaining for pk, lot in lots.items()}
    assert decided_by_expiry  # the data tells first-expiring first from first-received first
    assert {a.kind for a in Agency.objects.filter(pk__in={lot.agency_id for lot in lots.values()})} == {
        "welfare_centre"
    }
