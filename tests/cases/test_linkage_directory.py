"""A linkage picks its service from the resource directory: the form lists the directory's services for the need in
the household's dong (with provider, eligibility, capacity and value) and the volunteers whose skills answer it;
picking one fills in provider, service, sector and planned value, on the server; a service the form does not offer
(another district's, an inactive one, another need's) is refused and nothing is written."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dolbom.cases.models import Linkage, LinkageState
from dolbom.cases.services.cases import transfer_case
from dolbom.cases.services.linkages import LinkageEntry, answer_linkage, request_linkage
from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.resources.models import Organization, Service, ServiceArea, ServiceDomain
from dolbom.resources.services import directory
from dolbom.resources.services.volunteers import register_volunteer
from tests.cases.support import in_service


@pytest.fixture
def services(city) -> dict[str, Service]:
    """District 1's directory (kept by its administrator) and one service of district 2, entered as its own
    administrator would have."""
    admin = city.users["district_admin"]
    welfare = directory.add_organization(user=admin, name="중앙종합사회복지관", sector="private")
    assert welfare.agency_id == city.agencies["welfare"].pk  # the registry's agency, whose staff answer
    foundation = directory.add_organization(user=admin, name="사랑나눔복지재단", sector="private")
    own = {
        "meals": directory.save_service(
            user=admin, organization_id=welfare.pk, name="밑반찬 배달", eligibility="혼자 사는 어르신",
            sector="private", capacity=40, unit_won=30_000, unit_label="월 1회", domains=["health", "daily_living"],
            areas=[city.dongs[0].code],
        ),
        "voucher": directory.save_service(
            user=admin, organization_id=welfare.pk, name="노인맞춤돌봄 바우처", sector="public", unit_won=250_000,
            domains=["health"], areas=[city.districts[0].code],
        ),
        "heating": directory.save_service(
            user=admin, organization_id=foundation.pk, name="난방비 지원", sector="private", unit_won=300_000,
            domains=["economy"], areas=[city.districts[0].code],
        ),
        "closed": directory.save_service(
            user=admin, organization_id=foundation.pk, name="치과 치료비", sector="private", unit_won=500_000,
            domains=["health"], status="inactive",
        ),
    }  # fmt: skip
    other = Organization.objects.create(name="강변의료재단", sector="private")
    own["elsewhere"] = Service.objects.create(
        district=city.districts[1], organization=other, name="강변 방문진료", sector="private", unit_won=90_000
    )
    ServiceDomain.objects.create(service=own["elsewhere"], domain="health")
    ServiceArea.objects.create(service=own["elsewhere"], code=city.dongs[2].code, name=city.dongs[2].name)
    return own


def _entry(**changes) -> LinkageEntry:
    values = {"domain": "health", "service": "", "frequency": "periodic", "requested_on": today_kst()}
    return LinkageEntry(**{**values, **changes})


# ------------------------------------------------------------------------------------------------- the service
def test_a_picked_service_fills_provider_name_sector_and_value(city, services):
    case = in_service(city)
    officer = city.users["dong_officer"]
    # Whatever was typed, the directory's service names the provider and the sector.
    linkage = request_linkage(
        user=officer,
        case_id=case.pk,
        entry=_entry(directory_service_id=services["meals"].pk, service="아무거나", provider_name="손으로 쓴 곳",
                     sector="public"),
    )  # fmt: skip
    assert linkage.directory_service_id == services["meals"].pk
    assert (linkage.provider_id, linkage.provider_name) == (city.agencies["welfare"].pk, "")
    assert (linkage.service, linkage.sector, linkage.planned_won) == ("밑반찬 배달", "private", 30_000)
    # The partner answers on its own pages, as for any linkage to it.
    answer_linkage(user=city.users["agency_worker"], linkage_id=linkage.pk, accept=True, on=today_kst())
    linkage.refresh_from_db()
    assert linkage.state == LinkageState.ACCEPTED

    # A public service delivered by a private centre counts as public; a typed planned value is kept.
    voucher = request_linkage(
        user=officer, case_id=case.pk, entry=_entry(directory_service_id=services["voucher"].pk, planned_won=750_000)
    )
    assert (voucher.provider_id, voucher.sector, voucher.planned_won) == (
        city.agencies["welfare"].pk,
        "public",
        750_000,
    )

    # A provider without an agency in Dolbom is named by its name.
    heating = request_linkage(
        user=officer, case_id=case.pk, entry=_entry(domain="economy", directory_service_id=services["heating"].pk)
    )
    assert (heating.provider_id, heating.provider_name, heating.sector) == (None, "사랑나눔복지재단", "private")

    # The same directory service still open is not requested twice.
    with pytest.raises(ValidationError) as refused:
        request_linkage(user=officer, case_id=case.pk, entry=_entry(directory_service_id=services["meals"].pk))
    assert "service" in refused.value.message_dict


@pytest.mark.parametrize(
    ("key", "domain"),
    [("elsewhere", "health"), ("closed", "health"), ("heating", "health"), ("meals", "")],
    ids=["another district's", "inactive", "another need's", "no need chosen"],
)
def test_a_service_the_form_does_not_offer_is_refused(city, services, key, domain):
    case = in_service(city)
    with pytest.raises(ValidationError) as refused:
        request_linkage(
            user=city.users["dong_officer"],
            case_id=case.pk,
            entry=_entry(domain=domain, directory_service_id=services[key].pk, service="방문진료",
                         provider_name="강변의료재단", sector="private"),
        )  # fmt: skip
    assert set(refused.value.message_dict) & {"directory_service", "domain"}
    assert not Linkage.objects.exists()


def test_a_household_without_consent_to_the_services_partner_is_refused(city, services):
    """The service's provider is a private partner in Dolbom: the household of dong 1 never consented to it."""
    case = in_service(city, dong_index=1, user_key="district_manager")
    with pytest.raises(ValidationError) as refused:
        request_linkage(
            user=city.users["district_manager"],
            case_id=case.pk,
            entry=_entry(directory_service_id=services["voucher"].pk),
        )
    assert "provider" in refused.value.message_dict
    assert not Linkage.objects.exists()


# ------------------------------------------------------------------------------------------ from the outside
def _post(client, case, **data):
    return client.post(reverse("linkage_new", args=[case.pk]), data)


def test_a_hand_edited_post_with_another_districts_service_is_refused(client, city, services):
    case = in_service(city)
    client.force_login(city.users["dong_officer"])
    complete = {
        "domain": "health",
        "service": "방문진료",
        "provider_name": "강변의료재단",
        "sector": "private",
        "frequency": "periodic",
        "requested_on": today_kst().isoformat(),
    }
    before = AuditEvent.objects.filter(action__startswith="cases.linkage").count()
    response = _post(client, case, directory_service=str(services["elsewhere"].pk), **complete)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="directory_service-error"' in html and "방문진료" in html  # refused, what was typed kept
    assert not Linkage.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="cases.linkage").count() == before
    # An id that names nothing at all is refused the same way.
    assert _post(client, case, directory_service="999999", **complete).status_code == 422
    assert not Linkage.objects.exists()
    # The same request from the district's own directory goes through.
    response = _post(client, case, directory_service=str(services["meals"].pk), **complete)
    assert response.status_code == 302
    linkage = Linkage.objects.get()
    assert (linkage.service, linkage.provider_id, linkage.planned_won) == (
        "밑반찬 배달",
        city.agencies["welfare"].pk,
        30_000,
    )
    detail = client.get(reverse("linkage_detail", args=[linkage.pk])).content.decode()
    assert reverse("resources_service", args=[services["meals"].pk]) in detail


def test_the_form_lists_the_domains_services_and_volunteers(client, city, services):
    officer = city.users["dong_officer"]
    register_volunteer(user=officer, name="김봉사", dong_code=city.dongs[0].code, skills=["medical"],
                       consent_on=date(2026, 1, 2), phone="010-2345-6789")  # fmt: skip
    register_volunteer(user=officer, name="이청소", dong_code=city.dongs[0].code, skills=["cleaning"],
                       consent_on=date(2026, 1, 2))  # fmt: skip
    case = in_service(city)
    client.force_login(officer)
    url = reverse("linkage_new", args=[case.pk])
    plain = client.get(url).content.decode()
    assert "밑반찬 배달" not in plain.split('id="directory-choices"')[1]  # no domain yet: nothing listed
    html = client.get(url, {"domain": "health"}, headers={"HX-Request": "true"}).content.decode()
    listed = html.split('id="directory-choices"')[1].split('id="id_goal"')[0]
    # Active services of the need that serve the household's dong: provider, eligibility, capacity, unit value.
    assert f'value="{services["meals"].pk}"' in listed and f'value="{services["voucher"].pk}"' in listed
    assert "중앙종합사회복지관" in listed and "혼자 사는 어르신" in listed and "월 40가구" in listed
    assert "30,000원 / 월 1회" in listed
    for absent in ("elsewhere", "closed", "heating"):
        assert f'value="{services[absent].pk}"' not in listed
    # The volunteers whose skills answer the need, masked as on the volunteers' page.
    assert "김*사" in listed and "김봉사" not in listed and "010-****-6789" in listed
    assert "이*소" not in listed
    assert client.get(url, {"domain": "nonsense"}).status_code == 400
    event = AuditEvent.objects.filter(action="cases.view_linkage_form").latest("seq")
    assert event.detail == {"domain": "health", "services": 2, "volunteers": 1}


def test_picking_a_service_fills_in_the_form_and_writes_nothing(client, city, services):
    case = in_service(city)
    client.force_login(city.users["dong_officer"])
    response = _post(
        client, case, refresh="1", domain="health", directory_service=str(services["voucher"].pk),
        service="", note="주 2회 방문 희망", planned_won="",
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'name="service" value="노인맞춤돌봄 바우처"', html)
    assert re.search(rf'<option value="{city.agencies["welfare"].pk}" selected>', html)
    assert re.search(r'name="planned_won" value="250,000"', html)
    assert re.search(r'<option value="public" selected>', html)
    assert "주 2회 방문 희망" in html  # what was typed stays
    assert re.search(rf'value="{services["voucher"].pk}" id="service-choice-{services["voucher"].pk}" checked', html)
    assert not Linkage.objects.exists()
    # A pick another domain does not offer is dropped, not filled in.
    response = _post(client, case, refresh="1", domain="economy", directory_service=str(services["voucher"].pk))
    assert response.status_code == 200 and 'name="service" value="노인맞춤돌봄 바우처"' not in response.content.decode()


def test_a_partner_leading_a_case_sees_the_directory_but_no_volunteers(client, city, services):
    case = in_service(city)
    transfer_case(user=city.users["dong_officer"], case_id=case.pk, reason="복지관이 사례 주관",
                  lead_agency_id=city.agencies["welfare"].pk)  # fmt: skip
    client.force_login(city.users["agency_worker"])
    response = client.get(reverse("linkage_new", args=[case.pk]), {"domain": "health"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "밑반찬 배달" in html and 'id="volunteers-title"' not in html
