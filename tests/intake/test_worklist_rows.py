"""The worklist page's rows: what each kind of item shows, in Korean, made from the selector's plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from django.utils import translation

from dolbom.core.dates import KST
from dolbom.intake.selectors import WorklistEntry
from dolbom.intake.worklist_rows import worklist_rows

TODAY = date(2026, 12, 2)

NOTHING_FOUND_IT = WorklistEntry(
    pk=7, dong_id="9911051000", dong_name="새솔1동", source="walk_in", status="open", outcome="", next_try_on=None,
    opened_at=datetime(2026, 11, 30, 0, 30, tzinfo=KST), officer=None, household_id=None, road_address=None,
    detail=None, tong=None, ban=None, referral_id=None, channel=None, reported_address=None, outreach_item_id=None,
    period=None, rank=None, selection=None, event_kind=None, held_on=None, place=None, contact_name=None,
    campaign=None,
)  # fmt: skip
HOUSEHOLD = {"household_id": 3, "road_address": "새솔로 12", "detail": "101동 1002호", "tong": 3, "ban": 2}


@pytest.fixture(autouse=True)
def korean():
    with translation.override("ko"):
        yield


def _row(**values):
    return worklist_rows([replace(NOTHING_FOUND_IT, **values)], TODAY)[0]


def test_a_rounds_listing_shows_its_period_priority_and_reserved_share():
    row = _row(source="round", outreach_item_id=1, period="2026-11", rank=4, selection="ranked", **HOUSEHOLD,
               head_name="김*희")  # fmt: skip
    assert (row.source, row.detail, row.selection) == ("발굴 차수", "2026-11 · 우선순위 4", "")
    assert (row.name, row.identified, row.address) == ("김*희", True, "새솔로 12 · 3통")
    reserved = _row(source="round", outreach_item_id=1, period="2026-11", rank=9, selection="reserved_referral")
    assert reserved.selection == "탐색 배정: 신고 접수"


def test_a_referral_without_a_household_shows_its_channel_and_the_address_typed_masked():
    row = _row(source="referral", referral_id=2, channel="phone", reported_address="새솔로 5 옆집 010-1234-5678")
    assert (row.source, row.detail) == ("신고", "전화번호")
    assert row.address == "새솔로 5 옆집 010-****-5678"
    assert (row.name, row.identified) == ("", False)


def test_a_person_met_at_an_event_shows_the_event_and_their_masked_name():
    row = _row(source="event", event_kind="market_booth", held_on=date(2026, 11, 20), place="새솔시장",
               contact_name="박*수")  # fmt: skip
    assert (row.detail, row.name, row.identified, row.address) == ("장날 상담 부스 2026-11-20", "박*수", True, "")
    assert _row(source="event", event_kind="other", held_on=date(2026, 11, 20), contact_name="").name == "—"


def test_a_campaign_target_shows_its_campaign():
    assert (
        _row(source="campaign", campaign="겨울철 위기가구 일제조사", **HOUSEHOLD).detail == "겨울철 위기가구 일제조사"
    )


def test_waiting_days_count_in_korea_and_the_status_the_outcome_and_the_next_try():
    row = _row()
    # Opened at 00:30 in Korea on the 30th (still the 29th in UTC): two days on the 2nd, not three.
    assert (row.waiting, row.officer, row.status, row.next_try) == ("2일", "—", "미배정", "")
    row = _row(status="closed", outcome="helped", next_try_on=date(2026, 12, 9), officer="이담당")
    assert (row.status, row.next_try, row.officer) == ("종결: 도움 연계", "다음 시도 2026-12-09", "이담당")
    assert _row(opened_at=datetime(2026, 12, 5, tzinfo=KST)).waiting == "0일"  # a clock ahead never counts back


def test_rows_of_one_page_share_their_phrases_but_not_their_values():
    rows = worklist_rows([replace(NOTHING_FOUND_IT, pk=i, rank=i, outreach_item_id=i, period="2026-11",
                                  source="round") for i in (1, 2, 1)], TODAY)  # fmt: skip
    assert [r.detail for r in rows] == ["2026-11 · 우선순위 1", "2026-11 · 우선순위 2", "2026-11 · 우선순위 1"]
