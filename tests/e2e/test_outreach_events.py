"""A market-day booth and a survey campaign in the browser, on an office screen (1366×768) and a phone (390×844):
the dong officer records the booth and a person met there who lands on the worklist; the district's case manager
defines a small campaign (the households of one road address), previews it, launches it (followed on its job's
page), and the officer sees its households on the worklist. No page scrolls sideways; axe-core is clean on every
page of the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DemoServer, assert_accessible, follow_job
from tests.e2e.test_registry_writes import arrive, assert_no_sideways_scrolling

pytestmark = pytest.mark.e2e

VIEWPORTS = {"office": (1366, 768), "phone": (390, 844)}


def check_page(page: Any, name: str, artifacts: Path) -> None:
    assert_no_sideways_scrolling(page, name)
    assert_accessible(page, name)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_booth_and_a_campaign_land_on_the_worklist(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    officer = open_page("demo_dong")
    officer.set_viewport_size({"width": width, "height": height})

    # The booth, from the discovery menu.
    officer.goto(demo_server.url("/discovery/"))
    officer.get_by_role("link", name="찾아가는 상담 행사").click()
    officer.wait_for_url("**/events/**")
    check_page(officer, f"events-{viewport}", artifacts)
    officer.get_by_role("link", name="행사 기록하기").click()
    officer.wait_for_url("**/events/new/")
    check_page(officer, f"event-new-{viewport}", artifacts)
    officer.select_option("#id_kind", "market_booth")
    officer.fill("#id_place", f"새솔 오일장 입구 ({viewport})")
    officer.fill("#id_visitors", "３０")
    officer.fill("#id_consultations", "12")
    officer.fill("#id_help_count", "3")
    officer.fill("#id_help_won", "１，２００，０００")
    officer.get_by_role("button", name="저장").click()
    arrive(officer, re.compile(r"/events/\d+/$"))
    expect(officer.locator("#figure-won")).to_contain_text("1,200,000")
    check_page(officer, f"event-{viewport}", artifacts)

    # A person not registered, met at the booth, who needs a visit.
    officer.get_by_role("link", name="만난 가구 추가").click()
    officer.wait_for_url("**/contacts/new/")
    check_page(officer, f"event-contact-{viewport}", artifacts)
    officer.fill("#id_name", "홍길동")
    officer.select_option("#id_dong", index=1)
    officer.fill("#id_asked", "겨울 난방비가 걱정된다고 함")
    officer.check("#id_follow_up")
    officer.get_by_role("button", name="추가", exact=True).click()
    arrive(officer, re.compile(r"/events/\d+/$"))
    row = officer.locator("table.contacts tbody tr").last
    expect(row).to_contain_text("홍*동")
    row.get_by_role("link").click()
    arrive(officer, re.compile(r"/worklist/\d+/$"))
    expect(officer.locator("main")).to_contain_text("겨울 난방비가 걱정된다고 함")
    check_page(officer, f"work-item-event-{viewport}", artifacts)
    item_path = re.sub(r"^https?://[^/]+", "", officer.url)
    officer.goto(demo_server.url("/worklist/?source=event"))
    expect(officer.locator(f"a[href='{item_path}']")).to_have_count(1)
    check_page(officer, f"worklist-events-{viewport}", artifacts)

    # A small campaign: the households of one road address in the officer's dong.
    manager = open_page("demo_district")
    manager.set_viewport_size({"width": width, "height": height})
    manager.goto(demo_server.url("/discovery/"))
    manager.get_by_role("link", name="전수조사").click()
    manager.wait_for_url("**/campaigns/")
    manager.get_by_role("link", name="전수조사 만들기").click()
    manager.wait_for_url("**/campaigns/new/")
    check_page(manager, f"campaign-new-{viewport}", artifacts)
    manager.fill("#id_name", f"한 건물 전수조사 ({viewport})")
    manager.fill("#id_ends_on", "2099-12-31")
    manager.select_option("#id_dong", demo_server.facts["household"]["dong"])
    manager.fill("#id_address_text", demo_server.facts["household"]["road_address"])
    manager.get_by_role("button", name="전수조사 저장").click()
    arrive(manager, re.compile(r"/campaigns/\d+/$"))
    preview = manager.locator("#to-add")
    expect(preview).to_contain_text("가구")
    count = int(re.search(r"(\d+)가구", preview.inner_text()).group(1))
    check_page(manager, f"campaign-{viewport}", artifacts)
    assert count >= 1  # the household the facts name lives there
    manager.get_by_role("button", name="업무 목록에 올리기").click()
    arrive(manager, re.compile(r"/jobs/\d+/$"))  # the launch runs as a job; its page leads back to the campaign
    follow_job(manager)
    arrive(manager, re.compile(r"/campaigns/\d+/$"))
    # Launched: nothing left to add, and launching again would add nothing.
    expect(manager.locator("#to-add")).to_contain_text("0가구")
    expect(manager.locator("table.progress tbody tr")).to_have_count(1)
    check_page(manager, f"campaign-launched-{viewport}", artifacts)
    campaign_path = re.sub(r"^https?://[^/]+", "", manager.url)
    campaign_id = campaign_path.strip("/").split("/")[-1]

    # The officer's checklist is the worklist filtered by the campaign.
    officer.goto(demo_server.url(f"/worklist/?campaign={campaign_id}"))
    expect(officer.locator("table.worklist tbody tr")).to_have_count(count)
    expect(officer.locator("table.worklist tbody tr").first).to_contain_text("전수조사")
    check_page(officer, f"worklist-campaign-{viewport}", artifacts)
