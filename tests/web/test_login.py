from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dolbom.core.models import AuditEvent
from tests.conftest import PASSWORD

LOCKED = "로그인에 여러 번 실패했습니다"


def _login(client, username, password, address="127.0.0.1", **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _fail(client, username, times, address="127.0.0.1", **headers):
    for i in range(times):
        response = _login(client, username, f"wrong-password-{i}", address, **headers)
        assert response.status_code == 200 and LOCKED not in response.content.decode()


def _refused(response) -> bool:
    return response.status_code == 429 and LOCKED in response.content.decode()


def test_login_and_korean_shell(client, city):
    response = _login(client, "officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("today")
    page = client.get(reverse("today")).content.decode()
    for label in ("오늘 할 일", "발굴", "가구 검색", "사례관리", "자원", "통계"):
        assert label in page
    assert '<html lang="ko">' in page
    event = AuditEvent.objects.get(action="auth.login", actor_name="officer")
    assert event.detail == {"address": "127.0.0.1"}


def test_lockout_after_repeated_failures_even_with_the_right_password(client, city, settings):
    settings.LOCKOUT_FAILURES = 5
    _fail(client, "officer", 5)
    response = _login(client, "officer", PASSWORD)
    assert _refused(response)
    assert "15분 뒤에 다시 시도하거나 관리자에게 문의하세요" in response.content.decode()
    refused = AuditEvent.objects.get(action="auth.login_refused_locked")
    assert refused.detail == {"username": "officer", "address": "127.0.0.1"}
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5


def test_lockout_is_per_user_name_and_case_insensitive(client, city):
    _fail(client, "OFFICER", 5)
    assert _login(client, "manager", PASSWORD).status_code == 302
    client.logout()
    assert _refused(_login(client, "officer", PASSWORD))


def test_lockout_ends_after_the_window(client, city, settings):
    _fail(client, "officer", 5)
    assert _refused(_login(client, "officer", PASSWORD))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES + 1))
    assert _login(client, "officer", PASSWORD).status_code == 302


def test_a_right_password_clears_the_failures_counted_before_it(client, city):
    """Each attempt is counted before its password is checked; a right one must take its count back."""
    for _ in range(3):
        _fail(client, "officer", 4)
        assert _login(client, "officer", PASSWORD).status_code == 302
        client.logout()
    assert not AccessAttempt.objects.exists()


def test_refused_attempts_do_not_count_towards_the_lock(client, city, settings):
    """Hammering a locked account must not keep it locked: only checked passwords count."""
    _fail(client, "officer", 5)
    for _ in range(10):
        assert _refused(_login(client, "officer", "still-guessing"))
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_an_officer_locked_out_at_one_address_still_logs_in_from_another(client, city):
    _fail(client, "officer", 5, address="198.51.100.66")
    assert _refused(_login(client, "officer", PASSWORD, address="198.51.100.66"))
    assert _login(client, "officer", PASSWORD, address="10.20.0.15").status_code == 302


def test_guessing_from_many_addresses_cannot_lock_an_officer_out_of_their_usual_address(client, city, settings):
    settings.LOCKOUT_ACCOUNT_FAILURES = 10
    assert _login(client, "officer", PASSWORD, address="10.20.0.15").status_code == 302  # the officer's PC
    client.logout()
    for attacker in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(4):  # below the pair limit at each address, 12 in all
            _login(client, "officer", "guess", address=attacker)
    # The user name is closed to addresses it never logged in from: guessing from many machines stays bounded...
    assert _refused(_login(client, "officer", PASSWORD, address="198.51.100.4"))
    # ...while the officer's own PC is open.
    assert _login(client, "officer", PASSWORD, address="10.20.0.15").status_code == 302


def test_one_address_trying_many_user_names_is_locked_out(client, city, settings):
    settings.LOCKOUT_ADDRESS_FAILURES = 20
    for name in ("officer", "manager", "admin1", "worker", "analyst"):
        _fail(client, name, 4, address="203.0.113.9")  # below the pair limit for each name
    assert _refused(_login(client, "tongjang", PASSWORD, address="203.0.113.9"))
    assert _login(client, "tongjang", PASSWORD, address="10.20.0.15").status_code == 302


def test_an_unknown_user_name_is_answered_like_a_real_one(client, city):
    def answers(username, address):
        return [
            (response.status_code, LOCKED in response.content.decode())
            for response in (_login(client, username, f"guess-{i}", address) for i in range(7))
        ]

    assert answers("officer", "198.51.100.21") == answers("no-such-officer", "198.51.100.22")
    # The same events, under the account's name for an account and under a keyed hash for anything else.
    by_name = {
        name: list(AuditEvent.objects.filter(detail__address=address).values_list("action", flat=True))
        for name, address in (("officer", "198.51.100.21"), ("no-such-officer", "198.51.100.22"))
    }
    assert by_name["officer"] == by_name["no-such-officer"]


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, city, settings):
    settings.TRUSTED_PROXIES = []
    for i in range(5):
        _login(client, "officer", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    assert _refused(_login(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200"))
    addresses = set(AuditEvent.objects.filter(action="auth.login_failed").values_list("detail__address", flat=True))
    assert addresses == {"127.0.0.1"}


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(client, city, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    proxy = {"address": "10.9.0.2"}
    _fail(client, "officer", 5, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert _refused(_login(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy))
    # Whatever the client writes in the header itself stays left of what the proxy appended, and is not read.
    spoofed = "198.51.100.2, 198.51.100.1"
    assert _refused(_login(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR=spoofed, **proxy))
    assert _login(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy).status_code == 302


def test_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(client, city, settings):
    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]
    for i in range(5):
        _login(client, "officer", "wrong", "203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.0.{i}, 198.51.100.{i}")
    assert _refused(_login(client, "officer", PASSWORD, "203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.200"))


@pytest.mark.parametrize(("command", "argument"), [("axes_reset_username", "OFFICER"), ("axes_reset_ip", "127.0.0.1")])
def test_an_administrator_unlocks_with_a_command(client, city, command, argument):
    _fail(client, "officer", 5)
    assert _refused(_login(client, "officer", PASSWORD))
    call_command(command, argument)
    assert _login(client, "officer", PASSWORD).status_code == 302


def test_counted_attempts_keep_no_password(client, city):
    _login(client, "officer", "my-secret-guess")
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("officer", "127.0.0.1")
    assert "my-secret-guess" not in attempt.post_data


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
