"""What a browser posts from the registry's write pages, for the tests that use them from the outside."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from tests.conftest import make_rrn

MEMBER_FIELDS = ("relationship", "name", "resident_number", "birth_date", "sex", "phone", "disability", "nationality")


def member(name: str, birth: date, sex: str, serial: int, relationship: str = "head", **extra: str) -> dict[str, str]:
    return {"relationship": relationship, "name": name, "resident_number": make_rrn(birth, sex, serial), **extra}


def household_form(
    dong_code: str,
    members: list[dict[str, str]],
    *,
    rows: int = 3,
    token: str = "token-1",
    road: str = "한빛시 중앙구 새빛로 7",
    detail: str = "2층",
    on: str = "2025.03.02",
    **extra: str,
) -> dict[str, str]:
    """The registration form as the browser sends it: every row of the page, the empty ones included."""
    rows = max(rows, len(members))
    data = {
        "form_token": token,
        "dong": dong_code,
        "road_address": road,
        "detail": detail,
        "tong": "4",
        "ban": "1",
        "postal_code": "",
        "registered_on": on,
        "members-TOTAL_FORMS": str(rows),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "20",
        **extra,
    }
    for index in range(rows):
        typed = members[index] if index < len(members) else {}
        blank = {f: "" for f in MEMBER_FIELDS} | {"nationality": "KR", "relationship": "head" if index == 0 else ""}
        for field, value in (blank | typed).items():
            data[f"members-{index}-{field}"] = value
    return data


def value_of(html: str, name: str) -> str | None:
    """The value an input of the page holds (what the officer sees typed in it)."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def error_summary(html: str) -> str:
    """The text of the error summary at the top of a refused form."""
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(0)) if match else ""


def audit_texts() -> list[str]:
    """Everything the audit log holds, as text, to check that no personal data reached it."""
    from dolbom.core.models import AuditEvent

    return [f"{e.reason} {e.detail}" for e in AuditEvent.objects.all()]


def form_of(**fields: Any) -> dict[str, str]:
    return {k: str(v) for k, v in fields.items()}
