"""Audited reads of the core: the audit log itself (looking at it is recorded like any other read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.selectors import audit_events_visible_to

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditLogPage:
    page: Page
    verification: audit.Verification | None


def read_audit_log(*, user: Any, page_number: int | None = None, verify: bool = False) -> AuditLogPage:
    """A page of the administrator's district's events, and, when asked, the verification of the whole chain and
    the configured anchor file (a break anywhere concerns everyone; it names only sequence numbers)."""
    ensure_can(user, "core.view_audit_log")
    page = Paginator(audit_events_visible_to(user), PAGE_SIZE).get_page(page_number)
    # Read the page now: the event recorded below would otherwise shift it by one row after it was counted.
    page.object_list = list(page.object_list)
    verification = audit.verify() if verify else None
    detail: dict[str, Any] = {"page": page.number, "verify": verification is not None}
    if verification is not None:
        detail["problems"] = len(verification.problems)
    audit.record(user, "core.view_audit_log", detail=detail)
    return AuditLogPage(page=page, verification=verification)
