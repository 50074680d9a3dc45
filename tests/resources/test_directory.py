"""The service directory from the outside: searched by need domain and area, kept by the district's staff, read by
everyone who links households to services, and offered to case management's linkages through its selector."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.resources.models import Agreement, Organization, Service
from dolbom.resources.selectors import services_for_linkage


def _listed(response) -> set[str]:
    html = response.content.decode()
    return {s.name for s in Service.objects.all() if f'id="service-{s.pk}"' in html}


def test_search_by_need_domain_and_area(client, city, directory_city):
    client.force_login(city.users["dong_officer"])
    everything = client.get(reverse("resources_directory"))
    assert _listed(everything) == {"밑반찬 배달", "난방비 지원", "법률 상담"}
    assert _listed(client.get(reverse("resources_directory"), {"domain": "health"})) == {"밑반찬 배달"}
    # 나래동: the meal service names it, the heating help serves the whole district, legal advice serves anywhere.
    assert _listed(client.get(reverse("resources_directory"), {"area": city.dongs[1].code})) == {
        "밑반찬 배달",
        "난방비 지원",
        "법률 상담",
    }
    # The district: every service of it, its dongs' included.
    assert _listed(client.get(reverse("resources_directory"), {"area": city.districts[0].code})) == {
        "밑반찬 배달", "난방비 지원", "법률 상담",
    }  # fmt: skip
    # The other district's dong: only the service without an area.
    assert _listed(client.get(reverse("resources_directory"), {"area": city.dongs[2].code})) == {"법률 상담"}
    assert _listed(client.get(reverse("resources_directory"), {"q": "반찬"})) == {"밑반찬 배달"}
    assert client.get(reverse("resources_directory"), {"area": "abc"}).status_code == 400


def test_linkages_pick_active_services_for_a_domain_and_area(city, directory_city):
    officer = city.users["dong_officer"]
    Service.objects.filter(pk=directory_city["legal"].pk).update(status="inactive")
    picked = services_for_linkage(officer, domain="economy", area=city.dongs[0].code)
    assert [s.name for s in picked] == ["난방비 지원"]
    assert [s.unit_won for s in picked] == [300_000]
    assert not services_for_linkage(officer, domain="rights").exists()
    assert not services_for_linkage(city.users["analyst"]).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("dong_officer", 200), ("agency_worker", 200), ("district_admin", 200), ("safety_net", 403), ("analyst", 403)],
)
def test_who_reads_the_directory(client, city, directory_city, role, status):
    client.force_login(city.users[role])
    assert client.get(reverse("resources_directory")).status_code == status
    assert client.get(reverse("resources_service", args=[directory_city["meals"].pk])).status_code in (
        {200} if status == 200 else {403, 404}
    )


def test_district_staff_add_a_service_and_the_change_is_audited(client, city, directory_city):
    client.force_login(city.users["district_manager"])
    provider = Organization.objects.get(name="사랑나눔복지재단")
    response = client.post(
        reverse("resources_service_new"),
        {
            "organization": provider.pk,
            "name": "집수리 봉사",
            "domains": ["living_environment"],
            "areas": [city.dongs[0].code],
            "sector": "private",
            "status": "active",
            "unit_won": "500,000원",
            "unit_label": "1가구",
        },
    )
    service = Service.objects.get(name="집수리 봉사")
    assert response.status_code == 302 and response["Location"] == reverse("resources_service", args=[service.pk])
    assert service.unit_won == 500_000 and service.district_id == city.districts[0].code
    assert [a.name for a in service.areas.all()] == ["가온동"]
    event = AuditEvent.objects.filter(action="resources.add_service").latest("pk")
    assert event.detail["domains"] == ["living_environment"]


def test_a_refused_service_comes_back_with_what_was_typed(client, city, directory_city):
    client.force_login(city.users["district_admin"])
    response = client.post(
        reverse("resources_service_new"),
        {"name": "", "sector": "private", "status": "active", "unit_won": "삼만원", "unit_label": "1회"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "금액" in html or "원" in html
    assert 'value="1회"' in html
    assert not Service.objects.filter(unit_label="1회").exists()


def test_an_area_of_another_district_is_refused(client, city, directory_city):
    client.force_login(city.users["district_admin"])
    provider = Organization.objects.first()
    response = client.post(
        reverse("resources_service_new"),
        {
            "organization": provider.pk,
            "name": "x 서비스",
            "areas": [city.dongs[2].code],
            "sector": "private",
            "status": "active",
        },
    )
    assert response.status_code == 422
    assert not Service.objects.filter(name="x 서비스").exists()


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker"])
def test_readers_may_not_change_the_directory(client, city, directory_city, role):
    client.force_login(city.users[role])
    assert client.get(reverse("resources_service_new")).status_code == 403
    url = reverse("resources_service_edit", args=[directory_city["meals"].pk])
    assert client.post(url, {"name": "바뀜"}).status_code == 403
    assert Service.objects.get(pk=directory_city["meals"].pk).name == "밑반찬 배달"


def test_an_agreement_is_recorded_for_the_district(client, city, directory_city):
    client.force_login(city.users["district_admin"])
    provider = Organization.objects.get(name="중앙종합사회복지관")
    response = client.post(
        reverse("resources_agreement_new"),
        {
            "organization": provider.pk,
            "signed_on": "2026-03-02",
            "ends_on": "2027-03-01",
            "scope": "밑반찬 배달 협약",
            "services": [directory_city["meals"].pk],
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.district_id == city.districts[0].code and agreement.signed_on == date(2026, 3, 2)
    assert list(agreement.services.all()) == [directory_city["meals"]]
    assert "밑반찬 배달 협약" in client.get(reverse("resources_agreements")).content.decode()
    # A service of another provider is not one this agreement can cover.
    response = client.post(
        reverse("resources_agreement_new"),
        {
            "organization": provider.pk,
            "signed_on": "2026-03-02",
            "scope": "x",
            "services": [directory_city["legal"].pk],
        },
    )
    assert response.status_code == 422 and Agreement.objects.count() == 1
