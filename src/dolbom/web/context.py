"""The navigation of docs/process.md, shown to each role as far as the role has something there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.core.dates import today_kst
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import overdue_count


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str | None  # None: the section exists in the design but has nothing for this release yet
    badge: int = 0  # things overdue there, shown beside the label


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    items = [NavItem("today", _("Today"), reverse("today"), badge=overdue_count(user, today_kst()))]
    if can(user, "registry.search_households") or can(user, "intake.view_referrals"):
        items.append(NavItem("discovery", _("Discovery"), reverse("discovery_home")))
    if can(user, "registry.search_households"):
        items.append(NavItem("consultation", _("Consultation"), reverse("household_search")))
    items.append(NavItem("cases", _("Case management"), None))
    items.append(NavItem("resources", _("Resources"), None))
    if can(user, "reports.view_aggregates"):
        items.append(NavItem("statistics", _("Statistics"), reverse("statistics")))
    if can(user, "core.view_audit_log"):
        items.append(NavItem("admin", _("Administration"), reverse("audit_log")))
    if can(user, "registry.manage_reference_data"):
        items.append(NavItem("reference", _("Reference data"), reverse("admin:index")))
    staff = getattr(user, "staff", None)
    return {"nav_items": items, "current_staff": staff, "current_scope": scope}
