"""A small directory in the tiny city of tests/conftest.py: two providers, three services."""

from __future__ import annotations

from typing import Any

import pytest

from dolbom.resources.models import Organization, Service
from dolbom.resources.services import directory


@pytest.fixture
def directory_city(city) -> Any:
    admin = city.users["district_admin"]
    welfare = directory.add_organization(
        user=admin,
        name="중앙종합사회복지관",
        sector="private",
        description="지역 종합사회복지관",
        website="https://welfare.example.kr",
    )
    foundation = Organization.objects.create(name="사랑나눔복지재단", sector="private")
    services = {
        "meals": directory.save_service(
            user=admin,
            organization_id=welfare.pk,
            name="밑반찬 배달",
            description="주 2회 밑반찬 배달",
            eligibility="혼자 사는 어르신",
            sector="private",
            capacity=40,
            unit_won=30_000,
            unit_label="월 1회",
            phone="02-123-4567",
            email="meals@welfare.example.kr",
            domains=["daily_living", "health"],
            areas=[city.dongs[0].code, city.dongs[1].code],
        ),
        "heating": directory.save_service(
            user=admin,
            organization_id=foundation.pk,
            name="난방비 지원",
            sector="private",
            unit_won=300_000,
            domains=["economy"],
            areas=[city.districts[0].code],
        ),
        "legal": directory.save_service(
            user=admin, organization_id=foundation.pk, name="법률 상담", sector="public", domains=["rights"]
        ),
    }
    return services


def all_services() -> list[Service]:
    return list(Service.objects.order_by("hsds_id"))


@pytest.fixture
def ledger_city(city) -> Any:
    """The tiny city with the heads of the first two households (dong 0 and dong 1 of district 1) consenting to
    resource support, and a company and a person donor of district 1."""
    from datetime import date

    from dolbom.registry.models import Consent
    from dolbom.resources.services import donations

    for person in city.persons[:2]:
        Consent.objects.create(
            person=person, recipient=city.agencies["welfare"], purpose="resource_support", given_on=date(2025, 1, 1)
        )
    admin = city.users["district_admin"]
    city.company = donations.add_donor(user=admin, kind="company", name="한빛전자")
    city.person_donor = donations.add_donor(
        user=admin, kind="person", name="홍길동", phone="010-1234-5678", consent_on=date(2026, 1, 5)
    )
    return city


# A business registration number and a resident number that pass their checks (the latter for 1980-01-01, male).
COMPANY_NUMBER = "124-81-00998"
PERSON_RRN = "800101-1234567"


@pytest.fixture
def receipt_city(ledger_city) -> Any:
    """The ledger city where receipts can be issued: district 1's details as the receiving body, the company
    donor's registration number and address, the person donor's resident number and address."""
    from dolbom.resources.models import ReceiptIssuer
    from dolbom.resources.services import receipts

    city = ledger_city
    admin = city.users["district_admin"]
    city.issuer = ReceiptIssuer.objects.create(
        district=city.districts[0], name="중앙구청", registration_number="1238300010", address="한빛시 중앙구 시청로 1",
        legal_basis="소득세법 제34조제2항제1호",
    )  # fmt: skip
    receipts.set_donor_legal(
        user=admin, donor_id=city.company.pk, registration_number=COMPANY_NUMBER, address="한빛시 중앙구 공단로 5"
    )
    receipts.set_donor_legal(
        user=admin,
        donor_id=city.person_donor.pk,
        resident_number=PERSON_RRN,
        address="한빛시 중앙구 은행로 7, 101동 203호",
    )
    return city
