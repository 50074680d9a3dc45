"""Revealing the members of a household for one visit: one reason, chosen from the usual ones or typed, shows
every member the user may see, each recorded in the audit log as a reveal of that person."""

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent


def _reveal_all(client, user, household, data, htmx=True):
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("reveal_household", args=[household.pk]), data, headers=headers)


def _reveals():
    return list(AuditEvent.objects.filter(action="registry.reveal_person").order_by("seq"))


def test_one_preset_reason_reveals_every_member_and_records_each(client, city):
    household = city.household_in(0)
    response = _reveal_all(client, city.users["dong_officer"], household, {"preset": "visit"})
    assert response.status_code == 200
    page = response.content.decode()
    head, spouse = city.persons[0], city.persons[3]
    for person in (head, spouse):
        assert person.name in page and person.resident_number() in page
    events = _reveals()
    assert sorted(int(e.object_id) for e in events) == sorted([head.pk, spouse.pk])
    for event in events:
        assert event.reason == "방문 상담" and event.actor_name == "officer"
        assert event.detail == {
            "fields": ["name", "phone", "rrn"],
            "household": household.pk,
            "together": 2,
            "preset": "visit",
        }


@pytest.mark.parametrize(
    ("data", "recorded"),
    [
        ({"preset": "benefit"}, "급여 신청"),
        ({"preset": "emergency"}, "긴급지원 확인"),
        ({"preset": "case"}, "사례관리"),
        ({"preset": "visit", "reason": "재방문 전 확인"}, "방문 상담: 재방문 전 확인"),
        ({"preset": "other", "reason": "주거급여 조사"}, "주거급여 조사"),
        ({"reason": "주거급여 조사"}, "주거급여 조사"),
    ],
)
def test_the_reason_recorded_is_the_one_chosen_or_typed(client, city, data, recorded):
    assert _reveal_all(client, city.users["district_manager"], city.household_in(0), data).status_code == 200
    assert {e.reason for e in _reveals()} == {recorded}


@pytest.mark.parametrize(
    "data",
    [{}, {"preset": "other"}, {"preset": "other", "reason": "확인"}, {"preset": "nonsense"}, {"reason": "\u200b" * 8}],
    ids=["nothing", "other-without-text", "too-short", "unknown-preset", "invisible"],
)
def test_without_a_readable_reason_nothing_is_revealed(client, city, data):
    response = _reveal_all(client, city.users["dong_officer"], city.household_in(0), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert city.persons[0].name not in page and "열람 사유를 4자 이상 입력하세요." in page
    assert _reveals() == []


def test_an_agency_reveals_only_the_members_who_consented(client, city):
    response = _reveal_all(client, city.users["agency_worker"], city.household_in(0), {"preset": "case"})
    assert response.status_code == 200
    page = response.content.decode()
    assert city.persons[0].name in page and city.persons[3].name not in page
    assert [int(e.object_id) for e in _reveals()] == [city.persons[0].pk]
    assert _reveals()[0].detail["together"] == 1


@pytest.mark.parametrize(("role", "status"), [("dong_officer", 404), ("safety_net", 403), ("analyst", 403)])
def test_a_household_outside_the_scope_reveals_nothing(client, city, role, status):
    household = city.household_in(1) if role == "dong_officer" else city.household_in(0)
    assert _reveal_all(client, city.users[role], household, {"preset": "visit"}).status_code == status
    assert _reveals() == []


def test_without_htmx_the_details_come_on_a_page_of_their_own(client, city):
    household = city.household_in(0)
    response = _reveal_all(client, city.users["dong_officer"], household, {"preset": "visit"}, htmx=False)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert city.persons[3].name in page and reverse("household_detail", args=[household.pk]) in page


def test_a_single_member_is_revealed_with_a_preset_reason_too(client, city):
    client.force_login(city.users["dong_officer"])
    person = city.persons[3]
    response = client.post(reverse("reveal_person", args=[person.pk]), {"preset": "emergency"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and person.resident_number() in response.content.decode()
    [event] = _reveals()
    assert event.reason == "긴급지원 확인" and event.detail["preset"] == "emergency"


def test_the_household_page_offers_the_reasons(client, city):
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("household_detail", args=[city.household_in(0).pk])).content.decode()
    for choice in ("방문 상담", "급여 신청", "긴급지원 확인", "사례관리", "직접 입력"):
        assert choice in page
    assert 'id="household-preset"' in page and f'id="p{city.persons[0].pk}-preset"' in page
    assert reverse("reveal_household", args=[city.household_in(0).pk]) in page
