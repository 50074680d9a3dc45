"""What a person sees through a browser: masking and audited reveal, each role's reach, the login lockout, and
accessibility (axe-core) of the main pages."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.support import DemoServer, assert_accessible, csrf_token, dolbom_command, main_text, submit_login

pytestmark = pytest.mark.e2e

MASKED_RRN = re.compile(r"^\d{6}-[1-8]\*{6}$")
MASKED_PHONE = re.compile(r"^0\d{1,2}-\*{3,4}-\d{4}$")
FULL_RRN = re.compile(r"(?<!\d)\d{6}-?[1-8]\d{6}(?!\d)")


def member_cells(page: Any, column: int) -> list[str]:
    """The text of one column of the members table (1: relationship, 2: name, 3: resident number, 4: phone)."""
    return [text.strip() for text in page.locator(f"tr[id^=person-] td:nth-child({column})").all_inner_texts()]


def shown_person_ids(page: Any) -> set[int]:
    ids = page.eval_on_selector_all("tr[id^=person-]", "rows => rows.map(r => r.id)")
    return {int(row_id.removeprefix("person-")) for row_id in ids}


def search(page: Any, server: DemoServer, text: str) -> None:
    """Type into the search box as an officer would: htmx searches while typing, without a submit, and what was
    typed (a resident number, say) stays out of the address bar and the browser's history."""
    page.goto(server.url("/households/"))
    page.fill("#q", text)
    # The results' summary (or "no household matches") is a status paragraph, there once the results are.
    expect(page.locator("#results > p[role=status]")).to_have_count(1)
    expect(page).not_to_have_url(re.compile(r"[?&]q="))


def test_household_is_masked_and_reveal_is_audited(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    household = demo_server.facts["household"]
    page = open_page("demo_dong")

    search(page, demo_server, household["head_name"])
    link = page.locator(f'#results a[href="/households/{household["id"]}/"]')
    expect(link).to_have_count(1)
    page.screenshot(path=artifacts / "search.png", full_page=True)

    link.click()
    page.wait_for_url(f"**/households/{household['id']}/")
    html = page.content()
    rrns, phones, names = member_cells(page, 3), member_cells(page, 4), member_cells(page, 2)
    assert shown_person_ids(page) == set(household["person_ids"])
    assert rrns and all(MASKED_RRN.match(r) for r in rrns), rrns
    assert all(MASKED_PHONE.match(p) or p == "—" for p in phones), phones
    assert all("*" in n for n in names), names
    assert not FULL_RRN.search(html), "a full resident number is in the page"
    main = page.inner_html("main")  # the header shows the officer's own name, which may be anyone's
    for name in household["names"]:
        assert name not in main, "an unmasked name is in the page"
    if household["head_phone"]:
        assert household["head_phone"] not in html, "an unmasked phone number is in the page"
    page.screenshot(path=artifacts / "household.png", full_page=True)

    reason = f"E2E 상담 확인 {uuid.uuid4().hex[:8]}"
    cell = page.locator(f"#reveal-{household['head_id']}")
    cell.locator("summary").click()
    cell.locator("input[name=reason]").fill(reason)
    cell.locator("button[type=submit]").click()
    revealed = cell.locator("dl.revealed")
    revealed.wait_for()
    assert household["head_rrn"] in revealed.inner_text()
    assert household["head_name"] in revealed.inner_text()
    assert page.url.endswith(f"/households/{household['id']}/"), "the reveal left the household page"
    page.screenshot(path=artifacts / "household-revealed.png", full_page=True)

    admin = open_page("demo_admin")
    admin.goto(demo_server.url("/audit/"))
    row = admin.locator("table.data tbody tr").filter(has_text=reason)
    assert row.count() == 1, f"no audit row with the reason {reason!r}: {main_text(admin)}"
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[2].endswith(" demo_dong")  # the officer's name, then the login id
    assert cells[3] == "개인정보 열람(가림 해제)"
    assert cells[4] == f"개인 {household['head_id']}"
    assert cells[5] == reason

    admin.goto(demo_server.url("/audit/?verify=1"))
    assert admin.locator("main .error[role=alert]").count() == 0, main_text(admin)
    assert admin.locator("main p.ok[role=status]").count() == 1, main_text(admin)


@pytest.mark.parametrize("username", ["demo_safetynet", "demo_analyst"])
def test_roles_without_person_access_are_refused(
    open_page: Callable[..., Any], demo_server: DemoServer, username: str
) -> None:
    household = demo_server.facts["household"]
    page = open_page(username)
    response = page.goto(demo_server.url(f"/households/?q={quote(household['head_name'])}"))
    assert response.status == 403
    response = page.goto(demo_server.url(f"/households/{household['id']}/"))
    assert response.status == 403
    assert household["head_name"] not in page.content()


def test_dong_officer_cannot_reach_another_dong(open_page: Callable[..., Any], demo_server: DemoServer) -> None:
    other = demo_server.facts["other_household"]
    page = open_page("demo_dong")
    response = page.goto(demo_server.url(f"/households/{other['id']}/"))
    assert response.status == 404

    search(page, demo_server, other["head_name"])
    assert page.locator(f'#results a[href="/households/{other["id"]}/"]').count() == 0

    reveal = page.request.post(
        demo_server.url(f"/persons/{other['head_id']}/reveal/"),
        form={"reason": "URL 변조 시험"},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert reveal.status == 404


def test_agency_sees_only_consented_persons(open_page: Callable[..., Any], demo_server: DemoServer) -> None:
    agency = demo_server.facts["agency"]
    assert agency["household_id"], "the demo city gives demo_agency no household with a consented member"
    page = open_page("demo_agency")

    response = page.goto(demo_server.url(f"/households/{agency['household_id']}/"))
    assert response.status == 200
    assert shown_person_ids(page) == set(agency["consented_ids"])
    for person_id in agency["hidden_ids"]:
        reveal = page.request.post(
            demo_server.url(f"/persons/{person_id}/reveal/"),
            form={"reason": "동의 범위 시험"},
            headers={"X-CSRFToken": csrf_token(page)},
        )
        assert reveal.status == 404

    if agency["household_without_consent"]:
        response = page.goto(demo_server.url(f"/households/{agency['household_without_consent']}/"))
        assert response.status == 404


def test_login_lockout(open_page: Callable[..., Any], demo_server: DemoServer) -> None:
    page = open_page(None)
    try:
        for attempt in range(settings.LOCKOUT_FAILURES):
            submit_login(page, demo_server, "demo_admin", f"wrong-password-{attempt}")
            assert "/accounts/login/" in page.url
        submit_login(page, demo_server, "demo_admin", demo_server.password)
        assert "/accounts/login/" in page.url, "the right password got through a locked account"
        with translation.override(settings.LANGUAGE_CODE):
            from dolbom.web.forms import LockoutAuthenticationForm

            expected = str(LockoutAuthenticationForm.error_messages["locked"]) % {"minutes": settings.LOCKOUT_MINUTES}
        assert expected in page.inner_text("main .error[role=alert]")
    finally:
        # What an administrator does for a colleague who is locked out (docs/operations.md); the other tests need
        # the account, and the browser's address, which the failures above also counted against.
        subprocess.run(
            [*dolbom_command(), "manage", "axes_reset_username", "demo_admin"],
            env=demo_server.env,
            check=True,
            timeout=120,
        )
    submit_login(page, demo_server, "demo_admin", demo_server.password)
    assert "/accounts/login/" not in page.url, f"the unlocked account cannot log in: {main_text(page)}"


def _visit_login(page: Any, server: DemoServer) -> None:
    page.goto(server.url("/accounts/login/"))


def _visit_search(page: Any, server: DemoServer) -> None:
    search(page, server, server.facts["household"]["head_name"])
    assert page.locator("#results table").count() == 1


PAGES: dict[str, tuple[str | None, Callable[[Any, DemoServer], None]]] = {
    "login": (None, _visit_login),
    "today": ("demo_dong", lambda page, server: page.goto(server.url("/"))),
    "search": ("demo_dong", _visit_search),
    "household": (
        "demo_dong",
        lambda page, server: page.goto(server.url(f"/households/{server.facts['household']['id']}/")),
    ),
    "referrals": ("demo_dong", lambda page, server: page.goto(server.url("/referrals/"))),
    "statistics": ("demo_dong", lambda page, server: page.goto(server.url("/statistics/"))),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_accessibility(open_page: Callable[..., Any], demo_server: DemoServer, name: str) -> None:
    username, visit = PAGES[name]
    page = open_page(username)
    visit(page, demo_server)
    assert_accessible(page, name)
