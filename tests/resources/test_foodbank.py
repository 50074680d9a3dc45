"""The food bank and market: goods go out first-expiring first and never once expired, stock never goes below
zero (also when two workers hand out the last units at once, on PostgreSQL), designated goods go only where the
donor asked, expiry alerts, and the won value given per dong and month."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from threading import Thread

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from dolbom.resources.models import Distribution, Lot
from dolbom.resources.services import donations, foodbank
from tests.row_locks import ROW_LOCKS, in_transaction_elsewhere, release_once_waiting

ON = date(2026, 11, 2)


@pytest.fixture
def today(settings):
    settings.TODAY_OVERRIDE = ON
    return ON


def _lot(city, units, *, expires_in, unit_won=20_000, item="쌀 10kg", user="district_admin", sector="private"):
    return foodbank.stock_lot(
        user=city.users[user],
        agency_id=city.agencies["welfare"].pk,
        item=item,
        unit="포",
        units=units,
        unit_won=unit_won,
        received_on=ON - timedelta(days=10),
        expires_on=None if expires_in is None else ON + timedelta(days=expires_in),
        sector=sector,
    )


def test_first_expiring_first_and_never_expired(ledger_city, today):
    city = ledger_city
    late, expired, soon, never = (
        _lot(city, 5, expires_in=30),
        _lot(city, 5, expires_in=-1),
        _lot(city, 3, expires_in=3),
        _lot(city, 9, expires_in=None),
    )
    taken = foodbank.distribute(
        user=city.users["agency_worker"],
        agency_id=city.agencies["welfare"].pk,
        item="쌀 10kg",
        units=10,
        household_id=city.households[0].pk,
    )
    assert [(d.lot_id, d.units) for d in taken] == [(soon.pk, 3), (late.pk, 5), (never.pk, 2)]
    assert sum(d.value_won for d in taken) == 200_000
    expired.refresh_from_db()
    assert expired.remaining == 5
    assert [lot.pk for lot in foodbank.expiry_alerts(city.users["agency_worker"])] == [expired.pk]


def test_goods_bought_with_public_money_go_out_counted_as_public(ledger_city, today):
    city = ledger_city
    bought = _lot(city, 2, expires_in=5, sector="public")
    given = _lot(city, 2, expires_in=9)
    taken = foodbank.distribute(
        user=city.users["agency_worker"],
        agency_id=city.agencies["welfare"].pk,
        item="쌀 10kg",
        units=3,
        household_id=city.households[0].pk,
    )
    assert [(d.lot_id, d.sector, d.value_won) for d in taken] == [
        (bought.pk, "public", 40_000),
        (given.pk, "private", 20_000),
    ]
    assert bought.fund.sector == "public" and given.fund.sector == "private"
    back = foodbank.reverse_distribution(user=city.users["agency_worker"], distribution_id=taken[0].pk, reason="오류")
    assert back.sector == "public"
    with pytest.raises(ValidationError) as refused:
        _lot(city, 1, expires_in=5, sector="")
    assert "sector" in refused.value.message_dict


def test_goods_stocked_outside_the_ledger_count_as_received_in_their_fund(ledger_city, today):
    """A lot bought with public money has no gift behind it: its fund's balance still adds up, goods received =
    given out + still in stock."""
    city = ledger_city
    bought = _lot(city, 4, expires_in=30, sector="public", unit_won=30_000)
    foodbank.distribute(
        user=city.users["district_admin"], agency_id=city.agencies["welfare"].pk, item="쌀 10kg", units=3,
        household_id=city.households[0].pk,
    )  # fmt: skip
    balance = donations.balance_of(bought.fund)
    assert (balance.goods_received, balance.goods_given, balance.goods_remaining) == (120_000, 90_000, 30_000)


def test_stock_never_goes_below_zero(ledger_city, today):
    city = ledger_city
    lot = _lot(city, 4, expires_in=10)
    with pytest.raises(ValidationError) as refused:
        foodbank.distribute(
            user=city.users["district_admin"],
            agency_id=city.agencies["welfare"].pk,
            item="쌀 10kg",
            units=5,
            event="경로잔치",
        )
    assert "4" in refused.value.message_dict["units"][0]
    lot.refresh_from_db()
    assert lot.remaining == 4 and not Distribution.objects.exists()


def test_designated_goods_go_only_to_their_dong(ledger_city, today):
    city = ledger_city
    donations.receive_donation(
        user=city.users["district_admin"],
        donor_id=city.company.pk,
        kind="in_kind",
        received_on=ON,
        designation="dong",
        dong_code=city.dongs[0].code,
        agency_id=city.agencies["welfare"].pk,
        item="김치 5kg",
        unit="통",
        units=10,
        unit_won=30_000,
        expires_on=ON + timedelta(days=20),
    )
    bank = city.agencies["welfare"].pk
    with pytest.raises(ValidationError):
        foodbank.distribute(
            user=city.users["district_manager"],
            agency_id=bank,
            item="김치 5kg",
            units=1,
            household_id=city.households[1].pk,
        )
    foodbank.distribute(
        user=city.users["district_manager"],
        agency_id=bank,
        item="김치 5kg",
        units=2,
        household_id=city.households[0].pk,
    )
    rows = foodbank.monthly_value_by_dong(city.users["district_manager"], year=2026)
    assert [
        (r["dong"], r["month"].month if hasattr(r["month"], "month") else r["month"], r["value"]) for r in rows
    ] == [(city.dongs[0].code, 11, 60_000)]


def test_an_agency_keeps_only_its_own_stock(ledger_city, today):
    city = ledger_city
    with pytest.raises(ValidationError):  # another agency's stock is not among the worker's choices
        foodbank.stock_lot(
            user=city.users["agency_worker"],
            agency_id=city.agencies["other"].pk,
            item="쌀",
            unit="포",
            units=1,
            unit_won=1,
            received_on=ON,
        )
    _lot(city, 2, expires_in=5, user="agency_worker")
    with pytest.raises(Http404):
        # The other district's household has not consented to share with this welfare centre.
        foodbank.distribute(
            user=city.users["agency_worker"],
            agency_id=city.agencies["welfare"].pk,
            item="쌀 10kg",
            units=1,
            household_id=city.households[2].pk,
        )


# ------------------------------------------------------------------------------------------- at the same time


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_two_workers_handing_out_the_last_units_cannot_drive_stock_below_zero(ledger_city, today):
    city = ledger_city
    lot = _lot(city, 5, expires_in=10)
    bank = city.agencies["welfare"].pk

    def give(user: str, household: int) -> list[Distribution]:
        return foodbank.distribute(
            user=city.users[user], agency_id=bank, item="쌀 10kg", units=3, household_id=city.households[household].pk
        )

    held, release = threading.Event(), threading.Event()
    first = in_transaction_elsewhere(lambda: give("agency_worker", 0), held, release)
    watcher = release_once_waiting(release)
    try:
        with pytest.raises(ValidationError) as refused:
            give("district_manager", 1)  # waits for the first worker's lock, then reads what is left
    finally:
        release.set()
    first.join()
    watcher.join()
    assert "2" in refused.value.message_dict["units"][0]
    lot.refresh_from_db()
    assert lot.remaining == 2
    assert sum(d.units for d in Distribution.objects.filter(lot=lot)) == 3


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_many_at_once_give_out_exactly_the_stock(ledger_city, today):
    city = ledger_city
    lot = _lot(city, 3, expires_in=10)
    bank = city.agencies["welfare"].pk
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def give() -> None:
        try:
            start.wait(10)
            foodbank.distribute(
                user=city.users["district_manager"], agency_id=bank, item="쌀 10kg", units=1, event="경로잔치"
            )
            outcomes.append("given")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [Thread(target=give) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lot.refresh_from_db()
    assert sorted(outcomes) == ["given"] * 3 + ["refused"] * 3
    assert lot.remaining == 0
    assert Lot.objects.get(pk=lot.pk).distributions.count() == 3
