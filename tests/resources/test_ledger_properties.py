"""Random sequences of gifts, allocations, distributions and corrections, driven by hypothesis against the real
services and database, checked after every step against a model of the rules kept apart from the code:

- per fund, received = allocated + remaining for money, and goods received = given out + still in stock (won);
- no fund ever holds less than nothing, no lot fewer than no units;
- nothing designated is ever given where its designation does not allow;
- goods go out first-expiring first among the lots a recipient may receive, and never once expired;
- a sponsorship month has at most one payment standing, and a month whose payment was corrected is paid again
  exactly once: out of the donor's gift of the month while it stands in the fund, with a new gift when it was
  corrected too.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from dolbom.resources.models import Allocation, Distribution, Donation, Fund, Lot
from dolbom.resources.services import donations, foodbank

ON = date(2026, 11, 2)
# Designations as the donor states them: (designation, its arguments).
DESIGNATIONS = [
    ("general", {}),
    ("dong", {"dong": 0}),
    ("dong", {"dong": 1}),
    ("purpose", {"purpose": "난방비"}),
    ("group", {"group": "홀몸 어르신"}),
]
PURPOSES = ["", "난방비", "의료비"]
GROUPS = ["", "홀몸 어르신"]
ITEMS = ["쌀 10kg", "라면 1상자"]


def may_receive(designation: str, args: dict, *, household: int | None, purpose: str, group: str) -> bool:
    """The rule as the donor reads it, written independently of the services: a dong's gift to a household of that
    dong, a purpose's for that purpose, a group's to a household of that group, a general one anywhere."""
    if designation == "dong":
        return household == args["dong"]
    if designation == "purpose":
        return purpose == args["purpose"]
    if designation == "group":
        return household is not None and group == args["group"]
    if designation == "household":
        return household == args["household"]
    return True


class Ledger(RuleBasedStateMachine):
    city = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.admin = self.city.users["district_admin"]
        self.bank = self.city.agencies["welfare"]
        self.cash: dict[int, int] = {}  # fund id → won the model says it holds
        self.fund_rule: dict[int, tuple[str, dict]] = {}
        self.gifts: list[int] = []
        self.allocations: list[int] = []
        self.distributions: list[int] = []
        self.sponsorships: dict[int, tuple[int, int]] = {}  # sponsorship id → (its fund, its monthly amount)
        self.paid: set[tuple[int, str]] = set()  # (sponsorship, month) with a payment standing
        self.gift_in: set[tuple[int, str]] = set()  # (sponsorship, month) whose donor's gift stands
        self.ever_paid: set[tuple[int, str]] = set()

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    def _designation_kwargs(self, index: int) -> tuple[str, dict, dict]:
        designation, args = DESIGNATIONS[index]
        kwargs = {"designation": designation}
        if designation == "dong":
            kwargs["dong_code"] = self.city.dongs[args["dong"]].code
        kwargs.update({k: v for k, v in args.items() if k in ("purpose", "group")})
        return designation, args, kwargs

    @initialize()
    def start(self) -> None:
        pass

    @rule(which=st.integers(0, len(DESIGNATIONS) - 1), amount=st.integers(1, 500_000))
    def give_money(self, which: int, amount: int) -> None:
        designation, args, kwargs = self._designation_kwargs(which)
        gift = donations.receive_donation(
            user=self.admin, donor_id=self.city.company.pk, kind="cash", received_on=ON, amount_won=amount, **kwargs
        )
        self.cash[gift.fund_id] = self.cash.get(gift.fund_id, 0) + amount
        self.fund_rule[gift.fund_id] = (designation, args)
        self.gifts.append(gift.pk)

    @rule(
        which=st.integers(0, len(DESIGNATIONS) - 1),
        item=st.sampled_from(ITEMS),
        units=st.integers(1, 20),
        unit_won=st.integers(1, 50_000),
        expires_in=st.one_of(st.none(), st.integers(-3, 60)),
    )
    def give_goods(self, which: int, item: str, units: int, unit_won: int, expires_in: int | None) -> None:
        designation, args, kwargs = self._designation_kwargs(which)
        gift = donations.receive_donation(
            user=self.admin,
            donor_id=self.city.company.pk,
            kind="in_kind",
            received_on=ON,
            agency_id=self.bank.pk,
            item=item,
            unit="개",
            units=units,
            unit_won=unit_won,
            expires_on=None if expires_in is None else ON + timedelta(days=expires_in),
            **kwargs,
        )
        self.fund_rule[gift.fund_id] = (designation, args)
        self.cash.setdefault(gift.fund_id, 0)
        self.gifts.append(gift.pk)

    @rule(
        fund_pick=st.integers(0, 10),
        household=st.sampled_from([0, 1, None]),
        purpose=st.sampled_from(PURPOSES),
        group=st.sampled_from(GROUPS),
        amount=st.integers(1, 600_000),
    )
    def allocate(self, fund_pick: int, household: int | None, purpose: str, group: str, amount: int) -> None:
        if not self.cash:
            return
        fund_id = sorted(self.cash)[fund_pick % len(self.cash)]
        designation, args = self.fund_rule[fund_id]
        allowed = may_receive(designation, args, household=household, purpose=purpose, group=group)
        expect = allowed and amount <= self.cash[fund_id]
        try:
            given = donations.allocate(
                user=self.admin,
                fund_id=fund_id,
                amount_won=amount,
                on=ON,
                purpose=purpose,
                group=group,
                household_id=self.city.households[household].pk if household is not None else None,
                programme="" if household is not None else "나눔 행사",
            )
        except ValidationError:
            assert not expect, (designation, args, household, purpose, group, amount, self.cash[fund_id])
            return
        assert expect, (designation, args, household, purpose, group, amount, self.cash[fund_id])
        self.cash[fund_id] -= amount
        self.allocations.append(given.pk)

    def _pay(self, month: str) -> None:
        """Pay the month and check the payments against the rule: every sponsorship (all in force) without a
        payment standing for the month is paid once, in the order of the ledger (newest first); out of the fund
        when the month's gift stands there (and the fund still holds it), with a new gift otherwise."""
        expected, repaid = [], set()
        for sponsorship in sorted(self.sponsorships, reverse=True):
            fund, monthly = self.sponsorships[sponsorship]
            if (sponsorship, month) in self.paid:
                continue
            if (sponsorship, month) in self.gift_in:
                if self.cash[fund] < monthly:
                    event("sponsorship month not paid again: its returned gift was given out since")
                    continue  # the returned gift was given to the household by hand since
                event("sponsorship month paid again out of its standing gift")
                self.cash[fund] -= monthly
            elif (sponsorship, month) in self.ever_paid:
                event("sponsorship month paid again with a new gift")
            self.ever_paid.add((sponsorship, month))
            self.gift_in.add((sponsorship, month))
            self.paid.add((sponsorship, month))
            expected.append(sponsorship)
            if Allocation.objects.filter(sponsorship_id=sponsorship, month=month).exists():
                repaid.add(sponsorship)
        paid = donations.pay_sponsorships(user=self.admin, month=month)
        assert [payment.sponsorship_id for payment in paid] == expected
        assert {payment.sponsorship_id for payment in paid if payment.repays_id} == repaid
        assert donations.pay_sponsorships(user=self.admin, month=month) == []
        self.allocations += [payment.pk for payment in paid]

    @rule(household=st.sampled_from([0, 1]), monthly=st.integers(1, 200_000), month=st.integers(1, 3))
    def sponsor_and_pay(self, household: int, monthly: int, month: int) -> None:
        """A sponsorship of one household from January, and a month paid (again: paid once)."""
        sponsorship = donations.start_sponsorship(
            user=self.admin, donor_id=self.city.company.pk, household_id=self.city.households[household].pk,
            monthly_won=monthly, starts_on=date(2026, 1, 1),
        )  # fmt: skip
        self.fund_rule[sponsorship.fund_id] = ("household", {"household": household})
        self.cash.setdefault(sponsorship.fund_id, 0)
        self.sponsorships[sponsorship.pk] = (sponsorship.fund_id, monthly)
        self._pay(f"2026-{month:02d}")

    @rule(pick=st.integers(0, 50), gift_too=st.booleans())
    def correct_a_month_and_pay_it_again(self, pick: int, gift_too: bool) -> None:
        """A sponsorship month's payment corrected (and the donor's gift of the month, if asked and the fund still
        holds it), then the month paid again."""
        if not self.paid:
            return
        sponsorship, month = sorted(self.paid)[pick % len(self.paid)]
        fund, monthly = self.sponsorships[sponsorship]
        payment = Allocation.objects.get(
            sponsorship_id=sponsorship, month=month, reverses__isnull=True, reversed_by__isnull=True
        )
        donations.reverse_allocation(user=self.admin, allocation_id=payment.pk, reason="계좌 오류")
        self.paid.discard((sponsorship, month))
        self.cash[fund] += monthly
        if gift_too and (sponsorship, month) in self.gift_in:
            gift = Donation.objects.get(
                sponsorship_id=sponsorship, month=month, reverses__isnull=True, reversed_by__isnull=True
            )
            donations.reverse_donation(user=self.admin, donation_id=gift.pk, reason="후원자 미납")
            self.gift_in.discard((sponsorship, month))
            self.cash[fund] -= monthly
        self._pay(month)

    @rule(pick=st.integers(0, 50))
    def correct_allocation(self, pick: int) -> None:
        open_ones = [pk for pk in self.allocations if not Allocation.objects.filter(reverses_id=pk).exists()]
        if not open_ones:
            return
        original = Allocation.objects.get(pk=open_ones[pick % len(open_ones)])
        donations.reverse_allocation(user=self.admin, allocation_id=original.pk, reason="잘못 입력")
        self.cash[original.fund_id] += original.amount_won
        self.paid.discard((original.sponsorship_id, original.month))

    @rule(pick=st.integers(0, 50))
    def correct_gift(self, pick: int) -> None:
        open_ones = [pk for pk in self.gifts if not Donation.objects.filter(reverses_id=pk).exists()]
        if not open_ones:
            return
        gift = Donation.objects.get(pk=open_ones[pick % len(open_ones)])
        if gift.kind == "cash":
            expect = self.cash[gift.fund_id] >= gift.amount_won
        else:
            expect = all(lot.remaining == lot.received for lot in gift.lots.all())
        try:
            donations.reverse_donation(user=self.admin, donation_id=gift.pk, reason="중복 입력")
        except ValidationError:
            assert not expect
            return
        assert expect
        if gift.kind == "cash":
            self.cash[gift.fund_id] -= gift.amount_won

    @rule(
        item=st.sampled_from(ITEMS),
        units=st.integers(1, 6),
        household=st.sampled_from([0, 1, None]),
        purpose=st.sampled_from(PURPOSES),
        group=st.sampled_from(GROUPS),
    )
    def distribute(self, item: str, units: int, household: int | None, purpose: str, group: str) -> None:
        usable = [
            lot
            for lot in Lot.objects.filter(agency=self.bank, item=item, remaining__gt=0)
            if (lot.expires_on is None or lot.expires_on >= ON)
            and may_receive(*self.fund_rule[lot.fund_id], household=household, purpose=purpose, group=group)
        ]
        # First-expiring first (no expiry last), then the older lot.
        usable.sort(key=lambda lot: (lot.expires_on is None, lot.expires_on or ON, lot.received_on, lot.pk))
        before = {lot.pk: lot.remaining for lot in usable}
        try:
            taken = foodbank.distribute(
                user=self.admin,
                agency_id=self.bank.pk,
                item=item,
                units=units,
                on=ON,
                purpose=purpose,
                group=group,
                household_id=self.city.households[household].pk if household is not None else None,
                event="" if household is not None else "경로잔치",
            )
        except ValidationError:
            assert sum(before.values()) < units
            return
        assert sum(before.values()) >= units
        expected, left = [], units
        for lot in usable:
            if left == 0:
                break
            part = min(left, before[lot.pk])
            expected.append((lot.pk, part))
            left -= part
        assert [(d.lot_id, d.units) for d in taken] == expected
        self.distributions += [d.pk for d in taken]

    @rule(pick=st.integers(0, 50))
    def correct_distribution(self, pick: int) -> None:
        open_ones = [pk for pk in self.distributions if not Distribution.objects.filter(reverses_id=pk).exists()]
        if open_ones:
            foodbank.reverse_distribution(
                user=self.admin, distribution_id=open_ones[pick % len(open_ones)], reason="반납"
            )

    @invariant()
    def the_ledger_balances_per_designation(self) -> None:
        for fund in Fund.objects.all():
            balance = donations.balance_of(fund)
            assert balance.remaining == self.cash.get(fund.pk, 0) >= 0
            assert balance.received == balance.allocated + balance.remaining
            assert balance.goods_received == balance.goods_given + balance.goods_remaining
            assert balance.goods_remaining >= 0

    @invariant()
    def nothing_designated_went_elsewhere(self) -> None:
        households = {h.pk: i for i, h in enumerate(self.city.households)}
        for a in Allocation.objects.filter(reverses__isnull=True):
            rule_of = self.fund_rule[a.fund_id]
            assert may_receive(*rule_of, household=households.get(a.household_id), purpose=a.purpose, group=a.group)
        for d in Distribution.objects.filter(reverses__isnull=True).select_related("lot"):
            assert d.lot.expires_on is None or d.lot.expires_on >= d.on
            assert d.household_id is None or d.household_id in households

    @invariant()
    def a_sponsorship_month_has_at_most_one_payment_standing(self) -> None:
        standing = Allocation.objects.filter(
            sponsorship__isnull=False, reverses__isnull=True, reversed_by__isnull=True
        ).values_list("sponsorship_id", "month")
        assert sorted(standing) == sorted(self.paid)
        gifts = Donation.objects.filter(
            sponsorship__isnull=False, reverses__isnull=True, reversed_by__isnull=True
        ).values_list("sponsorship_id", "month")
        assert sorted(gifts) == sorted(self.gift_in)

    @invariant()
    def stock_is_never_negative_and_adds_up(self) -> None:
        for lot in Lot.objects.all():
            out = Distribution.objects.filter(lot=lot).aggregate(units=Sum("units"))["units"] or 0
            reversed_gift = lot.donation_id and Donation.objects.filter(reverses_id=lot.donation_id).exists()
            assert 0 <= lot.remaining <= lot.received
            assert lot.remaining == (0 if reversed_gift else lot.received - out)


@pytest.mark.django_db
def test_random_sequences_keep_the_ledger_and_the_stock_right(ledger_city):
    Ledger.city = ledger_city
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
