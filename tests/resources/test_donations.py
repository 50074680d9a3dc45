"""The donations ledger through its services: designated gifts only go where the donor asked, no fund gives out
more than it received, corrections are reversing rows, sponsorships pay each month once, and receipts are numbered
per district and year."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dolbom.core.models import AuditEvent
from dolbom.resources.models import Allocation, Donation, Fund
from dolbom.resources.selectors import donations_visible_to
from dolbom.resources.services import donations, receipts
from dolbom.resources.services.donations import balance_of
from tests.row_locks import ROW_LOCKS, in_transaction_elsewhere, release_once_waiting

ON = date(2026, 11, 2)


def _gift(city, amount, **designation):
    return donations.receive_donation(
        user=city.users["district_admin"],
        donor_id=city.company.pk,
        kind="cash",
        received_on=ON,
        amount_won=amount,
        **designation,
    )


def test_a_gift_designated_to_a_dong_goes_only_to_that_dong(ledger_city):
    city = ledger_city
    gift = _gift(city, 500_000, designation="dong", dong_code=city.dongs[0].code)
    manager = city.users["district_manager"]
    with pytest.raises(ValidationError) as refused:
        donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=100_000, household_id=city.households[1].pk)
    assert "fund" in refused.value.message_dict
    with pytest.raises(ValidationError):
        donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=100_000, programme="김장 나눔")
    donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=100_000, household_id=city.households[0].pk)
    balance = balance_of(gift.fund)
    assert (balance.received, balance.allocated, balance.remaining) == (500_000, 100_000, 400_000)


def test_a_purpose_gift_is_spent_only_for_its_purpose(ledger_city):
    city = ledger_city
    gift = _gift(city, 300_000, designation="purpose", purpose="난방비")
    manager = city.users["district_manager"]
    with pytest.raises(ValidationError):
        donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=10_000, programme="문화 행사", purpose="")
    donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=10_000, programme="연탄 배달", purpose="난방비")


def test_no_fund_gives_more_than_it_holds(ledger_city):
    city = ledger_city
    gift = _gift(city, 100_000, designation="general")
    manager = city.users["district_manager"]
    with pytest.raises(ValidationError) as refused:
        donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=100_001, household_id=city.households[0].pk)
    assert "100,000" in refused.value.message_dict["amount_won"][0]
    assert not Allocation.objects.exists()


def test_a_household_without_consent_to_resource_support_is_refused(ledger_city):
    city = ledger_city
    gift = _gift(city, 100_000, designation="general")
    # The district's third household lives in the other district; add one in dong 0 without consent.
    from tests.core.test_scope_matrix import _household

    household, _person = _household(city, 0, "무동의", 400)
    with pytest.raises(ValidationError) as refused:
        donations.allocate(
            user=city.users["district_manager"], fund_id=gift.fund_id, amount_won=1_000, household_id=household.pk
        )
    assert "household" in refused.value.message_dict


def test_corrections_are_reversing_rows_never_edits(ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    gift = _gift(city, 200_000, designation="general")
    given = donations.allocate(user=admin, fund_id=gift.fund_id, amount_won=150_000, household_id=city.households[0].pk)
    # The gift cannot be taken back while its money is given out.
    with pytest.raises(ValidationError):
        donations.reverse_donation(user=admin, donation_id=gift.pk, reason="중복 입력")
    donations.reverse_allocation(user=admin, allocation_id=given.pk, reason="다른 가구에 잘못 입력")
    reversal = donations.reverse_donation(user=admin, donation_id=gift.pk, reason="중복 입력")
    assert reversal.amount_won == -200_000 and reversal.reverses == gift
    assert Donation.objects.get(pk=gift.pk).amount_won == 200_000  # the original row is as it was
    balance = balance_of(Fund.objects.get(pk=gift.fund_id))
    assert (balance.received, balance.allocated, balance.remaining) == (0, 0, 0)
    with pytest.raises(ValidationError):
        donations.reverse_donation(user=admin, donation_id=gift.pk, reason="두 번째")


def test_sponsorships_pay_each_month_once_until_ended(ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    sponsorship = donations.start_sponsorship(
        user=admin,
        donor_id=city.person_donor.pk,
        household_id=city.households[1].pk,
        monthly_won=100_000,
        starts_on=date(2026, 10, 1),
    )
    assert len(donations.pay_sponsorships(user=admin, month="2026-10")) == 1
    assert donations.pay_sponsorships(user=admin, month="2026-10") == []
    donations.end_sponsorship(user=admin, sponsorship_id=sponsorship.pk, ends_on=date(2026, 10, 31))
    assert donations.pay_sponsorships(user=admin, month="2026-11") == []
    balance = balance_of(sponsorship.fund)
    assert (balance.received, balance.allocated, balance.remaining) == (100_000, 100_000, 0)
    # The sponsorship's fund pays only its household.
    with pytest.raises(ValidationError):
        donations.allocate(user=admin, fund_id=sponsorship.fund_id, amount_won=1, household_id=city.households[0].pk)


def test_receipts_are_numbered_per_district_and_year(receipt_city):
    city = receipt_city
    admin = city.users["district_admin"]
    first, second = _gift(city, 10_000, designation="general"), _gift(city, 20_000, designation="general")
    assert receipts.issue_receipt(user=admin, donation_id=first.pk).receipt_number == "2026-00001"
    assert receipts.issue_receipt(user=admin, donation_id=second.pk).receipt_number == "2026-00002"
    with pytest.raises(ValidationError):
        receipts.issue_receipt(user=admin, donation_id=first.pk)


def test_public_money_keeps_its_own_funds_and_every_allocation_says_its_source(receipt_city):
    city = receipt_city
    admin = city.users["district_admin"]
    budget = donations.add_donor(user=admin, kind="public", name="구청 희망복지 사업비")
    public = donations.receive_donation(
        user=admin, donor_id=budget.pk, kind="cash", received_on=ON, amount_won=500_000, designation="general"
    )
    private = _gift(city, 200_000, designation="general")
    assert public.fund_id != private.fund_id
    assert (public.fund.sector, private.fund.sector) == ("public", "private")
    household = city.households[0].pk
    given = [
        donations.allocate(user=admin, fund_id=gift.fund_id, amount_won=50_000, household_id=household)
        for gift in (public, private)
    ]
    assert [allocation.sector for allocation in given] == ["public", "private"]
    back = donations.reverse_allocation(user=admin, allocation_id=given[0].pk, reason="중복 입력")
    assert back.sector == "public"
    with pytest.raises(ValidationError) as refused:
        receipts.issue_receipt(user=admin, donation_id=public.pk)
    assert "receipt" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        donations.start_sponsorship(
            user=admin, donor_id=budget.pk, household_id=household, monthly_won=10_000, starts_on=ON
        )
    assert "donor" in refused.value.message_dict


def test_a_person_donor_needs_consent_and_the_audit_keeps_no_name(ledger_city):
    city = ledger_city
    with pytest.raises(ValidationError) as refused:
        donations.add_donor(user=city.users["district_admin"], kind="person", name="김기부")
    assert "consent_on" in refused.value.message_dict
    assert city.person_donor.public_name == "홍*동"
    for event in AuditEvent.objects.filter(action__startswith="resources."):
        assert "홍길동" not in str(event.detail) and "한빛전자" not in str(event.detail)


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_only_public_staff_keep_the_ledger(ledger_city, role):
    # A dong officer keeps the funds designated to their dong: tests/resources/test_dong_ledger.py.
    city = ledger_city
    gift = _gift(city, 10_000, designation="general")
    with pytest.raises(PermissionDenied):
        donations.allocate(user=city.users[role], fund_id=gift.fund_id, amount_won=1, programme="x")
    assert not donations_visible_to(city.users[role]).exists()


def test_what_reached_a_household_is_on_its_page(client, ledger_city, settings):
    from django.urls import reverse

    from dolbom.resources.services import foodbank

    settings.TODAY_OVERRIDE = ON
    city = ledger_city
    manager = city.users["district_manager"]
    gift = _gift(city, 500_000, designation="dong", dong_code=city.dongs[0].code)
    donations.allocate(user=manager, fund_id=gift.fund_id, amount_won=120_000, household_id=city.households[0].pk)
    foodbank.stock_lot(user=manager, agency_id=city.agencies["welfare"].pk, item="쌀 10kg", unit="포", units=3,
                       unit_won=32_000, received_on=ON)  # fmt: skip
    foodbank.distribute(user=manager, agency_id=city.agencies["welfare"].pk, item="쌀 10kg", units=2,
                        household_id=city.households[0].pk)  # fmt: skip
    donations.start_sponsorship(user=manager, donor_id=city.person_donor.pk, household_id=city.households[1].pk,
                                monthly_won=100_000, starts_on=date(2026, 11, 1))  # fmt: skip
    donations.pay_sponsorships(user=manager, month="2026-11")

    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("household_detail", args=[city.households[0].pk])).content.decode()
    assert "후원금 지급: 120,000원 (동 지정: 가온동)" in page
    assert "중앙종합사회복지관 물품 제공: 쌀 10kg 2포 (64,000원)" in page
    client.force_login(manager)
    page = client.get(reverse("household_detail", args=[city.households[1].pk])).content.decode()
    assert "결연 시작: 월 100,000원 (홍*동)" in page
    assert "2026-11 결연 후원금: 100,000원 (홍*동)" in page
    assert "홍길동" not in page


def _sponsor(city, household: int = 1, monthly: int = 100_000):
    return donations.start_sponsorship(
        user=city.users["district_admin"], donor_id=city.person_donor.pk, household_id=city.households[household].pk,
        monthly_won=monthly, starts_on=date(2026, 10, 1),
    )  # fmt: skip


def test_a_month_whose_payment_was_corrected_is_paid_again_once(ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    sponsorship = _sponsor(city)
    [first] = donations.pay_sponsorships(user=admin, month="2026-10")
    correction = donations.reverse_allocation(user=admin, allocation_id=first.pk, reason="계좌 번호 오류")
    # The donor's gift of the month stands in the fund: the month is paid again out of it, once.
    [again] = donations.pay_sponsorships(user=admin, month="2026-10")
    assert (again.sponsorship_id, again.month, again.amount_won, again.repays) == (
        sponsorship.pk, "2026-10", 100_000, correction,
    )  # fmt: skip
    assert donations.pay_sponsorships(user=admin, month="2026-10") == []
    assert Donation.objects.filter(sponsorship=sponsorship).count() == 1
    balance = balance_of(sponsorship.fund)
    assert (balance.received, balance.allocated, balance.remaining) == (100_000, 100_000, 0)
    # Corrected with the donor's gift this time (the donor had not paid): the month is paid with a new gift.
    second = donations.reverse_allocation(user=admin, allocation_id=again.pk, reason="후원자 미납")
    gift = Donation.objects.get(sponsorship=sponsorship, reverses__isnull=True)
    donations.reverse_donation(user=admin, donation_id=gift.pk, reason="후원자 미납")
    [third] = donations.pay_sponsorships(user=admin, month="2026-10")
    assert third.repays == second
    assert donations.pay_sponsorships(user=admin, month="2026-10") == []
    standing = Donation.objects.filter(sponsorship=sponsorship, month="2026-10", reverses__isnull=True)
    assert standing.exclude(reversed_by__isnull=False).count() == 1
    balance = balance_of(sponsorship.fund)
    assert (balance.received, balance.allocated, balance.remaining) == (100_000, 100_000, 0)
    # Other months are untouched by it.
    assert [p.month for p in donations.pay_sponsorships(user=admin, month="2026-11")] == ["2026-11"]


def test_a_corrected_month_given_out_by_hand_since_is_not_paid_twice(ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    sponsorship = _sponsor(city)
    [first] = donations.pay_sponsorships(user=admin, month="2026-10")
    donations.reverse_allocation(user=admin, allocation_id=first.pk, reason="계좌 번호 오류")
    donations.allocate(user=admin, fund_id=sponsorship.fund_id, amount_won=100_000,
                       household_id=city.households[1].pk)  # fmt: skip
    assert donations.pay_sponsorships(user=admin, month="2026-10") == []
    assert balance_of(sponsorship.fund).remaining == 0


def test_the_database_keeps_one_payment_standing_per_sponsorship_month(ledger_city):
    from django.db import IntegrityError, transaction

    city = ledger_city
    admin = city.users["district_admin"]
    _sponsor(city)
    [first] = donations.pay_sponsorships(user=admin, month="2026-10")

    def copy(**changes):
        values = {f.attname: getattr(first, f.attname) for f in Allocation._meta.concrete_fields if not f.primary_key}
        return Allocation(**{**values, "recorded_at": None, **changes})

    with pytest.raises(IntegrityError), transaction.atomic():
        copy().save()  # a second first payment of the month
    correction = donations.reverse_allocation(user=admin, allocation_id=first.pk, reason="오류")
    copy(repays_id=correction.pk).save()  # the month paid again after its correction
    with pytest.raises(IntegrityError), transaction.atomic():
        copy(repays_id=correction.pk).save()  # and paid again after the same correction
    with pytest.raises(IntegrityError), transaction.atomic():
        copy(sponsorship_id=None, month="", repays_id=first.pk).save()  # only a payment repays


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("corrected", [False, True], ids=["first payment", "paid again"])
def test_two_runs_paying_a_month_at_once_pay_it_once(ledger_city, corrected):
    city = ledger_city
    admin, manager = city.users["district_admin"], city.users["district_manager"]
    sponsorship = _sponsor(city)
    if corrected:
        [first] = donations.pay_sponsorships(user=admin, month="2026-10")
        donations.reverse_allocation(user=admin, allocation_id=first.pk, reason="계좌 번호 오류")
    elsewhere: list[list[Allocation]] = []
    held, release = threading.Event(), threading.Event()
    other = in_transaction_elsewhere(
        lambda: elsewhere.append(donations.pay_sponsorships(user=admin, month="2026-10")), held, release
    )
    watcher = release_once_waiting(release)
    try:
        here = donations.pay_sponsorships(user=manager, month="2026-10")  # waits for the sponsorship's lock
    finally:
        release.set()
    other.join()
    watcher.join()
    assert [len(paid) for paid in elsewhere] == [1] and here == []
    payments = Allocation.objects.filter(sponsorship=sponsorship, month="2026-10")
    assert payments.filter(reverses__isnull=True, reversed_by__isnull=True).count() == 1
    assert Donation.objects.filter(sponsorship=sponsorship, reverses__isnull=True).count() == 1
