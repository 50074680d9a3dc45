"""Re-guidance on a phone (390×844): the dong officer calculates a household at the door (near-poor), the district
creates and launches a re-guidance campaign (followed on its job's page), and the dong officer finds the household
on the campaign's list with its reason and records its application. Every page fits the phone and passes axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.layout import PHONE, measure
from tests.e2e.support import DemoServer, assert_accessible, follow_job

pytestmark = pytest.mark.e2e


def _assert_fits(page: Any, what: str, artifacts: Path) -> None:
    fit = measure(page)
    page.screenshot(path=artifacts / f"reguidance-{what}-390.png", full_page=True)
    assert not fit.scrolls_sideways, f"{what}: {fit.scroll_width} px wide in {fit.inner_width} px"
    assert not fit.broken, f"{what}: words broken across lines {fit.broken[:10]}"
    assert not fit.small, f"{what}: controls under 44 px {fit.small[:10]}"


def test_a_reguidance_campaign_on_a_phone(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    household = demo_server.facts["household"]
    officer = open_page("demo_dong")
    officer.set_viewport_size(PHONE)
    officer.goto(demo_server.url(f"/households/{household['id']}/eligibility/new/"))
    for index in range(len(household["person_ids"])):
        officer.fill(f"#id_members-{index}-earned_income", "0")
    officer.locator("label.choice", has_text="그 외 지역").click()
    with officer.expect_navigation():
        officer.locator("main button[type=submit]").click()
    assert re.search(r"/eligibility/\d+/$", officer.url), officer.url

    district = open_page("demo_district")
    district.set_viewport_size(PHONE)
    district.goto(demo_server.url("/reguidance/"))
    _assert_fits(district, "list", artifacts)
    assert_accessible(district, "re-guidance campaigns")
    district.fill("#id_name", "위기·틈새가정 재안내")
    with district.expect_navigation():
        district.locator("main form button[type=submit]").click()
    campaign_url = district.url
    with district.expect_navigation():
        district.locator("main form button[type=submit]", has_text="업무 목록에 올리기").click()
    follow_job(district)  # the launch runs as a job; its page leads back to the campaign
    assert district.url == campaign_url
    expect(district.locator("li.target").first).to_be_visible()

    officer.goto(district.url)
    target = officer.locator("li.target", has_text="차상위 해당").first
    expect(target).to_be_visible()
    _assert_fits(officer, "detail", artifacts)
    assert_accessible(officer, "re-guidance campaign")
    target.locator("summary", has_text="급여 신청 기록하기").click()
    target.locator("select[name=benefit]").select_option("livelihood")
    with officer.expect_navigation():
        target.locator("button", has_text="신청 기록").click()
    expect(officer.locator("li.target", has_text="생계급여").first).to_contain_text("결정 대기")
    _assert_fits(officer, "applied", artifacts)
    assert_accessible(officer, "re-guidance campaign after an application")
