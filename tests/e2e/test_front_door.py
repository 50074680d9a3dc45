"""The front door from end to end, as its users meet it: a resident reports a neighbour on a phone without login;
the dong's officer, at an office PC (1366×768), finds the report on the worklist, ties it to the registered
household, records a visit nobody answered (a retry is scheduled; a second tab still showing the item before
that record is told of the change instead of overwriting it) and then one that met the household, holds the
initial consultation with needs and a crisis level, and decides "emergency support + case-management candidate";
the emergency application carries the decision on, and on 오늘 할 일 its on-site check turns red once the date is
past its deadline (a second server of the same data whose today is later)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.core.dates import now_kst, today_kst
from tests.e2e.support import DemoServer, assert_accessible, main_text, submit_login
from tests.e2e.test_consultation import NEED_DOMAINS
from tests.e2e.test_emergency_clock import later_server  # noqa: F401 (the fixture)
from tests.e2e.test_public_report import _fits_the_screen, _shell, phone  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# A household of the demo officer's first dong that no other test works with: nothing on the worklist, no
# consultation, no emergency support. Its address, as a resident would write it, is what the report says.
UNTOUCHED = """
from dolbom.registry.models import Household, Staff
dong = Staff.objects.get(user__username='demo_dong').areas.order_by('code').first()
h = (Household.objects.filter(dong=dong, work_items__isnull=True, memberships__isnull=False,
     consultations__isnull=True, emergency_supports__isnull=True).exclude(address__detail='')
     .select_related('address').order_by('-pk').distinct().first())
print(f"{h.pk}|{dong.code}|{h.address.road_address} {h.address.detail}")
"""


def _submit(page: Any, form: Any) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def _visit(page: Any, result: str) -> None:
    visit = page.locator("form[action$='/visits/']")
    visit.locator("[name=on]").fill(today_kst().isoformat())
    visit.locator("[name=kind]").select_option("visit")
    visit.locator("[name=result]").select_option(result)
    visit.locator("[name=note]").fill("초인종 눌러도 응답 없음" if result == "absent" else "세대주와 면담")
    _submit(page, visit)
    assert "/visits/" not in page.url, main_text(page)


def test_a_public_report_becomes_a_consultation_and_an_emergency_clock_that_turns_red(
    phone: Any,  # noqa: F811
    open_page: Callable[..., Any],
    browser: Any,
    demo_server: DemoServer,
    later_server: Callable[[str], DemoServer],  # noqa: F811
    artifacts: Path,
) -> None:
    household, dong, address = _shell(demo_server, UNTOUCHED).split("|", 2)
    mark = uuid.uuid4().hex[:6]

    # 1. A resident files the report on a phone, without login.
    phone.goto(demo_server.url("/report/"))
    phone.select_option("#id_dong", dong)
    phone.fill("#id_address_text", address)
    phone.fill("#id_concern", f"어르신이 며칠째 보이지 않고 우편물이 쌓여 있어요 ({mark})")
    key = phone.get_attribute("input[name=captcha_0]", "value")
    answer = f"CaptchaStore.objects.get(hashkey='{key}').response"
    phone.fill("#id_captcha_1", _shell(demo_server, f"from captcha.models import CaptchaStore; print({answer})"))
    with phone.expect_navigation():
        phone.click("main form button[type=submit]:not([name])")
    expect(phone.locator("#receipt-number")).to_be_visible()

    # 2. The officer finds it on the dong's worklist and ties it to the registered household.
    officer = open_page("demo_dong")
    officer.set_viewport_size(OFFICE)
    officer.goto(demo_server.url("/worklist/?source=referral"))
    row = officer.locator("main table tbody tr", has_text=mark)
    if row.count() == 0:  # the report's row shows the address; the concern is on the item's page
        row = officer.locator("main table tbody tr", has_text=address.split(" ")[-1])
    with officer.expect_navigation():
        row.locator("a").first.click()
    expect(officer.locator("main")).to_contain_text(mark)
    candidate = officer.locator(f"ul.candidates form:has(input[name=household][value='{household}'])")
    expect(candidate).to_have_count(1)
    _submit(officer, candidate)
    expect(officer.locator(f"main a[href='/households/{household}/']")).to_have_count(1)
    assert_accessible(officer, "worklist item tied to its household")

    # 3. Nobody home: a retry is scheduled. A second tab opened before that record sees the change named, not
    #    overwritten; the second time the household is met.
    stale = officer.context.new_page()
    stale.set_viewport_size(OFFICE)
    stale.goto(officer.url)
    _visit(officer, "absent")
    expect(officer.locator("main")).to_contain_text("다음 시도")
    stale_visit = stale.locator("form[action$='/visits/']")
    stale_visit.locator("[name=result]").select_option("met")
    _submit(stale, stale_visit)
    expect(stale.locator("main [role=alert]").first).to_contain_text("다른 사람이 이 항목을 바꾸었습니다")
    assert_accessible(stale, "worklist item with a conflict")
    stale.close()
    officer.reload()
    expect(officer.locator("ol.visits > li")).to_have_count(1)  # the stale record was not saved
    _visit(officer, "met")
    item_url = officer.url
    officer.locator("main a.button", has_text="초기상담 시작").click()
    officer.wait_for_url("**/consultation/")

    # 4. The initial consultation, the needs in the ten domains and the crisis level.
    officer.locator("#group-crisis_kinds label.choice").first.click()
    officer.fill("#id_what_happened", "혼자 사는 어르신, 지난달 넘어진 뒤 외출을 못 하고 끼니를 거름")
    for kind in ("safety", "health", "shelter", "food", "heating"):
        officer.locator(f"#group-risk_{kind} label.choice", has_text="아니요").click()
    officer.locator("#group-consent label.choice", has_text="동의함").click()
    officer.locator("#group-consent_purposes label.choice").first.click()
    _submit(officer, officer.locator("main form"))
    assert re.search(r"/consultations/\d+/$", officer.url), main_text(officer)
    consultation_url = officer.url
    officer.locator("main a.button", has_text="욕구조사 기록").click()
    officer.wait_for_url("**/assessment/")
    for domain in NEED_DOMAINS:
        level = {"health": "심각한 욕구", "daily_living": "일부 욕구"}.get(domain, "욕구 없음")
        officer.locator(f"#group-need_{domain} label.choice", has_text=level).click()
    officer.locator("#group-crisis_level label.choice", has_text="고위기").click()
    officer.fill("#id_crisis_reasons", "거동 불편, 식사 거름")
    _submit(officer, officer.locator("main form"))
    expect(officer.locator("main .crisis-level")).to_have_text("고위기")

    # 5. The decision: emergency support and a case-management candidate. The application form follows at once.
    officer.locator("main a.button", has_text="결정 기록").click()
    officer.wait_for_url("**/decision/")
    officer.locator("#group-kinds label.choice", has_text="긴급지원").click()
    officer.locator("#group-kinds label.choice", has_text="사례관리 후보").click()
    _submit(officer, officer.locator("main form"))
    assert re.search(rf"/households/{household}/emergency/new/\?consultation=\d+$", officer.url), officer.url
    expect(officer.locator("main .notice")).to_be_visible()
    officer.check("input[name=kinds][value=livelihood]")
    officer.fill("#id_reason", "거동 불편으로 생계 곤란, 식사 지원 필요")
    _submit(officer, officer.locator("main form"))
    match = re.search(r"/emergency/(\d+)/$", officer.url)
    assert match, main_text(officer)
    support = int(match.group(1))
    expect(officer.locator(".clock-running")).to_contain_text("3일 남음")
    officer.goto(consultation_url)
    decisions = officer.locator("main li.decision")
    expect(decisions.filter(has_text="긴급지원")).to_contain_text("인계됨")
    expect(decisions.filter(has_text="사례관리 후보")).to_contain_text("다음 단계 대기")
    officer.goto(item_url)
    expect(officer.locator("main")).to_contain_text("초기상담 실시")  # the item closed by the consultation

    # The household page tells the whole story, newest first.
    officer.goto(demo_server.url(f"/households/{household}/"))
    history = officer.locator("ol.history")
    story = ("긴급지원: 신청 접수", "결정: 긴급지원", "위기도 판정", "초기상담 (", "만남", "부재", "업무 목록에 오름")
    for said in story:
        expect(history).to_contain_text(said)
    assert_accessible(officer, "household page with intake's history")
    officer.screenshot(path=str(artifacts / "front-door-household-1366.png"), full_page=True)

    # 6. Four days later the on-site check is overdue: red, first, on the officer's phone.
    later = later_server((now_kst().date() + timedelta(days=4)).isoformat())
    context = browser.new_context(bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE)
    try:
        page = context.new_page()
        submit_login(page, later, "demo_dong", later.password)
        page.goto(later.url("/"))
        row = page.locator(f"#due-emergency-{support}")
        expect(row).to_have_class(re.compile(r"\bdue-overdue\b"))
        assert row.evaluate("el => getComputedStyle(el).borderLeftColor") == "rgb(176, 0, 32)"
        _fits_the_screen(page, "오늘 할 일 with the clock overdue")
        page.screenshot(path=str(artifacts / "front-door-today-390.png"), full_page=True)
    finally:
        context.close()
