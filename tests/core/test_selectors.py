"""The audit log is scoped like the registry: a district administrator reads their own district's events."""

from django.urls import reverse

from dolbom.core import audit
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.core.selectors import audit_events_visible_to
from tests.conftest import _user


def _other_district_users(city):
    officer = _user("officer2", Role.DONG_OFFICER, city.agencies["other"], [city.dongs[2]])
    worker = _user("worker2", Role.AGENCY_WORKER, city.agencies["other"], [])
    admin = _user("admin2", Role.DISTRICT_ADMIN, city.agencies["other"], [city.districts[1]])
    return officer, worker, admin


def test_district_administrator_sees_own_district_and_system_events_only(city):
    officer2, worker2, admin2 = _other_district_users(city)
    ours = [
        audit.record(city.users["dong_officer"], "registry.view_household", object_id="1"),
        audit.record(city.users["agency_worker"], "registry.view_household", object_id="2"),  # agency in district 0
    ]
    theirs = [
        audit.record(officer2, "registry.view_household", object_id="3"),
        audit.record(worker2, "registry.view_household", object_id="4"),
    ]
    system = audit.record(None, "auth.login_failed", detail={"username": "nobody"})

    seen = set(audit_events_visible_to(city.users["district_admin"]).values_list("seq", flat=True))
    assert {e.seq for e in ours} | {system.seq} <= seen
    assert not seen & {e.seq for e in theirs}

    seen2 = set(audit_events_visible_to(admin2).values_list("seq", flat=True))
    assert {e.seq for e in theirs} | {system.seq} <= seen2
    assert not seen2 & {e.seq for e in ours}


def test_roles_other_than_district_administrators_read_no_events(city):
    audit.record(city.users["dong_officer"], "registry.view_household", object_id="1")
    for role in ("dong_officer", "district_manager", "agency_worker", "safety_net", "analyst"):
        assert not audit_events_visible_to(city.users[role]).exists(), role


def test_audit_page_lists_no_event_of_another_district(client, city):
    officer2, _, _ = _other_district_users(city)
    audit.record(officer2, "registry.view_household", object_id="424242")
    audit.record(city.users["dong_officer"], "registry.view_household", object_id="313131")
    client.force_login(city.users["district_admin"])
    html = client.get(reverse("audit_log")).content.decode()
    assert "313131" in html and "officer" in html
    assert "424242" not in html and "officer2" not in html
    # the whole chain is still verified, whoever's events it holds
    verified = client.get(reverse("audit_log"), {"verify": "1"}).content.decode()
    assert AuditEvent.objects.filter(actor=officer2).exists() and 'class="ok"' in verified
