"""Honest mistakes in the discovery walk, in a browser at 1366×768 and 390×844: a file uploaded under the wrong
period is refused, one with a few older rows is imported once the period is confirmed, a mistaken import is
withdrawn, a round for a period with too few files warns before it runs, and a second round keeps the open visit
of the first on the officer's list (then is withdrawn itself).

The test brings its own files — the district's September files moved to periods of their own, with record numbers
of their own — so that it neither depends on nor disturbs the demo walk of test_discovery_walk.py."""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import re
import subprocess
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from playwright.sync_api import expect

from dolbom.synth.areas import DISTRICTS
from tests.e2e.support import DemoServer, assert_accessible, dolbom_command, follow_job

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SOURCE = "2026-09"  # the demo's files this test starts from
P1, P2 = "2027-01", "2027-03"  # this test's own periods: four and six months later
DEMO_DISTRICT = DISTRICTS[0].code
LEFT_OUT_OF_P2 = ("mois", "moj", "molit")  # P2 lacks these agencies' files: fewer than P1's round read


# ------------------------------------------------------------------------------------------------- files


def _shift(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _parse(text: str) -> date:
    digits = text.replace("-", "")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def _moved(source: Path, folder: Path, *, months: int, tag: str, older: int = 0, name: str = "") -> Path:
    """A copy of a demo signal file, its reference dates `months` later and its record numbers prefixed with `tag`
    (new bytes); the first `older` rows dated a month before the new period."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    if source.suffix == ".parquet":
        table = pq.read_table(source)
        days = [_shift(d, months) for d in table.column("observed_on").to_pylist()]
        days[:older] = [_shift(d.replace(day=15), -2) for d in days[:older]]
        ids = [f"{tag}-{i}" for i in table.column("record_id").to_pylist()]
        table = table.set_column(table.schema.get_field_index("record_id"), "record_id", pa.array(ids))
        table = table.set_column(
            table.schema.get_field_index("observed_on"), "observed_on", pa.array(days, pa.date32())
        )
        pq.write_table(table, target)
        return target
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp949")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    observed, record = header.index("observed_on"), header.index("record_id")
    for i, row in enumerate(body):
        moved = _shift(_parse(row[observed]), months)
        row[observed] = (_shift(moved.replace(day=15), -2) if i < older else moved).isoformat()
        row[record] = f"{tag}-{row[record]}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


def _dolbom(server: DemoServer, *args: str) -> str:
    result = subprocess.run([*dolbom_command(), *args], env=server.env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"dolbom {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# ------------------------------------------------------------------------------------------------- pages


def _fits(page: Any, name: str) -> None:
    """No sideways scrolling at either size (the officer's pages on a phone), and axe-core clean."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (
            f"{name} scrolls sideways at {size['width']} px (the page is {wide} px wide): {page.url}"
        )
    assert_accessible(page, name)


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")


def _upload(page: Any, server: DemoServer, path: Path, period: str) -> None:
    page.goto(server.url("/discovery/signals/upload/"))
    page.set_input_files("#id_file", str(path))
    page.fill("#id_period", period)
    _submit(page)


def _round_id(page: Any) -> int:
    follow_job(page)
    match = re.search(r"/discovery/rounds/(\d+)/$", page.url)
    assert match, f"the round did not finish on its page: {page.url}\n{page.inner_text('main')[:600]}"
    return int(match.group(1))


def test_wrong_period_refused_then_confirmed_a_mistaken_import_withdrawn_and_open_visits_kept(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, tmp_path: Path
) -> None:
    url = demo_server.url
    [city] = demo_server.home.glob("city-*")
    source = city / "signals" / DEMO_DISTRICT / SOURCE
    tag = f"E2E{time.time_ns() % 10**9}"
    district = open_page("demo_district")
    district.set_viewport_size(DESKTOP)

    # 1. No period is filled in for the user; the district's telecom file under a period two months after its
    #    dates is refused, with nothing to confirm.
    telecom = _moved(source / "ktoa.csv", tmp_path / "p1", months=4, tag=tag)
    district.goto(url("/discovery/signals/upload/"))
    expect(district.locator("#id_period")).to_have_value("")
    _upload(district, demo_server, telecom, P2)  # checked by a job: its page shows the report once it ends
    expect(district.locator("#report-title")).to_have_text("파일을 가져오지 않았습니다", timeout=60_000)
    expect(district.locator("main")).to_contain_text("다른 차수의 파일로 보입니다")
    expect(district.locator("form[action*='confirm-period']")).to_have_count(0)
    _fits(district, "an upload refused for its period")

    # 2. A file with a few rows dated before its period: the counts, and the period confirmed on the job's page,
    #    without choosing the file again.
    early = _moved(source / "ktoa.csv", tmp_path / "early", months=4, tag=tag + "E", older=5, name="ktoa-early.csv")
    _upload(district, demo_server, early, P1)
    expect(district.locator("#confirm-title")).to_be_visible(timeout=60_000)
    expect(district.locator("#job-status")).to_contain_text("중 5개")
    _fits(district, "an upload asking to confirm its period")
    district.screenshot(path=artifacts / "upload-confirm-period.png", full_page=True)
    with district.expect_navigation():
        district.get_by_role("button", name=f"{P1} 기간으로 가져오기").click()
    expect(district.locator("#result-title")).to_have_text("파일을 가져왔습니다", timeout=60_000)

    # 3. That import was a mistake after all: withdrawn from the list of files, on a phone.
    stored = (
        demo_server.home
        / "signals"
        / DEMO_DISTRICT
        / P1
        / f"{hashlib.sha256(early.read_bytes()).hexdigest()[:16]}.parquet"
    )
    assert stored.exists()
    district.set_viewport_size(PHONE)
    district.goto(url(f"/discovery/signals/?period={P1}"))
    row = district.locator("main tbody tr", has_text="ktoa-early.csv")
    with district.expect_navigation():
        row.get_by_role("link", name=re.compile("가져오기 철회")).click()
    _fits(district, "the withdrawal of an import")
    district.set_viewport_size(PHONE)
    district.fill("#id_reason", "기준일이 앞선 행이 섞인 파일을 잘못 가져옴")
    _submit(district)
    withdrawn = district.locator("main tbody tr.withdrawn", has_text="ktoa-early.csv")
    expect(withdrawn).to_contain_text("철회됨")
    expect(withdrawn).to_contain_text("잘못 가져옴")
    assert not stored.exists(), "the withdrawn import's Parquet (personal data) is still on disk"
    _fits(district, "the list of files with a withdrawn import")

    # 4. The period's files from the command line; the next period lacks three agencies' files.
    period_one = [telecom] + [
        _moved(path, tmp_path / "p1", months=4, tag=tag) for path in sorted(source.iterdir()) if path.stem != "ktoa"
    ]
    _dolbom(demo_server, "import", "signals", *map(str, period_one), "--period", P1, "--as", "demo_district")
    period_two = [
        _moved(path, tmp_path / "p2", months=6, tag=tag)
        for path in sorted(source.iterdir())
        if path.stem not in LEFT_OUT_OF_P2
    ]
    _dolbom(demo_server, "import", "signals", *map(str, period_two), "--period", P2, "--as", "demo_district")

    # 5. A round on the first period, and a visit assigned from its list.
    district.set_viewport_size(DESKTOP)
    district.goto(url("/discovery/rounds/new/"))
    district.select_option("#id_period", P1)
    _submit(district)
    if district.locator("#id_confirm_few_files").count():  # the demo walk's last round read more agencies
        district.check("#id_confirm_few_files")
        _submit(district)
    first_round = _round_id(district)
    officer = open_page("demo_dong")
    officer.set_viewport_size(DESKTOP)
    officer.goto(url(f"/discovery/outreach/?round={first_round}"))
    visit = officer.locator("table.outreach tbody tr").first
    visit_id = visit.get_attribute("id")
    with officer.expect_navigation():
        visit.locator("a[href^='/worklist/']").click()
    item_url = officer.url
    visitor = officer.locator("form[action$='/assign/'] select[name=visitor] option:checked").inner_text()
    with officer.expect_navigation():
        officer.locator("form[action$='/assign/'] button").click()
    expect(officer.locator("dl.facts")).to_contain_text(visitor)

    # 6. A round on the second period warns before it runs, and runs once confirmed.
    district.goto(url("/discovery/rounds/new/"))
    district.select_option("#id_period", P2)
    _submit(district)
    expect(district.locator("#warning-title")).to_be_visible()
    for agency in LEFT_OUT_OF_P2:
        expect(district.locator(".warning")).to_contain_text(f"({agency})")
    _fits(district, "the round form warning of too few files")
    district.check("#id_confirm_few_files")
    _submit(district)
    second_round = _round_id(district)
    assert second_round != first_round

    # 7. The second round's list keeps the first round's open visit, marked with its round; the picker offers both.
    officer.goto(url(f"/discovery/outreach/?round={second_round}"))
    kept = officer.locator(f"table.outreach-earlier #{visit_id}")
    expect(kept).to_be_visible()
    expect(kept.locator(".round-tag")).to_have_text(f"{P1} 차수 #{first_round}")
    expect(kept).to_contain_text(visitor)
    offered = officer.locator("#round option").evaluate_all("options => options.map(o => Number(o.value))")
    assert offered.index(second_round) < offered.index(first_round), offered
    expect(officer.locator("#round option:checked")).to_have_attribute("value", str(second_round))
    _fits(officer, "the outreach list with an earlier round's open visit")
    officer.set_viewport_size(PHONE)
    officer.screenshot(path=artifacts / "outreach-list-earlier-visit-phone.png", full_page=True)
    officer.set_viewport_size(DESKTOP)

    # 8. The second round was run by mistake: withdrawn before any visit was assigned from it.
    district.goto(url(f"/discovery/rounds/{second_round}/"))
    with district.expect_navigation():
        district.get_by_role("link", name="차수 철회").click()
    _fits(district, "the withdrawal of a round")
    district.fill("#id_reason", "파일이 다 오기 전에 실행함")
    _submit(district)
    expect(district.locator("#withdrawn-title")).to_be_visible()
    _fits(district, "a withdrawn round's page")
    officer.goto(url(f"/discovery/outreach/?round={second_round}"))
    expect(officer.locator("main")).to_contain_text("철회되어 명단이 없습니다")
    expect(officer.locator("table.outreach tbody tr")).to_have_count(0)

    # 9. The visit's outcome, recorded on the item: nothing is left open for other tests.
    officer.goto(item_url)
    visit = officer.locator("form[action$='/visits/']")
    visit.locator("[name=result]").select_option("met")
    with officer.expect_navigation():
        visit.locator("button[type=submit]").click()
    close = officer.locator("form[action$='/close/']")
    close.locator("[name=outcome]").select_option("not_eligible")
    with officer.expect_navigation():
        close.locator("button[type=submit]").click()
    officer.goto(url(f"/discovery/outreach/?round={first_round}"))
    expect(officer.locator(f"#{visit_id}")).to_contain_text("해당 없음")
