"""Outreach events from the outside: an officer records a village tour or a market-day booth with its figures, the
households met land on their own dong's worklist, the figures of a period add up, and nobody records or reads an
event or a household outside their area."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.intake.models import EventContact, EventKind, OutreachEvent, WorkItem, WorkSource
from dolbom.intake.services.outreach import add_event_contact, create_event, figures_for

ON = date(2026, 11, 3)


def _event(city, user_key: str = "dong_officer", dong_indexes=(0,), **extra) -> OutreachEvent:
    values = {
        "kind": EventKind.MARKET_BOOTH,
        "held_on": ON,
        "place": "가온시장 입구",
        "dongs": [city.dongs[i].code for i in dong_indexes],
        "agencies": [city.agencies["welfare"].pk],
        "visitors": 40,
        "consultations": 12,
        "help_count": 3,
        "help_won": 300_000,
        **extra,
    }
    return create_event(user=city.users[user_key], **values)


def _post_event(client, city, **extra) -> object:
    data = {
        "kind": EventKind.VILLAGE_TOUR,
        "held_on": "2026-11-03",
        "place": "가온동 경로당",
        "dongs": [city.dongs[0].code],
        "agencies": [str(city.agencies["welfare"].pk)],
        "visitors": "25",
        "consultations": "7",
        "help_count": "2",
        "help_won": "1,500,000",
        "note": "",
        **extra,
    }
    return client.post(reverse("event_new"), data)


def test_an_officer_records_a_village_tour_with_its_figures(client, city):
    client.force_login(city.users["dong_officer"])
    response = _post_event(client, city)
    assert response.status_code == 302
    event = OutreachEvent.objects.get()
    assert (event.kind, event.visitors, event.consultations, event.help_count, event.help_won) == (
        EventKind.VILLAGE_TOUR, 25, 7, 2, 1_500_000,
    )  # fmt: skip
    assert list(event.dongs.all()) == [city.dongs[0]]
    assert list(event.agencies.all()) == [city.agencies["welfare"]]
    assert event.district_id == city.districts[0].code
    assert AuditEvent.objects.filter(action="intake.create_event", object_id=str(event.pk)).exists()


@pytest.mark.parametrize(
    ("typed", "won"),
    [
        ("1,500,000", 1_500_000),
        ("１，５００，０００", 1_500_000),
        ("１５００００원", 150_000),
        (" 2,000 ", 2000),
        ("", 0),
    ],
)
def test_won_amounts_are_read_as_officers_type_them(client, city, typed, won):
    client.force_login(city.users["dong_officer"])
    assert _post_event(client, city, help_won=typed, visitors="３０").status_code == 302
    event = OutreachEvent.objects.get()
    assert (event.help_won, event.visitors) == (won, 30)


@pytest.mark.parametrize("typed", ["-5000", "1.5", "만원", "1" * 13])
def test_an_amount_that_is_no_amount_is_refused_in_korean(client, city, typed):
    client.force_login(city.users["dong_officer"])
    response = _post_event(client, city, help_won=typed)
    assert response.status_code == 422
    assert "지원 금액(원): 1,500,000처럼 원 단위 금액을 입력하세요." in response.content.decode()
    assert not OutreachEvent.objects.exists()


@pytest.mark.parametrize(("field", "label"), [("place", "장소"), ("note", "메모")])
def test_a_very_long_text_is_refused_naming_the_field(client, city, field, label):
    client.force_login(city.users["dong_officer"])
    response = _post_event(client, city, **{field: "가" * 9000})
    page = response.content.decode()
    assert f"{label}이(가) 너무 깁니다" in page
    assert not OutreachEvent.objects.exists()


def test_a_very_long_question_is_refused_naming_the_field(city):
    event = _event(city)
    with pytest.raises(ValidationError) as refused:
        add_event_contact(
            user=city.users["dong_officer"], event_id=event.pk, name="홍길동", dong_code=city.dongs[0].code,
            asked="도움" * 3000, follow_up=True,
        )  # fmt: skip
    assert "문의 내용" in refused.value.message_dict["asked"][0]
    assert not EventContact.objects.exists() and not WorkItem.objects.exists()


def test_households_met_land_on_their_own_dongs_worklist(client, city):
    manager = city.users["district_manager"]
    event = _event(city, "district_manager", dong_indexes=(0, 1))
    client.force_login(manager)
    url = reverse("event_contact_new", args=[event.pk])
    registered = city.household_in(1)
    response = client.post(url, {"action": "add", "household": registered.pk, "asked": "난방비 지원 문의",
                                 "follow_up": "on"})  # fmt: skip
    assert response.status_code == 302
    response = client.post(url, {"action": "add", "name": "홍길동", "dong": city.dongs[0].code,
                                 "asked": "기초연금 신청 방법", "follow_up": "on"})  # fmt: skip
    assert response.status_code == 302
    response = client.post(url, {"action": "add", "name": "이몽룡", "dong": city.dongs[0].code,
                                 "asked": "일자리 안내만", "follow_up": ""})  # fmt: skip
    assert response.status_code == 302
    first, second, third = EventContact.objects.order_by("pk")
    assert (first.work_item.dong, first.work_item.household, first.work_item.source) == (
        city.dongs[1], registered, WorkSource.EVENT,
    )  # fmt: skip
    assert (second.work_item.dong, second.work_item.household, second.masked_name) == (city.dongs[0], None, "홍*동")
    assert third.work_item is None
    # The name is kept masked only: nowhere in clear, not in the audit log either.
    assert not EventContact.objects.filter(masked_name__contains="길").exists()
    details = str(list(AuditEvent.objects.filter(action="intake.add_event_contact").values_list("detail", flat=True)))
    assert "홍길동" not in details and "기초연금" not in details
    # The dong-0 officer finds the unregistered person on the worklist, not the dong-1 household.
    client.force_login(city.users["dong_officer"])
    worklist = client.get(reverse("worklist"), {"source": "event"}).content.decode()
    assert f"work-{second.work_item_id}" in worklist and f"work-{first.work_item_id}" not in worklist
    assert "홍*동" in worklist
    item_page = client.get(reverse("work_item", args=[second.work_item_id])).content.decode()
    assert "기초연금 신청 방법" in item_page and "홍*동" in item_page and "가온시장 입구" in item_page


def test_a_household_is_found_through_the_registrys_scoped_search(client, city):
    event = _event(city)
    client.force_login(city.users["dong_officer"])
    url = reverse("event_contact_new", args=[event.pk])
    page = client.post(url, {"action": "search", "q": "시청로"}).content.decode()
    assert f'value="{city.household_in(0).pk}"' in page
    assert f'value="{city.household_in(1).pk}"' not in page  # another dong's household is not offered
    assert AuditEvent.objects.filter(action="registry.search").exists()


def test_a_hand_edited_post_with_another_dongs_household_is_refused(client, city):
    event = _event(city)
    client.force_login(city.users["dong_officer"])
    url = reverse("event_contact_new", args=[event.pk])
    for household in (city.household_in(1), city.household_in(2)):
        response = client.post(url, {"action": "add", "household": household.pk, "asked": "문의", "follow_up": "on"})
        assert response.status_code == 403
    # A dong the event's form does not offer is refused by the form, and by the service behind it.
    response = client.post(url, {"action": "add", "name": "홍길동", "dong": city.dongs[1].code, "asked": "문의",
                                 "follow_up": "on"})  # fmt: skip
    assert response.status_code == 422
    with pytest.raises(PermissionDenied):
        add_event_contact(user=city.users["dong_officer"], event_id=event.pk, name="홍길동",
                          dong_code=city.dongs[1].code, asked="문의", follow_up=True)  # fmt: skip
    assert not EventContact.objects.exists() and not WorkItem.objects.exists()


def test_an_officer_cannot_hold_an_event_in_another_dong(client, city):
    client.force_login(city.users["dong_officer"])
    # The form offers only the officer's dongs; a hand-edited one is refused.
    assert _post_event(client, city, dongs=[city.dongs[1].code]).status_code == 422
    with pytest.raises(PermissionDenied):
        _event(city, dong_indexes=(1,))
    with pytest.raises(PermissionDenied):
        _event(city, "district_manager", dong_indexes=(2,))
    assert not OutreachEvent.objects.exists()


def test_events_are_seen_in_their_area_only(client, city):
    event = _event(city, dong_indexes=(0,))
    other = _event(city, "district_manager", dong_indexes=(1,))
    for role, sees in (("dong_officer", {event}), ("district_manager", {event, other}),
                       ("district_admin", {event, other})):  # fmt: skip
        client.force_login(city.users[role])
        page = client.get(reverse("event_list"), {"start": "2026-01-01", "end": "2026-12-31"}).content.decode()
        assert {e for e in (event, other) if f"event-{e.pk}" in page} == sees, role
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("event_detail", args=[other.pk])).status_code == 404
    for role in ("agency_worker", "safety_net", "analyst"):
        client.force_login(city.users[role])
        assert client.get(reverse("event_list")).status_code == 403
        assert client.get(reverse("event_new")).status_code == 403
        assert client.get(reverse("event_detail", args=[event.pk])).status_code in (403, 404)
        assert client.post(reverse("event_contact_new", args=[event.pk]), {"action": "add"}).status_code == 403


def test_the_figures_of_a_period_add_up(city):
    officer = city.users["dong_officer"]
    first = _event(city, help_won="１，２００，０００", visitors="３０", consultations=10, help_count=4)
    _event(city, held_on=date(2026, 11, 20), visitors=15, consultations=5, help_count=1, help_won="300,000")
    _event(city, held_on=date(2026, 10, 31), visitors=99)  # outside the period
    _event(city, "district_manager", dong_indexes=(1,), visitors=50)  # another dong: not the officer's
    add_event_contact(user=officer, event_id=first.pk, name="홍길동", dong_code=city.dongs[0].code, asked="문의",
                      follow_up=True)  # fmt: skip
    add_event_contact(user=officer, event_id=first.pk, household_id=city.household_in(0).pk, asked="문의",
                      follow_up=True)  # fmt: skip
    add_event_contact(user=officer, event_id=first.pk, name="성춘향", dong_code=city.dongs[0].code, asked="안내",
                      follow_up=False)  # fmt: skip
    figures = figures_for(user=officer, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert (figures.events, figures.visitors, figures.consultations, figures.help_count, figures.help_won) == (
        2, 45, 15, 5, 1_500_000,
    )  # fmt: skip
    assert figures.households_added == 2
    district = figures_for(user=city.users["district_manager"], start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert (district.events, district.visitors) == (3, 95)


def test_the_figures_are_updated_at_the_end_of_the_day(client, city):
    event = _event(city)
    client.force_login(city.users["dong_officer"])
    url = reverse("event_figures", args=[event.pk])
    response = client.post(url, {"visitors": "６０", "consultations": "20", "help_count": "5", "help_won": "2,500,000"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.visitors, event.help_won) == (60, 2_500_000)
    page = client.get(reverse("event_detail", args=[event.pk])).content.decode()
    assert "2,500,000" in page
    client.force_login(city.users["agency_worker"])
    assert client.post(url, {"visitors": "1"}).status_code in (403, 404)


def test_at_a_joint_event_an_officer_is_offered_only_their_own_dong_for_a_person_met(client, city):
    """An event of two dongs: the officer of one adds people met to their dong; the other dong is not offered (its
    officer adds theirs), and choosing it anyway is the form's error, not a refusal page."""
    event = _event(city, "district_manager", dong_indexes=(0, 1))
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("event_contact_new", args=[event.pk])).content.decode()
    assert f'value="{city.dongs[0].code}"' in page and f'value="{city.dongs[1].code}"' not in page
    data = {"name": "홍길동", "dong": city.dongs[1].code, "asked": "기초연금 문의", "follow_up": "on"}
    response = client.post(reverse("event_contact_new", args=[event.pk]), data)
    assert response.status_code == 422 and 'class="error' in response.content.decode()
    assert not WorkItem.objects.filter(source="event").exists()
