"""Roles and what each may see (PROCESS.md). A Scope is computed once per request from the user's staff record;
selectors in each domain turn it into a query filter, so scoping is decided in one place per kind of record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DONG_OFFICER = "dong_officer", _("Dong welfare officer")
    DISTRICT_MANAGER = "district_manager", _("District case manager")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    AGENCY_WORKER = "agency_worker", _("Private agency worker")
    SAFETY_NET = "safety_net", _("Safety-net member")
    ANALYST = "analyst", _("Analyst")


# Roles that see households by area; the others see by consent, by authorship or only aggregates.
AREA_ROLES = {Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}
DISTRICT_ROLES = {Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}


@dataclass(frozen=True)
class Scope:
    """What one user may see. `area_codes` are dong codes for a dong officer, district codes for district roles."""

    user_id: int | None
    role: Role | None
    agency_id: int | None = None
    area_codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def sees_by_area(self) -> bool:
        return self.role in AREA_ROLES

    @property
    def sees_district(self) -> bool:
        return self.role in DISTRICT_ROLES

    @property
    def sees_by_consent(self) -> bool:
        return self.role == Role.AGENCY_WORKER

    @property
    def sees_own_referrals_only(self) -> bool:
        return self.role == Role.SAFETY_NET

    @property
    def sees_aggregates_only(self) -> bool:
        return self.role == Role.ANALYST

    @property
    def sees_persons(self) -> bool:
        return self.sees_by_area or self.sees_by_consent


NO_SCOPE = Scope(user_id=None, role=None)


def scope_for(user: Any) -> Scope:
    """The scope of a request's user; anonymous users, and accounts without a staff record, see nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_dolbom_scope", None)
    if cached is not None:
        return cached
    staff = getattr(user, "staff", None)
    if staff is None or not staff.active:
        scope = Scope(user_id=user.pk, role=None)
    else:
        scope = Scope(
            user_id=user.pk,
            role=Role(staff.role),
            agency_id=staff.agency_id,
            area_codes=frozenset(staff.areas.values_list("code", flat=True)),
        )
    user._dolbom_scope = scope
    return scope
