"""The registry's revision: moved by the database's own triggers on every committed change to households, persons
and memberships, and what is kept under it."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from dolbom.registry import revision
from dolbom.registry.models import Address, Consent, Household, Membership, Person, RegistryChange
from dolbom.registry.revision import bulk_registry_write, kept_until_registry_changes, registry_revision
from tests.conftest import make_person

# Each ORM write commits on its own, as the services' transactions do: on PostgreSQL the revision counts committed
# transactions, so writes inside one test transaction would move it only once.
pytestmark = pytest.mark.django_db(transaction=True)


def _household(dong) -> Household:
    address = Address.objects.create(dong=dong, road_address="한빛시 시청로 9", detail="", tong=1, ban=1)
    return Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))


def test_every_kind_of_change_to_the_registry_moves_it(city) -> None:
    seen = [registry_revision()]

    def moved() -> bool:
        seen.append(registry_revision())
        return seen[-1] > seen[-2]

    household = _household(city.dongs[0])
    assert moved()
    person = make_person("새주민", date(1950, 3, 3), "F", serial=777)
    assert moved()
    membership = Membership.objects.create(
        household=household, person=person, relationship="head", moved_in=date(2024, 1, 1)
    )
    assert moved()
    Membership.objects.filter(pk=membership.pk).update(moved_out=date(2025, 1, 1))
    assert moved()
    Person.objects.filter(pk=person.pk).update(disability="severe")
    assert moved()
    Household.objects.filter(pk=household.pk).update(registered_on=date(2021, 1, 1))
    assert moved()
    Membership.objects.filter(pk=membership.pk).delete()
    assert moved()


def test_other_tables_leave_it_alone(city) -> None:
    before = registry_revision()
    Address.objects.create(dong=city.dongs[0], road_address="한빛시 시청로 10", detail="", tong=1, ban=1)
    Consent.objects.create(
        person=Person.objects.first(),
        purpose="case_management",
        recipient=city.agencies["welfare"],
        given_on=date(2026, 1, 5),
    )
    assert registry_revision() == before


def test_a_rolled_back_change_does_not_move_it(city) -> None:
    before = registry_revision()
    with transaction.atomic():
        _household(city.dongs[0])
        transaction.set_rollback(True)
    assert registry_revision() == before


def test_a_bulk_write_moves_it_once_and_keeps_the_triggers(city) -> None:
    triggers = _triggers()
    before = registry_revision()
    with transaction.atomic(), bulk_registry_write():
        for _ in range(3):
            _household(city.dongs[0])
        if connection.vendor == "sqlite":
            assert _triggers() == set()  # row triggers off for the bulk write, on again after
    assert registry_revision() == before + 1
    assert _triggers() == triggers
    _household(city.dongs[0])
    assert registry_revision() == before + 2


def test_a_failed_bulk_write_leaves_the_triggers_and_moves_nothing(city) -> None:
    triggers, before, households = _triggers(), registry_revision(), Household.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic(), bulk_registry_write():
        _household(city.dongs[0])
        _ = 1 / 0
    assert (_triggers(), registry_revision(), Household.objects.count()) == (triggers, before, households)


def test_a_dry_run_leaves_the_triggers_and_moves_nothing(city) -> None:
    """The registry import's check: everything written, then rolled back."""
    triggers, before = _triggers(), registry_revision()
    with transaction.atomic(), bulk_registry_write():
        _household(city.dongs[0])
        transaction.set_rollback(True)
    assert (_triggers(), registry_revision()) == (triggers, before)


def test_a_bulk_write_outside_a_transaction_is_refused(city) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's statement triggers are left alone")
    with pytest.raises(RuntimeError), bulk_registry_write():
        pass


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_folds_the_changes_without_moving_the_revision(city, monkeypatch) -> None:
    monkeypatch.setattr(revision, "FOLD_AT", 3)
    for _ in range(3):
        _household(city.dongs[0])
    counted = registry_revision()  # counts the rows, then folds them
    assert RegistryChange.objects.count() == 0
    assert registry_revision() == counted
    _household(city.dongs[0])
    assert registry_revision() == counted + 1


def test_what_is_kept_is_computed_again_once_the_registry_changes(city) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(Household.objects.count())
        return calls[-1]

    first = kept_until_registry_changes("households", compute)
    assert kept_until_registry_changes("households", compute) == first
    assert len(calls) == 1
    _household(city.dongs[0])
    assert kept_until_registry_changes("households", compute) == first + 1
    assert len(calls) == 2


def test_nothing_is_kept_inside_a_transaction(city) -> None:
    """Its own uncommitted writes would be in the figure, under a revision others may reach without them."""
    with transaction.atomic():
        _household(city.dongs[0])
        inside = kept_until_registry_changes("households", Household.objects.count)
        transaction.set_rollback(True)
    assert kept_until_registry_changes("households", Household.objects.count) == inside - 1


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%revision%'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE '%revision%'")
        return {name for (name,) in cursor.fetchall()}
