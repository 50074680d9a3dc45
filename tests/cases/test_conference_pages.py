"""The case conference pages from the outside, with the test client: a conference planned, its attendees and
agenda recorded, held, a case decided (and moved), the minutes closed and nothing changing after; who may see it;
hand-made POSTs about another district's conference or another dong's case; the minutes as a PDF."""

from __future__ import annotations

import http.server
import io
import re
import threading

from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from dolbom.cases.models import (
    AgendaItem,
    CaseState,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Move,
    Proposal,
    Transition,
)
from dolbom.cases.services.cases import case_types, propose_case
from dolbom.cases.services.conferences import (
    add_attendee,
    close_minutes,
    hold_conference,
    plan_conference,
    put_on_agenda,
)
from dolbom.core.audit import AuditEvent
from dolbom.core.dates import today_kst
from dolbom.core.roles import Role
from dolbom.registry.models import Agency, Staff
from tests.cases.support import candidate, conference, decided

TODAY = today_kst


def _staff_user(username: str, role: Role, agency: Agency, areas: list) -> object:
    user = get_user_model().objects.create_user(username=username, password="x-" + username)
    staff = Staff.objects.create(user=user, agency=agency, role=role, display_name=username)
    staff.areas.set(areas)
    return user


def _other_district(city) -> dict[str, object]:
    """The second district's own staff, and a conference of theirs with a case of their dong on the agenda."""
    centre = Agency.objects.create(name="다솜동 행정복지센터", sector="public", kind="dong_centre", area=city.dongs[2])
    officer = _staff_user("officer2", Role.DONG_OFFICER, centre, [city.dongs[2]])
    manager = _staff_user("manager2", Role.DISTRICT_MANAGER, city.agencies["other"], [city.districts[1]])
    case = propose_case(
        user=manager, household_id=city.household_in(2).pk, intake_on=TODAY(), reason="강변구 사례회의 상정"
    )
    conf = plan_conference(
        user=manager, kind=ConferenceKind.DISTRICT, held_on=TODAY(), district_code=city.districts[1].code
    )
    add_attendee(user=manager, conference_id=conf.pk, name="강팀장", agency_id=city.agencies["other"].pk)
    item = put_on_agenda(user=manager, conference_id=conf.pk, case_id=case.pk, proposal=Proposal.SELECTION)
    hold_conference(user=manager, conference_id=conf.pk)
    return {"officer": officer, "manager": manager, "case": case, "conference": conf, "item": item}


def _errors(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', response.content.decode()))


def test_a_conference_is_planned_held_decided_and_closed_through_its_pages(client, city):
    case = candidate(city)
    manager = city.users["district_manager"]
    client.force_login(manager)

    planned = client.post(
        reverse("conference_new"),
        {"kind": "district", "held_on": TODAY().isoformat(), "place": "구청 3층 회의실", "chair": "박팀장"},
    )
    assert planned.status_code == 302, _errors(planned)
    conf = Conference.objects.get()
    assert planned["Location"] == reverse("conference_detail", args=[conf.pk])
    assert (conf.kind, conf.district_id, conf.dong_id) == (ConferenceKind.DISTRICT, city.districts[0].code, None)

    attend = reverse("conference_attendee", args=[conf.pk])
    assert client.post(attend, {"name": "박팀장", "agency": city.agencies["district"].pk}).status_code == 302
    assert client.post(attend, {"name": "정간호사", "agency_name": "한빛보건소"}).status_code == 302
    assert [(a.name, a.agency_label) for a in conf.attendees.all()] == [
        ("박팀장", "중앙구 희망복지지원단"),
        ("정간호사", "한빛보건소"),
    ]

    # The case is offered by its number, dong, state and the head's masked name, never the name itself.
    page = client.get(reverse("conference_detail", args=[conf.pk])).content.decode()
    offered = re.search(r'<select id="agenda-case".*?</select>', page, re.S).group(0)
    option = re.search(rf'<option value="{case.pk}"[^>]*>([^<]+)</option>', offered)
    assert option is not None
    head = city.persons[0]
    assert head.masked_name in option.group(1) and "가온동" in option.group(1) and "후보" in option.group(1)
    assert head.name not in page

    agenda = client.post(reverse("conference_agenda", args=[conf.pk]), {"case": case.pk, "proposal": "selection"})
    assert agenda.status_code == 302, _errors(agenda)
    item = AgendaItem.objects.get(conference=conf)

    # No decision before the conference is held: refused on the form, nothing moves.
    decide_url = reverse("conference_decide", args=[conf.pk, item.pk])
    early = client.post(decide_url, {f"item{item.pk}-outcome": "select", f"item{item.pk}-note": "욕구 복합"})
    assert early.status_code == 422 and "개최" in _errors(early)

    held = client.post(reverse("conference_hold", args=[conf.pk]), {"notes": "신규 사례 1건 검토"})
    assert held.status_code == 302, _errors(held)

    general = next(t for t in case_types(district_code=city.districts[0].code) if t.tier == "general")
    worker = city.users["agency_worker"].staff
    decision = {
        f"item{item.pk}-outcome": "select",
        f"item{item.pk}-case_type": general.pk,
        f"item{item.pk}-lead_agency": city.agencies["welfare"].pk,
        f"item{item.pk}-lead_worker": worker.pk,
        f"item{item.pk}-discussion": "주거와 건강 욕구가 함께 있음",
        f"item{item.pk}-note": "복합 욕구로 통합사례관리 필요",
    }
    decided_response = client.post(decide_url, decision)
    assert decided_response.status_code == 302, _errors(decided_response)

    case.refresh_from_db()
    item.refresh_from_db()
    assert case.state == CaseState.SELECTED and case.selected_on == TODAY()
    assert (case.lead_agency_id, case.lead_worker_id) == (city.agencies["welfare"].pk, worker.pk)
    moved = Transition.objects.get(case=case, move=Move.SELECT)
    assert moved.agenda_item_id == item.pk and moved.reason == "복합 욕구로 통합사례관리 필요"
    assert item.discussion == "주거와 건강 욕구가 함께 있음" and item.decided_by == manager

    closed = client.post(reverse("conference_close", args=[conf.pk]))
    assert closed.status_code == 302, _errors(closed)
    conf.refresh_from_db()
    assert conf.status == ConferenceStatus.CLOSED

    # Closed minutes: nothing changes any more, whatever is posted.
    events = AuditEvent.objects.count()
    again = client.post(decide_url, {**decision, f"item{item.pk}-outcome": "not_select"})
    assert again.status_code == 422 and "바꿀 수 없" in _errors(again)
    more = client.post(attend, {"name": "늦은참석자", "agency_name": "한빛보건소"})
    assert more.status_code == 422
    assert client.post(reverse("conference_hold", args=[conf.pk]), {"notes": "x"}).status_code == 422
    item.refresh_from_db()
    assert item.outcome == "select" and conf.attendees.count() == 2
    assert not AuditEvent.objects.filter(seq__gt=events).exclude(action__in=["cases.view_conference"]).exists()

    page = client.get(reverse("conference_detail", args=[conf.pk])).content.decode()
    assert "선정" in page and 'action="' + decide_url not in page
    assert AuditEvent.objects.filter(action="cases.view_conference", object_id=str(conf.pk)).exists()


def test_the_list_shows_open_conferences_first_then_those_with_closed_minutes(client, city):
    from datetime import timedelta

    manager = city.users["district_manager"]
    made = {}
    for days in (-30, 14, 0, -2, -9):
        made[days] = plan_conference(
            user=manager,
            kind=ConferenceKind.DISTRICT,
            held_on=TODAY() + timedelta(days=days),
            district_code=city.districts[0].code,
        )
    for days in (-30, -9):  # held and closed: history
        add_attendee(user=manager, conference_id=made[days].pk, name="박팀장", agency_id=city.agencies["district"].pk)
        hold_conference(user=manager, conference_id=made[days].pk)
        close_minutes(user=manager, conference_id=made[days].pk)
    client.force_login(manager)
    html = client.get(reverse("conference_list")).content.decode()
    listed = [int(pk) for pk in re.findall(r'<tr id="conference-(\d+)">', html)]
    # Open ones by date (one planned two days ago, never marked held, is work left), then closed ones, latest first.
    assert listed == [made[d].pk for d in (-2, 0, 14, -9, -30)]
    assert AuditEvent.objects.filter(action="cases.view_conference_list").count() == 1


def test_a_deferral_records_no_lead_even_if_one_was_chosen(client, city):
    conf = conference(city, held=False)
    case = candidate(city)
    manager = city.users["district_manager"]
    put_on_agenda(user=manager, conference_id=conf.pk, case_id=case.pk, proposal=Proposal.SELECTION)
    hold_conference(user=manager, conference_id=conf.pk)
    item = conf.agenda.get()
    client.force_login(manager)
    prefix = f"item{item.pk}"
    response = client.post(
        reverse("conference_decide", args=[conf.pk, item.pk]),
        {
            f"{prefix}-outcome": "defer",
            f"{prefix}-note": "추가 조사 후 재상정",
            f"{prefix}-lead_agency": city.agencies["welfare"].pk,
            f"{prefix}-closure_reason": "moved",
        },
    )
    assert response.status_code == 302, _errors(response)
    item.refresh_from_db()
    case.refresh_from_db()
    assert item.outcome == "defer" and item.lead_agency_id is None and item.closure_reason == ""
    assert case.state == CaseState.CANDIDATE and case.lead_agency_id != city.agencies["welfare"].pk


def test_only_the_decisions_the_cases_state_allows_are_offered(client, city):
    conf = conference(city, held=False)
    case = candidate(city)
    manager = city.users["district_manager"]
    put_on_agenda(user=manager, conference_id=conf.pk, case_id=case.pk, proposal=Proposal.PLAN)
    hold_conference(user=manager, conference_id=conf.pk)
    item = conf.agenda.get()
    client.force_login(manager)
    page = client.get(reverse("conference_detail", args=[conf.pk])).content.decode()
    offered = set(re.findall(rf'name="item{item.pk}-outcome" value="(\w+)"', page))
    # A candidate is selected or not, transferred, closed, or waits: its plan is not approved, nor extended.
    assert offered == {"select", "not_select", "transfer", "close", "continue", "defer"}
    refused = client.post(
        reverse("conference_decide", args=[conf.pk, item.pk]),
        {f"item{item.pk}-outcome": "approve_plan", f"item{item.pk}-note": "계획 승인"},
    )
    assert refused.status_code == 422 and not AgendaItem.objects.exclude(outcome="").exists()


def test_another_districts_officer_and_an_analyst_are_refused(client, city):
    conf = conference(city)
    stranger = _other_district(city)["officer"]
    client.force_login(stranger)
    assert client.get(reverse("conference_detail", args=[conf.pk])).status_code == 404
    assert client.get(reverse("conference_minutes", args=[conf.pk])).status_code == 404
    assert client.post(reverse("conference_hold", args=[conf.pk])).status_code == 404
    assert f'id="conference-{conf.pk}"' not in client.get(reverse("conference_list")).content.decode()

    client.force_login(city.users["analyst"])
    for name in ("conference_detail", "conference_minutes"):
        assert client.get(reverse(name, args=[conf.pk])).status_code == 403
    assert client.get(reverse("conference_list")).status_code == 403
    assert client.get(reverse("conference_new")).status_code == 403


def test_a_hand_made_post_deciding_another_districts_case_is_refused(client, city):
    own = conference(city)
    other = _other_district(city)
    item, foreign_case = other["item"], other["case"]
    client.force_login(city.users["district_manager"])
    entry = {f"item{item.pk}-outcome": "select", f"item{item.pk}-note": "타 구 사례를 선정 시도"}
    # The item's own conference, and the manager's own conference in the address: both name nothing they may see.
    for conference_id in (other["conference"].pk, own.pk):
        response = client.post(reverse("conference_decide", args=[conference_id, item.pk]), entry)
        assert response.status_code == 404
    item.refresh_from_db()
    foreign_case.refresh_from_db()
    assert item.outcome == "" and foreign_case.state == CaseState.CANDIDATE
    assert not Transition.objects.filter(case=foreign_case, move=Move.SELECT).exists()


def test_a_case_of_dong_1_cannot_go_on_dong_0s_conference(client, city):
    manager = city.users["district_manager"]
    in_dong1 = candidate(city, dong_index=1, user_key="district_manager")
    in_dong0 = candidate(city)
    client.force_login(manager)
    planned = client.post(
        reverse("conference_new"), {"kind": "dong", "dong": city.dongs[0].code, "held_on": TODAY().isoformat()}
    )
    assert planned.status_code == 302, _errors(planned)
    conf = Conference.objects.get(kind=ConferenceKind.DONG)
    assert conf.dong_id == city.dongs[0].code

    page = client.get(reverse("conference_detail", args=[conf.pk])).content.decode()
    offered = re.search(r'<select id="agenda-case".*?</select>', page, re.S).group(0)
    assert f'<option value="{in_dong0.pk}"' in offered and f'<option value="{in_dong1.pk}"' not in offered
    refused = client.post(
        reverse("conference_agenda", args=[conf.pk]),
        {"case": in_dong1.pk, "proposal": "selection", "presenter": "김주무관"},
    )
    assert refused.status_code == 422
    assert "회의 관할 지역" in _errors(refused)
    assert 'value="김주무관"' in refused.content.decode()  # what was typed comes back
    assert not conf.agenda.exists()


def test_a_dong_officer_plans_only_their_own_dongs_conference(client, city):
    client.force_login(city.users["dong_officer"])
    form = client.get(reverse("conference_new")).content.decode()
    assert 'value="dong"' in form and 'value="district"' not in form
    assert city.dongs[0].code in form and city.dongs[1].code not in form
    for data in (
        {"kind": "district", "held_on": TODAY().isoformat()},
        {"kind": "dong", "dong": city.dongs[1].code, "held_on": TODAY().isoformat()},
        {"kind": "dong", "held_on": TODAY().isoformat()},
    ):
        response = client.post(reverse("conference_new"), data)
        assert response.status_code == 422, data
    assert not Conference.objects.exists()
    made = client.post(
        reverse("conference_new"), {"kind": "dong", "dong": city.dongs[0].code, "held_on": TODAY().isoformat()}
    )
    assert made.status_code == 302
    assert Conference.objects.get().dong_id == city.dongs[0].code


def _pdf_text(content: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return text, fonts


def test_the_minutes_pdf_holds_the_decisions_the_reader_may_see(client, city):
    conf = conference(city)
    mine = candidate(city)
    theirs = candidate(city, dong_index=1, user_key="district_manager")
    decided(city, mine, Proposal.SELECTION, "select", conf=conf, lead_agency_id=city.agencies["welfare"].pk)
    decided(city, theirs, Proposal.SELECTION, "not_select", conf=conf)

    client.force_login(city.users["district_manager"])
    response = client.get(reverse("conference_minutes", args=[conf.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, fonts = _pdf_text(response.content)
    compact = re.sub(r"\s+", "", text)
    assert "회의록" in compact and "통합사례회의" in compact
    assert "선정" in compact and "미선정" in compact and "회의결정" in compact
    assert "중앙종합사회복지관" in compact  # the lead agency of the selected case
    assert city.persons[0].masked_name.replace(" ", "") in compact and city.persons[0].name not in compact
    assert "박팀장" in compact and "최복지사" in compact
    assert any("NotoSansCJKKR" in f.replace("-", "") for f in fonts), fonts  # Korean from the system font, embedded
    assert AuditEvent.objects.filter(action="cases.print_minutes", object_id=str(conf.pk)).count() == 1

    # A dong officer of dong 0 gets the same conference's minutes without dong 1's case.
    client.force_login(city.users["dong_officer"])
    text, _ = _pdf_text(client.get(reverse("conference_minutes", args=[conf.pk])).content)
    compact = re.sub(r"\s+", "", text)
    assert f"사례{mine.pk}" in compact and f"사례{theirs.pk}" not in compact and "미선정" not in compact


def test_printing_the_minutes_fetches_nothing(tmp_path):
    """A server on this machine counts what it is asked for while a page that links a stylesheet and images from
    it is printed: nothing. (A template, or a text someone typed that a template forgot to escape, must not make
    the server fetch from the network or read a local file.)"""
    from dolbom.cases.services.conference_pages import render_pdf

    asked: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        html = (
            f'<link rel="stylesheet" href="{base}/style.css"><img src="{base}/logo.png">'
            f'<p style="background: url({base}/bg.png)">회의록</p>'
        )
        assert render_pdf(html).startswith(b"%PDF")
    finally:
        server.shutdown()
        server.server_close()
    assert asked == []
