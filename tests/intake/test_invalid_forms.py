"""A note or a reason over its length is never dropped in silence: the page answers 422 with the form, the Korean
error beside it and what was typed, and nothing is written. Before, a visit posted with a note over 4,000
characters was recorded without its note (the form's error was ignored and the service got an empty note)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.registry.models import Staff
from tests.core import test_scope_matrix

world = test_scope_matrix.world  # the fixture: rows of every kind inside the dong officer's scope


@dataclass(frozen=True)
class Case:
    name: str  # the route
    row: str  # the object of world.rows it is about
    field: str  # the text posted over its length
    limit: int
    data: Callable[[Any, Any], dict[str, Any]] = lambda rows, officer: {}
    args: Callable[[Any], list[Any]] = lambda row: [row.pk]


def _today() -> str:
    return today_kst().strftime("%Y.%m.%d")


def _visit(rows: Any, officer: Any) -> dict[str, Any]:
    item = rows["work_dong0"]
    return {"version": item.version, "visitor": officer.pk, "on": _today(), "kind": "visit", "result": "absent"}


CASES = [
    Case("work_item_visit", "work_dong0", "note", 4000, _visit),
    Case("work_item_correct", "visit_dong0", "note", 4000, _visit, lambda row: [row.work_item_id, row.pk]),
    Case(
        "work_item_close",
        "work_dong0",
        "note",
        4000,
        lambda rows, officer: {"version": rows["work_dong0"].version, "outcome": "unreachable", "on": _today()},
    ),
    Case(
        "work_item_reopen",
        "consultation_dong0",
        "reason",
        500,
        lambda rows, officer: {"version": rows["consultation_dong0"].work_item.version},
        lambda row: [row.work_item_id],
    ),
    Case(
        "emergency_new",
        "h_dong0_consented",
        "reason",
        4000,
        lambda rows, officer: {"requested_on": _today(), "kinds": ["livelihood"], "officer": officer.pk},
    ),
    Case("emergency_check", "emergency_dong0", "note", 4000, lambda rows, officer: {"on": _today()}),
    Case(
        "emergency_decide",
        "emergency_dong0",
        "reason",
        4000,
        lambda rows, officer: {"on": _today(), "decision": "support"},
    ),
    Case("emergency_give", "emergency_dong0", "note", 4000, lambda rows, officer: {"kind": "livelihood"}),
    Case("emergency_follow_up", "emergency_dong0", "reason", 4000, lambda rows, officer: {"on": _today()}),
    Case("emergency_review", "emergency_dong0", "reason", 4000, lambda rows, officer: {"on": _today()}),
    Case("emergency_assign", "emergency_dong0", "reason", 500, lambda rows, officer: {"officer": officer.pk}),
    Case("consultation_walk_in", "h_dong0_consented", "what_happened", 4000),
    Case("consultation_correct", "consultation_dong0", "what_happened", 4000),
    Case("assessment_new", "consultation_dong0", "crisis_reasons", 2000),
    Case("decision_new", "consultation_dong0", "note", 2000, lambda rows, officer: {"kinds": ["no_need"]}),
    Case("decision_withdraw", "decision_dong0", "reason", 500),
    Case("safety_net_member_end", "member_dong0", "reason", 200, lambda rows, officer: {"on": _today()}),
]


def _written() -> list[Any]:
    """Every row an intake action may write, and the audit events: an over-long field must change none of them."""
    from dolbom.intake import models

    tables = [
        models.Visit, models.WorkItem, models.EmergencySupport, models.Consultation, models.ConsultationRecord,
        models.Decision, models.SafetyNetMember,
    ]  # fmt: skip
    return [list(table.objects.order_by("pk").values()) for table in tables] + [AuditEvent.objects.count()]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_text_over_its_length_comes_back_with_its_error_and_writes_nothing(client, city, world, case):
    client.force_login(city.users["dong_officer"])
    officer = Staff.objects.get(user=city.users["dong_officer"])
    typed = "방문 기록 " + "가" * case.limit
    url = reverse(case.name, args=case.args(world.rows[case.row]))
    before = _written()
    response = client.post(url, {**case.data(world.rows, officer), case.field: typed})
    assert response.status_code == 422, (case.name, response.status_code, response.get("Location"))
    page = response.content.decode()
    assert f"최대 {case.limit} 개의 글자" in page, case.name  # Django's Korean message for max_length
    assert typed in page, case.name  # what was typed is kept
    assert _written()[:-1] == before[:-1], case.name
