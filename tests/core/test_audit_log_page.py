"""The audit log page as the district administrator reads it: actions and records in words, people by name, filters
and pages; still scoped to the district, still audited, and a malformed address is a 400."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from dolbom.core import audit
from dolbom.core.dates import KST
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.core.services import PAGE_SIZE
from dolbom.registry.models import Staff
from tests.conftest import _user

SRC = Path(__file__).resolve().parents[2] / "src" / "dolbom"


@pytest.fixture
def admin_client(client, city):
    client.force_login(city.users["district_admin"])
    return client


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def _named(city, role: str, name: str) -> None:
    Staff.objects.filter(user=city.users[role]).update(display_name=name)


def test_actions_records_and_people_read_as_words(admin_client, city):
    _named(city, "dong_officer", "조현주")
    household = city.households[0]
    audit.record(city.users["dong_officer"], "registry.view_household", household)
    html = admin_client.get(reverse("audit_log")).content.decode()
    [row] = [r for r in _rows(html) if "registry.view_household" in r]
    assert "가구 열람" in row
    assert f"가구 {household.pk}</a>" in row
    assert "조현주</a>" in row and '<span class="muted">officer</span>' in row  # the login id, secondary
    assert "registry." not in re.sub(r"<[^>]+>", " ", row)  # codes only in addresses and tooltips


def test_an_action_without_a_label_is_shown_by_its_code(admin_client, city):
    # A code no domain records (cases.case is a model now: its rows read as 사례 7).
    audit.record(city.users["dong_officer"], "archive.open_box", object_type="archive.box", object_id="7")
    html = admin_client.get(reverse("audit_log")).content.decode()
    [row] = [r for r in _rows(html) if "archive.open_box" in r]
    assert "<code>archive.open_box</code>" in row and "archive.box 7" in row


def _recorded_actions() -> set[str]:
    """Every action the code records: the string given to audit.record, or the module constant it names."""
    actions: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            called = getattr(node, "func", None)
            name = getattr(called, "attr", getattr(called, "id", ""))
            if not isinstance(node, ast.Call) or name != "record" or len(node.args) < 2:
                continue
            action = node.args[1]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                actions.add(action.value)
            elif isinstance(action, ast.Name) and action.id in constants:
                actions.add(constants[action.id])
    return actions


def test_every_recorded_action_has_a_korean_label():
    from dolbom.core.audit_labels import ACTION_LABELS

    actions = _recorded_actions()
    assert {"registry.view_household", "auth.logout", "access.denied"} <= actions  # the scan finds them
    missing = actions - set(ACTION_LABELS)
    assert not missing, f"add these actions to dolbom.core.audit_labels.ACTION_LABELS: {sorted(missing)}"


def test_filters_narrow_the_log(admin_client, city):
    officer, manager = city.users["dong_officer"], city.users["district_manager"]
    first, second = city.households[0], city.households[1]
    seen = audit.record(officer, "registry.view_household", first)
    other_household = audit.record(officer, "registry.view_household", second)
    by_manager = audit.record(manager, "registry.view_household", first)
    statistics = audit.record(officer, "reports.view_statistics")
    failed = audit.record(None, "auth.login_failed", detail={"username": "nobody"})
    url = reverse("audit_log")

    def seqs(**params) -> set[int]:
        response = admin_client.get(url, params)
        assert response.status_code == 200
        rows = _rows(response.content.decode())
        return {int(m.group(1)) for row in rows if (m := re.search(r'data-label="#">(\d+)<', row))}

    assert seqs(actor=officer.pk) >= {seen.seq, other_household.seq, statistics.seq}
    assert by_manager.seq not in seqs(actor=officer.pk)
    assert seqs(actor=officer.pk, action="registry.view_household") == {seen.seq, other_household.seq}
    assert seqs(object_type="registry.household", object_id=str(first.pk)) == {seen.seq, by_manager.seq}
    assert seqs(actor="system") == {failed.seq}
    # Days are Korean days, and both ends count.
    today = datetime.now(KST).date()
    assert seqs(action="reports.view_statistics", since=today.isoformat(), until=today.isoformat()) == {statistics.seq}
    assert seqs(action="reports.view_statistics", until=(today - timedelta(days=1)).isoformat()) == set()
    assert seqs(action="reports.view_statistics", since=(today + timedelta(days=1)).isoformat()) == set()


def test_a_filter_never_reaches_beyond_the_district(admin_client, city):
    stranger = _user("officer2", Role.DONG_OFFICER, city.agencies["other"], [city.dongs[2]])
    audit.record(stranger, "registry.view_household", object_type="registry.household", object_id="424242")
    html = admin_client.get(reverse("audit_log"), {"actor": stranger.pk}).content.decode()
    assert "424242" not in html and "officer2" not in html
    assert "조건에 맞는 기록이 없습니다" in html
    # Nor does the 'who' list offer them.
    assert f'value="{stranger.pk}"' not in admin_client.get(reverse("audit_log")).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"since": "2026-13-01"},
        {"until": "yesterday"},
        {"action": "registry.drop_tables"},
        {"object_type": "auth.user"},
        {"actor": "1 OR 1=1"},
        {"object_id": "x" * 65},
        {"since": "2026-10-02", "until": "2026-10-01"},
    ],
)
def test_a_malformed_address_is_a_400_in_korean(admin_client, params):
    response = admin_client.get(reverse("audit_log"), params)
    assert response.status_code == 400
    assert "요청을 처리할 수 없습니다" in response.content.decode()


def test_pages_keep_the_filters(admin_client, city):
    officer = city.users["dong_officer"]
    for _ in range(PAGE_SIZE + 5):
        audit.record(officer, "registry.search")
    first = admin_client.get(reverse("audit_log"), {"action": "registry.search"}).content.decode()
    assert len([r for r in _rows(first) if "data-label" in r]) == PAGE_SIZE
    assert f"기록 {PAGE_SIZE + 5:,}건" in first
    assert 'href="?action=registry.search&amp;page=2" rel="next"' in first
    second = admin_client.get(reverse("audit_log"), {"action": "registry.search", "page": 2}).content.decode()
    assert len([r for r in _rows(second) if "data-label" in r]) == 5
    assert "1쪽 / 전체 2쪽" in first and "2쪽 / 전체 2쪽" in second


def test_reading_the_log_is_audited_with_its_filters(admin_client, city):
    admin_client.get(reverse("audit_log"), {"action": "registry.search", "since": "2026-01-01", "page": 1})
    event = AuditEvent.objects.filter(action="core.view_audit_log").latest("seq")
    assert event.actor == city.users["district_admin"]
    assert event.detail["filters"] == {"action": "registry.search", "since": "2026-01-01"}


@pytest.mark.parametrize("role", ["dong_officer", "district_manager", "agency_worker", "safety_net", "analyst"])
def test_other_roles_are_refused(client, city, role):
    client.force_login(city.users[role])
    assert client.get(reverse("audit_log"), {"action": "registry.search"}).status_code == 403
