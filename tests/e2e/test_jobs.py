"""A screening round and a signal file's import as background jobs, in the browser, on a server started without its
worker so that each state can be seen: the district manager asks for a round (or uploads a file) and sees it wait
at 0 %, stops it, runs it again, and, once a worker starts, watches the page move to 100 % by itself (htmx) and
opens what it made. Office PC and phone."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.discovery.hostile_files import valid_ktoa_csv
from tests.discovery.served import PASSWORD, Server, dolbom_command, home_env, home_with_signals, sql
from tests.e2e.layout import LAPTOP, PHONE, measure
from tests.e2e.support import assert_accessible

pytestmark = pytest.mark.e2e
PERIOD = "2026-09"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    home = home_with_signals(tmp_path_factory.mktemp("jobs") / "home", period=PERIOD, households=300, rows=40)
    served = Server(home, worker=False)  # returns once it answers
    yield served
    served.stop()


def _page(browser: Any, server: Server, viewport: dict[str, int]) -> Any:
    context = browser.new_context(bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(server.base + "/accounts/login/")
    page.fill("#id_username", "demo_district")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return page


def _fits(page: Any, what: str, artifacts: Path) -> None:
    width = page.viewport_size["width"]
    page.screenshot(path=artifacts / f"job-{what}-{width}.png", full_page=True)
    fit = measure(page)
    assert not fit.scrolls_sideways, f"{what}: {fit.scroll_width} px wide in {fit.inner_width} px"
    if width == PHONE["width"]:
        assert not fit.small, f"{what}: controls under 44 px {fit.small[:10]}"
    assert_accessible(page, what)


def _worker_ends_it(page: Any, server: Server) -> None:
    """Start a worker and watch the page, left open, follow the job to its end by itself."""
    worker = subprocess.Popen([*dolbom_command(), "worker"], env=home_env(server.home), stdout=subprocess.DEVNULL)
    try:
        expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "done", timeout=120_000)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    expect(page.locator("#job-progress")).to_have_attribute("value", "100")


def _status(page: Any) -> str:
    return page.locator("[data-job-status]").get_attribute("data-job-status")


def test_a_round_waits_is_stopped_run_again_and_followed_to_its_end(browser, server, artifacts):
    page = _page(browser, server, LAPTOP)
    page.goto(server.base + "/discovery/rounds/new/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/jobs/\d+/$", page.url), page.inner_text("main")[:600]
    first = page.url
    assert _status(page) == "queued"
    expect(page.locator("#job-progress")).to_have_attribute("value", "0")
    _fits(page, "waiting", artifacts)

    # Stopped while it waits: it ends at once, and nothing was made.
    with page.expect_navigation():
        page.get_by_role("button", name="작업 중지").click()
    assert _status(page) == "cancelled"
    expect(page.locator("main")).to_contain_text("아무것도 저장하지 않습니다")
    with page.expect_navigation():
        page.get_by_role("button", name="다시 실행").click()
    assert page.url != first and _status(page) == "queued"
    expect(page.locator("#job-status")).to_contain_text("다시 실행한 원래 작업")

    # A double click on the form while it waits queues nothing more: the form names the waiting job.
    phone = _page(browser, server, PHONE)
    phone.goto(server.base + "/discovery/rounds/new/")
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    expect(phone.locator("main [role=alert]")).to_contain_text(f"작업 #{page.url.rstrip('/').rsplit('/', 1)[-1]}")
    _fits(phone, "busy-form", artifacts)

    # A worker starts: the page, left open, follows the job to its end by itself.
    _worker_ends_it(page, server)
    expect(page.locator("#job-status .steps li")).to_have_count(4)
    for step in page.locator("#job-status .steps li").all():
        expect(step).to_contain_text("✔")
    _fits(page, "done", artifacts)
    with page.expect_navigation():
        page.locator("#job-status a.button").click()
    assert re.search(r"/discovery/rounds/\d+/$", page.url)

    phone.goto(server.base + "/discovery/rounds/")
    expect(phone.locator("main table").first).to_contain_text("완료")
    _fits(phone, "rounds-with-jobs", artifacts)


def test_an_import_waits_is_stopped_run_again_and_followed_to_its_end(browser, server, artifacts, tmp_path):
    """The same for a signal file: the upload page sends the importer to the import's job page; stopped while it
    waits, it keeps nothing; run again, a worker imports the file and the page says what came in."""
    csv = valid_ktoa_csv(tmp_path / "ktoa.csv", rows=5000)
    page = _page(browser, server, PHONE)  # an upload from the tablet on a home visit's day
    page.goto(server.base + "/discovery/signals/upload/")
    page.set_input_files("#id_file", str(csv))
    page.fill("#id_period", PERIOD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/jobs/\d+/$", page.url), page.inner_text("main")[:600]
    assert _status(page) == "queued"
    expect(page.locator("#job-status")).to_contain_text("ktoa.csv")
    _fits(page, "import-waiting", artifacts)

    with page.expect_navigation():
        page.get_by_role("button", name="작업 중지").click()
    assert _status(page) == "cancelled"
    assert sql(server.home, "SELECT count(*) FROM discovery_signalfile WHERE rows = 5000") == [(0,)]
    with page.expect_navigation():
        page.get_by_role("button", name="다시 실행").click()
    assert _status(page) == "queued"

    _worker_ends_it(page, server)
    expect(page.locator("#result-title")).to_have_text("파일을 가져왔습니다")
    expect(page.locator("#job-status")).to_contain_text("5,000")
    _fits(page, "import-done", artifacts)
    assert sql(server.home, "SELECT count(*) FROM discovery_signalfile WHERE rows = 5000") == [(1,)]
    with page.expect_navigation():
        page.locator("#job-status a.button").click()
    assert f"/discovery/signals/?period={PERIOD}" in page.url
    expect(page.locator("main")).to_contain_text("ktoa.csv")
    _fits(page, "import-list", artifacts)
