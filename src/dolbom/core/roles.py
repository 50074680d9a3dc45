"""The roles of docs/process.md. What each role may do is in `permissions.POLICY`; which rows it sees, in `scope`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DONG_OFFICER = "dong_officer", _("Dong welfare officer")
    DISTRICT_MANAGER = "district_manager", _("District case manager")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    AGENCY_WORKER = "agency_worker", _("Private agency worker")
    SAFETY_NET = "safety_net", _("Safety-net member")
    ANALYST = "analyst", _("Analyst")
    # 시 복지정책 담당: governs learning across the city's districts (data-sharing agreements, pooled models). Sees
    # no resident and no district's lists: only rows that belong to the city as a whole.
    CITY_OFFICER = "city_officer", _("City welfare policy officer")


# Roles that see households by area; the others see by consent, by authorship or only aggregates.
AREA_ROLES = frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN})
DISTRICT_ROLES = frozenset({Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN})
