"""An officer registers a household of two in the browser, corrects an honest mistake, then records that one of
them moved out of the district: on an office screen (1366×768) and on a phone (390×844), with no page scrolling
sideways and axe-core clean on every page of the way."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.conftest import make_rrn
from tests.e2e.support import DemoServer, assert_accessible, main_text

pytestmark = pytest.mark.e2e

VIEWPORTS = {"office": (1366, 768), "phone": (390, 844)}


def assert_no_sideways_scrolling(page: Any, name: str) -> None:
    fits = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert fits, f"{name} scrolls sideways: scrollWidth {width[0]} > innerWidth {width[1]}"


def arrive(page: Any, url: Any) -> None:
    """Wait for the page a submission leads to; if the form came back instead, say what it said."""
    try:
        page.wait_for_url(url, timeout=20_000)
    except PlaywrightTimeout:
        pytest.fail(f"still on {page.url}: {main_text(page)}", pytrace=False)


def check_page(page: Any, name: str, artifacts: Path) -> None:
    assert_no_sideways_scrolling(page, name)
    assert_accessible(page, name)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_register_a_household_of_two_then_move_one_out(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    page = open_page("demo_dong")
    page.set_viewport_size({"width": width, "height": height})
    # Serials chosen at random: the synthetic city's numbers are random too, and the demo's data outlives one test.
    serial = random.randrange(100_000, 999_999)
    head_name, child_name = ("도윤서", "도하람") if viewport == "office" else ("남궁솔", "남궁별")
    head_rrn = make_rrn(date(1983, 4, 5), "F", serial)
    child_rrn = make_rrn(date(2015, 8, 9), "M", serial)

    page.goto(demo_server.url("/households/"))
    page.get_by_role("link", name="새 가구 등록").click()
    page.wait_for_url("**/households/new/")
    check_page(page, f"register-{viewport}", artifacts)

    page.fill("#id_road_address", f"새솔구 이음로 {serial % 500 + 1}")
    page.fill("#id_detail", f"{serial % 20 + 1}층")
    page.fill("#id_registered_on", "2025.03.02")
    page.fill("#id_members-0-name", head_name)
    page.fill("#id_members-0-resident_number", head_rrn)
    page.fill("#id_members-0-phone", "010–5555–0101")  # typed with en dashes, as a word processor makes them
    page.select_option("#id_members-1-relationship", "child")
    page.fill("#id_members-1-name", child_name)
    page.fill("#id_members-1-resident_number", "151309-3" + child_rrn[-6:])  # an honest slip: month 13

    # One more row, then the registration: the slip is named by row and field, nothing is lost.
    page.get_by_role("button", name="가구원 행 추가").click()
    expect(page.locator("fieldset.member")).to_have_count(4)
    assert page.input_value("#id_members-1-name") == child_name
    page.get_by_role("button", name="가구 등록하기").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("가구원 2 · 주민등록번호")
    assert page.input_value("#id_members-0-resident_number") == head_rrn
    assert page.input_value("#id_members-1-name") == child_name
    check_page(page, f"register-refused-{viewport}", artifacts)

    page.fill("#id_members-1-resident_number", child_rrn)
    page.get_by_role("button", name="가구 등록하기").click()
    arrive(page, re.compile(r"/households/\d+/$"))
    expect(page.locator("main .messages")).to_contain_text("가구를 등록했습니다")
    expect(page.locator("tr[id^=person-]")).to_have_count(2)
    household_url = page.url
    check_page(page, f"registered-household-{viewport}", artifacts)

    child_row = page.locator("tr[id^=actions-]").filter(has_text=child_name[0] + "*" + child_name[-1])
    child_row.get_by_role("link", name=re.compile("^전출")).click()
    arrive(page, re.compile(r"/persons/\d+/move-out/$"))
    check_page(page, f"move-out-{viewport}", artifacts)
    page.fill("#id_on", "2025-06-30")
    page.get_by_role("button", name="전출 기록하기").click()
    arrive(page, household_url)
    expect(page.locator("main .messages")).to_contain_text("관외 전출을 기록했습니다")
    expect(page.locator("tr[id^=person-]")).to_have_count(1)
    assert child_name not in main_text(page) and head_name not in main_text(page), "an unmasked name is shown"
    check_page(page, f"after-move-out-{viewport}", artifacts)
