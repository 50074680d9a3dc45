"""What each role reads in the shell: a menu named for what each entry opens, the areas on the start page, the
login form's words, and counts written with separators."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

TODAY = ("오늘 할 일", "/")
DISCOVERY = ("발굴", "/discovery/")
SEARCH = ("가구 검색", "/households/")  # consultations are not in this release: the entry says what it opens
STATISTICS = ("통계", "/statistics/")
WORKLIST = ("업무 목록", "/worklist/")
REFERRALS = ("위기가구 신고", "/referrals/")
CASES = ("사례관리", "/cases/")
RESOURCES = ("자원", "/resources/")

MENUS = {
    "dong_officer": [TODAY, DISCOVERY, WORKLIST, SEARCH, CASES, RESOURCES, STATISTICS],
    "district_manager": [TODAY, DISCOVERY, WORKLIST, SEARCH, CASES, RESOURCES, STATISTICS],
    "district_admin": [
        TODAY,
        DISCOVERY,
        WORKLIST,
        SEARCH,
        CASES,
        RESOURCES,
        STATISTICS,
        ("감사 로그", "/audit/"),
        ("기준정보 관리", "/admin/"),
    ],
    "agency_worker": [TODAY, REFERRALS, SEARCH, CASES, RESOURCES],
    "safety_net": [TODAY, REFERRALS],
    "analyst": [TODAY, STATISTICS],
}


def _menu(html: str) -> list[tuple[str, str | None]]:
    nav = re.search(r'<nav aria-label="주 메뉴">(.*?)</nav>', html, flags=re.S).group(1)
    entries = []
    for item in re.findall(r"<li>(.*?)</li>", nav, flags=re.S):
        link = re.search(r'<a href="([^"]+)"[^>]*>(.*?)</a>', item)
        if link:
            entries.append((link.group(2).strip(), link.group(1)))
        else:
            label = re.search(r'<span class="nav-later"[^>]*>(.*?) <small>', item).group(1)
            entries.append((label.strip(), None))
    return entries


@pytest.mark.parametrize("role", MENUS)
def test_each_role_sees_the_menu_of_what_it_uses(client, city, role):
    client.force_login(city.users[role])
    assert _menu(client.get(reverse("today")).content.decode()) == MENUS[role]


@pytest.mark.parametrize("role", ["agency_worker", "safety_net"])
def test_the_referral_entry_opens_the_referrals_and_is_current_there(client, city, role):
    client.force_login(city.users[role])
    html = client.get(reverse("referrals")).content.decode()
    assert '<a href="/referrals/" aria-current="page">위기가구 신고</a>' in html


def test_a_safety_net_member_sees_the_dong_they_report_in(client, city):
    client.force_login(city.users["safety_net"])
    html = client.get(reverse("today")).content.decode()
    assert "배정된 담당 지역이 없습니다" not in html
    assert "신고할 수 있는 지역" in html and city.dongs[0].name in html
    assert city.dongs[1].name not in html


def test_an_officer_sees_their_work_area(client, city):
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("today")).content.decode()
    assert "담당 지역" in html and city.dongs[0].name in html and "신고할 수 있는 지역" not in html


def test_a_wrong_password_is_explained_with_the_field_s_own_word(client, city):
    response = client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    html = response.content.decode()
    assert "아이디 또는 비밀번호가 맞지 않습니다" in html
    assert "사용자 이름" not in html and "와/과" not in html
    assert '<label for="id_username">아이디</label>' in html


def test_empty_login_fields_say_what_to_type(client, city):
    html = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert "아이디를 입력하세요." in html and "비밀번호를 입력하세요." in html
    assert 'aria-describedby="username-error"' in html


def test_a_right_login_still_works(client, city):
    response = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("value", "shown"),
    [(10127, "10,127"), (0, "0"), (999, "999"), (1234567, "1,234,567"), ("10127", "10,127"), (None, ""), ("—", "—")],
)
def test_counts_are_written_with_separators(value, shown):
    from dolbom.core.templatetags.dolbom import thousands

    assert thousands(value) == shown


def test_counts_on_the_start_page_have_separators(client, city, settings):
    from dolbom.registry.models import Address, Household

    address = Address.objects.create(dong=city.dongs[0], road_address="한빛시 중앙구 시청로 99")
    Household.objects.bulk_create(
        [Household(address=address, dong=city.dongs[0], registered_on="2020-01-01") for _ in range(1000)]
    )
    client.force_login(city.users["dong_officer"])
    assert "조회할 수 있는 가구는 1,001곳입니다." in client.get(reverse("today")).content.decode()


def test_a_user_is_named_by_their_staff_name(city):
    from django.contrib.auth import get_user_model

    from dolbom.core.templatetags.dolbom import staff_name

    officer = city.users["dong_officer"]
    officer.staff.display_name = "조현주"
    officer.staff.save()
    assert staff_name(get_user_model().objects.get(pk=officer.pk)) == "조현주"
    bare = get_user_model().objects.create_user(username="operator")
    assert staff_name(bare) == "operator"
    assert staff_name(None) == ""


@pytest.mark.parametrize(("role", "linked"), [("dong_officer", True), ("district_manager", True), ("analyst", False)])
def test_the_safety_net_is_reached_from_discovery(client, city, role, linked):
    client.force_login(city.users[role])
    response = client.get(reverse("discovery_home"))
    html = response.content.decode() if response.status_code == 200 else ""
    assert (reverse("safety_net") in html) is linked
    if linked:
        assert client.get(reverse("safety_net")).status_code == 200
