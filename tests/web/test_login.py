import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from tests.conftest import PASSWORD


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_korean_shell(client, city):
    response = _login(client, "officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("today")
    page = client.get(reverse("today")).content.decode()
    for label in ("오늘 할 일", "발굴", "상담", "사례관리", "자원", "통계"):
        assert label in page
    assert '<html lang="ko">' in page
    assert AuditEvent.objects.filter(action="auth.login", actor_name="officer").exists()


def test_lockout_after_repeated_failures_even_with_the_right_password(client, city, settings):
    settings.LOCKOUT_FAILURES = 5
    for _ in range(5):
        assert _login(client, "officer", "wrong-password").status_code == 200
    response = _login(client, "officer", PASSWORD)
    assert response.status_code == 200
    assert "로그인에 여러 번 실패했습니다" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_refused_locked").count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5


def test_lockout_is_per_user_name_and_case_insensitive(client, city):
    for _ in range(5):
        _login(client, "OFFICER", "wrong-password")
    assert _login(client, "manager", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "officer", PASSWORD).status_code == 200


def test_lockout_ends_after_the_window(client, city, settings):
    from datetime import timedelta

    from django.utils import timezone

    from dolbom.core.models import LoginFailure

    for _ in range(5):
        _login(client, "officer", "wrong-password")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES + 1))
    assert _login(client, "officer", PASSWORD).status_code == 302


def test_session_expires_when_idle_and_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("safety_net", ["위기가구 신고"], ["가구 검색", "/statistics/", "/audit/"]),
        ("analyst", ["/statistics/"], ["/households/", "/referrals/", "/audit/"]),
        ("district_admin", ["/audit/", "/households/", "/statistics/"], []),
    ],
)
def test_navigation_follows_the_role(client, city, role, present, absent):
    client.force_login(city.users[role])
    page = client.get(reverse("today")).content.decode()
    for text in present:
        assert text in page
    for text in absent:
        assert text not in page


def test_security_headers(client, city):
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("today"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
