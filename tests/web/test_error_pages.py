"""The error pages are the application's own Korean pages inside its navigation; /admin/ refuses a signed-in
non-administrator with 403 instead of sending them round in redirects; absurdly long input is a 400, not a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

NAVIGATION = ("오늘 할 일", "가구 검색", "사례관리")


def _signed_in(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def _assert_application_page(response, *texts: str) -> str:
    page = response.content.decode()
    assert '<html lang="ko">' in page and 'class="site-header"' in page
    for text in texts:
        assert text in page, text
    return page


def test_404_is_korean_with_the_users_navigation(client, city):
    _signed_in(client, "officer")
    other_dong = city.household_in(2)  # outside the officer's dong: answers exactly like a missing record
    for url in (f"/households/{other_dong.pk}/", "/households/999999/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        _assert_application_page(response, "페이지를 찾을 수 없습니다", *NAVIGATION, "로그아웃")


def test_404_for_anonymous_visitors_is_korean_too(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    _assert_application_page(response, "페이지를 찾을 수 없습니다")


def test_403_is_korean_with_the_users_navigation(client, city):
    _signed_in(client, "analyst")  # aggregates only: household search is refused
    response = client.get(reverse("household_search"), {"q": "김영희"})
    assert response.status_code == 403
    page = _assert_application_page(response, "접근 권한이 없습니다", "오늘 할 일", "통계")
    assert "김" not in page.split('id="main"')[1]


@pytest.mark.parametrize("username", ["officer", "manager", "analyst", "tongjang", "worker"])
def test_admin_refuses_a_signed_in_non_administrator_with_403(client, city, username):
    _signed_in(client, username)
    for url in ("/admin/", "/admin/registry/staff/", f"/admin/registry/staff/{city.users['district_admin'].staff.pk}/"):
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code, response.get("Location"))
        _assert_application_page(response, "접근 권한이 없습니다", "오늘 할 일")


def test_admin_still_opens_for_the_administrator_and_sends_anonymous_users_to_login(client, city):
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]
    _signed_in(client, "admin1")
    assert client.get("/admin/").status_code == 200


def test_stale_csrf_token_gives_the_korean_403_page(city):
    client = Client(enforce_csrf_checks=True)
    _signed_in(client, "officer")
    response = client.post(f"/persons/{city.persons[0].pk}/reveal/", {"reason": "상담 확인"})
    assert response.status_code == 403
    _assert_application_page(response, "페이지를 새로 고친 뒤 다시 시도하세요", "오늘 할 일")


def test_a_50k_search_is_a_korean_400_not_a_server_error(client, city):
    _signed_in(client, "manager")
    for text in ("가" * 50_000, "%_" * 25_000, "1" * 50_000):
        response = client.get(reverse("household_search"), {"q": text})
        assert response.status_code == 400
        _assert_application_page(response, "입력한 내용이 너무 깁니다", "오늘 할 일")


def test_a_search_longer_than_the_box_allows_is_a_400_on_the_search_page(client, city):
    from dolbom.registry.selectors import SEARCH_MAX_LENGTH

    _signed_in(client, "manager")
    page = client.get(reverse("household_search")).content.decode()
    assert f'maxlength="{SEARCH_MAX_LENGTH}"' in page
    assert f'maxlength="{SEARCH_MAX_LENGTH}"' in client.get(reverse("today")).content.decode()
    response = client.get(reverse("household_search"), {"q": "시청로 " * 30})
    assert response.status_code == 400
    page = _assert_application_page(response, f"{SEARCH_MAX_LENGTH}자까지 입력할 수 있습니다", 'id="q"')
    assert "시청로 시청로" not in page  # the refused text is not echoed back
    fragment = client.get(reverse("household_search"), {"q": "시청로 " * 30}, headers={"HX-Request": "true"})
    assert fragment.status_code == 400 and "자까지 입력할 수 있습니다" in fragment.content.decode()


def test_any_absurdly_long_parameter_is_a_korean_400(client, city):
    _signed_in(client, "manager")
    long_value = "x" * 50_000
    assert client.get(reverse("statistics"), {"dong": long_value}).status_code == 400
    assert client.get(reverse("today"), {long_value: "1"}).status_code == 400
    # As a browser posts a form (multipart uploads are left to their views, which choose how to read them).
    response = client.post(
        f"/persons/{city.persons[0].pk}/reveal/",
        urlencode({"reason": long_value}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    _assert_application_page(response, "입력한 내용이 너무 깁니다", "오늘 할 일")


def test_the_500_page_renders_while_the_database_is_down(settings):
    """No `db` fixture: every database access fails here, as with a database that cannot be reached. A session
    cookie makes the request need the database; the error page must not."""
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    response = client.get("/")
    assert response.status_code == 500
    page = _assert_application_page(response, "일시적인 오류가 발생했습니다", "오늘 할 일")
    assert "Server Error" not in page


def test_a_get_on_a_post_only_address_is_the_korean_405_page_with_allow(client, city):
    _signed_in(client, "officer")
    response = client.get(f"/persons/{city.persons[0].pk}/reveal/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    _assert_application_page(response, "이 주소에서는 그 방식의 요청을 받지 않습니다", *NAVIGATION)


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_methods_the_application_never_takes_are_refused_with_the_korean_405_page(client, city, method):
    _signed_in(client, "officer")
    for url in (reverse("today"), f"/persons/{city.persons[0].pk}/reveal/"):
        response = getattr(client, method)(url, "reason=x", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 405, (method, url)
        assert set(response["Allow"].split(", ")) <= {"GET", "HEAD", "POST"}
        _assert_application_page(response, "이 주소에서는 그 방식의 요청을 받지 않습니다")


def test_405_for_anonymous_visitors_is_korean_too(client, db):
    response = client.put("/login/")
    assert response.status_code == 405
    _assert_application_page(response, "이 주소에서는 그 방식의 요청을 받지 않습니다")


def test_too_many_fields_is_a_korean_400(client, city, settings):
    _signed_in(client, "officer")
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post(
        f"/persons/{city.persons[0].pk}/reveal/", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    _assert_application_page(response, "입력 항목이 너무 많습니다", *NAVIGATION)


def test_a_form_body_too_large_is_a_korean_400(client, city, settings):
    _signed_in(client, "officer")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "reason=" + "가" * 2000
    response = client.post(
        f"/persons/{city.persons[0].pk}/reveal/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    _assert_application_page(response, "보낸 내용이 너무 큽니다", *NAVIGATION)
