"""Integrated case management from end to end, as its users meet it, at an office PC (1366×768) and on a tablet
(390×844): a candidate intake sent is opened as a case by the dong's officer; the district's case manager plans the
integrated case conference, records who came, puts the case on the agenda and selects it; the officer draws up the
plan and records the household's agreement, and a dong conference approves it; two services are requested, one
from a public office (answered by the officer) and one from a private welfare centre, whose worker accepts and
delivers on the centre's own pages; a monitoring note, a reassessment, the plan kept, the case closed with its
goals met; three months later the follow-up check is due on 오늘 할 일; the minutes open as a PDF holding the
decisions."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from dolbom.core.dates import today_kst
from dolbom.core.workdays import add_months
from tests.e2e.support import DemoServer, assert_accessible, main_text, submit_login
from tests.e2e.test_emergency_clock import later_server  # noqa: F401 (the fixture)
from tests.e2e.test_public_report import _fits_the_screen, _shell

pytestmark = pytest.mark.e2e

OFFICE = {"width": 1366, "height": 768}
TABLET = {"width": 390, "height": 844}

# A household of the demo officer's first dong that no other test works with, made a case-management candidate by
# an initial consultation (intake's own pages are walked by test_front_door.py), its head consenting to share with
# the demo agency's welfare centre, whose meal delivery is in the service directory for the dong.
CANDIDATE = """
from dolbom.core.dates import today_kst
from dolbom.intake.models import Consultation, ConsultationRecord, Decision, WorkItem
from dolbom.registry.models import Consent, Household, Staff
officer = Staff.objects.get(user__username='demo_dong')
agency = Staff.objects.get(user__username='demo_agency').agency
dong = officer.areas.order_by('code').first()
h = (Household.objects.filter(dong=dong, work_items__isnull=True, memberships__isnull=False, cases__isnull=True,
     consultations__isnull=True, emergency_supports__isnull=True).order_by('pk').distinct().first())
item = WorkItem.objects.create(dong=dong, household=h, source='walk_in', status='closed')
c = Consultation.objects.create(household=h, work_item=item, opened_by=officer.user)
ConsultationRecord.objects.create(consultation=c, held_on=today_kst(), officer=officer, contact='visit',
    what_happened='실직 후 석 달째 월세 체납, 당뇨 치료 중단', crisis_kinds=['job_loss'], consent='given',
    recorded_by=officer.user)
d = Decision.objects.create(consultation=c, kind='case_candidate', status='pending', decided_on=today_kst(),
    decided_by=officer.user)
head = h.memberships.filter(moved_out__isnull=True, relationship='head').first().person
Consent.objects.create(person=head, recipient=agency, purpose='service_linkage', given_on=today_kst(),
    recorded_by=officer, method='signed_form')
from dolbom.resources.models import Organization, Service, ServiceArea, ServiceDomain
org = Organization.objects.create(name=agency.name, sector='private', agency=agency)
meals = Service.objects.create(district_id=dong.parent_id, organization=org, name='밑반찬 배달', sector='private',
    eligibility='혼자 사는 어르신', capacity=30, unit_won=240000, unit_label='월 8회')
ServiceDomain.objects.create(service=meals, domain='health')
ServiceArea.objects.create(service=meals, code=dong.code, name=dong.name)
print(f"{h.pk}|{d.pk}|{agency.name}|{dong.name}")
"""


def _submit(page: Any, form: Any, button: str = "button[type=submit]") -> None:
    with page.expect_navigation():
        form.locator(button).first.click()


def _choose(page: Any, scope: Any, group: str, label: str) -> None:
    """A radio of a `_choices.html` group, by its label."""
    scope.locator(f"#group-{group} label", has_text=label).first.click()


def _conference(page: Any, server: DemoServer, kind: str, attendees: list[tuple[str, str]]) -> str:
    """Plan today's conference of the kind, record who came; the conference page's address."""
    page.goto(server.url("/conferences/new/"))
    form = page.locator("main form")
    _choose(page, form, "kind", kind)
    form.locator("[name=held_on]").fill(today_kst().isoformat())
    form.locator("[name=place]").fill("구청 3층 회의실")
    _submit(page, form)
    assert re.search(r"/conferences/\d+/$", page.url), main_text(page)
    address = page.url
    for name, agency in attendees:
        form = page.locator("#attendees form")
        form.locator("[name=name]").fill(name)
        form.locator("[name=agency]").select_option(label=agency)
        _submit(page, form)
    return address


def _agenda_and_decide(page: Any, case: int, proposal: str, outcome: str, note: str) -> None:
    form = page.locator("#agenda form")
    form.locator("[name=case]").select_option(str(case))
    form.locator("[name=proposal]").select_option(label=proposal)
    _submit(page, form)
    _submit(page, page.locator("#hold form"))
    item = page.locator("article.agenda-item", has_text=f"사례 {case}")
    decision = item.locator("form.decision-form")  # its fields are prefixed by the item: one form per case
    decision.locator("fieldset[id$='-outcome'] label").filter(has_text=re.compile(rf"^\s*{outcome}\s*$")).click()
    decision.locator("[name$='-note']").fill(note)
    _submit(page, decision)
    expect(item.locator(".decision")).to_have_text(outcome)
    _submit(page, page.locator("#close form"))
    expect(page.locator("main")).to_contain_text("회의록 확정")


def _minutes_text(page: Any, conference_url: str) -> str:
    response = page.request.get(conference_url + "minutes.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def test_a_candidate_is_selected_planned_served_by_two_partners_closed_and_followed_up(
    open_page: Callable[..., Any],
    browser: Any,
    demo_server: DemoServer,
    later_server: Callable[[str], DemoServer],  # noqa: F811
    artifacts: Path,
) -> None:
    household, decision, welfare, dong = _shell(demo_server, CANDIDATE).split("|", 3)
    assert dong, "the demo officer has a dong"
    today = today_kst()

    # 1. The officer opens the candidate as a case.
    officer = open_page("demo_dong")
    officer.set_viewport_size(OFFICE)
    officer.goto(demo_server.url("/cases/"))
    _submit(officer, officer.locator(f"#candidate-{decision} form"))
    match = re.search(r"/cases/(\d+)/$", officer.url)
    assert match, main_text(officer)
    case, case_url = int(match.group(1)), officer.url
    expect(officer.locator("h1")).to_contain_text("후보")
    assert_accessible(officer, "a new case")

    # 2. The district's integrated case conference selects it, with the welfare centre at the table.
    manager = open_page("demo_district")
    manager.set_viewport_size(OFFICE)
    district_conference = _conference(
        manager, demo_server, "시군구 통합사례회의", [("박팀장", "새솔구 희망복지지원단"), ("최복지사", welfare)]
    )
    _agenda_and_decide(manager, case, "선정", "선정", "복합 욕구, 통합사례관리 필요")
    assert_accessible(manager, "a conference with its minutes closed")
    manager.screenshot(path=str(artifacts / "cases-conference-1366.png"), full_page=True)
    minutes = _minutes_text(manager, district_conference)
    for said in ("시군구 통합사례회의", "박팀장", welfare, f"사례 {case}", "선정", "복합 욕구"):
        assert said in minutes, (said, minutes[:500])

    # 3. The officer draws up the plan, the household agrees, a dong conference approves it.
    officer.goto(case_url)
    expect(officer.locator("h1")).to_contain_text("선정")
    officer.locator("main a.button", has_text="서비스 계획 수립").click()
    officer.wait_for_url("**/plan/")
    plan = officer.locator("main form")
    target = add_months(today, 3).isoformat()
    for i, (domain, goal, measure) in enumerate(
        (("경제", "생계 안정", "월 소득 100만원 확보"), ("건강", "당뇨 치료 재개", "월 1회 진료"))
    ):
        plan.locator(f"[name=goal_{i}_domain]").select_option(label=domain)
        plan.locator(f"[name=goal_{i}_goal]").fill(goal)
        plan.locator(f"[name=goal_{i}_target]").fill(measure)
        plan.locator(f"[name=goal_{i}_target_on]").fill(target)
    _submit(officer, plan)
    assert officer.url.endswith(f"/cases/{case}/"), main_text(officer)
    agreement = officer.locator("form[action$='/plan/agreement/']")
    agreement.locator("label", has_text="서면 동의서").click()
    _submit(officer, agreement)
    expect(officer.locator("main")).to_contain_text("서면 동의서")
    dong_conference = _conference(officer, demo_server, "읍면동 사례회의", [("김주무관", "새솔1동 행정복지센터")])
    _agenda_and_decide(officer, case, "계획 승인", "계획 승인", "계획에 동의, 서비스 시작")
    assert "계획 승인" in _minutes_text(officer, dong_conference)

    # 4. Two services: a public one the officer answers for, and the welfare centre's, answered on its pages.
    officer.goto(case_url)
    expect(officer.locator("h1")).to_contain_text("서비스 제공 중")
    links: dict[str, int] = {}
    for service, provider, won in (("긴급 생계비", "새솔1동 행정복지센터", "300,000원"), ("밑반찬 배달", welfare, "")):
        officer.goto(case_url + "linkages/new/")
        form = officer.locator("main form.stacked")
        form.locator("[name=domain]").select_option(label="경제" if won else "건강")
        if won:  # a public office named by hand
            # The demo's directory has services for this need; none is picked until the officer picks one.
            expect(form.locator("#service-choice-none")).to_be_checked()
            form.locator("[name=service]").fill(service)
            option = form.locator("[name=provider] option", has_text=provider).first
            form.locator("[name=provider]").select_option(option.get_attribute("value"))
            form.locator("[name=planned_won]").fill(won)
        else:  # the centre's meals, picked from the directory: the form fills itself in
            # The demo's directory has its own 밑반찬 배달 too: this test's one is worth 240,000원.
            form.locator("#directory-choices label", has_text=service).filter(has_text="240,000원").click()
            expect(form.locator("[name=service]")).to_have_value(service)
            expect(form.locator("[name=provider] option:checked")).to_contain_text(provider)
            expect(form.locator("[name=planned_won]")).to_have_value("240,000")
            assert_accessible(officer, "a service picked from the directory")
        form.locator("label.inline", has_text="정기" if not won else "1회").click()
        _submit(officer, form)
        assert re.search(r"/linkages/(\d+)/$", officer.url), main_text(officer)
        links[service] = int(re.search(r"/linkages/(\d+)/$", officer.url).group(1))
    officer.goto(demo_server.url(f"/linkages/{links['긴급 생계비']}/"))
    answer = officer.locator("form[action$='/answer/']")
    answer.locator("label", has_text="수락").click()
    _submit(officer, answer)
    delivery = officer.locator("form[action$='/deliver/']")
    delivery.locator("[name=won]").fill("300,000원")
    _submit(officer, delivery)
    expect(officer.locator("h1")).to_contain_text("종료")  # a one-off service ends with its delivery

    partner = open_page("demo_agency")
    partner.set_viewport_size(TABLET)
    partner.goto(demo_server.url("/linkages/"))
    row = partner.locator(f"#linkage-{links['밑반찬 배달']}")
    expect(row).to_contain_text("회신 대기")
    assert partner.locator(f"#linkage-{links['긴급 생계비']}").count() == 0  # not the centre's
    _fits_the_screen(partner, "a partner's linkages on a tablet")
    with partner.expect_navigation():
        row.locator("a").first.click()
    answer = partner.locator("form[action$='/answer/']")
    answer.locator("label", has_text="수락").click()
    _submit(partner, answer)
    delivery = partner.locator("form[action$='/deliver/']")
    delivery.locator("[name=won]").fill("80,000")
    delivery.locator("[name=note]").fill("11월 밑반찬 4회")
    _submit(partner, delivery)
    expect(partner.locator("main")).to_contain_text("80,000원")
    assert_accessible(partner, "a partner's linkage being delivered")
    partner.screenshot(path=str(artifacts / "cases-partner-linkage-390.png"), full_page=True)
    assert partner.goto(case_url).status == 404  # the case itself is the dong's

    # 5. Monitoring, a reassessment, the plan kept; then closure with the goals met, on a tablet at the home.
    officer.set_viewport_size(TABLET)
    officer.goto(case_url)
    monitoring = officer.locator("form[action$='/monitoring/']")
    monitoring.locator("[name=note]").fill("밑반찬 배달 잘 받고 계심, 진료 재개")
    monitoring.locator("select[name^=progress_]").first.select_option(label="진행 중")
    _submit(officer, monitoring)
    monitoring = officer.locator("form[action$='/monitoring/']")
    monitoring.locator("[name=note]").fill("자녀 실직으로 가구 소득 감소, 재사정")
    monitoring.locator("[name=reassessment]").check()
    officer.locator("details summary", has_text="재사정").click()
    monitoring.locator("[name=need_economy]").select_option(label="심각한 욕구")
    _submit(officer, monitoring)
    expect(officer.locator("h1")).to_contain_text("재사정 중")
    _submit(officer, officer.locator("form[action$='/phase/']"), "button[value=keep_plan]")
    expect(officer.locator("h1")).to_contain_text("서비스 제공 중")
    _fits_the_screen(officer, "a case in service on a tablet")
    officer.screenshot(path=str(artifacts / "cases-case-390.png"), full_page=True)
    close = officer.locator("form[action$='/close/']")
    close.locator("[name=reason]").select_option(label="목표 달성")
    close.locator("[name=note]").fill("소득 회복, 치료 지속")
    _submit(officer, close)
    expect(officer.locator("h1")).to_contain_text("사후관리")
    follow_up_due = add_months(today, 3)
    expect(officer.locator("#follow-up-1")).to_contain_text(follow_up_due.isoformat())

    # The household page tells the case's story.
    officer.set_viewport_size(OFFICE)
    officer.goto(demo_server.url(f"/households/{household}/"))
    history = officer.locator("ol.history")
    for said in ("사례관리 대상 선정", "서비스 계획 1판 동의", "밑반찬 배달", "재사정", "종결"):
        expect(history).to_contain_text(said)

    # 6. Three months later the follow-up check is due today on the officer's board.
    later = later_server(follow_up_due.isoformat())
    context = browser.new_context(bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport=TABLET)
    try:
        page = context.new_page()
        submit_login(page, later, "demo_dong", later.password)
        page.goto(later.url("/"))
        row = page.locator(f"#due-case_follow_up-{case}")
        expect(row).to_have_class(re.compile(r"\bdue-today\b"))
        expect(row).to_contain_text("사후관리")
        _fits_the_screen(page, "오늘 할 일 with a follow-up check due")
        page.screenshot(path=str(artifacts / "cases-follow-up-today-390.png"), full_page=True)
    finally:
        context.close()
