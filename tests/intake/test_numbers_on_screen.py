"""Numbers people write into free text, from the outside: a reporter's phone and a number noted in a visit or a
report are masked on the worklist item's page, and shown in full only for a reason kept in the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.intake.models import Consultation, EmergencySupport, WorkItem
from dolbom.registry.models import Staff
from tests.intake import test_consultations
from tests.intake.test_consultations import _consultation_data

met_item = test_consultations.met_item  # the fixture: a household met on a visit

REPORTER = "010-2468-1357"
DAUGHTER = "010 9876 5432"
RRN = "500304-2000100"


@pytest.fixture
def item(client, city):
    """A report taken by phone, with the reporter's number and, in what was noticed, a daughter's phone and a
    resident number read off a letter."""
    client.force_login(city.users["dong_officer"])
    concern = f"딸 연락처 {DAUGHTER}, 우편물에 {RRN} 적힘"
    data = {
        "dong": city.dongs[0].pk,
        "address_text": "시청로 10",
        "concern": concern,
        "channel": "phone",
        "reporter_contact": REPORTER,
    }
    assert client.post(reverse("referral_new"), data).status_code == 302
    work_item = WorkItem.objects.get(referral__concern=concern)
    officer = Staff.objects.get(user=city.users["dong_officer"])
    visit = {"version": work_item.version, "visitor": officer.pk, "on": "2026-11-02", "kind": "phone"}
    visit["result"] = "absent"
    visit["note"] = f"아들에게 {DAUGHTER.replace(' ', '-')} 로 다시 걸기로"
    assert client.post(reverse("work_item_visit", args=[work_item.pk]), visit).status_code == 302
    return work_item


def _in_full(html: str) -> set[str]:
    return {n for n in (REPORTER, DAUGHTER, DAUGHTER.replace(" ", "-"), RRN) if n in html}


def test_the_page_masks_every_number_written_in_it(client, item):
    html = client.get(reverse("work_item", args=[item.pk])).content.decode()
    assert _in_full(html) == set()
    assert "010-****-1357" in html  # the reporter's phone, masked
    assert "5432" in html and "500304-2******" in html  # the masked forms keep what tells numbers apart


def test_numbers_are_shown_for_a_reason_and_the_reading_is_recorded(client, item):
    url = reverse("work_item_numbers", args=[item.pk])
    refused = client.post(url, {"preset": "other", "reason": "\u200b\u200b\u200b"})
    assert refused.status_code == 422 and "사유" in refused.content.decode()
    assert _in_full(refused.content.decode()) == set()
    assert not AuditEvent.objects.filter(action="intake.reveal_work_item_numbers").exists()

    shown = client.post(url, {"preset": "visit", "reason": "보고자에게 회신"})
    html = shown.content.decode()
    assert shown.status_code == 200 and _in_full(html) == {REPORTER, DAUGHTER, DAUGHTER.replace(" ", "-"), RRN}
    event = AuditEvent.objects.get(action="intake.reveal_work_item_numbers")
    assert event.object_id == str(item.pk) and "보고자에게 회신" in event.reason
    assert REPORTER not in str(event.detail) and RRN not in event.reason
    # the next ordinary reading is masked again
    assert _in_full(client.get(reverse("work_item", args=[item.pk])).content.decode()) == set()


@pytest.mark.parametrize(("role", "status"), [("agency_worker", 403), ("safety_net", 403), ("analyst", 403)])
def test_roles_without_the_worklist_cannot_ask_for_the_numbers(client, city, item, role, status):
    client.force_login(city.users[role])
    response = client.post(reverse("work_item_numbers", args=[item.pk]), {"preset": "visit"})
    assert response.status_code == status and _in_full(response.content.decode()) == set()


def test_an_officer_of_another_dong_does_not_find_the_item(client, city, item):
    item.dong = city.dongs[1]
    item.save(update_fields=["dong"])
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("work_item_numbers", args=[item.pk]), {"preset": "visit"})
    assert response.status_code == 404 and not AuditEvent.objects.filter(action="intake.reveal_work_item_numbers")


# ------------------------------------------------------------------ a consultation, an emergency application


@pytest.fixture
def consulted(client, city, met_item):
    """A consultation whose text holds a phone number, then an emergency application whose crisis holds one."""
    data = _consultation_data(city, met_item.household, what_happened=f"딸({DAUGHTER})이 가끔 들름, 월세 석 달 밀림")
    assert client.post(reverse("consultation_new", args=[met_item.pk]), data).status_code == 302
    consultation = Consultation.objects.get(work_item=met_item)
    fields = {"requested_on": today_kst().isoformat(), "kinds": ["fuel"], "reason": f"단전 예고, 집주인 {REPORTER}"}
    household = met_item.household
    assert client.post(reverse("emergency_new", args=[household.pk]), fields).status_code == 302
    return consultation, EmergencySupport.objects.get(household=household)


@pytest.mark.parametrize(
    ("page", "numbers", "action", "number"),
    [
        ("consultation_detail", "consultation_numbers", "intake.reveal_consultation_numbers", DAUGHTER),
        ("emergency_detail", "emergency_numbers", "intake.reveal_emergency_numbers", REPORTER),
    ],
)
def test_a_consultation_and_an_application_mask_their_numbers_until_asked(
    client, consulted, page, numbers, action, number
):
    consultation, support = consulted
    target = consultation if page == "consultation_detail" else support
    assert number not in client.get(reverse(page, args=[target.pk])).content.decode()
    refused = client.post(reverse(numbers, args=[target.pk]), {"preset": "other", "reason": ""})
    assert refused.status_code == 422 and number not in refused.content.decode()
    shown = client.post(reverse(numbers, args=[target.pk]), {"preset": "benefit"})
    assert shown.status_code == 200 and number in shown.content.decode()
    assert AuditEvent.objects.filter(action=action, object_id=str(target.pk)).count() == 1


def test_the_household_page_tells_intakes_story_with_numbers_masked(client, city, consulted):
    consultation, _ = consulted
    html = client.get(reverse("household_detail", args=[consultation.household_id])).content.decode()
    story = ("가온동 업무 목록에 오름: 신고", "가정 방문 (officer): 만남", "초기상담 (officer", "긴급지원: 신청 접수")
    for said in story:
        assert said in html, said
    assert REPORTER not in html and DAUGHTER not in html
    # a private agency sees the household (its head consented to share with it) but none of intake's story
    client.force_login(city.users["agency_worker"])
    response = client.get(reverse("household_detail", args=[consultation.household_id]))
    html = response.content.decode()
    assert response.status_code == 200 and "김*희 정보제공 동의" in html
    assert "업무 목록에 오름" not in html and "초기상담 (" not in html and "긴급지원:" not in html
