"""An initial consultation on a phone-sized tablet (390×844), as on a home visit: from the household page, record
who lives here, what happened, the immediate risks and the consent; assess the ten domains and the crisis level;
decide "case-management candidate + benefit application" and see both wait on the household's page. Every page is
checked with axe-core, for horizontal scrolling, and for touch targets of at least 44 px."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DemoServer, assert_accessible

pytestmark = pytest.mark.e2e

TABLET = {"width": 390, "height": 844}
NEED_DOMAINS = (
    "safety",
    "health",
    "daily_living",
    "family",
    "social",
    "economy",
    "education",
    "employment",
    "living_environment",
    "rights",
)

# Controls a finger touches on these pages: buttons, links styled as buttons, whole-label choices and fields.
TARGETS = ", ".join(
    f"main {selector}"
    for selector in ("button", "a.button", "a.back", "label.choice", "select", "input[type=text]", "textarea")
)


def assert_fits_a_tablet(page: Any, name: str) -> None:
    """No horizontal scroll, and every control at least 44 px high (WCAG 2.5.5)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px at {page.viewport_size['width']} px"
    small = page.eval_on_selector_all(
        TARGETS,
        """nodes => nodes.filter(n => n.offsetParent !== null)
            .map(n => [n.tagName + (n.className ? '.' + n.className : '') + ' ' + (n.innerText || n.name || '').trim()
                       .slice(0, 30), n.getBoundingClientRect().height])
            .filter(([, height]) => height < 44)""",
    )
    assert not small, f"{name}: touch targets under 44 px high: {small[:8]}"


def test_a_consultation_assessment_and_decision_on_a_tablet(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    household = demo_server.facts["household"]
    page = open_page("demo_dong")
    page.set_viewport_size(TABLET)

    # The household page carries intake's block, loaded by htmx, with the way into a walk-in consultation.
    page.goto(demo_server.url(f"/households/{household['id']}/"))
    start = page.locator("#household-consultations a.button", has_text="초기상담 시작")
    expect(start).to_be_visible()
    start.click()
    page.wait_for_url(f"**/households/{household['id']}/consultations/new/")
    assert_accessible(page, "consultation form")
    assert_fits_a_tablet(page, "consultation form")
    members = page.locator("#group-members input[type=checkbox]")
    expect(members).to_have_count(len(household["person_ids"]))
    assert all(members.nth(i).is_checked() for i in range(members.count()))

    page.locator("#group-crisis_kinds label.choice", has_text="실직·휴폐업").click()
    page.locator("#group-crisis_kinds label.choice", has_text="부채·체납").click()
    page.fill("#id_what_happened", "세대주가 9월에 실직하고 석 달째 월세와 가스비를 내지 못함")
    for kind in ("safety", "health", "shelter", "food"):
        page.locator(f"#group-risk_{kind} label.choice", has_text="아니요").click()
    page.locator("#group-risk_heating label.choice", has_text="예").click()
    page.fill("#id_risk_heating_note", "가스 공급 중단 예고장")
    page.locator("#group-consent label.choice", has_text="동의함").click()
    page.locator("#group-consent_purposes label.choice").first.click()
    page.fill("#id_consent_note", "세대주 서면 동의")
    page.screenshot(path=artifacts / "consultation-form-390.png", full_page=True)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/consultations/" in page.url and page.url.rstrip("/").split("/")[-1].isdigit(), page.url
    expect(page.locator("main")).to_contain_text("가스 공급 중단 예고장")
    assert_accessible(page, "consultation page")
    assert_fits_a_tablet(page, "consultation page")

    # The needs in the ten domains and the crisis level of the district's (default) scale.
    page.locator("main a.button", has_text="욕구조사 기록").click()
    page.wait_for_url("**/assessment/")
    assert_accessible(page, "assessment form")
    assert_fits_a_tablet(page, "assessment form")
    for domain in NEED_DOMAINS:
        level = {"economy": "심각한 욕구", "employment": "일부 욕구", "living_environment": "일부 욕구"}.get(
            domain, "욕구 없음"
        )
        page.locator(f"#group-need_{domain} label.choice", has_text=level).click()
    page.fill("#id_need_economy_note", "소득 없음, 월세 3개월 체납")
    page.locator("#group-crisis_level label.choice", has_text="고위기").click()
    page.fill("#id_crisis_reasons", "난방 중단 임박, 소득 없음")
    page.screenshot(path=artifacts / "assessment-form-390.png", full_page=True)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("main .crisis-level")).to_have_text("고위기")

    # The decision: a case-management candidate and a benefit application, both waiting for their next step.
    page.locator("main a.button", has_text="결정 기록").click()
    page.wait_for_url("**/decision/")
    assert_accessible(page, "decision form")
    assert_fits_a_tablet(page, "decision form")
    page.locator("#group-kinds label.choice", has_text="사례관리 후보").click()
    page.locator("#group-kinds label.choice", has_text="급여 신청").click()
    page.fill("#id_note", "주거급여 신청 안내, 통합사례회의 상정")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    decisions = page.locator("main li.decision")
    expect(decisions).to_have_count(2)
    for kind in ("사례관리 후보", "급여 신청"):
        expect(decisions.filter(has=page.get_by_text(kind, exact=True))).to_contain_text("다음 단계 대기")
    assert_accessible(page, "consultation page with decisions")
    assert_fits_a_tablet(page, "consultation page with decisions")
    page.screenshot(path=artifacts / "consultation-390.png", full_page=True)

    # Back on the household page, both wait there for case management and eligibility.
    page.goto(demo_server.url(f"/households/{household['id']}/"))
    pending = page.locator("#household-consultations ul.pending li")
    expect(pending).to_have_count(2)
    assert_accessible(page, "household page with consultations")

    # And at 768×1024, the tablet held upright.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(demo_server.url(f"/households/{household['id']}/consultations/new/"))
    assert_fits_a_tablet(page, "consultation form at 768")
