"""An eligibility calculation on a phone (390×844), at the door: from the household page, the form starts from the
household's members; the officer types an income and some property, and the result page answers benefit by benefit
with the arithmetic. Both pages fit the phone (no sideways scroll, no squeezed word, every control a fingertip tall)
and pass axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.layout import PHONE, measure
from tests.e2e.support import DemoServer, assert_accessible

pytestmark = pytest.mark.e2e


def _assert_fits(page: Any, what: str, artifacts: Path) -> None:
    fit = measure(page)
    page.screenshot(path=artifacts / f"eligibility-{what}-390.png", full_page=True)
    assert not fit.scrolls_sideways, f"{what}: {fit.scroll_width} px wide in {fit.inner_width} px"
    assert not fit.broken, f"{what}: words broken across lines {fit.broken[:10]}"
    assert not fit.small, f"{what}: controls under 44 px {fit.small[:10]}"


def test_a_calculation_at_the_door_on_a_phone(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    household = demo_server.facts["household"]
    page = open_page("demo_dong")
    page.set_viewport_size(PHONE)
    page.goto(demo_server.url(f"/households/{household['id']}/"))
    start = page.locator("a.button", has_text="받을 수 있는 급여 계산")
    expect(start).to_be_visible()
    start.click()
    page.wait_for_url(f"**/households/{household['id']}/eligibility/new/")
    _assert_fits(page, "form", artifacts)
    assert_accessible(page, "eligibility form")
    # One row per registered member, the age filled in from the registry.
    for index in range(len(household["person_ids"])):
        assert page.locator(f"#id_members-{index}-age").input_value() != ""

    page.fill("#id_members-0-earned_income", "1,100,000")
    page.fill("#id_other_income", "200000")
    page.fill("#id_general_property", "60,000,000")
    page.fill("#id_financial_assets", "7000000")
    page.locator("label.choice", has_text="그 외 지역").click()
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert re.search(r"/eligibility/\d+/$", page.url), page.url
    expect(page.locator("table.outcomes")).to_contain_text("생계급여")
    expect(page.locator("main")).to_contain_text("소득인정액")
    expect(page.locator("ol.steps").first).to_be_visible()
    _assert_fits(page, "result", artifacts)
    assert_accessible(page, "eligibility result")
