"""Reads of the audit log, scoped like every other read: a district administrator sees what happened in their
district, not in the whole city."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

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
