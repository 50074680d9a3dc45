"""Resources in the browser, on an office screen (1366×768) and a phone (390×844): the district's case manager
receives a gift of rice designated to one dong, gives it out to two households of that dong through the food
market, records a cash sponsorship of the first household and pays the month; the ledger's balances and both
households' histories change accordingly. No page scrolls sideways; axe-core is clean on every page of the way."""

from __future__ import annotations

import json
import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dolbom.synth.areas import DONGS
from tests.e2e.support import DemoServer, dolbom_command
from tests.e2e.test_registry_writes import arrive, check_page

pytestmark = pytest.mark.e2e

VIEWPORTS = {"office": (1366, 768), "phone": (390, 844)}

# Two households of the officer's dong whose head consented to resource support (the demo city's consents are
# random: the precondition is written here, with the registry's own models, not through the pages under test).
HOUSEHOLDS_SCRIPT = r"""
import json
from datetime import date
from dolbom.core.dates import today_kst
from dolbom.registry.models import Agency, Consent, Household, Membership, current_on

dong = {dong!r}
today = today_kst()
agency = Agency.objects.filter(kind="welfare_centre").order_by("pk").first()
picked = []
for household in Household.objects.filter(dong_id=dong).order_by("pk")[:50]:
    head = Membership.objects.filter(current_on(today), household=household, relationship="head").first()
    if head is None:
        continue
    Consent.objects.get_or_create(person=head.person, recipient=agency, purpose="resource_support",
                                  defaults={{"given_on": date(today.year, 1, 1)}})
    picked.append(household.pk)
    if len(picked) == 2:
        break
print("E2E-HOUSEHOLDS " + json.dumps(picked))
"""


def _two_households(demo_server: DemoServer) -> list[int]:
    script = HOUSEHOLDS_SCRIPT.format(dong=demo_server.facts["household"]["dong"])
    out = subprocess.run(
        [*dolbom_command(), "manage", "shell", "-c", script], env=demo_server.env, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("E2E-HOUSEHOLDS "))
    return json.loads(line.removeprefix("E2E-HOUSEHOLDS "))


def _dong_name(demo_server: DemoServer) -> str:
    return next(d.name for d in DONGS if d.code == demo_server.facts["household"]["dong"])


def _fund_row(page: Any, label: str) -> Any:
    """The ledger's row of one fund, by its whole label (the demo city's ledger holds many funds)."""
    header = page.locator("th", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator("#balances tbody tr", has=header)


def _won(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text) or 0)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_designated_gift_reaches_two_households_and_a_sponsorship_is_paid(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    first, second = _two_households(demo_server)
    item = f"쌀 10kg ({viewport})"
    manager = open_page("demo_district")
    manager.set_viewport_size({"width": width, "height": height})

    # 자원 → the directory, then the ledger.
    manager.goto(demo_server.url("/"))
    manager.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="자원").click()
    manager.wait_for_url("**/resources/")
    check_page(manager, f"resources-directory-{viewport}", artifacts)
    manager.get_by_role("link", name="후원금품", exact=True).click()
    manager.wait_for_url("**/resources/donations/")
    check_page(manager, f"resources-ledger-before-{viewport}", artifacts)

    # A company gives rice designated to the officer's dong, kept by a welfare centre's food market.
    manager.get_by_role("link", name="후원자 등록").click()
    manager.wait_for_url("**/donors/new/")
    manager.select_option("#id_kind", "company")
    manager.fill("#id_name", f"한빛마트 ({viewport})")
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/new/$"))
    manager.select_option("#id_donor", label=f"한빛마트 ({viewport})")
    manager.check("#id_kind_1")  # goods
    manager.select_option("#id_designation", "dong")
    manager.select_option("#id_dong", demo_server.facts["household"]["dong"])
    manager.select_option("#id_agency", index=1)
    manager.fill("#id_item", item)
    manager.fill("#id_unit", "포")
    manager.fill("#id_units", "10")
    manager.fill("#id_unit_won", "３２，０００")
    manager.fill("#id_expires_on", "2099-12-31")
    check_page(manager, f"resources-donation-new-{viewport}", artifacts)
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/$"))
    # The demo city's ledger has gifts of its own: the dong's fund is found by its name.
    fund_row = _fund_row(manager, f"동 지정: {_dong_name(demo_server)}")
    expect(fund_row).to_have_count(1)
    received, given, stock = (_won(fund_row.locator("td").nth(i).inner_text()) for i in (3, 4, 5))
    assert received - given == stock >= 320_000
    check_page(manager, f"resources-ledger-received-{viewport}", artifacts)

    # Through the food market to two households of that dong: 3 bags and 2 bags.
    manager.get_by_role("link", name="푸드뱅크", exact=True).click()
    manager.wait_for_url("**/food-bank/")
    check_page(manager, f"resources-food-bank-{viewport}", artifacts)
    for household, units in ((first, 3), (second, 2)):
        manager.goto(demo_server.url("/resources/food-bank/give/"))
        manager.select_option("#id_agency", index=1)
        manager.fill("#id_item", item)
        manager.fill("#id_units", str(units))
        manager.fill("#id_household", str(household))
        if household == first:
            check_page(manager, f"resources-give-{viewport}", artifacts)
        manager.get_by_role("button", name="저장").click()
        arrive(manager, re.compile(r"/resources/food-bank/$"))
    expect(manager.locator("#stock")).to_contain_text(item)
    expect(manager.locator("#stock tbody tr", has_text=item)).to_contain_text("5포")

    # A cash sponsorship of the first household, and the month paid.
    manager.goto(demo_server.url("/resources/donations/"))
    manager.get_by_role("link", name="결연 등록").click()
    manager.wait_for_url("**/sponsorships/new/")
    manager.select_option("#id_donor", label=f"한빛마트 ({viewport})")
    manager.fill("#id_household", str(first))
    manager.fill("#id_monthly_won", "100,000")
    check_page(manager, f"resources-sponsorship-new-{viewport}", artifacts)
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/$"))
    manager.get_by_role("button", name="지급 기록").click()
    arrive(manager, re.compile(r"/resources/donations/$"))
    expect(manager.locator("[role=status]")).to_contain_text("1건")

    # The balances: the designated gift's goods went out, the sponsorship's fund received and paid the same.
    fund_row = _fund_row(manager, f"동 지정: {_dong_name(demo_server)}")
    after = [_won(fund_row.locator("td").nth(i).inner_text()) for i in (3, 4, 5)]
    assert after == [received, given + 160_000, stock - 160_000]
    sponsored = _fund_row(manager, f"결연 (한 가구) #{first}")
    expect(sponsored).to_have_count(1)
    cash = [_won(sponsored.locator("td").nth(i).inner_text()) for i in (0, 1, 2)]
    assert cash[0] == cash[1] >= 100_000 and cash[2] == 0
    check_page(manager, f"resources-ledger-after-{viewport}", artifacts)

    # Both households' histories show what reached them.
    manager.goto(demo_server.url(f"/households/{first}/"))
    history = manager.locator("main")
    expect(history).to_contain_text(f"물품 제공: {item} 3포 (96,000원)")
    expect(history).to_contain_text("결연 시작: 월 100,000원")
    expect(history).to_contain_text("결연 후원금: 100,000원")
    check_page(manager, f"resources-household-first-{viewport}", artifacts)
    manager.goto(demo_server.url(f"/households/{second}/"))
    expect(manager.locator("main")).to_contain_text(f"물품 제공: {item} 2포 (64,000원)")
    check_page(manager, f"resources-household-second-{viewport}", artifacts)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_directory_and_volunteer_pages_fit_and_read(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    """The administrator adds a provider and a service and finds it by need domain; the officer reads it and
    registers a volunteer matched to a need; every page fits the screen and passes axe-core."""
    width, height = VIEWPORTS[viewport]
    admin = open_page("demo_district")
    admin.set_viewport_size({"width": width, "height": height})
    admin.goto(demo_server.url("/resources/providers/new/"))
    admin.fill("#id_name", f"사랑나눔복지재단 ({viewport})")
    check_page(admin, f"resources-provider-new-{viewport}", artifacts)
    admin.get_by_role("button", name="저장").click()
    arrive(admin, re.compile(r"/resources/services/new/$"))
    admin.select_option("#id_organization", label=f"사랑나눔복지재단 ({viewport})")
    admin.fill("#id_name", f"겨울 난방비 지원 ({viewport})")
    admin.fill("#id_eligibility", "기준중위소득 100% 이하, 정부 지원에서 벗어난 가구")
    admin.get_by_label("경제").check()
    admin.fill("#id_unit_won", "300,000")
    admin.fill("#id_unit_label", "1가구 1회")
    check_page(admin, f"resources-service-new-{viewport}", artifacts)
    admin.get_by_role("button", name="저장").click()
    arrive(admin, re.compile(r"/resources/services/\d+/$"))
    expect(admin.locator("main")).to_contain_text("300,000원 / 1가구 1회")
    check_page(admin, f"resources-service-{viewport}", artifacts)
    admin.goto(demo_server.url("/resources/?domain=economy"))
    expect(admin.locator("#directory")).to_contain_text(f"겨울 난방비 지원 ({viewport})")
    check_page(admin, f"resources-directory-economy-{viewport}", artifacts)
    admin.goto(demo_server.url("/resources/hsds/"))
    check_page(admin, f"resources-hsds-{viewport}", artifacts)
    admin.goto(demo_server.url("/resources/agreements/new/"))
    check_page(admin, f"resources-agreement-new-{viewport}", artifacts)

    officer = open_page("demo_dong")
    officer.set_viewport_size({"width": width, "height": height})
    officer.goto(demo_server.url("/resources/?domain=economy"))
    expect(officer.locator("#directory")).to_contain_text(f"겨울 난방비 지원 ({viewport})")
    officer.get_by_role("link", name="자원봉사").click()
    officer.wait_for_url("**/volunteers/")
    officer.get_by_role("link", name="자원봉사자 등록").click()
    officer.wait_for_url("**/volunteers/new/")
    officer.fill("#id_name", "김봉사")
    officer.select_option("#id_dong", index=1)
    officer.get_by_label("집수리").check()
    officer.fill("#id_availability", "토요일 오전")
    officer.fill("#id_consent_on", "2026-11-01")
    check_page(officer, f"resources-volunteer-new-{viewport}", artifacts)
    officer.get_by_role("button", name="저장").click()
    arrive(officer, re.compile(r"/resources/volunteers/$"))
    officer.goto(demo_server.url("/resources/volunteers/?need=living_environment"))
    expect(officer.locator("#volunteers")).to_contain_text("김*사")
    check_page(officer, f"resources-volunteers-{viewport}", artifacts)


# The district's details as the body receiving gifts: reference data its administrator keeps in the admin (tested
# in tests/resources/test_receipts.py); set here as a precondition, not through the pages under test.
ISSUER_SCRIPT = r"""
from django.contrib.auth import get_user_model
from dolbom.core.scope import scope_for
from dolbom.resources.models import ReceiptIssuer

user = get_user_model().objects.get(username="demo_district")
for code in scope_for(user).district_codes:
    ReceiptIssuer.objects.get_or_create(district_id=code, defaults={
        "name": "구청", "registration_number": "1238300010", "address": "시청로 1"})
print("E2E-ISSUER ok")
"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_donation_receipt_is_issued_once_the_donor_is_known_and_printed(
    open_page: Callable[..., Any], demo_server: DemoServer, artifacts: Path, viewport: str
) -> None:
    """A group gives cash; its receipt is refused until the group's registration number and address are entered
    on the donor's page (typed in full-width digits); then it is issued and printed as a PDF. A person donor's
    resident number is masked on their page and shown in full only for a reason."""
    width, height = VIEWPORTS[viewport]
    out = subprocess.run(
        [*dolbom_command(), "manage", "shell", "-c", ISSUER_SCRIPT], env=demo_server.env, capture_output=True,
        text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "E2E-ISSUER ok" in out
    group = f"새마을부녀회 ({viewport})"
    manager = open_page("demo_district")
    manager.set_viewport_size({"width": width, "height": height})
    manager.goto(demo_server.url("/resources/donors/new/"))
    manager.select_option("#id_kind", "group")
    manager.fill("#id_name", group)
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/new/$"))
    manager.select_option("#id_donor", label=group)
    manager.fill("#id_amount_won", "300,000")
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/$"))

    # The receipt says what is missing; the donor's page takes it.
    row = manager.locator("#donations tbody tr", has_text=group).first
    row.get_by_role("link", name="발급").click()
    arrive(manager, re.compile(r"/resources/donations/\d+/receipt/$"))
    expect(manager.locator("#receipt-gaps")).to_contain_text("사업자등록번호")
    check_page(manager, f"resources-receipt-missing-{viewport}", artifacts)
    receipt_url = manager.url
    manager.get_by_role("link", name="후원자 화면으로").click()
    arrive(manager, re.compile(r"/resources/donors/\d+/$"))
    check_page(manager, f"resources-donor-{viewport}", artifacts)
    manager.fill("#id_registration_number", "１２４－８１－００９９８")
    manager.fill("#id_address", "한빛시 시장로 3")
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donors/\d+/$"))
    expect(manager.locator("#donor-registration-number")).to_have_text("124-81-00998")
    expect(manager.locator("#donor-complete")).to_be_visible()

    manager.goto(receipt_url)
    manager.check("#id_confirm")
    manager.get_by_role("button", name="영수증 발급").click()
    arrive(manager, re.compile(r"/resources/donations/\d+/receipt/$"))
    expect(manager.locator("#receipt-number")).to_have_text(re.compile(r"^\d{4}-\d{5}$"))
    check_page(manager, f"resources-receipt-issued-{viewport}", artifacts)
    pdf = manager.request.get(demo_server.url(manager.locator("#receipt-pdf").get_attribute("href")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    # A person donor: the number typed once, masked on the page, shown in full for a reason.
    number = f"800101-1{random.randrange(100_000, 999_999)}"
    manager.goto(demo_server.url("/resources/donors/new/"))
    manager.select_option("#id_kind", "person")
    manager.fill("#id_name", "기부자" if viewport == "office" else "나눔이")  # masked 기*자, 나*이
    manager.fill("#id_consent_on", "2026-01-05")
    manager.fill("#id_resident_number", number)
    manager.fill("#id_address", "한빛시 은행로 7")
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/new/$"))
    name = "기부자" if viewport == "office" else "나눔이"
    manager.select_option("#id_donor", label=name[0] + "*" + name[-1])
    manager.fill("#id_amount_won", "50,000")
    manager.get_by_role("button", name="저장").click()
    arrive(manager, re.compile(r"/resources/donations/$"))
    manager.locator("#donations tbody tr").first.get_by_role("link", name=name[0] + "*" + name[-1]).click()
    arrive(manager, re.compile(r"/resources/donors/\d+/$"))
    expect(manager.locator("#donor-rrn")).to_have_text("800101-1******")
    expect(manager.locator("main")).not_to_contain_text(number)
    manager.locator("summary", has_text="번호 전체 보기").click()
    manager.fill("#id_reason", "영수증 번호 확인 요청")
    check_page(manager, f"resources-donor-person-{viewport}", artifacts)
    manager.get_by_role("button", name="보기", exact=True).click()
    expect(manager.locator("#donor-rrn")).to_have_text(number)
    check_page(manager, f"resources-donor-revealed-{viewport}", artifacts)
