"""Reads of the audit log, scoped like every other read: a district administrator sees what happened in their
district, not in the whole city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from dolbom.core.dates import KST
from dolbom.core.models import AuditEvent
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for


def district_users(district_codes: frozenset[str]) -> QuerySet:
    """Accounts whose staff record places them in one of the districts: they serve the district or one of its dongs,
    or work for an agency located there (a private agency's workers have no areas of their own). By the areas'
    parent links, not by the digits of their codes, so that no code can place anyone in a district."""
    if not district_codes:
        return get_user_model().objects.none()
    codes = sorted(district_codes)
    in_area = Q(staff__areas__code__in=codes) | Q(staff__areas__parent__in=codes)
    at_agency = Q(staff__agency__area__code__in=codes) | Q(staff__agency__area__parent__in=codes)
    return get_user_model().objects.filter(in_area | at_agency).values("pk")


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """The events a district administrator may read: those of the people working in their district, and the
    system's own events (failed and refused logins, which an administrator watches for attacks on any account).
    Every other role sees none (the view also refuses them)."""
    if not can(user, "core.view_audit_log"):
        return AuditEvent.objects.none()
    users = district_users(scope_for(user).area_codes)
    return AuditEvent.objects.filter(Q(actor__in=users) | Q(actor__isnull=True))


@dataclass(frozen=True)
class AuditFilters:
    """What the administrator narrowed the log to; every field optional. `actor` is a user id, or SYSTEM for the
    events no signed-in user caused (failed logins)."""

    actor: int | str | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None
    object_type: str = ""
    object_id: str = ""

    def as_detail(self) -> dict[str, Any]:
        """The filters as the audit event of the reading records them (codes and dates only, no personal data)."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "object_type": self.object_type,
            "object_id": self.object_id,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


SYSTEM = "system"


def filter_audit_events(events: QuerySet[AuditEvent], filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Narrow an already scoped set of events; a filter never widens it (an actor of another district finds
    nothing, because their events are not in `events`)."""
    if filters.actor == SYSTEM:
        events = events.filter(actor__isnull=True)
    elif filters.actor is not None:
        events = events.filter(actor_id=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    # Days are Korean days: from the start of `since` to the end of `until`, in Asia/Seoul.
    if filters.since:
        events = events.filter(at__gte=datetime.combine(filters.since, time.min, tzinfo=KST))
    if filters.until:
        events = events.filter(at__lt=datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=KST))
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    return events


def audit_log_actors(user: Any) -> QuerySet:
    """The accounts whose events the administrator may read (the staff of their district), by name, for the
    'who' filter. None for the other roles."""
    if not can(user, "core.view_audit_log"):
        return get_user_model().objects.none()
    users = district_users(scope_for(user).area_codes)
    accounts = get_user_model().objects.filter(pk__in=users).select_related("staff")
    return accounts.order_by("staff__display_name", "username")
