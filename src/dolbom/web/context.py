"""The navigation of docs/process.md, shown to each role as far as the role has something there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.cases.selectors import case_overdue_count
from dolbom.core.dates import today_kst
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import overdue_count


@dataclass(frozen=True)
class NavItem:
    key: str  # the section of docs/process.md: views name it as `active_nav`
    label: str
    url: str | None  # None: the section exists in the design but has nothing for this release yet
    badge: int = 0  # things overdue there, shown beside the label


def nav_items(user: Any) -> list[NavItem]:
    """The menu for one user: each entry is named for what it opens for this user's role."""
    today = today_kst()
    badge = overdue_count(user, today) + case_overdue_count(user, today)
    items = [NavItem("today", _("Today"), reverse("today"), badge=badge)]
    if can(user, "discovery.view_outreach"):
        items.append(NavItem("discovery", _("Discovery"), reverse("discovery_home")))
    elif can(user, "discovery.view_models"):
        # The city's officer governs learning across its districts: models and agreements, no list.
        items.append(NavItem("discovery", _("Learned models"), reverse("model_list")))
    if can(user, "intake.view_worklist"):
        # The households to reach, whatever found them: where an officer's day is spent.
        items.append(NavItem("worklist", _("Worklist"), reverse("worklist")))
    elif can(user, "intake.view_referrals"):
        # For an agency or a safety-net member, discovery is their referrals: the menu says so.
        items.append(NavItem("discovery", _("Referrals"), reverse("referrals")))
    if can(user, "registry.search_households"):
        # Consultations start from a household (or a worklist item): the entry opens the household search.
        items.append(NavItem("consultation", _("Household search"), reverse("household_search")))
    if can(user, "cases.view"):
        # A private agency's case management is answering the linkages sent to it and the cases it leads.
        items.append(NavItem("cases", _("Case management"), reverse("case_list")))
    if can(user, "resources.view_directory"):
        # 자원: the service directory first, and from it donations, the food bank and volunteers.
        items.append(NavItem("resources", _("Resources"), reverse("resources_directory")))
    if can(user, "reports.view_aggregates"):
        items.append(NavItem("statistics", _("Statistics"), reverse("statistics")))
    if can(user, "core.view_audit_log"):
        items.append(NavItem("admin", _("Audit log"), reverse("audit_log")))
    if can(user, "registry.manage_reference_data"):
        items.append(NavItem("reference", _("Reference data"), reverse("admin:index")))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = getattr(user, "staff", None)
    return {"nav_items": nav_items(user), "current_staff": staff, "current_scope": scope_for(user)}
