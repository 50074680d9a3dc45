"""The public report form on a phone (390×844), without login: a resident files a report about a household in the
demo officer's dong, the officer finds it on the worklist, visits and closes it, and the resident reads the answer
with the receipt number. Each public page is checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.core.dates import today_kst
from tests.e2e.support import DemoServer, assert_accessible, dolbom_command, main_text

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _shell(server: DemoServer, code: str) -> str:
    """A line printed by `dolbom manage shell` against the server's database."""
    result = subprocess.run(
        [*dolbom_command(), "manage", "shell", "-c", code], env=server.env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """An anonymous phone browser, with cookies of its own."""
    context = browser.new_context(
        bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _fits_the_screen(page: Any, name: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name} scrolls sideways at 390 px: {width[0]} > {width[1]}"


def test_a_resident_reports_on_a_phone_and_reads_the_answer(phone: Any, open_page: Any, demo_server: DemoServer):
    officer_dong = "Staff.objects.get(user__username='demo_dong').areas.order_by('code').first().code"
    dong = _shell(demo_server, f"from dolbom.registry.models import Staff; print({officer_dong})")
    where = f"공원 앞 파란 대문 집 {uuid.uuid4().hex[:6]}"

    phone.goto(demo_server.url("/report/"))
    assert "/accounts/login/" not in phone.url
    expect(phone.locator("h1")).to_have_text("어려운 이웃을 알고 계신가요?")
    assert_accessible(phone, "public report form")
    _fits_the_screen(phone, "the report form")

    # A mistake first: the errors are listed at the top, linked to their fields, and the page stays accessible.
    phone.fill("#id_concern", "네")
    with phone.expect_navigation():
        phone.click("main form button[type=submit]:not([name])")
    expect(phone.locator(".error-summary")).to_be_visible()
    assert phone.get_attribute("#id_address_text", "aria-invalid") == "true"
    assert "address_text-error" in phone.get_attribute("#id_address_text", "aria-describedby")
    assert_accessible(phone, "public report form with errors")
    _fits_the_screen(phone, "the report form with errors")

    phone.select_option("#id_dong", dong)
    phone.fill("#id_address_text", where)
    phone.fill("#id_concern", "할머니 혼자 사시는데 며칠째 불이 꺼져 있고 우편물이 쌓여 있어요")
    phone.fill("#id_reporter_contact", "010-2468-1357")
    key = phone.get_attribute("input[name=captcha_0]", "value")
    # The digits as the resident reads them from the picture: from the server's store of challenges.
    answer = f"CaptchaStore.objects.get(hashkey='{key}').response"
    digits = _shell(demo_server, f"from captcha.models import CaptchaStore; print({answer})")
    phone.fill("#id_captcha_1", digits)
    with phone.expect_navigation():
        phone.click("main form button[type=submit]:not([name])")
    receipt = phone.inner_text("#receipt-number")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", receipt), main_text(phone)
    assert where not in phone.content() and "2468" not in phone.content()  # nothing typed is shown back
    assert_accessible(phone, "report received")
    _fits_the_screen(phone, "the receipt page")

    # The dong's officer finds it on the worklist, goes there and closes it with help given.
    officer = open_page("demo_dong")
    officer.goto(demo_server.url("/worklist/?source=referral"))
    row = officer.locator("main table tbody tr", has_text=where)
    expect(row).to_have_count(1)
    with officer.expect_navigation():
        row.locator("a").first.click()
    visit = officer.locator("form[action$='/visits/']")
    visit.locator("[name=on]").fill(today_kst().isoformat())
    visit.locator("[name=kind]").select_option("visit")
    visit.locator("[name=result]").select_option("met")
    with officer.expect_navigation():
        visit.locator("button[type=submit]").click()
    close = officer.locator("form[action$='/close/']")
    close.locator("[name=outcome]").select_option("helped")
    with officer.expect_navigation():
        close.locator("button[type=submit]").click()
    assert "/close/" not in officer.url, main_text(officer)

    # The resident reads the answer with the receipt number, typed in lower case without the dash.
    phone.goto(demo_server.url("/report/status/"))
    assert_accessible(phone, "status page")
    phone.fill("#id_receipt_number", receipt.replace("-", "").lower())
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    expect(phone.locator("#report-status")).to_have_text("종결")
    expect(phone.locator("#report-answer")).to_have_text("도움을 연계했습니다")
    assert where not in phone.content()
    assert_accessible(phone, "status page with the answer")
    _fits_the_screen(phone, "the status page")
