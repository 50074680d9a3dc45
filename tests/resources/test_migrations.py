"""The resources migrations that move data: each sponsorship's monthly gifts linked to their sponsorship and month,
and volunteers' skills moved into their own table; data written before a migration comes out of it whole, and
going back restores it."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import migrate


@pytest.mark.django_db(transaction=True)
def test_each_sponsorship_gift_is_linked_to_its_month(city, back_to_latest):
    old = migrate("resources", "0006_fund_names_its_dong")
    user_id, district, dong = city.users["district_admin"].pk, city.districts[0].pk, city.dongs[0].pk
    household = city.households[0].pk
    Donor, Fund = old.get_model("resources", "Donor"), old.get_model("resources", "Fund")
    Sponsorship, Donation = old.get_model("resources", "Sponsorship"), old.get_model("resources", "Donation")
    Allocation = old.get_model("resources", "Allocation")
    donor = Donor.objects.create(district_id=district, kind="company", name="한빛전자", created_by_id=user_id)
    fund = Fund.objects.create(
        district_id=district, designation="household", household_id=household, key=f"household:{household}"
    )
    sponsorship = Sponsorship.objects.create(
        district_id=district,
        donor=donor,
        household_id=household,
        fund=fund,
        monthly_won=100_000,
        starts_on=date(2026, 10, 1),
        created_by_id=user_id,
    )
    common = {"district_id": district, "fund": fund, "recorded_by_id": user_id}
    gifts = {}
    for month in ("2026-10", "2026-11"):
        first = date(2026, int(month[-2:]), 1)
        gifts[month] = Donation.objects.create(
            donor=donor, kind="cash", received_on=first, amount_won=100_000, description=month, **common
        )
        Allocation.objects.create(
            household_id=household,
            dong_id=dong,
            amount_won=100_000,
            sector="private",
            on=first,
            sponsorship=sponsorship,
            month=month,
            **common,
        )
    returned = Donation.objects.create(
        donor=donor,
        kind="cash",
        received_on=date(2026, 11, 5),
        amount_won=-100_000,
        description="2026-11",
        reverses=gifts["2026-11"],
        reason="미납",
        **common,
    )
    other_gift = Donation.objects.create(
        donor=donor, kind="cash", received_on=date(2026, 11, 9), amount_won=5_000, description="추가 후원", **common
    )

    new = migrate("resources", "0007_sponsorship_months_paid_again")
    linked = dict(
        (pk, (sponsorship_id, month))
        for pk, sponsorship_id, month in new.get_model("resources", "Donation").objects.values_list(
            "pk", "sponsorship_id", "month"
        )
    )
    assert linked == {
        gifts["2026-10"].pk: (sponsorship.pk, "2026-10"),
        gifts["2026-11"].pk: (sponsorship.pk, "2026-11"),
        returned.pk: (sponsorship.pk, "2026-11"),
        other_gift.pk: (None, ""),
    }


@pytest.mark.django_db(transaction=True)
def test_volunteers_keep_their_skills_through_the_move(city, back_to_latest):
    old = migrate("resources", "0007_sponsorship_months_paid_again")
    kept = old.get_model("resources", "Volunteer").objects.create(
        district_id=city.districts[0].pk,
        dong_id=city.dongs[0].pk,
        name="김봉사",
        consent_on=date(2026, 1, 1),
        skills=["repairs", "cleaning", "repairs", "unknown"],
        created_by_id=city.users["district_admin"].pk,
    )
    new = migrate("resources", "0009_drop_volunteer_skills_json")
    skills = new.get_model("resources", "VolunteerSkill").objects.filter(volunteer_id=kept.pk)
    assert sorted(skills.values_list("skill", flat=True)) == ["cleaning", "repairs"]
    back = migrate("resources", "0007_sponsorship_months_paid_again")
    assert back.get_model("resources", "Volunteer").objects.get(pk=kept.pk).skills == ["cleaning", "repairs"]
