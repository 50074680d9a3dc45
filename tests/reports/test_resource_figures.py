"""What reached the dongs, on the statistics page: linkages delivered, money allocated from the donations ledger,
food-bank goods and emergency support, public and private apart, per dong and in total, against a hand-made
example with a reversal; a dong officer reads their dong, an analyst the district with small cells hidden; and the
page asks the database the same few questions whatever the number of rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from dolbom.cases.models import Case
from dolbom.cases.services.linkages import LinkageEntry, answer_linkage, record_delivery, request_linkage
from dolbom.core.dates import today_kst
from dolbom.core.money import approx_won
from dolbom.core.roles import Role
from dolbom.intake.services.emergency import decide, open_emergency_support, record_check, record_given
from dolbom.registry.models import Agency, Consent
from dolbom.reports.selectors import HIDDEN, Tally, resource_figures
from dolbom.resources.models import Fund
from dolbom.resources.services import donations, foodbank
from tests.cases.support import in_service
from tests.conftest import _user


def _link(city, case, provider: str, deliveries: list[int], service: str) -> None:
    manager, partner = city.users["district_manager"], city.users["agency_worker"]
    entry = LinkageEntry(
        domain="economy", service=service, frequency="periodic", requested_on=today_kst(),
        provider_id=city.agencies[provider].pk,
    )  # fmt: skip
    linkage = request_linkage(user=manager, case_id=case.pk, entry=entry)
    answerer = partner if provider == "welfare" else manager
    answer_linkage(user=answerer, linkage_id=linkage.pk, accept=True, on=today_kst())
    for won in deliveries:
        record_delivery(user=answerer, linkage_id=linkage.pk, on=today_kst(), won=won)


@pytest.fixture
def reached(city):
    """A hand-made year in district 1 (everything dated today, inside the page's period):

    linkages   dong 0: public 100,000 + 50,000 (one linkage, two deliveries), private 70,000; one accepted, not
               delivered (not counted). dong 1: public 200,000.
    money      private fund: 300,000 to household 0, 120,000 to household 1 then reversed, 80,000 to a programme.
               public budget: 200,000 to household 0.
    goods      public rice 2 × 20,000 to household 0; private rice 3 × 10,000 to household 1, and 5 × 10,000 at an
               event; 1 × 10,000 more to household 1, reversed.
    emergency  household 0: 300,000 a month for 2 months.
    District 2 gets a delivery of its own that no one in district 1 counts."""
    admin, manager = city.users["district_admin"], city.users["district_manager"]
    for person in city.persons[:2]:
        Consent.objects.create(
            person=person, recipient=city.agencies["welfare"], purpose="resource_support", given_on=today_kst()
        )
    first, second = in_service(city), in_service(city, dong_index=1, user_key="district_manager")
    _link(city, first, "district", [100_000, 50_000], "생계비")
    _link(city, first, "welfare", [70_000], "밑반찬")
    _link(city, first, "dong0", [], "상담")
    _link(city, second, "district", [200_000], "주거비")

    today = today_kst()
    company = donations.add_donor(user=admin, kind="company", name="한빛전자")
    budget = donations.add_donor(user=admin, kind="public", name="중앙구 예산")
    donations.receive_donation(user=admin, donor_id=company.pk, kind="cash", received_on=today, amount_won=1_000_000)
    donations.receive_donation(user=admin, donor_id=budget.pk, kind="cash", received_on=today, amount_won=500_000)
    private = Fund.objects.get(district=city.districts[0], sector="private")
    public = Fund.objects.get(district=city.districts[0], sector="public")
    h0, h1 = city.households[0], city.households[1]
    donations.allocate(user=admin, fund_id=private.pk, amount_won=300_000, household_id=h0.pk)
    wrong = donations.allocate(user=admin, fund_id=private.pk, amount_won=120_000, household_id=h1.pk)
    donations.reverse_allocation(user=admin, allocation_id=wrong.pk, reason="다른 가구에 잘못 기록")
    donations.allocate(user=admin, fund_id=private.pk, amount_won=80_000, programme="경로잔치")
    donations.allocate(user=admin, fund_id=public.pk, amount_won=200_000, household_id=h0.pk)

    bank = city.agencies["welfare"].pk
    later = today + timedelta(days=60)
    for item, won, sector in (("쌀 10kg", 20_000, "public"), ("라면", 10_000, "private")):
        foodbank.stock_lot(
            user=admin, agency_id=bank, item=item, unit="개", units=20, unit_won=won, received_on=today,
            expires_on=later, sector=sector,
        )  # fmt: skip
    foodbank.distribute(user=admin, agency_id=bank, item="쌀 10kg", units=2, household_id=h0.pk)
    foodbank.distribute(user=admin, agency_id=bank, item="라면", units=3, household_id=h1.pk)
    foodbank.distribute(user=admin, agency_id=bank, item="라면", units=5, event="경로잔치")
    [extra] = foodbank.distribute(user=admin, agency_id=bank, item="라면", units=1, household_id=h1.pk)
    foodbank.reverse_distribution(user=admin, distribution_id=extra.pk, reason="수량 잘못 기록")

    support = open_emergency_support(
        user=manager, household_id=h0.pk, requested_on=today, kinds=["livelihood"], reason="실직으로 생계 곤란"
    )
    record_check(user=manager, support_id=support.pk, on=today, note="현장 확인")
    decide(user=manager, support_id=support.pk, on=today, supported=True, reason="지원 결정")
    record_given(user=manager, support_id=support.pk, kind="livelihood", amount=300_000, months=2, starts_on=today)

    # District 2's own money and emergency support, which nobody of district 1 counts.
    d2 = Agency.objects.create(name="강변구청", sector="public", kind="district_unit", area=city.districts[1])
    admin2 = _user("admin2", Role.DISTRICT_ADMIN, d2, [city.districts[1]])
    manager2 = _user("manager2", Role.DISTRICT_MANAGER, d2, [city.districts[1]])
    h2 = city.households[2]
    Consent.objects.create(person=city.persons[2], recipient=d2, purpose="resource_support", given_on=today)
    donor = donations.add_donor(user=admin2, kind="company", name="강변상사")
    donations.receive_donation(user=admin2, donor_id=donor.pk, kind="cash", received_on=today, amount_won=900_000)
    fund2 = Fund.objects.get(district=city.districts[1], sector="private")
    donations.allocate(user=admin2, fund_id=fund2.pk, amount_won=900_000, household_id=h2.pk)
    support = open_emergency_support(
        user=manager2, household_id=h2.pk, requested_on=today, kinds=["housing"], reason="화재로 주거 상실"
    )
    record_check(user=manager2, support_id=support.pk, on=today, note="현장 확인")
    decide(user=manager2, support_id=support.pk, on=today, supported=True, reason="지원 결정")
    record_given(user=manager2, support_id=support.pk, kind="housing", amount=700_000, months=1, starts_on=today)
    return city


def _row(figures, code):
    return next(r for r in figures.rows if r.code == code)


def test_the_figures_add_up_to_the_hand_made_example(city, reached):
    start, end = today_kst().replace(month=1, day=1), today_kst()
    figures = resource_figures(city.users["district_manager"], start, end)
    dong0, dong1 = _row(figures, city.dongs[0].code), _row(figures, city.dongs[1].code)
    assert (dong0.public_linkages, dong0.private_linkages) == (Tally(1, 150_000), Tally(1, 70_000))
    assert (dong1.public_linkages, dong1.private_linkages) == (Tally(1, 200_000), Tally(0, 0))
    # Money: the reversal nets the wrong allocation out, and the household it touched is not counted as reached
    # (else a small cell could pass the threshold with one household's won).
    assert (dong0.public_money, dong0.private_money) == (Tally(1, 200_000), Tally(1, 300_000))
    assert (dong1.public_money, dong1.private_money) == (Tally(0, 0), Tally(0, 0))
    assert (dong0.public_goods, dong0.private_goods) == (Tally(1, 40_000), Tally(0, 0))
    assert (dong1.public_goods, dong1.private_goods) == (Tally(0, 0), Tally(1, 30_000))
    assert (dong0.emergency, dong1.emergency) == (Tally(1, 600_000), Tally(0, 0))
    # The district's total holds what reached no dong: the programme's money and the event's goods.
    total = figures.total
    assert (total.public_linkages, total.private_linkages) == (Tally(2, 350_000), Tally(1, 70_000))
    assert (total.public_money, total.private_money) == (Tally(1, 200_000), Tally(1, 380_000))
    assert (total.public_goods, total.private_goods) == (Tally(1, 40_000), Tally(1, 80_000))
    assert total.emergency == Tally(1, 600_000)
    assert figures.summary == (
        "3건, 42만 원 연계 · 후원금·공공 재원 58만 원 배분 · 푸드뱅크 물품 12만 원 지원 · 긴급지원 1건, 60만 원"
    )
    # Another period counts nothing.
    before = resource_figures(city.users["district_manager"], start - timedelta(days=400), start - timedelta(days=1))
    assert before.total.private_money == Tally(0, 0) and before.summary == ""


def test_a_dong_officer_counts_their_dong_only(city, reached):
    start, end = today_kst().replace(month=1, day=1), today_kst()
    figures = resource_figures(city.users["dong_officer"], start, end)
    assert [r.code for r in figures.rows] == [city.dongs[0].code]
    total = figures.total
    # Neither dong 1 nor what reached no dong in the district (the programme, the event).
    assert (total.public_linkages, total.private_money, total.private_goods) == (
        Tally(1, 150_000),
        Tally(1, 300_000),
        Tally(0, 0),
    )
    assert not figures.district_wide


def test_an_analyst_reads_the_district_with_small_cells_hidden(client, city, reached, settings):
    settings.SMALL_CELL = 2
    start, end = today_kst().replace(month=1, day=1), today_kst()
    figures = resource_figures(city.users["analyst"], start, end)
    dong0, dong1 = _row(figures, city.dongs[0].code), _row(figures, city.dongs[1].code)
    # One linkage, one household: hidden, and the won beside it too.
    assert dong0.public_linkages == HIDDEN and dong0.private_money == HIDDEN and dong0.emergency == HIDDEN
    assert dong1.private_linkages == Tally(0, 0)  # nothing is not a small cell
    # A total whose column hides a cell is hidden too: it would give the cell by subtraction.
    assert figures.total.public_linkages == HIDDEN and figures.total.private_money == HIDDEN
    assert figures.total.private_linkages == HIDDEN  # dong 1's 0 is shown, dong 0's 1 is not
    # The one-line summary leaves out what is hidden.
    assert "연계" not in figures.summary and "긴급지원" not in figures.summary

    client.force_login(city.users["analyst"])
    html = client.get(reverse("statistics")).content.decode()
    table = re.search(r'<table class="data stack resources">(.*?)</table>', html, flags=re.S).group(1)
    assert "&lt;2" in table
    for won in ("150,000원", "300,000원", "600,000원", "200,000원"):
        assert won not in table
    assert city.dongs[2].name not in table
    # Where no cell is small, the analyst reads the district's figures as its manager does, totals included.
    settings.SMALL_CELL = 1
    manager = resource_figures(city.users["district_manager"], start, end)
    assert resource_figures(city.users["analyst"], start, end) == manager


def test_the_statistics_page_shows_the_figures_and_their_summary(client, city, reached):
    client.force_login(city.users["district_manager"])
    html = client.get(reverse("statistics")).content.decode()
    summary = re.search(r'<p class="summary" id="resource-summary">(.*?)</p>', html).group(1)
    assert summary.startswith("3건, 42만 원 연계")
    row = re.search(rf'<tr id="resources-{city.dongs[0].code}">(.*?)</tr>', html, flags=re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
    assert cells == [
        "1", "150,000원", "1", "70,000원", "200,000원", "300,000원", "40,000원", "0원", "1", "600,000원",
    ]  # fmt: skip
    total = re.search(r'<tr id="resources-total" class="total">(.*?)</tr>', html, flags=re.S).group(1)
    assert "합계" in total and "380,000원" in total and "80,000원" in total
    assert city.dongs[2].name not in html


def test_the_page_asks_the_same_few_questions_however_many_rows(client, city, reached, django_assert_max_num_queries):
    client.force_login(city.users["district_manager"])
    client.get(reverse("statistics"))  # the session and the user's scope, once
    with django_assert_max_num_queries(40) as few:
        assert client.get(reverse("statistics")).status_code == 200
    asked = len(few.captured_queries)
    # Many more rows: deliveries, allocations and goods.
    admin = city.users["district_admin"]
    fund = Fund.objects.get(district=city.districts[0], sector="private")
    for _ in range(10):
        donations.allocate(user=admin, fund_id=fund.pk, amount_won=1_000, household_id=city.households[1].pk)
        foodbank.distribute(user=admin, agency_id=city.agencies["welfare"].pk, item="라면", units=1, event="나눔")
    _link(city, Case.objects.get(household=city.households[1]), "district", [5_000] * 5, "교통비")
    with django_assert_max_num_queries(asked):
        assert client.get(reverse("statistics")).status_code == 200


@pytest.mark.parametrize(
    ("won", "text"),
    [
        (72_345_678, "약 7,200만 원"),
        (72_000_000, "7,200만 원"),
        (123_456_789, "약 1억 2,300만 원"),
        (300_000_000, "3억 원"),
        (3_456_789, "약 346만 원"),
        (500_000, "50만 원"),
        (8_000, "8,000원"),
        (-120_000, "-12만 원"),
    ],
)
def test_won_as_the_articles_write_it(won, text):
    assert approx_won(won) == text
