"""No page's number of queries grows with its rows: each page is read once with a few rows and once with more of
the same, and must make exactly as many queries both times (an N+1 — a query per row — fails here, whatever the
machine's speed)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dolbom.eligibility.calculator import HouseholdFacts, Member
from dolbom.eligibility.models import AftercareReview, BenefitApplication, Reverification
from dolbom.eligibility.services import record_check
from dolbom.intake.models import WorkItem, WorkSource
from dolbom.registry.models import Address, Household, Membership
from tests.conftest import make_person
from tests.eligibility.test_reguidance import on_day  # noqa: F401 (fixture)

TODAY = date(2026, 11, 20)
# Each person made here a serial (and so a resident number) of their own.
SERIALS = itertools.count(500)


def _new_household(city, index: int) -> Household:
    dong = city.dongs[0]
    address = Address.objects.create(dong=dong, road_address=f"한빛시 중앙구 시청로 {100 + index}", detail="", tong=4)
    household = Household.objects.create(address=address, dong=dong, registered_on=date(2021, 1, 1))
    head = make_person(f"최가{index}", date(1960, 1, 1 + index), "F", serial=next(SERIALS))
    Membership.objects.create(household=household, person=head, relationship="head", moved_in=date(2021, 1, 1))
    return household


def _members(city, household: Household, count: int) -> None:
    for i in range(count):
        person = make_person(f"한결{i}", date(1990, 1, 1 + i), "M", serial=next(SERIALS))
        Membership.objects.create(household=household, person=person, relationship="child", moved_in=date(2022, 1, 1))


def _household_rows(city, count: int) -> str:
    household = city.household_in(0)
    _members(city, household, count)
    for i in range(count):
        facts = HouseholdFacts(members=(Member(age=40),), other_income=100_000 * i)
        record_check(user=city.users["dong_officer"], household_id=household.pk, facts=facts, year=2026,
                     submission=uuid.uuid4())  # fmt: skip
        BenefitApplication.objects.create(household=household, benefit="housing", applied_on=date(2025, 1, 1 + i),
                                          outcome="rejected", outcome_on=date(2025, 2, 1),
                                          recorded_by=city.users["dong_officer"])  # fmt: skip
    return reverse("household_detail", args=[household.pk])


def _applications_rows(city, count: int) -> str:
    _household_rows(city, count)
    return reverse("household_applications", args=[city.household_in(0).pk])


def _worklist_rows(city, count: int) -> str:
    for i in range(count):
        WorkItem.objects.create(dong=city.dongs[0], household=_new_household(city, i), source=WorkSource.WALK_IN)
    return reverse("worklist")


def _aftercare_rows(city, count: int) -> str:
    for i in range(count):
        household = _new_household(city, i)
        grant = BenefitApplication.objects.create(
            household=household, benefit="livelihood", applied_on=date(2025, 11, 1), outcome="granted",
            outcome_on=date(2025, 11, 25 + i % 3), recorded_by=city.users["dong_officer"],
        )  # fmt: skip
        Reverification.objects.create(application=grant, done_on=date(2025, 12, 1), result="unchanged",
                                      rule_version="2025.1", recorded_by=city.users["dong_officer"])  # fmt: skip
        AftercareReview.objects.create(application=grant, household=household, dong=household.dong,
                                       change=f"member_joined:{i}", observed_on=date(2026, 5, 1),
                                       reason={"code": "member_joined", "on": "2026-05-01"})  # fmt: skip
    return reverse("aftercare")


PAGES: dict[str, Callable[..., str]] = {
    "household": _household_rows,
    "household applications": _applications_rows,
    "worklist": _worklist_rows,
    "after-care": _aftercare_rows,
}


def _queries(client, url: str) -> int:
    client.get(url)  # the first reading fills what a session caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_page_makes_as_many_queries_for_many_rows_as_for_few(client, city, on_day, page):  # noqa: F811
    on_day(TODAY)
    client.force_login(city.users["dong_officer"])
    few = _queries(client, PAGES[page](city, 1))
    # Two more rows of each kind on top of the one: the same page again.
    many = _queries(client, PAGES[page](city, 2))
    assert many == few, f"{page}: {few} queries with one row of each kind, {many} with three"
