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
