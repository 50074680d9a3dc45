"""Reads of the audit log, scoped like every other read: a district administrator sees what happened in their
district, not in the whole city."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from dolbom.core.models import AuditEvent
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for

# Administrative codes: 시도 2 digits, 시군구 3; an area lies in a district when its code starts with these 5.
DISTRICT_PREFIX = 5


def district_users(district_codes: frozenset[str]) -> QuerySet:
    """Accounts whose staff record places them in one of the districts: they serve an area there, or work for an
    agency located there (a private agency's workers have no areas of their own)."""
    if not district_codes:
        return get_user_model().objects.none()
    in_area, at_agency = Q(), Q()
    for code in sorted(district_codes):
        prefix = code[:DISTRICT_PREFIX]
        in_area |= Q(staff__areas__code__startswith=prefix)
        at_agency |= Q(staff__agency__area__code__startswith=prefix)
    return get_user_model().objects.filter(in_area | at_agency).values("pk")


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """The events a district administrator may read: those of the people working in their district, and the
    system's own events (failed and refused logins, which an administrator watches for attacks on any account).
    Every other role sees none (the view also refuses them)."""
    if not can(user, "core.view_audit_log"):
        return AuditEvent.objects.none()
    users = district_users(scope_for(user).area_codes)
    return AuditEvent.objects.filter(Q(actor__in=users) | Q(actor__isnull=True))
