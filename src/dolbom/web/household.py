"""The household page, composed above the domains: the registry's record of the household (address, members,
moves, consents) and what each domain knows of it (discovery: signals and listings; intake: the worklist, visits,
consultations, decisions and emergency support; cases: moves, plans, monitoring, linkages; resources: donated
money, sponsorships and food bank goods; eligibility: the calculations kept on it). The shell may read every
domain's selectors; the registry, below the domains, may not, which is why the page lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dolbom.cases.selectors import household_history as case_history
from dolbom.core.permissions import can
from dolbom.discovery.selectors import household_history as discovery_history
from dolbom.eligibility.selectors import household_checks
from dolbom.eligibility.selectors import household_history as eligibility_history
from dolbom.intake.selectors import household_history as intake_history
from dolbom.registry.models import Consent, Household, Membership
from dolbom.registry.selectors import TimelineEntry, household_record, household_title
from dolbom.registry.services import open_household
from dolbom.resources.selectors import household_history as resources_history


@dataclass(frozen=True)
class HouseholdPage:
    household: Household
    title: str  # the head's masked name and the address
    members: list[tuple[Membership, list[Consent]]]  # the head first
    history: list[TimelineEntry]  # newest first
    consents: list[Consent]  # of the members the user may see, withdrawn ones included
    may: dict[str, bool]  # the registry's writes this user may start from the page
    eligibility_checks: list[Any]  # the calculations kept on the household, newest first


def household_page(user: Any, household_id: int) -> HouseholdPage:
    """The household, its viewing audited (`registry.view_household`; 404 outside the user's scope), with the
    members and the history the user may see. Each domain's part is read through its own scoped selector."""
    household = open_household(user=user, household_id=household_id)
    # The registry's part read once: members, their moves and consents (the other domains are given the members).
    record = household_record(user, household)
    members = record.members
    checks = household_checks(user, household)  # read once: the history's lines and the page's latest five
    history = (
        record.timeline
        + discovery_history(user, household, members=members)
        + intake_history(user, household)
        + case_history(user, household)
        + resources_history(user, household)
        + eligibility_history(user, household, checks=checks)
    )
    consents = record.active_consents
    return HouseholdPage(
        household=household,
        title=household_title(members, household),
        members=[(m, consents[m.person_id]) for m in members],
        history=sorted(history, key=lambda e: e.sort_key, reverse=True),
        consents=record.consents,
        may={
            "register": can(user, "registry.register_household"),
            "move": can(user, "registry.record_move"),
            "death": can(user, "registry.record_death"),
            "consent": can(user, "registry.record_consent"),
            "withdraw": can(user, "registry.withdraw_consent"),
        },
        eligibility_checks=checks[:5],
    )
