"""A dong officer (읍면동 맞춤형복지팀) and the district's ledger and food bank, from the outside with the Django test
client: the officer reads and gives out the funds designated to their dong (지정기탁), to households of the dong,
and reads what the food banks gave to the dong's households; every hand-made request about another dong's fund,
the general fund, a purpose's or a sponsorship's fund, another dong's household or another district's rows is
refused with a 404 and writes nothing."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.registry.models import Consent
from dolbom.resources.models import Allocation, Distribution, Donation
from dolbom.resources.services import donations, foodbank
from tests.conftest import _user

ON = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today(settings):
    settings.TODAY_OVERRIDE = ON


def _gift(user: Any, donor: Any, amount: int, **designation: Any) -> Donation:
    return donations.receive_donation(
        user=user, donor_id=donor.pk, kind="cash", received_on=ON, amount_won=amount, **designation
    )


@pytest.fixture
def dong_ledger(ledger_city) -> SimpleNamespace:
    """District 1's ledger with a fund for each of its two dongs, the general fund, a purpose's and a sponsorship's
    of a household of dong 0 (the officer's), each given from once; district 2's, with its own dong officer and a
    fund for its dong; and goods given to a household of each dong."""
    city = ledger_city
    admin, manager = city.users["district_admin"], city.users["district_manager"]
    h0, h1, h2 = city.households
    funds = {
        "dong0": _gift(admin, city.person_donor, 500_000, designation="dong", dong_code=city.dongs[0].code).fund,
        "dong1": _gift(admin, city.company, 300_000, designation="dong", dong_code=city.dongs[1].code).fund,
        "general": _gift(admin, city.company, 1_000_000, designation="general").fund,
        "purpose": _gift(admin, city.company, 200_000, designation="purpose", purpose="난방비").fund,
    }
    sponsorship = donations.start_sponsorship(
        user=admin, donor_id=city.company.pk, household_id=h0.pk, monthly_won=100_000, starts_on=date(2026, 11, 1)
    )
    donations.pay_sponsorships(user=admin, month="2026-11")
    donations.reverse_allocation(user=admin, allocation_id=Allocation.objects.get(sponsorship=sponsorship).pk,
                                 reason="계좌 오류")  # fmt: skip
    funds["sponsorship"] = sponsorship.fund  # holds the month's 100,000 again
    given = {
        "dong0": donations.allocate(user=manager, fund_id=funds["dong0"].pk, amount_won=70_000, household_id=h0.pk),
        "dong1": donations.allocate(user=manager, fund_id=funds["dong1"].pk, amount_won=30_000, household_id=h1.pk),
        # Money of the general fund that went to the officer's own dong: on the household's page, not in their
        # ledger, and not theirs to correct.
        "general_to_dong0": donations.allocate(
            user=manager, fund_id=funds["general"].pk, amount_won=40_000, household_id=h0.pk
        ),
    }
    bank = city.agencies["welfare"].pk
    foodbank.stock_lot(user=manager, agency_id=bank, item="쌀 10kg", unit="포", units=10, unit_won=32_000,
                       received_on=ON)  # fmt: skip
    goods = {
        "dong0": foodbank.distribute(user=manager, agency_id=bank, item="쌀 10kg", units=2, household_id=h0.pk)[0],
        "dong1": foodbank.distribute(user=manager, agency_id=bank, item="쌀 10kg", units=3, household_id=h1.pk)[0],
    }

    # District 2: its administrator, its dong's officer, a consenting household and a fund for the dong.
    other = city.agencies["other"]
    admin2 = _user("admin2", Role.DISTRICT_ADMIN, other, [city.districts[1]])
    officer2 = _user("officer2", Role.DONG_OFFICER, other, [city.dongs[2]])
    Consent.objects.create(
        person=city.persons[2], recipient=other, purpose="resource_support", given_on=date(2025, 1, 1)
    )
    donor2 = donations.add_donor(user=admin2, kind="company", name="강변상사")
    funds["district2_dong"] = _gift(admin2, donor2, 400_000, designation="dong", dong_code=city.dongs[2].code).fund
    given["district2_dong"] = donations.allocate(
        user=admin2, fund_id=funds["district2_dong"].pk, amount_won=60_000, household_id=h2.pk
    )
    return SimpleNamespace(
        city=city, officer=city.users["dong_officer"], officer2=officer2, funds=funds, given=given, goods=goods
    )


def _written() -> tuple[int, int, int]:
    return Allocation.objects.count(), Donation.objects.count(), Distribution.objects.count()


def _allocate(client: Any, fund: Any, household: Any, amount: str = "10,000") -> Any:
    return client.post(
        reverse("resources_allocation_new"),
        {"fund": fund.pk, "amount_won": amount, "on": "2026-11-02", "household": household.pk},
    )


# ------------------------------------------------------------------------------------------------ what works


def test_a_dong_officer_keeps_the_funds_designated_to_their_dong_and_nothing_else(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer)
    response = client.get(reverse("resources_ledger"))
    assert response.status_code == 200
    page = response.content.decode()
    # Their dong's fund, with its balance, its gift (the person donor masked) and what went out of it.
    assert f'id="fund-{d.funds["dong0"].pk}"' in page and "동 지정: 가온동" in page
    assert "430,000원" in page  # 500,000 received, 70,000 allocated
    assert "홍*동" in page and "홍길동" not in page and "010-1234-5678" not in page
    assert f'id="allocation-{d.given["dong0"].pk}"' in page
    # Nothing of the general fund, a purpose's, a sponsorship's, the other dong's or the other district's.
    for key in ("dong1", "general", "purpose", "sponsorship", "district2_dong"):
        assert f'id="fund-{d.funds[key].pk}"' not in page, key
    for key in ("dong1", "general_to_dong0", "district2_dong"):
        assert f'id="allocation-{d.given[key].pk}"' not in page, key
    assert "한빛전자" not in page and "나래동" not in page and 'id="sponsorships"' not in page
    # Only what they may do: allocate and correct an allocation; no gift, donor, sponsorship, receipt, payment.
    assert reverse("resources_allocation_new") in page
    assert reverse("resources_allocation_reverse", args=[d.given["dong0"].pk]) in page
    for name in ("resources_donation_new", "resources_donor_new", "resources_sponsorship_new",
                 "resources_sponsorships_pay"):  # fmt: skip
        assert reverse(name) not in page, name
    assert "/receipt/" not in page and "/donations/" + str(d.funds["dong0"].pk) not in page
    event = AuditEvent.objects.filter(action="resources.view_ledger").latest("pk")
    assert event.detail["households"] == [d.city.households[0].pk]


def test_a_dong_officer_gives_their_dong_s_money_to_a_household_of_the_dong(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer)
    form = client.get(reverse("resources_allocation_new")).content.decode()
    assert f'value="{d.funds["dong0"].pk}"' in form
    for key in ("dong1", "general", "purpose", "sponsorship", "district2_dong"):
        assert f'value="{d.funds[key].pk}"' not in form, key
    response = _allocate(client, d.funds["dong0"], d.city.households[0], "100,000")
    assert response.status_code == 302, response.content.decode()[-1500:]
    given = Allocation.objects.latest("pk")
    assert (given.fund_id, given.household_id, given.amount_won, given.recorded_by) == (
        d.funds["dong0"].pk, d.city.households[0].pk, 100_000, d.officer,
    )  # fmt: skip
    assert donations.balance_of(d.funds["dong0"]).remaining == 330_000
    # A correction of their own dong's allocation is theirs too.
    response = client.post(reverse("resources_allocation_reverse", args=[given.pk]), {"reason": "금액 오기"})
    assert response.status_code == 302
    assert donations.balance_of(d.funds["dong0"]).remaining == 430_000


def test_within_their_fund_the_rules_still_answer_with_the_form(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer)
    before = _written()
    response = _allocate(client, d.funds["dong0"], d.city.households[0], "430,001")
    assert response.status_code == 422 and "430,000원" in response.content.decode()
    from tests.core.test_scope_matrix import _household

    no_consent, _person = _household(d.city, 0, "무동의", 400)
    response = _allocate(client, d.funds["dong0"], no_consent)
    assert response.status_code == 422 and "동의" in response.content.decode()
    assert _written() == before


def test_a_dong_officer_sees_the_goods_given_in_their_dong_and_keeps_no_stock(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer)
    response = client.get(reverse("resources_food_bank"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="distribution-{d.goods["dong0"].pk}"' in page
    assert f'id="distribution-{d.goods["dong1"].pk}"' not in page
    by_dong = page.split('id="by-dong"')[1].split("</table>")[0]
    assert "가온동" in by_dong and "64,000원" in by_dong and "나래동" not in by_dong
    assert 'id="stock"' not in page and reverse("resources_give") not in page
    assert reverse("resources_distribution_reverse", args=[d.goods["dong0"].pk]) not in page
    before = _written()
    assert client.get(reverse("resources_give")).status_code == 403
    bank = d.city.agencies["welfare"].pk
    response = client.post(reverse("resources_give"), {"agency": bank, "item": "쌀 10kg", "units": "1",
                                                       "household": d.city.households[0].pk})  # fmt: skip
    assert response.status_code == 403
    response = client.post(reverse("resources_distribution_reverse", args=[d.goods["dong0"].pk]), {"reason": "반납"})
    assert response.status_code == 403
    assert _written() == before


# ------------------------------------------------------------------------------------------ what is refused

# (fund, household) a dong officer of dong 0 may not give from or to; each answers 404 and writes nothing.
REFUSED = {
    "another dong's fund": ("dong1", 0),
    "the general fund": ("general", 0),
    "a purpose's fund": ("purpose", 0),
    "the sponsorship fund of a household of their own dong": ("sponsorship", 0),
    "another district's dong fund": ("district2_dong", 0),
    "their fund to a household of another dong": ("dong0", 1),
    "their fund to a household of another district": ("dong0", 2),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_dong_officer_cannot_give_outside_their_dong(client, dong_ledger, case):
    d = dong_ledger
    fund_key, household_index = REFUSED[case]
    client.force_login(d.officer)
    before = _written()
    balances = {key: donations.balance_of(fund).remaining for key, fund in d.funds.items()}
    response = _allocate(client, d.funds[fund_key], d.city.households[household_index])
    assert response.status_code == 404, (case, response.status_code)
    # Scope comes before the rules: an amount the fund could never pay is refused the same way.
    assert _allocate(client, d.funds[fund_key], d.city.households[household_index], "999,999,999").status_code == 404
    assert _written() == before
    assert {key: donations.balance_of(fund).remaining for key, fund in d.funds.items()} == balances


def test_a_dong_officer_cannot_correct_general_money_given_in_their_dong(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer)
    before = _written()
    for key in ("general_to_dong0", "dong1", "district2_dong"):
        url = reverse("resources_allocation_reverse", args=[d.given[key].pk])
        assert client.get(url).status_code == 404, key
        assert client.post(url, {"reason": "잘못 입력"}).status_code == 404, key
        assert client.post(url, {}).status_code == 404, key  # scope before the missing reason
    assert _written() == before
    # The household's page still shows the general fund's money that reached it.
    page = client.get(reverse("household_detail", args=[d.city.households[0].pk])).content.decode()
    assert "후원금 지급: 40,000원" in page


def test_a_dong_officer_of_another_district_reaches_nothing_of_district_1(client, dong_ledger):
    d = dong_ledger
    client.force_login(d.officer2)
    ledger = client.get(reverse("resources_ledger")).content.decode()
    assert f'id="fund-{d.funds["district2_dong"].pk}"' in ledger and "340,000원" in ledger
    for key in ("dong0", "dong1", "general", "purpose", "sponsorship"):
        assert f'id="fund-{d.funds[key].pk}"' not in ledger, key
    assert "가온동" not in ledger and "홍*동" not in ledger
    before = _written()
    h2 = d.city.households[2]
    assert _allocate(client, d.funds["dong0"], h2).status_code == 404
    assert _allocate(client, d.funds["district2_dong"], d.city.households[0]).status_code == 404
    for key in ("dong0", "general_to_dong0"):
        url = reverse("resources_allocation_reverse", args=[d.given[key].pk])
        assert client.post(url, {"reason": "잘못 입력"}).status_code == 404, key
    food = client.get(reverse("resources_food_bank")).content.decode()
    for distribution in d.goods.values():
        assert f'id="distribution-{distribution.pk}"' not in food
    assert "가온동" not in food
    assert _written() == before
    # Their own dong's fund is theirs to give.
    assert _allocate(client, d.funds["district2_dong"], h2).status_code == 302
