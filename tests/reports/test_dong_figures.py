"""Household and person counts per dong, summed by the database."""

from __future__ import annotations

from datetime import date

import pytest

from dolbom.registry.models import Address, Household, Membership
from dolbom.reports.selectors import dong_figures
from tests.conftest import make_person

pytestmark = pytest.mark.django_db
ON = date(2026, 12, 1)


def _household(city, dong_index: int, *births: date, moved_out: date | None = None, **extra) -> Household:
    dong = city.dongs[dong_index]
    address = Address.objects.create(dong=dong, road_address="한빛시 시청로 1", detail="", tong=1, ban=1)
    household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
    for serial, birth in enumerate(births, start=900 + Household.objects.count() * 10):
        person = make_person("주민", birth, "F", serial=serial, **extra)
        Membership.objects.create(
            household=household, person=person, relationship="head", moved_in=date(2020, 1, 1), moved_out=moved_out
        )
    return household


def test_households_single_person_and_elderly_alone_per_dong(city) -> None:
    _household(city, 1, date(1940, 5, 5))  # an elder alone
    _household(city, 1, date(1990, 5, 5), date(1991, 5, 5), nationality="VN")  # two young members
    _household(city, 1, date(1941, 5, 5), moved_out=date(2025, 1, 1), disability="severe")  # nobody lives there
    _household(city, 0, date(1970, 5, 5), disability="severe")
    figures = {row.code: row for row in dong_figures(city.users["district_manager"], on=ON)}
    assert set(figures) == {city.dongs[0].code, city.dongs[1].code}  # the other district's dong is not theirs
    first, second = figures[city.dongs[0].code], figures[city.dongs[1].code]
    # The fixture's first household: two elders together (neither alone); the second: one person of 1980.
    assert (first.households, first.single_person, first.elderly_alone) == (2, 1, 0)
    assert (second.households, second.single_person, second.elderly_alone) == (3, 2, 1)
    assert (first.disabled_persons, first.foreign_persons) == (1, 0)
    assert (second.disabled_persons, second.foreign_persons) == (0, 2)  # the one who moved out is not counted


def test_a_user_without_dongs_gets_no_rows(city) -> None:
    assert dong_figures(city.users["agency_worker"], on=ON) == []


@pytest.mark.django_db(transaction=True)
def test_kept_figures_follow_every_change_to_the_registry(city) -> None:
    """Kept between pages until the registry changes, whichever way it changes: here a plain ORM update, as a
    bulk load or an operator's SQL would write, not a service."""
    manager = city.users["district_manager"]

    def first_dong() -> tuple[int | None, int | None]:
        row = dong_figures(manager, on=ON)[0]
        return row.households, row.disabled_persons

    before = first_dong()
    household = _household(city, 0, date(1950, 5, 5), disability="severe")
    assert first_dong() == (before[0] + 1, before[1] + 1)
    Membership.objects.filter(household=household).update(moved_out=date(2026, 6, 1))
    assert first_dong() == before
