"""The 404 page as an officer sees it on a phone: the application's Korean page, with the menu to carry on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DemoServer, assert_accessible

pytestmark = pytest.mark.e2e


def test_404_page_on_a_phone(open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path) -> None:
    other = demo_server.facts["other_household"]  # another dong's household: 404, like one that does not exist
    page = open_page("demo_dong")
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(demo_server.url(f"/households/{other['id']}/"))
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("페이지를 찾을 수 없습니다")
    menu = page.get_by_role("navigation", name="주 메뉴")
    expect(menu.get_by_role("link", name="오늘 할 일")).to_be_visible()
    expect(menu.get_by_role("link", name="가구 검색")).to_be_visible()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    page.screenshot(path=artifacts / "404-phone.png", full_page=True)
    assert_accessible(page, "404")

    menu.get_by_role("link", name="가구 검색").click()
    expect(page.locator("#q")).to_be_visible()
