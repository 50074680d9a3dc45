"""The officer's pages on a phone and a tablet held upright: nothing scrolls sideways, no word is broken across
lines in a squeezed column, every control is a fingertip tall (tests/e2e/layout.py measures all three), and the
pages stay accessible. The audit log is checked the same way, as the administrator reads it on a tablet."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.synth.areas import DISTRICTS
from tests.e2e.layout import PHONE, TABLET, measure
from tests.e2e.support import DemoServer, assert_accessible, dolbom_command

pytestmark = pytest.mark.e2e

SIZES = {"phone": PHONE, "tablet": TABLET}


def _ensure_round(server: DemoServer, open_page: Callable[..., Any]) -> None:
    """An outreach list to look at: the discovery walk leaves rounds behind when it ran first; alone, this test
    imports the district's first month of signals and runs a round itself, as an operator would."""
    district = open_page("demo_district")
    district.goto(server.url("/discovery/rounds/"))
    if district.locator("main table a[href^='/discovery/rounds/']").count():
        return
    district_code = DISTRICTS[0].code
    [city] = server.home.glob("city-*")
    month = sorted((city / "signals" / district_code).iterdir())[0]
    for args in (
        ["import", "signals", *map(str, sorted(month.iterdir())), "--period", month.name, "--as", "demo_district"],
        ["screen", "--period", month.name, "--district", district_code, "--as", "demo_district"],
    ):
        result = subprocess.run(
            [*dolbom_command(), *args], env=server.env, capture_output=True, text=True, timeout=600, check=False
        )
        assert result.returncode == 0, f"dolbom {args[0]}:\n{result.stdout}\n{result.stderr}"


def _assert_fits(page: Any, what: str, size: str, artifacts: Path) -> None:
    fit = measure(page)
    page.screenshot(path=artifacts / f"small-{re.sub(r'[^a-z0-9]+', '-', what)}-{size}.png", full_page=True)
    assert not fit.scrolls_sideways, f"{what} at {size}: {fit.scroll_width} px wide in {fit.inner_width} px"
    assert not fit.broken, f"{what} at {size}: words broken across lines {fit.broken[:10]}"
    assert not fit.small, f"{what} at {size}: controls under 44 px {fit.small[:10]}"


@pytest.mark.parametrize("size", SIZES)
def test_officer_pages_fit_a_phone_and_a_tablet(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, size: str
) -> None:
    _ensure_round(demo_server, open_page)
    officer = open_page("demo_dong")
    officer.set_viewport_size(SIZES[size])

    officer.goto(demo_server.url("/discovery/outreach/"))
    rows = officer.locator("table.outreach tbody tr")
    expect(rows.first).to_be_visible()
    _assert_fits(officer, "outreach list", size, artifacts)
    # The outcome form of a household: its fields and button within the screen, not beside it.
    outcome = rows.first.locator("form[action$='/outcome/']")
    for control in (outcome.locator("select").first, outcome.locator("button")):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= SIZES[size]["width"], f"outcome form at {size}"
    assert_accessible(officer, f"outreach list at {size}")

    officer.goto(demo_server.url(f"/households/{demo_server.facts['household']['id']}/"))
    _assert_fits(officer, "household", size, artifacts)
    assert_accessible(officer, f"household at {size}")

    officer.goto(demo_server.url("/households/"))
    officer.fill("#q", demo_server.facts["household"]["head_name"][0])
    expect(officer.locator("#results > table, #results > p").first).to_be_visible()
    _assert_fits(officer, "search", size, artifacts)

    officer.goto(demo_server.url("/referrals/new/"))
    _assert_fits(officer, "referral form", size, artifacts)
    assert_accessible(officer, f"referral form at {size}")

    officer.goto(demo_server.url("/"))
    _assert_fits(officer, "today", size, artifacts)


@pytest.mark.parametrize("size", SIZES)
def test_audit_log_fits_a_phone_and_a_tablet(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, size: str
) -> None:
    admin = open_page("demo_admin")
    admin.set_viewport_size(SIZES[size])
    admin.goto(demo_server.url("/audit/"))
    expect(admin.locator("table.audit tbody tr").first).to_be_visible()
    _assert_fits(admin, "audit log", size, artifacts)
    assert_accessible(admin, f"audit log at {size}")

    # Narrowed to the administrator's own logins: the words of the page, not its codes.
    admin.select_option("#id_action", "auth.login")
    with admin.expect_navigation():
        admin.click("form.filters button[type=submit]")
    assert "action=auth.login" in admin.url
    actions = admin.locator("table.audit tbody td:nth-child(4)").all_inner_texts()
    assert actions and {text.strip() for text in actions} == {"로그인"}, actions[:5]
    _assert_fits(admin, "audit log filtered", size, artifacts)


def test_pages_with_new_words_are_accessible(open_page: Callable[..., Any], demo_server: DemoServer) -> None:
    """The pages whose words changed: the login form with its error, the menu of each role, the referral
    confirmation, the reference-data admin, the round pages."""
    anonymous = open_page(None)
    anonymous.goto(demo_server.url("/accounts/login/"))
    anonymous.fill("#id_username", "demo_dong")
    anonymous.fill("#id_password", "not-the-password")
    with anonymous.expect_navigation():
        anonymous.click("main form button[type=submit]")
    expect(anonymous.locator("main .error[role=alert]")).to_contain_text("아이디 또는 비밀번호가 맞지 않습니다")
    assert_accessible(anonymous, "login with an error")

    member = open_page("demo_safetynet")
    menu = member.get_by_role("navigation", name="주 메뉴")
    expect(menu.get_by_role("link", name="위기가구 신고")).to_be_visible()
    expect(menu).not_to_contain_text("사례관리")
    expect(member.locator("main")).not_to_contain_text("배정된 담당 지역이 없습니다")
    assert_accessible(member, "safety-net member's today")
    member.goto(demo_server.url("/referrals/new/"))
    member.select_option("#id_dong", index=1)
    member.fill("#id_address_text", "새솔로 10 앞 편의점 옆 건물")
    member.fill("#id_concern", "며칠째 불이 꺼져 있고 우편물이 쌓여 있습니다.")
    with member.expect_navigation():
        member.click("main form button[type=submit]")
    expect(member.locator("main [role=status]")).to_contain_text("신고가 접수되었습니다")
    assert_accessible(member, "referrals after a report")

    admin = open_page("demo_admin")
    for path in ("/admin/", "/admin/registry/administrativearea/", "/admin/registry/staff/"):
        admin.goto(demo_server.url(path))
        assert_accessible(admin, f"reference-data admin {path}")

    manager = open_page("demo_district")
    manager.goto(demo_server.url("/discovery/rounds/"))
    assert_accessible(manager, "round list")
    link = manager.locator("main table a[href^='/discovery/rounds/']").first
    if link.count():
        link.click()
        facts = manager.locator("main dl.facts").first
        expect(facts).not_to_contain_text("duckdb")
        expect(facts).not_to_contain_text("demo_district")
        assert_accessible(manager, "round page")
