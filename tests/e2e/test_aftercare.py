"""After-care on the office PC (1366×768) and on a phone (390×844): the dong officer records on the household's page
a housing benefit granted almost a year ago, finds the household due a re-verification on the after-care page,
records it on the phone, and it leaves the list. Every page fits and passes axe-core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.eligibility.aftercare import add_months
from tests.e2e.layout import LAPTOP, PHONE, measure
from tests.e2e.support import DemoServer, assert_accessible

pytestmark = pytest.mark.e2e


def _assert_fits(page: Any, what: str, artifacts: Path) -> None:
    width = page.viewport_size["width"]
    fit = measure(page)
    page.screenshot(path=artifacts / f"aftercare-{what}-{width}.png", full_page=True)
    assert not fit.scrolls_sideways, f"{what}: {fit.scroll_width} px wide in {fit.inner_width} px"
    assert not fit.broken, f"{what}: words broken across lines {fit.broken[:10]}"
    if width == PHONE["width"]:
        assert not fit.small, f"{what}: controls under 44 px {fit.small[:10]}"


def test_a_recipient_re_verified_from_the_after_care_page(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    household = demo_server.facts["household"]
    # Granted 355 days ago: due in ten days, inside the page's thirty.
    granted = date.today() - timedelta(days=355)
    officer = open_page("demo_dong")
    officer.set_viewport_size(LAPTOP)
    officer.goto(demo_server.url(f"/households/{household['id']}/"))
    with officer.expect_navigation():
        officer.locator("a", has_text="급여 신청·결정 내역").click()
    _assert_fits(officer, "applications", artifacts)
    assert_accessible(officer, "household applications")
    form = officer.locator("form.application-new")
    form.locator("select[name=benefit]").select_option("housing")
    form.locator("input[name=applied_on]").fill((granted - timedelta(days=20)).strftime("%Y.%m.%d"))
    form.locator("select[name=outcome]").select_option("granted")
    form.locator("input[name=outcome_on]").fill(granted.isoformat())
    with officer.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(officer.locator("li.application", has_text="주거급여")).to_contain_text("선정")

    officer.goto(demo_server.url("/aftercare/"))
    row = officer.locator("ol.grants > li", has_text="주거급여")
    expect(row).to_contain_text(add_months(granted, 12).isoformat())
    _assert_fits(officer, "queue", artifacts)
    assert_accessible(officer, "after-care queue")

    officer.set_viewport_size(PHONE)
    officer.reload()
    row = officer.locator("ol.grants > li", has_text="주거급여")
    row.locator("summary", has_text="확인조사 기록").click()
    row.locator("select[name=result]").select_option("changed")
    with officer.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(officer.locator("[role=alert]", has_text="변동 내용").first).to_be_visible()  # what changed is required
    row = officer.locator("ol.grants > li", has_text="주거급여")
    row.locator("input[name=note]").fill("임차료 변동 확인, 급여 변경 의뢰")
    _assert_fits(officer, "refused", artifacts)
    with officer.expect_navigation():
        row.locator("button[type=submit]").click()
    expect(officer.locator("ol.grants > li", has_text="주거급여")).to_have_count(0)
    _assert_fits(officer, "done", artifacts)
    assert_accessible(officer, "after-care queue after a re-verification")
