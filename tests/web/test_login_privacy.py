"""What a failed login leaves behind: a user name typed by mistake (a password, a resident number) is never stored
in clear, and a flood against a locked account cannot flood the audit log."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dolbom.core import access_audit
from dolbom.core.models import AuditEvent
from tests.conftest import PASSWORD

LOCKED = "로그인에 여러 번 실패했습니다"
# A password typed into the user-name field, and a resident number typed as a user name (both happen at the desk).
MISTAKES = ("Tr0ub4dor&3-officer", "800101-1234567")


@pytest.fixture(autouse=True)
def _fresh_counts(monkeypatch):
    """What a server process holds in memory starts empty, as in a new process."""
    monkeypatch.setattr(access_audit, "_unrecorded", access_audit._Unrecorded())


@pytest.fixture
def clock(monkeypatch):
    """The time as the audit log and the rate limit read it, moved forward by the test instead of waiting."""
    moments = [timezone.now().replace(second=5, microsecond=0)]

    def now():
        moments[-1] += timedelta(microseconds=1)
        return moments[-1]

    monkeypatch.setattr(timezone, "now", now)

    def advance(**delta):
        moments.append(moments[-1] + timedelta(**delta))

    return advance


def _login(client, username, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _traces(text: str) -> bool:
    """Anything stored that still shows the typed name, whatever its case or its hyphen."""
    text = text.lower()
    return any(m.lower() in text or m.replace("-", "").lower() in text for m in MISTAKES)


def test_a_mistyped_user_name_is_stored_only_as_a_keyed_hash(client, city, caplog):
    caplog.set_level(logging.DEBUG)
    for typed in MISTAKES:
        for i in range(6):  # five failures, then a refusal: both kinds of event
            _login(client, typed, f"guess-{i}")
    assert AccessAttempt.objects.count() == 2
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 10
    assert AuditEvent.objects.filter(action="auth.login_refused_locked").count() == 2
    stored = [
        *AccessAttempt.objects.values_list("username", "get_data", "post_data"),
        *AuditEvent.objects.values_list("detail", "reason", "object_id"),
    ]
    assert not _traces(repr(stored))
    assert not _traces(caplog.text)
    # The counters still tell the two names apart (each locked on its own) and an investigator with the key can
    # still ask "were there attempts under this name?": the hash is the keyed one the resident numbers use.
    hashes = set(AuditEvent.objects.filter(action="auth.login_failed").values_list("detail__username_hash", flat=True))
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)


def test_an_existing_account_name_is_kept_as_typed_so_an_administrator_can_read_it(client, city):
    for i in range(6):
        _login(client, "Officer", f"guess-{i}")
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"officer"}
    assert set(AuditEvent.objects.values_list("detail__username", flat=True)) == {"officer"}
    assert LOCKED in _login(client, "officer", PASSWORD).content.decode()


def test_an_unknown_name_is_locked_and_unlocked_like_a_real_one(client, city):
    for i in range(5):
        _login(client, "no-such-officer", f"guess-{i}")
    assert _login(client, "no-such-officer", "again").status_code == 429
    call_command("axes_reset_username", "No-Such-Officer")
    assert not AccessAttempt.objects.exists()


def test_a_flood_against_a_locked_account_does_not_flood_the_audit_log(client, city, settings, clock):
    settings.DENIED_AUDIT_PER_MINUTE = 20
    for i in range(5):
        _login(client, "officer", f"guess-{i}")
    for _ in range(60):
        assert _login(client, "officer", "still-guessing").status_code == 429
    refused = AuditEvent.objects.filter(action="auth.login_refused_locked")
    assert refused.count() == 20
    # The other address and the other account keep their own allowance.
    for i in range(5):
        _login(client, "manager", f"guess-{i}")
    assert _login(client, "manager", "x").status_code == 429
    assert _login(client, "officer", "x", address="198.51.100.3").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login_refused_locked", detail__username="manager").count() == 1


def test_what_a_flood_left_out_is_counted_in_one_event_after_the_minute(client, city, settings, clock):
    settings.DENIED_AUDIT_PER_MINUTE = 3
    for i in range(5):
        _login(client, "officer", f"guess-{i}")
    for _ in range(10):
        _login(client, "officer", "still-guessing")
    assert AuditEvent.objects.filter(action="auth.login_refused_locked").count() == 3
    clock(minutes=1)
    _login(client, "officer", "one-more")
    unrecorded = AuditEvent.objects.get(action="auth.login_refused_unrecorded")
    assert unrecorded.detail["count"] == 7
    assert unrecorded.detail["username"] == "officer" and unrecorded.detail["address"] == "203.0.113.7"
