"""The ledger, food bank and volunteer pages from the outside, with the Django test client: what each form records,
what the pages then show, who may use them, and that every reading of personal data is audited."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.resources.models import Allocation, Donation, Lot, Volunteer

ON = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today(settings):
    settings.TODAY_OVERRIDE = ON


def test_a_designated_gift_received_and_allocated_through_the_pages(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("resources_donation_new"), {
        "donor": city.company.pk, "kind": "cash", "received_on": "2026-11-02", "designation": "dong",
        "dong": city.dongs[0].code, "amount_won": "1,000,000원",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    fund = Donation.objects.get().fund
    # The dong's money refused for another dong's household, with the donor's designation in the message.
    response = client.post(reverse("resources_allocation_new"), {
        "fund": fund.pk, "amount_won": "300,000", "on": "2026-11-02", "household": city.households[1].pk,
    })  # fmt: skip
    assert response.status_code == 422 and "가온동 지정기탁입니다" in response.content.decode()
    response = client.post(reverse("resources_allocation_new"), {
        "fund": fund.pk, "amount_won": "300,000", "on": "2026-11-02", "household": city.households[0].pk,
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("resources_ledger")).content.decode()
    assert "동 지정: 가온동" in page and "700,000원" in page
    assert AuditEvent.objects.filter(action="resources.view_ledger").exists()
    assert Allocation.objects.get().household_id == city.households[0].pk


@pytest.mark.parametrize("role", ["agency_worker", "analyst"])
def test_the_ledger_is_the_public_staff_s(client, ledger_city, role):
    client.force_login(ledger_city.users[role])
    assert client.get(reverse("resources_ledger")).status_code == 403
    assert client.get(reverse("resources_donation_new")).status_code == 403


def test_a_dong_officer_reads_the_ledger_and_records_no_gift(client, ledger_city):
    # What the officer sees and gives: tests/resources/test_dong_ledger.py.
    client.force_login(ledger_city.users["dong_officer"])
    assert client.get(reverse("resources_ledger")).status_code == 200
    for name in ("resources_donation_new", "resources_donor_new", "resources_sponsorship_new"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("resources_sponsorships_pay"), {"month": "2026-11"}).status_code == 403


def test_a_food_bank_worker_stocks_and_gives_out(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["agency_worker"])
    response = client.post(reverse("resources_stock_new"), {
        "agency": city.agencies["welfare"].pk, "item": "라면 1상자", "unit": "상자", "units": "10",
        "unit_won": "15,000", "received_on": "2026-11-01", "expires_on": "2026-11-05", "sector": "private",
    })  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("resources_give"), {
        "agency": city.agencies["welfare"].pk, "item": "라면 1상자", "units": "11", "household": city.households[0].pk,
    })  # fmt: skip
    assert response.status_code == 422 and "10상자뿐입니다" in response.content.decode()
    response = client.post(reverse("resources_give"), {
        "agency": city.agencies["welfare"].pk, "item": "라면 1상자", "units": "4", "household": city.households[0].pk,
    })  # fmt: skip
    assert response.status_code == 302
    assert Lot.objects.get().remaining == 6
    page = client.get(reverse("resources_food_bank")).content.decode()
    assert "6상자" in page and "유통기한 임박" in page and "60,000원" in page
    assert AuditEvent.objects.filter(action="resources.view_stock").latest("pk").detail["households"] == [
        city.households[0].pk
    ]


def test_volunteers_are_registered_their_hours_recorded_and_exported_for_1365(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("resources_volunteer_new"), {
        "name": "김봉사", "phone": "010-2222-3333", "dong": city.dongs[0].code, "skills": ["repairs", "cleaning"],
        "availability": "토요일 오전", "portal_id": "vol1365", "consent_on": "2026-10-01",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("resources_volunteers"), {"need": "living_environment"}).content.decode()
    assert "김*사" in page and "김봉사" not in page and "집수리" in page
    assert "김*사" not in client.get(reverse("resources_volunteers"), {"skill": "legal"}).content.decode()
    volunteer_id = Volunteer.objects.get().pk
    response = client.post(reverse("resources_volunteer_hours", args=[volunteer_id]),
                           {"on": "2026-11-01", "minutes": "150", "activity": "도배 봉사"})  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("resources_volunteer_export"), {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["vol1365", "김봉사", "2026-11-01", "2", "30", "도배 봉사", "가온동"]
    assert AuditEvent.objects.get(action="resources.export_hours").detail["rows"] == 1


def test_a_volunteer_needs_consent(client, ledger_city):
    client.force_login(ledger_city.users["dong_officer"])
    response = client.post(reverse("resources_volunteer_new"), {
        "name": "박동의", "dong": ledger_city.dongs[0].code, "skills": ["tutoring"],
    })  # fmt: skip
    assert response.status_code == 422 and "동의" in response.content.decode()


def test_the_household_page_leads_to_the_resources_forms(client, ledger_city):
    city = ledger_city
    household = city.households[0].pk
    client.force_login(city.users["district_manager"])
    page = client.get(reverse("household_detail", args=[household])).content.decode()
    assert f'href="/resources/allocations/new/?household={household}"' in page
    form = client.get(reverse("resources_allocation_new"), {"household": household}).content.decode()
    assert f'value="{household}"' in form
    # A dong officer gives from their dong's funds, and starts no sponsorship (the district's staff do).
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("household_detail", args=[household])).content.decode()
    assert f'href="/resources/allocations/new/?household={household}"' in page
    assert "/resources/sponsorships/new/" not in page
