"""The calculation as an officer makes it, from the household page: the form starts from the household's members,
the calculation is kept on the household with its date and rules, its page shows the arithmetic in Korean and the
figures to check, and every reading and writing is in the audit log (without the amounts)."""

from __future__ import annotations

import uuid
from datetime import date

from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.eligibility.calculator import Outcome, check_steps
from dolbom.eligibility.models import EligibilityCheck
from dolbom.eligibility.selectors import suggested_regions
from dolbom.registry.models import AdministrativeArea

FORM = {
    "year": "2026",
    "region": "other",
    "emergency_region": "small_city",
    "members-TOTAL_FORMS": "3",
    "members-INITIAL_FORMS": "2",
    "members-MIN_NUM_FORMS": "0",
    "members-MAX_NUM_FORMS": "20",
    "members-0-age": "76",
    "members-1-age": "78",
    "members-1-earned_income": "300,000원",
    "members-2-age": "",
    "other_income": "500000",
    "general_property": "63,000,000",
    "financial_assets": "8000000",
}


def _post(client, household, **changes):
    data = {**FORM, "submission": str(uuid.uuid4()), **changes}
    return client.post(reverse("eligibility_new", args=[household.pk]), data)


def test_the_household_page_leads_to_a_calculation_and_shows_it_after(client, city):
    household = city.households[0]
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("household_detail", args=[household.pk])).content.decode()
    new_url = reverse("eligibility_new", args=[household.pk])
    assert new_url in page

    form = client.get(new_url)
    assert form.status_code == 200
    html = form.content.decode()
    # The two registered members, by age (no names on the calculation), and two empty rows.
    assert 'name="members-0-age" value="76"' in html or 'value="76"' in html
    assert "members-3-age" in html and "members-4-age" not in html

    response = _post(client, household)
    check = EligibilityCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("eligibility_check", args=[check.pk])
    assert (check.household, check.year, check.rule_version, check.household_size) == (household, 2026, "2026.1", 2)
    # 78 with 300,000 earned keeps 70 %: 210,000 + 500,000 other income; land 63,000,000 − 53,000,000 basic
    # = 10,000,000 × 4.17 % = 417,000; deposits 8,000,000 − 5,000,000 = 3,000,000 × 6.26 % = 187,800.
    assert check.income_evaluation == 710_000
    assert check.property_income == 417_000 + 187_800
    assert check.recognised_income == 710_000 + 604_800
    # 2 persons, 2026: livelihood line 1,343,773, so at most 28,973 won a month.
    assert check.outcomes["livelihood"] == Outcome.LIKELY and check.outcomes["emergency"] == Outcome.LIKELY
    assert check.inputs["members"][1] == {"age": 78, "earned_income": 300_000, "disabled": False, "student": False}

    shown = client.get(response["Location"]).content.decode()
    assert "소득인정액" in shown and "1,314,800원" in shown and "28,973원" in shown
    assert "확인" in shown  # the figures to check (secondary sources, assumptions)
    history = client.get(reverse("household_detail", args=[household.pk])).content.decode()
    assert reverse("eligibility_check", args=[check.pk]) in history


def test_every_step_kept_adds_up(client, city):
    client.force_login(city.users["district_manager"])
    _post(client, city.households[1], **{"members-0-student": "on", "members-0-age": "24",
                                          "members-0-earned_income": "1,000,000", "debts": "1000"})  # fmt: skip
    from dolbom.eligibility.calculator import Step

    check = EligibilityCheck.objects.get()
    assert check_steps([Step.from_dict(step) for step in check.result["steps"]]) == []


def test_reading_and_writing_are_audited_without_amounts(client, city):
    household = city.households[0]
    client.force_login(city.users["dong_officer"])
    client.get(reverse("eligibility_new", args=[household.pk]))
    _post(client, household)
    check = EligibilityCheck.objects.get()
    client.get(reverse("eligibility_check", args=[check.pk]))
    events = AuditEvent.objects.filter(action__startswith="eligibility.").order_by("seq")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["eligibility.view_check_form", "eligibility.record_check", "eligibility.view_check"]
    recorded = AuditEvent.objects.get(action="eligibility.record_check")
    assert recorded.detail["outcomes"]["livelihood"] == Outcome.LIKELY
    assert "710000" not in str(recorded.detail) and "1314800" not in str(recorded.detail)


def test_the_same_form_sent_twice_is_one_calculation(client, city):
    client.force_login(city.users["dong_officer"])
    token = str(uuid.uuid4())
    first = _post(client, city.households[0], submission=token)
    second = _post(client, city.households[0], submission=token)
    assert EligibilityCheck.objects.count() == 1 and first["Location"] == second["Location"]


def test_a_mistake_comes_back_with_what_was_typed(client, city):
    client.force_login(city.users["dong_officer"])
    response = _post(client, city.households[0], unsellable_property="70,000,000", other_income="12,345")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error' in html and "12,345" in html
    no_age = _post(client, city.households[0], **{"members-0-age": "", "members-0-earned_income": "100"})
    assert no_age.status_code == 422 and 'class="error' in no_age.content.decode()
    assert not EligibilityCheck.objects.exists()


def test_another_dong_or_an_agency_is_refused_and_nothing_is_kept(client, city):
    client.force_login(city.users["dong_officer"])
    assert _post(client, city.households[1]).status_code == 404  # dong 1: not the officer's
    client.force_login(city.users["agency_worker"])
    assert _post(client, city.households[0]).status_code == 403  # consented to the agency, but not its means
    page = client.get(reverse("household_detail", args=[city.households[0].pk])).content.decode()
    assert reverse("eligibility_new", args=[city.households[0].pk]) not in page
    assert not EligibilityCheck.objects.exists()


def test_regions_suggested_from_the_address():
    sido = AdministrativeArea(code="1100000000", name="서울특별시", level="sido")
    assert suggested_regions(AdministrativeArea(code="1111051500", name="청운효자동", parent=sido)) == (
        "seoul",
        "big_city",
    )
    county = AdministrativeArea(code="4182000000", name="가평군", level="sigungu")
    assert suggested_regions(AdministrativeArea(code="4182025000", name="가평읍", parent=county)) == (
        "gyeonggi",
        "rural",
    )
    changwon = AdministrativeArea(code="4812100000", name="창원시 의창구", level="sigungu")
    assert suggested_regions(AdministrativeArea(code="4812152000", name="동읍", parent=changwon))[0] == "metro"
    other = AdministrativeArea(code="9911000000", name="새솔구", level="sigungu")
    assert suggested_regions(AdministrativeArea(code="9911051000", name="가온동", parent=other)) == (
        "other",
        "small_city",
    )
    assert date(2026, 1, 1)  # the rules files are read by year, not by the address
