"""The household page (가구): titled by its head and address, the door to find (unit, 통/반), the head listed
first, and the history of everything the viewer may see: moves and consents from the registry, and from
discovery the crisis signals of its members, the rounds that listed it, the visits and their outcomes."""

from __future__ import annotations

import html
import re
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import OutreachItem, ScreeningRound, SignalFile
from dolbom.discovery.services.outreach import assign_visit, record_outcome
from dolbom.registry.models import Membership, Staff
from tests.conftest import make_person


def _page(client, user, household):
    client.force_login(user)
    return client.get(reverse("household_detail", args=[household.pk]))


def _text(response) -> str:
    """The page's visible text, tags removed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_page_is_titled_by_the_head_and_the_address_and_shows_the_door(client, city):
    household = city.household_in(0)
    response = _page(client, city.users["dong_officer"], household)
    assert response.status_code == 200
    body = response.content.decode()
    title = "김*희 · 한빛시 중앙구 시청로 10 101동 1203호"
    assert f'<h1 class="household-title">{title}</h1>' in body
    assert f"<title>{title} · " in body
    assert f"#{household.pk}" not in title  # no internal number as a name; it stays among the facts, for a move
    assert f"가구 번호 #{household.pk}" in _text(response)
    text = _text(response)
    assert "동·호수 101동 1203호" in text and "통·반 3통 2반" in text
    assert "김영희" not in text  # the title masks the head's name as the members table does


def test_the_head_is_listed_first(client, city):
    household = city.household_in(0)
    # A member who moved in before the head became head: listed after the head all the same.
    elder = make_person("김노인", date(1930, 1, 1), "M", serial=500)
    Membership.objects.create(household=household, person=elder, relationship="parent", moved_in=date(2019, 1, 1))
    body = _page(client, city.users["district_manager"], household).content.decode()
    rows = re.findall(r'<tr id="person-(\d+)">', body)
    assert rows[0] == str(city.persons[0].pk) and len(rows) == 3


def test_an_agency_that_does_not_see_the_head_gets_the_address_as_title(client, city):
    from dolbom.registry.models import Consent
    from dolbom.registry.services import withdraw_consent

    household = city.household_in(0)
    Consent.objects.create(
        person=city.persons[3], recipient=city.agencies["welfare"], purpose="service_linkage", given_on=date(2025, 1, 1)
    )
    withdraw_consent(user=city.users["dong_officer"], consent=city.persons[0].consents.get(), reason="본인 요청")
    body = _page(client, city.users["agency_worker"], household).content.decode()
    assert '<h1 class="household-title">한빛시 중앙구 시청로 10 101동 1203호</h1>' in body
    assert "김*희" not in body


def test_viewing_the_page_is_audited_and_stays_scoped(client, city):
    household = city.household_in(0)
    assert _page(client, city.users["dong_officer"], household).status_code == 200
    event = AuditEvent.objects.filter(action="registry.view_household").latest("seq")
    assert event.object_id == str(household.pk) and event.actor_name == "officer"
    assert _page(client, city.users["dong_officer"], city.household_in(1)).status_code == 404
    assert _page(client, city.users["safety_net"], household).status_code == 403


def test_each_household_in_turn_and_ids_no_row_can_have(client, city):
    """The page's questions are built once per user and asked with each household's id: the next household shows
    its own head, the one outside the area stays a 404, and ids beyond any stored one answer 404, not an error."""
    client.force_login(city.users["district_manager"])
    first = client.get(reverse("household_detail", args=[city.household_in(0).pk]))
    second = client.get(reverse("household_detail", args=[city.household_in(1).pk]))
    assert "김*희" in _text(first) and "이*수" in _text(second) and "김*희" not in _text(second)
    assert client.get(reverse("household_detail", args=[city.household_in(2).pk])).status_code == 404
    for huge in (2**63, 10**20):
        assert client.get(f"/households/{huge}/").status_code == 404


# --- History across domains -----------------------------------------------------------------------------------


def _signal_file(settings, district, rows, *, key):
    """A stored signal file as the importer writes it (the columns the history reads), with its row."""
    signal_file = SignalFile.objects.create(
        district=district,
        agency_code="kepco",
        period="2026-09",
        sha256=key.ljust(64, "0"),
        original_name="kepco.csv",
        file_format="csv",
        catalogue_version="2026.2",
        rows=len(rows),
        matched_rows=len(rows),
        unmatched_rows=0,
        storage_path=f"signals/{district.code}/2026-09/{key}.parquet",
    )
    path = settings.HOME / signal_file.storage_path
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "signal_file_id": pa.array([signal_file.pk] * len(rows), pa.int64()),
            "record_id": pa.array([str(i) for i in range(len(rows))]),
            "kind": pa.array([r[0] for r in rows]),
            "person_id": pa.array([r[1] for r in rows], pa.int64()),
            "rrn_hash": pa.array([r[2] for r in rows]),
            "observed_on": pa.array([r[3] for r in rows], pa.date32()),
        }
    )
    pq.write_table(table, path)
    return signal_file


@pytest.fixture
def history(city, settings, tmp_path):
    """Household 0 (dong 0): an electricity cut-off of the head, a gas arrears of the spouse found by the hash of
    his number (registered after the import), a listing by a round, a visit assigned and its outcome. In the
    other district's file, a signal with the head's id as well, which the page must not show."""
    settings.HOME = tmp_path / "home"
    head, spouse = city.persons[0], city.persons[3]
    _signal_file(
        settings,
        city.districts[0],
        [
            ("electricity_cutoff", head.pk, head.rrn_hash, date(2026, 8, 3)),
            ("gas_arrears", None, spouse.rrn_hash, date(2026, 7, 20)),
            ("water_arrears", city.persons[1].pk, city.persons[1].rrn_hash, date(2026, 8, 1)),
        ],
        key="a" * 16,
    )
    _signal_file(settings, city.districts[1], [("job_loss", head.pk, "f" * 64, date(2026, 6, 1))], key="b" * 16)
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-09", scorer="scorecard", status="done"
    )
    item = OutreachItem.objects.create(
        round=screening_round,
        household=city.household_in(0),
        dong=city.dongs[0],
        rank=3,
        score=42.0,
        reasons=[{"text": "단전 (+20점)", "points": 20, "code": "electricity_cutoff"}],
    )
    officer = city.users["dong_officer"]
    assign_visit(user=officer, item_id=item.pk, visitor_id=Staff.objects.get(user=officer).pk)
    record_outcome(user=officer, item_id=item.pk, outcome="helped", note="긴급생계지원 연계")
    return item


@pytest.mark.parametrize("role", ["dong_officer", "district_manager", "district_admin"])
def test_the_history_shows_signals_listing_visit_and_outcome_to_the_officers(client, city, history, role):
    text = _text(_page(client, city.users[role], city.household_in(0)))
    for shown in (
        "위기정보: 단전·전류제한 (김*희)",
        "2026-08-03",
        "한국전력공사 제공 2026-09 차수 위기정보 파일",
        "위기정보: 도시가스요금 체납 (김*수)",  # matched by the hash of the number, not by the id
        "2026-09 발굴 차수 명단에 올랐습니다: 가온동 3순위",
        "단전 (+20점)",
        "officer 님이 방문을 배정했습니다 (2026-09 차수)",
        "officer 님이 방문 결과를 기록했습니다: 도움 연계 (2026-09 차수)",
        "긴급생계지원 연계",
        "김*희 전입 (가구주)",
    ):
        assert shown in text, (role, shown, text[-1500:])
    assert "실직" not in text and "2026-06-01" not in text  # the other district's file, though it names the head
    assert "수도요금" not in text and "2026-08-01" not in text  # another household's member


def test_an_agency_sees_the_registry_history_but_nothing_of_discovery(client, city, history):
    text = _text(_page(client, city.users["agency_worker"], city.household_in(0)))
    assert "김*희 전입 (가구주)" in text
    assert "위기정보" not in text and "발굴 차수" not in text and "방문" not in text.replace("방문 상담", "")


def test_the_history_lists_the_newest_first(client, city, history):
    body = _page(client, city.users["dong_officer"], city.household_in(0)).content.decode()
    dates = re.findall(r'<li class="history-[a-z_]+"><time datetime="([0-9-]+)"', body)
    assert dates == sorted(dates, reverse=True) and len(dates) >= 6


def test_the_outreach_list_shows_the_door(client, city, history):
    client.force_login(city.users["dong_officer"])
    text = _text(client.get(reverse("outreach_list"), {"round": history.round_id, "dong": city.dongs[0].code}))
    assert "한빛시 중앙구 시청로 10 101동 1203호 · 3통 2반" in text


def test_withdrawn_imports_and_withdrawn_listings_are_no_part_of_the_history(client, city, history, settings):
    """An import or a round withdrawn as a mistake is shown on no list, and not in the household's history."""
    from django.utils import timezone

    from dolbom.discovery.models import ItemStatus

    withdrawn_file = _signal_file(
        settings, city.districts[0], [("suicide_risk", city.persons[0].pk, "e" * 64, date(2026, 9, 9))], key="c" * 16
    )
    SignalFile.objects.filter(pk=withdrawn_file.pk).update(withdrawn_at=timezone.now(), withdrawal_reason="차수 착오")
    mistaken = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-08", scorer="scorecard", status="withdrawn"
    )
    OutreachItem.objects.create(
        round=mistaken, household=city.household_in(0), dong=city.dongs[0], rank=1, score=1.0,
        status=ItemStatus.WITHDRAWN,
    )  # fmt: skip
    text = _text(_page(client, city.users["dong_officer"], city.household_in(0)))
    assert "2026-09-09" not in text and "자살" not in text
    assert "2026-08 발굴 차수" not in text
    assert "2026-09 발굴 차수 명단에 올랐습니다" in text  # the listing that stands


def test_the_block_loaded_after_the_page_comes_last(client, city):
    """The consultations block arrives by htmx after the page: placed last, its arrival moves no button an officer
    is about to tap (a tap on the eligibility button used to land where the button had been)."""
    body = _page(client, city.users["dong_officer"], city.household_in(0)).content.decode()
    lazy = re.findall(r'<section[^>]*hx-trigger="load"[^>]*>', body)
    assert len(lazy) == 1 and 'id="household-consultations"' in lazy[0]
    starts = [m.start() for m in re.finditer(r"<section\b", body)]
    assert len(starts) > 3 and body.index(lazy[0]) == starts[-1]
