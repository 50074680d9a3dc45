"""Learning across districts in a browser, on a phone and on the office's laptop: the district's administrator
records its agreement to share outcomes and ends it; the city's officer reads the agreements and finds the pooled
training on the models page, and sees no resident anywhere. Every page fits and passes axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.layout import LAPTOP, PHONE, measure
from tests.e2e.support import DemoServer, assert_accessible

pytestmark = pytest.mark.e2e


def _assert_fits(page: Any, what: str, artifacts: Path) -> None:
    fit = measure(page)
    page.screenshot(path=artifacts / f"learning-{what}.png", full_page=True)
    assert not fit.scrolls_sideways, f"{what}: {fit.scroll_width} px wide in {fit.inner_width} px"
    assert not fit.broken, f"{what}: words broken across lines {fit.broken[:10]}"
    assert not fit.small, f"{what}: controls under 44 px {fit.small[:10]}"


def test_an_agreement_recorded_and_ended_and_read_by_the_city(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path
) -> None:
    admin = open_page("demo_admin")
    admin.set_viewport_size(PHONE)
    admin.goto(demo_server.url("/discovery/models/agreements/"))
    _assert_fits(admin, "agreements-admin-390", artifacts)
    assert_accessible(admin, "agreements page")
    # An honest mistake first: the approval dated in the future is refused, with what was typed kept.
    admin.fill("#id_shares_from", "2026-01-01")
    admin.fill("#id_approved_by", "새솔구청장")
    admin.fill("#id_approved_on", "2099-01-01")
    admin.fill("#id_document", "복지정책과-1234")
    with admin.expect_response(lambda r: r.url.endswith("/agreements/") and r.status == 422):
        admin.locator("main form button[type=submit]").click()
    expect(admin.locator("[role=alert]")).to_contain_text("승인일은 미래일 수 없습니다")
    expect(admin.locator("#id_document")).to_have_value("복지정책과-1234")
    admin.fill("#id_approved_on", "2026-11-20")
    with admin.expect_navigation():
        admin.locator("main form button[type=submit]").click()
    row = admin.locator("table.agreements tbody tr").first
    expect(row).to_contain_text("유효")
    expect(row).to_contain_text("복지정책과-1234")
    _assert_fits(admin, "agreements-recorded-390", artifacts)

    city = open_page("demo_city")
    for size, viewport in (("390", PHONE), ("1366", LAPTOP)):
        city.set_viewport_size(viewport)
        city.goto(demo_server.url("/discovery/models/agreements/"))
        expect(city.locator("table.agreements tbody tr").first).to_contain_text("새솔구")
        expect(city.locator("#id_shares_from")).to_have_count(0)  # the city records nobody's agreement
        _assert_fits(city, f"agreements-city-{size}", artifacts)
        assert_accessible(city, "agreements page of the city")
        city.goto(demo_server.url("/discovery/models/"))
        expect(city.locator("form[action$='/train-pooled/'] button")).to_be_visible()
        expect(city.locator("form[action$='/train/']")).to_have_count(0)
        _assert_fits(city, f"models-city-{size}", artifacts)
        assert_accessible(city, "models page of the city")
    # No resident anywhere: the household search and the worklist are refused.
    for path in ("/households/", "/worklist/", "/discovery/outreach/"):
        response = city.goto(demo_server.url(path))
        assert response is not None and response.status == 403, (path, response and response.status)

    admin.locator("table.agreements tbody tr").first.locator("summary").click()
    admin.locator("table.agreements tbody tr").first.locator("input[name=reason]").fill("협약 기간 만료")
    with admin.expect_navigation():
        admin.locator("table.agreements tbody tr").first.locator("button[type=submit]").click()
    expect(admin.locator("table.agreements tbody tr").first).to_contain_text("종료")
    expect(admin.locator("#id_shares_from")).to_be_visible()  # a new agreement may follow
