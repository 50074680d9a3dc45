"""Which role may do what. Services call ensure_can() before writing; views call it before reading pages that
are not already narrowed by a selector. Row-level visibility (which household) stays in the selectors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from dolbom.core.roles import Role
from dolbom.core.scope import scope_for

ALL_STAFF = frozenset(Role)
# Everyone who works with the district's households or their reports: not the analyst (aggregates only) nor the
# city's officer (models and agreements only).
CASE_STAFF = ALL_STAFF - {Role.ANALYST, Role.CITY_OFFICER}
DISTRICT_STAFF = frozenset({Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN})
PERSON_READERS = frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN, Role.AGENCY_WORKER})

# action → roles allowed. One table, so that a reviewer can read the whole policy at a glance.
POLICY: dict[str, frozenset[Role]] = {
    "registry.search_households": PERSON_READERS,
    "registry.view_household": PERSON_READERS,
    "registry.reveal_personal_data": PERSON_READERS,
    "registry.record_consent": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "registry.withdraw_consent": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "registry.register_household": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "registry.record_move": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "registry.record_death": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "registry.manage_reference_data": frozenset({Role.DISTRICT_ADMIN}),
    # Loading the national registry's export for the district (`dolbom import registry`); a superuser too.
    "registry.import_registry": frozenset({Role.DISTRICT_ADMIN}),
    "intake.file_referral": CASE_STAFF,
    "intake.view_referrals": CASE_STAFF,
    "intake.view_worklist": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.work": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # Emergency support (긴급복지지원): officers and district case managers act; the administrator may read.
    "intake.view_emergency": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.emergency": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # 오늘 할 일: an officer's own clocks; a district case manager's are the whole district's, as the team's lead.
    "intake.view_today": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    "intake.supervise": frozenset({Role.DISTRICT_MANAGER}),
    # Consultations, assessments and decisions: read by the public staff of the area, written by those who work
    # with households (the administrator reads, like the worklist). Private agencies get what is shared with them
    # through case management, never the consultation itself (see intake.selectors.CONSULTATION).
    "intake.view_consultations": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.consult": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # The next capability (emergency support, eligibility, case management) taking up a pending decision.
    "intake.take_decision": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # Integrated case management: the public staff of the area and the private agency that leads a case read it
    # (scope: consent and its own cases); workers of a case write it; intake candidates are proposed and
    # conferences run by the public staff; a provider answers its own linkages.
    "cases.view": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN, Role.AGENCY_WORKER}),
    "cases.work": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.AGENCY_WORKER}),
    "cases.propose": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    "cases.conference": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    "cases.answer_linkage": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.AGENCY_WORKER}),
    # The safety net's registry: the dong officer for their dong, district staff for the district (scope decides).
    "intake.view_safety_net": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.manage_safety_net": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    # Outreach events (village tours, market-day booths): the dong officer for their dong, district staff for the
    # district; survey campaigns are defined and launched by district staff, and worked by the dongs' officers.
    "intake.view_events": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.record_events": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.view_campaigns": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "intake.manage_campaigns": DISTRICT_STAFF,
    # Resources (자원). The service directory is read by everyone who links households to services and kept by the
    # district's staff, who also exchange it as HSDS files and record agreements (협약) with providers.
    "resources.view_directory": PERSON_READERS,
    "resources.manage_directory": DISTRICT_STAFF,
    "resources.exchange_directory": DISTRICT_STAFF,
    "resources.view_agreements": DISTRICT_STAFF,
    "resources.manage_agreements": DISTRICT_STAFF,
    # The donations ledger is the district's (희망복지지원단): its staff receive gifts and give them out. A dong
    # officer reads and gives out the funds designated to their dong (지정기탁), which is all their scope reaches
    # (resources.selectors.FUND); the general fund, purposes, groups and sponsorships stay the district staff's.
    "resources.view_donations": DISTRICT_STAFF | {Role.DONG_OFFICER},
    "resources.record_donations": DISTRICT_STAFF,
    # A donation receipt carries the donor's full resident or business number: printed by district staff only,
    # and a person donor's masked data revealed by them for a reason.
    "resources.print_receipts": DISTRICT_STAFF,
    "resources.reveal_donor": DISTRICT_STAFF,
    "resources.allocate": DISTRICT_STAFF | {Role.DONG_OFFICER},
    # A food bank's or welfare centre's own workers keep its stock and hand it out; the district's staff as well.
    # A dong officer reads what went to households of their dong (their scope reaches no lot).
    "resources.view_stock": DISTRICT_STAFF | {Role.AGENCY_WORKER, Role.DONG_OFFICER},
    "resources.keep_stock": DISTRICT_STAFF | {Role.AGENCY_WORKER},
    # Volunteers: the dong's officer for their dong, the district's staff for the district (scope decides).
    "resources.view_volunteers": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "resources.manage_volunteers": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    # Eligibility: a household's means are read and calculated by the public staff of its area, like its
    # consultation; a private agency gets nothing of them through a consent to share its case.
    "eligibility.view_checks": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "eligibility.check": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # Re-guidance: the district's staff launch a campaign; the dong's officers see theirs and record what each
    # household applied for and what the office decided.
    "eligibility.view_reguidance": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "eligibility.manage_reguidance": DISTRICT_STAFF,
    "eligibility.record_application": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    # After-care: the same public staff follow their recipients — re-verifications and changes to decide; the
    # district's administrator reads the queue.
    "eligibility.view_aftercare": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "eligibility.aftercare": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
    "reports.view_aggregates": frozenset({Role.ANALYST, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN, Role.DONG_OFFICER}),
    "core.view_audit_log": frozenset({Role.DISTRICT_ADMIN}),
    # The pages of background jobs; each job is further limited to the roles of its own kind (core.jobs).
    "core.follow_jobs": DISTRICT_STAFF | {Role.CITY_OFFICER},
    "discovery.import_signals": DISTRICT_STAFF,
    # An import made by mistake is withdrawn by whoever imported it, or by an administrator of the district.
    "discovery.withdraw_own_import": DISTRICT_STAFF,
    "discovery.withdraw_any_import": frozenset({Role.DISTRICT_ADMIN}),
    "discovery.run_round": DISTRICT_STAFF,
    "discovery.withdraw_round": DISTRICT_STAFF,
    "discovery.train_model": DISTRICT_STAFF,
    # The learned models page: a district's staff for their district's models and their city's pooled ones, the
    # city's officer for the pooled ones.
    "discovery.view_models": DISTRICT_STAFF | {Role.CITY_OFFICER},
    # Which model the district's rounds use: the administrator decides for the district.
    "discovery.choose_model": frozenset({Role.DISTRICT_ADMIN}),
    # A district's consent to let its recorded outcomes train the city's pooled models: its administrator records
    # it (and ends it); the city cannot take a district's labels.
    "discovery.share_labels": frozenset({Role.DISTRICT_ADMIN}),
    "discovery.view_agreements": DISTRICT_STAFF | {Role.CITY_OFFICER},
    "discovery.train_pooled_model": frozenset({Role.CITY_OFFICER}),
    # The district's screening settings (the reserved share of a learned model's lists).
    "discovery.manage_settings": DISTRICT_STAFF,
    "discovery.view_outreach": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER, Role.DISTRICT_ADMIN}),
    "discovery.work_outreach": frozenset({Role.DONG_OFFICER, Role.DISTRICT_MANAGER}),
}


def can(user: Any, action: str) -> bool:
    if action not in POLICY:
        raise KeyError(f"unknown action {action!r}: add it to core.permissions.POLICY")
    role = scope_for(user).role
    return role is not None and role in POLICY[action]


def ensure_can(user: Any, action: str) -> None:
    """Raise PermissionDenied unless the user's role may perform the action."""
    if not can(user, action):
        raise PermissionDenied(action)
