"""An emergency support application in a browser: a dong officer opens one from the household's page, sees its
on-site check coming on 오늘 할 일, and — on a second server of the same data whose "today" is fixed past the
deadline (DOLBOM_TODAY, refused in production) — sees the clock turn red, first, counted in the menu, on a phone.

Time is moved by starting another server process, not by anything a request can send: the demo server the other
browser tests use keeps the real date."""

from __future__ import annotations

import dataclasses
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.core.dates import now_kst
from tests.e2e.support import DemoServer, assert_accessible, dolbom_command, submit_login

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# The default rule: the on-site check within 3 calendar days of the request. Four days later it is overdue.
DAYS_LATER = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def later_server(demo_server: DemoServer) -> Iterator[Callable[[str], DemoServer]]:
    """start(iso_date) → the demo's data served by a second process whose today is that date."""
    servers: list[subprocess.Popen[bytes]] = []

    def start(today: str) -> DemoServer:
        port = _free_port()
        log = demo_server.home / f"serve-{today}.log"
        env = {**demo_server.env, "DOLBOM_TODAY": today}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*dolbom_command(), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        servers.append(process)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(base_url + "/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return dataclasses.replace(demo_server, base_url=base_url, env=env)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        pytest.fail(f"the second server did not answer:\n{log.read_text(errors='replace')[-2000:]}")

    yield start
    for process in servers:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_on_site_check_turns_red_when_its_deadline_passes(
    open_page: Callable[..., Any],
    browser: Any,
    demo_server: DemoServer,
    later_server: Callable[[str], DemoServer],
    artifacts: Path,
) -> None:
    household = demo_server.facts["household"]["id"]
    officer = open_page("demo_dong")

    # From the household's page to the application form, and the application opened.
    officer.goto(demo_server.url(f"/households/{household}/"))
    with officer.expect_navigation():
        officer.click(f"a[href='/households/{household}/emergency/new/']")
    assert_accessible(officer, "emergency support form")
    officer.check("input[name=kinds][value=livelihood]")
    officer.fill("#id_reason", "실직 후 두 달째 수입이 없고 월세가 밀렸습니다")
    with officer.expect_navigation():
        officer.click("main form button[type=submit]")
    match = re.search(r"/emergency/(\d+)/$", officer.url)
    assert match, f"the application did not open: {officer.url}\n{officer.inner_text('main')[:600]}"
    support = int(match.group(1))
    expect(officer.locator(".clock-running")).to_contain_text("3일 남음")
    assert_accessible(officer, "emergency support page")

    # Today: the clock is coming, not yet red.
    officer.goto(demo_server.url("/"))
    row = officer.locator(f"#due-emergency-{support}")
    expect(row).to_have_class(re.compile(r"\bdue-running\b"))
    expect(row).to_contain_text("긴급지원 현장확인")

    # The same data, four days later: overdue, red, first, and counted in the menu — read on a phone.
    later = later_server((now_kst().date() + timedelta(days=DAYS_LATER)).isoformat())
    context = browser.new_context(bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE)
    try:
        phone = context.new_page()
        submit_login(phone, later, "demo_dong", later.password)
        phone.goto(later.url("/"))
        row = phone.locator(f"#due-emergency-{support}")
        expect(row).to_have_class(re.compile(r"\bdue-overdue\b"))
        expect(row).to_contain_text("1일 지남")
        assert row.evaluate("el => getComputedStyle(el).borderLeftColor") == "rgb(176, 0, 32)"  # --error
        first = phone.locator(".due-list li").first
        expect(first).to_have_class(re.compile(r"\bdue-overdue\b"))  # overdue comes first
        badge = phone.locator("nav .badge")
        expect(badge).to_be_visible()
        assert int(re.match(r"\d+", badge.inner_text()).group(0)) >= 1
        expect(phone.locator(".notice")).to_contain_text("시험용 서버")
        assert_accessible(phone, "today on a phone, deadline passed")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
        phone.screenshot(path=str(artifacts / "today-overdue-390.png"), full_page=True)
    finally:
        context.close()
