"""No page's number of queries grows with its rows: each page is read once with a few rows and once with more of
the same, and must make exactly as many queries both times (an N+1 — a query per row — fails here, whatever the
machine's speed). Every officer page of the benchmark (tests/bench/pages.py) is read so by the dong officer and by
the district manager, and stays under a fixed number of queries."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dolbom.cases.models import Case, CaseState, CaseType, Frequency, Linkage, LinkageState
from dolbom.core.needs import NeedDomain
from dolbom.discovery.models import OutreachItem, ScreeningRound
from dolbom.eligibility.calculator import HouseholdFacts, Member
from dolbom.eligibility.models import AftercareReview, BenefitApplication, Reverification
from dolbom.eligibility.services import create_reguidance, record_check
from dolbom.intake.models import WorkItem, WorkSource
from dolbom.intake.services.emergency import open_emergency_support
from dolbom.intake.services.referrals import file_referral
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


# ------------------------------------------------------------------------------- every officer page, both roles
# The pages of tests/bench/pages.py. The household page is read for a household that has some of everything.
OFFICER_PAGES = (
    "/",
    "/households/?q=시청로",
    "HOUSEHOLD",
    "/worklist/",
    "/referrals/",
    "/discovery/",
    "/cases/",
    "/linkages/",
    "/emergency/",
    "/reguidance/",
    "/aftercare/",
    "/statistics/",
)
# The most queries a page may make (session, user, scope, the menu's badge, the audit record and the page's own):
# a fixed bound, whatever the rows. The today page gathers every clock of intake and case management, the
# household page every domain's part of the timeline; they are the highest.
MOST_QUERIES = {"/": 46, "HOUSEHOLD": 36}
MOST_QUERIES_ELSEWHERE = 32


def _everything(city, count: int, first: int) -> int:
    """`count` more rows of each kind the officer pages list, all in the officer's dong (and so in the manager's
    district), overdue where a clock can be: returns the household that has its share of all of it."""
    officer, manager = city.users["dong_officer"], city.users["district_manager"]
    dong = city.dongs[0]
    case_type, _ = CaseType.objects.get_or_create(
        district=city.districts[0], name="일반사례", defaults={"tier": "general", "duration_months": 6}
    )
    screening_round, _ = ScreeningRound.objects.get_or_create(
        district=city.districts[0], period="2026-09", scorer="scorecard", defaults={"status": "done"}
    )
    household = city.household_in(0)
    for i in range(first, first + count):
        listed = _new_household(city, i)
        WorkItem.objects.create(dong=dong, household=listed, source=WorkSource.WALK_IN,
                                assigned_to=officer.staff, next_try_on=date(2026, 11, 10))  # fmt: skip
        file_referral(user=officer, dong=dong, address_text=f"시청로 {i}", concern="연락이 닿지 않는 어르신")
        open_emergency_support(user=officer, household_id=listed.pk, requested_on=date(2026, 11, 1),
                               kinds=["livelihood"], reason="주소득자 실직으로 생계 곤란")  # fmt: skip
        OutreachItem.objects.create(round=screening_round, household=listed, dong=dong, rank=i + 1, score=40.0)
        case = Case.objects.create(
            household=listed, district=city.districts[0], dong=dong, case_type=case_type, state=CaseState.IN_SERVICE,
            lead_agency=city.agencies["district"], lead_worker=officer.staff, intake_on=date(2026, 10, 1),
            next_due_on=date(2026, 11, 1), opened_by=manager,
        )  # fmt: skip
        Linkage.objects.create(
            case=case, household=listed, domain=NeedDomain.ECONOMY, provider=city.agencies["welfare"],
            service=f"밑반찬 {i}", sector="private", frequency=Frequency.PERIODIC, state=LinkageState.REQUESTED,
            requested_on=date(2026, 11, 1), requested_by=officer,
        )  # fmt: skip
        create_reguidance(user=manager, name=f"재안내 {i}", margin_percent=10, district_code=city.districts[0].code)
    _household_rows(city, count)
    _aftercare_rows_from(city, first, count)
    return household.pk


def _aftercare_rows_from(city, first: int, count: int) -> None:
    for i in range(first, first + count):
        household = _new_household(city, 20 + i)
        grant = BenefitApplication.objects.create(
            household=household, benefit="livelihood", applied_on=date(2025, 11, 1), outcome="granted",
            outcome_on=date(2025, 11, 25 + i % 3), recorded_by=city.users["dong_officer"],
        )  # fmt: skip
        AftercareReview.objects.create(application=grant, household=household, dong=household.dong,
                                       change=f"member_joined:{i}", observed_on=date(2026, 5, 1),
                                       reason={"code": "member_joined", "on": "2026-05-01"})  # fmt: skip


def _each_page(client, household_id: int) -> dict[str, int]:
    counts = {}
    for page in OFFICER_PAGES:
        url = f"/households/{household_id}/" if page == "HOUSEHOLD" else page
        counts[page] = _queries(client, url)
    return counts


@pytest.mark.parametrize("role", ["dong_officer", "district_manager"])
def test_every_officer_page_makes_as_many_queries_for_three_times_the_rows(client, city, on_day, role):  # noqa: F811
    on_day(TODAY)
    client.force_login(city.users[role])
    household_id = _everything(city, 1, first=0)
    few = _each_page(client, household_id)
    _everything(city, 2, first=1)  # three of each kind now
    many = _each_page(client, household_id)
    grown = {page: (few[page], many[page]) for page in OFFICER_PAGES if many[page] != few[page]}
    assert not grown, f"queries with one row of each kind and with three: {grown}"
    too_many = {page: n for page, n in many.items() if n > MOST_QUERIES.get(page, MOST_QUERIES_ELSEWHERE)}
    assert not too_many, too_many
