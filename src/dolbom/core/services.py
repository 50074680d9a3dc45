"""Audited reads of the core: the audit log itself (looking at it is recorded like any other read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator

from dolbom.core import audit
from dolbom.core.audit_labels import action_label, object_label
from dolbom.core.models import AuditEvent
from dolbom.core.permissions import ensure_can
from dolbom.core.selectors import AuditFilters, audit_events_visible_to, audit_log_actors, filter_audit_events

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditRow:
    """One event as the page shows it: the codes read as words, the actor by name with the login id beside."""

    event: AuditEvent
    actor_display: str  # the staff member's name; the login name for an account without a staff record
    actor_login: str  # the login name the event was written with ("system" for events without a user)
    action: str
    record: str


@dataclass(frozen=True)
class AuditLogPage:
    page: Page
    rows: list[AuditRow]
    verification: audit.Verification | None
    actors: list[tuple[int, str, str]] = field(default_factory=list)  # (user id, name, login id), for the filter


def _row(event: AuditEvent) -> AuditRow:
    staff = getattr(event.actor, "staff", None) if event.actor is not None else None
    name = staff.display_name if staff is not None else event.actor_name
    return AuditRow(
        event=event,
        actor_display=name,
        actor_login=event.actor_name,
        action=action_label(event.action),
        record=object_label(event.object_type, event.object_id),
    )


def read_audit_log(
    *,
    user: Any,
    filters: AuditFilters | None = None,
    page_number: int | None = None,
    verify: bool = False,
) -> AuditLogPage:
    """A page of the administrator's district's events, narrowed by `filters`, and, when asked, the verification
    of the whole chain and the configured anchor file (a break anywhere concerns everyone; it names only sequence
    numbers). The reading is recorded with the filters it used."""
    ensure_can(user, "core.view_audit_log")
    filters = filters or AuditFilters()
    events = filter_audit_events(audit_events_visible_to(user), filters).select_related("actor__staff")
    page = Paginator(events, PAGE_SIZE).get_page(page_number)
    # Read the page now: the event recorded below would otherwise shift it by one row after it was counted.
    page.object_list = list(page.object_list)
    verification = audit.verify() if verify else None
    detail: dict[str, Any] = {"page": page.number, "verify": verification is not None}
    if verification is not None:
        detail["problems"] = len(verification.problems)
    if filters.as_detail():
        detail["filters"] = filters.as_detail()
    audit.record(user, "core.view_audit_log", detail=detail)
    actors = [
        (account.pk, getattr(getattr(account, "staff", None), "display_name", "") or account.username, account.username)
        for account in audit_log_actors(user)
    ]
    return AuditLogPage(page=page, rows=[_row(e) for e in page.object_list], verification=verification, actors=actors)
