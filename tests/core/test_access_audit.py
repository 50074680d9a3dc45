"""Refused requests and logouts reach the hash-chained audit log, without personal data and without letting one
user flood it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dolbom.core import access_audit, audit
from dolbom.core.models import AuditEvent
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_counts(monkeypatch):
    """What a server process holds in memory starts empty, as in a new process."""
    monkeypatch.setattr(access_audit, "_unrecorded", access_audit._Unrecorded())


def _signed_in(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def _denied(username: str | None = None):
    events = AuditEvent.objects.filter(action="access.denied").order_by("seq")
    return events.filter(actor_name=username) if username else events


def test_a_household_outside_the_scope_is_recorded_without_the_query(client, city):
    _signed_in(client, "officer")
    other = city.household_in(2)
    response = client.get(f"/households/{other.pk}/", {"q": "800101-1234567", "note": "박민지"})
    assert response.status_code == 404
    [event] = _denied("officer")
    assert event.actor == city.users["dong_officer"]
    assert event.detail == {
        "method": "GET",
        "path": f"/households/{other.pk}/",
        "status": 404,
        "reason": "not_found",
        "view": "household_detail",
    }
    assert "1234567" not in str(event.detail) and "박민지" not in str(event.detail)


def test_a_refused_role_names_the_permission(client, city):
    _signed_in(client, "analyst")
    assert client.get(reverse("household_search"), {"q": "김영희"}).status_code == 403
    [event] = _denied("analyst")
    assert event.detail["reason"] == "forbidden" and event.detail["status"] == 403
    assert event.detail["permission"] == "registry.search_households"
    assert "김영희" not in str(event.detail)


def test_admin_refusal_and_a_reveal_outside_the_scope_are_recorded(client, city):
    _signed_in(client, "officer")
    assert client.get("/admin/registry/staff/").status_code == 403
    assert client.post(f"/persons/{city.persons[2].pk}/reveal/", {"reason": "확인"}).status_code == 404
    events = list(_denied("officer"))
    assert [(e.detail["path"], e.detail["status"]) for e in events] == [
        ("/admin/registry/staff/", 403),
        (f"/persons/{city.persons[2].pk}/reveal/", 404),
    ]
    assert events[0].detail["permission"] == "registry.manage_reference_data"
    assert events[1].detail["method"] == "POST" and "확인" not in str(events[1].detail)


def test_a_number_typed_into_the_path_is_masked(client, city):
    _signed_in(client, "officer")
    assert client.get("/households/800101－1234567/").status_code == 404
    [event] = _denied("officer")
    assert "1234567" not in event.detail["path"] and "800101" not in event.detail["path"]


def test_csrf_refusal_is_recorded_as_such(city):
    client = _signed_in(Client(enforce_csrf_checks=True), "officer")
    assert client.post(f"/persons/{city.persons[0].pk}/reveal/", {"reason": "확인"}).status_code == 403
    [event] = _denied("officer")
    assert event.detail["reason"] == "csrf"


def test_logout_is_recorded(client, city):
    _signed_in(client, "officer")
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="auth.logout", actor=city.users["dong_officer"]).count() == 1


def test_anonymous_redirects_and_static_misses_are_not_denied_access(client, city):
    assert client.get(reverse("household_search")).status_code == 302  # to the login page
    assert client.get(f"/households/{city.households[0].pk}/").status_code == 302
    _signed_in(client, "officer")
    assert client.get("/favicon.ico").status_code == 404
    assert client.get("/static/dolbom/missing.css").status_code == 404
    assert client.get("/households/999999/").status_code == 404
    assert [e.detail["path"] for e in _denied()] == ["/households/999999/"]


def test_the_chain_stays_intact(client, city):
    _signed_in(client, "officer")
    for household in city.households:
        client.get(f"/households/{household.pk}/")
    assert _denied().count() == 2
    assert list(audit.verify_chain()) == []


@pytest.fixture
def clock(monkeypatch):
    """The time as the audit log and the rate limit read it, moved forward by the test instead of waiting."""
    moments = [timezone.now().replace(second=5, microsecond=0)]

    def now():
        moments[-1] += timedelta(microseconds=1)  # each event its own microsecond, as in real time
        return moments[-1]

    monkeypatch.setattr(timezone, "now", now)

    def advance(**delta):
        moments.append(moments[-1] + timedelta(**delta))

    return advance


def test_refusals_are_rate_limited_per_user_and_the_rest_is_counted(client, city, settings, clock):
    settings.DENIED_AUDIT_PER_MINUTE = 3
    other = city.household_in(2)
    _signed_in(client, "officer")
    for _ in range(10):
        assert client.get(f"/households/{other.pk}/").status_code == 404
    assert _denied("officer").count() == 3
    assert not AuditEvent.objects.filter(action="access.denied_unrecorded").exists()

    # Another user has a limit of their own.
    manager = _signed_in(Client(), "manager")
    assert manager.get("/households/999999/").status_code == 404
    assert _denied("manager").count() == 1

    # The next minute: the officer's next request reports what was left out, and refusals are recorded again.
    clock(minutes=1)
    assert client.get(reverse("today")).status_code == 200
    [summary] = AuditEvent.objects.filter(action="access.denied_unrecorded")
    assert summary.actor == city.users["dong_officer"]
    assert summary.detail["count"] == 7 and summary.detail["limit_per_minute"] == 3
    assert client.get(f"/households/{other.pk}/").status_code == 404
    assert _denied("officer").count() == 4
    assert AuditEvent.objects.filter(action="access.denied_unrecorded").count() == 1
    assert list(audit.verify_chain()) == []


def test_the_limit_counts_what_other_processes_recorded(client, city, settings, clock):
    """The count comes from the audit table, which every server process writes to: events recorded elsewhere in
    the same minute count against the limit here."""
    settings.DENIED_AUDIT_PER_MINUTE = 3
    officer = city.users["dong_officer"]
    for _ in range(2):  # what another process recorded a moment ago
        audit.record(officer, "access.denied", detail={"status": 404, "reason": "not_found"})
    _signed_in(client, "officer")
    for _ in range(3):
        assert client.get(f"/households/{city.household_in(2).pk}/").status_code == 404
    assert _denied("officer").count() == 3
