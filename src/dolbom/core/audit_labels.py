"""How the audit log's codes read on screen: each action by its Korean name, each record by its kind and number.

The log itself keeps the codes (`registry.view_household`, `discovery.outreachitem` 2): they are what the chain
signs and what `dolbom audit verify` and an investigator's queries use. The page translates them when it shows
them. Every action a service records has a label here (tests/core/test_audit_log_page.py checks the code for
actions without one); an action missing from the table is shown by its code rather than hidden.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# action → what the person did, as the administrator reads it. One table, like core.permissions.POLICY.
ACTION_LABELS: dict[str, str] = {
    "auth.login": _("Logged in"),
    "auth.logout": _("Logged out"),
    "auth.login_failed": _("Failed login"),
    "auth.login_refused_locked": _("Login refused: account locked"),
    "auth.login_refused_unrecorded": _("Refused logins over the recording limit"),
    "access.denied": _("Access refused"),
    "access.denied_unrecorded": _("Refusals over the recording limit"),
    "core.view_audit_log": _("Viewed the audit log"),
    "core.audit_inquiry": _("Looked up who searched for a person (command line)"),
    "core.audit_keyed": _("Audit log sealed with the key"),
    "ops.backup": _("Made a backup (command line)"),
    "cases.retention_purge": _("Purged closed cases past their retention (command line)"),
    "discovery.retention_purge": _("Purged signal files past their retention (command line)"),
    "registry.retention_purge": _("Purged withdrawn consents past their retention (command line)"),
    "core.keys_rotate_started": _("Started re-encrypting resident numbers under the new keys"),
    "core.keys_rotated": _("Re-encrypted resident numbers under the new keys"),
    "core.cancel_job": _("Asked a background job to stop"),
    "core.retry_job": _("Ran a failed background job again"),
    "core.job_interrupted": _("A background job's worker stopped: job marked failed"),
    "registry.search": _("Searched households"),
    "registry.view_household": _("Viewed a household"),
    "registry.reveal_person": _("Revealed personal data"),
    "registry.register_household": _("Registered a household"),
    "registry.move_out": _("Recorded a move out"),
    "registry.record_consent": _("Recorded a consent"),
    "registry.withdraw_consent": _("Recorded a consent withdrawal"),
    "registry.add_reference_data": _("Added reference data"),
    "registry.change_reference_data": _("Changed reference data"),
    "registry.bulk_load": _("Loaded the registry in bulk"),
    "registry.import_registry": _("Imported the registry from the national system's export (command line)"),
    "registry.import_registry_check": _("Checked a registry export without importing it (command line)"),
    "registry.import_registry_refused": _("Registry export refused (command line)"),
    "resources.bulk_load": _("Loaded the districts' resources in bulk"),
    "registry.add_member": _("Added a household member"),
    "registry.move_member": _("Recorded a move between households"),
    "registry.record_death": _("Recorded a death"),
    "registry.split_household": _("Recorded a household split"),
    "intake.file_referral": _("Filed a referral"),
    "intake.file_public_referral": _("Referral received through the public form"),
    "intake.view_worklist": _("Viewed the worklist"),
    "intake.view_referrals": _("Viewed the referrals"),
    "intake.view_work_item": _("Viewed a worklist item"),
    "intake.reveal_work_item_numbers": _("Showed the numbers of a worklist item"),
    "intake.reveal_consultation_numbers": _("Showed the numbers of a consultation"),
    "intake.reveal_emergency_numbers": _("Showed the numbers of an emergency support application"),
    "intake.export_worklist": _("Downloaded the worklist as Excel"),
    "intake.print_worklist": _("Printed the worklist"),
    "intake.export_referrals": _("Downloaded the referrals as Excel"),
    "intake.print_referrals": _("Printed the referrals"),
    "intake.assign": _("Assigned an officer"),
    "intake.record_visit": _("Recorded a visit or call"),
    "intake.correct_visit": _("Corrected a visit"),
    "intake.close": _("Closed a worklist item"),
    "intake.reopen": _("Opened a worklist item again"),
    "intake.reopen_reason": _("Reason for opening a worklist item again"),
    "intake.link_household": _("Tied a report to a household"),
    "intake.open_walk_in": _("Opened a walk-in"),
    "intake.view_consultation": _("Viewed a consultation"),
    "intake.view_consultation_form": _("Opened a consultation form"),
    "intake.view_household_consultations": _("Viewed a household's consultations"),
    "intake.record_consultation": _("Recorded a consultation"),
    "intake.correct_consultation": _("Corrected a consultation"),
    "intake.record_assessment": _("Recorded a needs assessment"),
    "intake.decide": _("Recorded a decision"),
    "intake.withdraw_decision": _("Withdrew a decision"),
    "intake.take_decision": _("Took up a decision"),
    "intake.default_crisis_scale": _("Set the default crisis scale"),
    "intake.open_emergency_support": _("Opened an emergency support application"),
    "intake.view_emergency_support": _("Viewed an emergency support application"),
    "intake.view_emergency_list": _("Viewed the emergency support list"),
    "intake.view_emergency_form": _("Opened an emergency support form"),
    "intake.emergency_assign": _("Assigned an emergency support application"),
    "intake.emergency_give": _("Recorded emergency support given"),
    "intake.emergency_check": _("Recorded an on-site check"),
    "intake.emergency_support": _("Decided to give emergency support"),
    "intake.emergency_no_support": _("Decided not to give emergency support"),
    "intake.emergency_appropriate": _("Follow-up: support appropriate"),
    "intake.emergency_to_review": _("Follow-up: support to be reviewed"),
    "intake.emergency_reviewed": _("Concluded a review of emergency support"),
    "intake.view_today": _("Viewed today's work"),
    "intake.view_safety_net": _("Viewed the safety net"),
    "intake.view_safety_net_member": _("Viewed a safety-net member"),
    "intake.view_safety_net_activity": _("Viewed the safety net's activity"),
    "intake.appoint_safety_net": _("Appointed a safety-net member"),
    "intake.change_safety_net": _("Changed a safety-net member"),
    "intake.create_event": _("Recorded an outreach event"),
    "intake.change_event_figures": _("Changed an outreach event's figures"),
    "intake.add_event_contact": _("Added a household met at an outreach event"),
    "intake.view_event": _("Viewed an outreach event"),
    "intake.create_campaign": _("Created a survey campaign"),
    "intake.launch_campaign": _("Launched a survey campaign"),
    "intake.view_campaign": _("Viewed a survey campaign"),
    "intake.end_safety_net": _("Ended a safety-net appointment"),
    "discovery.import_signals": _("Imported a crisis-signal file"),
    "discovery.import_refused": _("Crisis-signal file refused"),
    "discovery.run_round": _("Ran a screening round"),
    "discovery.round_interrupted": _("Screening round interrupted: its process had stopped"),
    "discovery.withdraw_round": _("Withdrew a screening round"),
    "discovery.withdraw_signal_file": _("Withdrew a crisis-signal file"),
    "discovery.train_model": _("Trained a scoring model"),
    "discovery.train_pooled_model": _("Trained a pooled scoring model on the districts' shared outcomes"),
    "discovery.choose_model": _("Chose the learned model of the district's rounds"),
    "discovery.stop_using_model": _("Stopped using a learned model for the district's rounds"),
    "discovery.share_labels": _("Recorded an agreement to share outcomes with the city's pooled models"),
    "discovery.end_label_sharing": _("Ended an agreement to share outcomes"),
    "discovery.set_screening_settings": _("Changed the screening settings"),
    "discovery.view_outreach_list": _("Viewed an outreach list"),
    "discovery.assign_visit": _("Assigned a visit"),
    "discovery.record_outcome": _("Recorded a visit outcome"),
    "reports.view_statistics": _("Viewed the statistics"),
    # Integrated case management: each move of a case (cases.<move>), each step of a linkage (cases.linkage_<step>).
    "cases.propose": _("Proposed a case"),
    "cases.select": _("Selected a case at a conference"),
    "cases.not_select": _("Did not select a case at a conference"),
    "cases.plan": _("Started a case's planning"),
    "cases.approve_plan": _("Approved a case plan"),
    "cases.start_monitoring": _("Moved a case to monitoring"),
    "cases.resume_service": _("Moved a case back in service"),
    "cases.reassess": _("Started a case's reassessment"),
    "cases.keep_plan": _("Kept a case plan after reassessment"),
    "cases.extend": _("Extended a case"),
    "cases.transfer": _("Transferred a case"),
    "cases.close": _("Closed a case"),
    "cases.follow_up_done": _("Completed a case's follow-up"),
    "cases.reopen": _("Reopened a case"),
    "cases.default_case_types": _("Created the district's default case types"),
    "cases.record_monitoring": _("Recorded case monitoring"),
    "cases.record_follow_up": _("Recorded a follow-up check"),
    "cases.draft_plan": _("Drew up a case plan"),
    "cases.record_agreement": _("Recorded a household's agreement to a plan"),
    "cases.plan_conference": _("Planned a case conference"),
    "cases.add_attendee": _("Added a conference attendee"),
    "cases.put_on_agenda": _("Put a case on a conference agenda"),
    "cases.hold_conference": _("Recorded a conference as held"),
    "cases.decide": _("Recorded a conference decision"),
    "cases.close_minutes": _("Closed a conference's minutes"),
    "cases.linkage_request": _("Requested a service linkage"),
    "cases.linkage_accept": _("Accepted a service linkage"),
    "cases.linkage_decline": _("Declined a service linkage"),
    "cases.linkage_deliver": _("Recorded a service delivery"),
    "cases.linkage_end": _("Ended a service linkage"),
    "cases.linkage_cancel": _("Withdrew a service linkage"),
    "cases.view_cases": _("Viewed the case list"),
    "cases.view_case": _("Viewed a case"),
    "cases.view_linkages": _("Viewed the service linkages"),
    "cases.view_linkage": _("Viewed a service linkage"),
    "cases.view_linkage_form": _("Opened a service request form"),
    "cases.view_today": _("Viewed today's case work"),
    "cases.view_conference": _("Viewed a case conference"),
    "cases.view_conference_list": _("Viewed the list of case conferences"),
    "cases.print_minutes": _("Printed a conference's minutes"),
    "resources.add_service": _("Added a service to the directory"),
    "resources.change_service": _("Changed a service of the directory"),
    "resources.add_organization": _("Added a provider to the directory"),
    "resources.record_agreement": _("Recorded an agreement with a provider"),
    "resources.export_directory": _("Exported the service directory (HSDS)"),
    "resources.import_directory": _("Imported a service directory (HSDS)"),
    "resources.add_donor": _("Added a donor"),
    "resources.receive_donation": _("Received a donation"),
    "resources.reverse_donation": _("Corrected a donation"),
    "resources.issue_receipt": _("Issued a donation receipt"),
    "resources.print_receipt": _("Printed a donation receipt"),
    "resources.view_donor": _("Viewed a donor"),
    "resources.change_donor": _("Changed a donor's details for receipts"),
    "resources.reveal_donor": _("Revealed a donor's personal data"),
    "resources.allocate": _("Allocated donated money"),
    "resources.reverse_allocation": _("Corrected an allocation"),
    "resources.start_sponsorship": _("Started a sponsorship"),
    "resources.end_sponsorship": _("Ended a sponsorship"),
    "resources.pay_sponsorships": _("Recorded the month's sponsorship payments"),
    "resources.view_ledger": _("Viewed the donations ledger"),
    "resources.stock_lot": _("Stocked goods at the food bank"),
    "resources.distribute": _("Gave out goods from the food bank"),
    "resources.reverse_distribution": _("Corrected a food bank distribution"),
    "resources.view_stock": _("Viewed the food bank's distributions"),
    "resources.register_volunteer": _("Registered a volunteer"),
    "resources.record_hours": _("Recorded volunteer hours"),
    "resources.export_hours": _("Downloaded volunteer hours for 1365"),
    "resources.view_volunteers": _("Viewed the volunteers"),
    "eligibility.view_check_form": _("Opened an eligibility calculation form"),
    "eligibility.record_check": _("Calculated a household's eligibility"),
    "eligibility.view_check": _("Viewed an eligibility calculation"),
    "eligibility.view_summary": _("Viewed a household's latest eligibility calculation on a consultation"),
    "eligibility.create_reguidance": _("Created a re-guidance campaign"),
    "eligibility.launch_reguidance": _("Launched a re-guidance campaign"),
    "eligibility.view_reguidance": _("Viewed a re-guidance campaign"),
    "eligibility.record_application": _("Recorded a benefit application"),
    "eligibility.change_application": _("Recorded a benefit application's outcome"),
    "eligibility.view_applications": _("Viewed a household's benefit applications"),
    "eligibility.view_aftercare": _("Viewed the after-care queue"),
    "eligibility.reverify": _("Recorded a recipient's re-verification"),
    "eligibility.look_for_changes": _("Looked for changes in recipients' households"),
    "eligibility.decide_review": _("Decided on a change in a recipient's household"),
    "intake.open_reguidance_items": _("Put a re-guidance campaign's households on the worklists"),
}


def action_label(action: str) -> str:
    """The Korean name of an action, or its code when the table does not know it."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_type_label(object_type: str) -> str:
    """The kind of record, by its model's (translated) name: `registry.household` → 가구. Unknown → the code."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


def object_label(object_type: str, object_id: str) -> str:
    """A record as a person reads it: 가구 158, 발굴 명단 가구 2. Empty for an event about no record."""
    if not object_type:
        return object_id
    kind = object_type_label(object_type)
    return f"{kind} {object_id}".strip()


def action_choices() -> list[tuple[str, str]]:
    """The actions, by label, for the filter of the audit log page."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda choice: choice[1])


def object_type_choices() -> list[tuple[str, str]]:
    """The kinds of record the application's own domains write about, by label: the models that name themselves
    (a model without a verbose_name of its own would be offered under its English class name)."""
    kinds = [
        (model._meta.label_lower, str(model._meta.verbose_name))
        for model in apps.get_models()
        if model.__module__.startswith("dolbom.")
        and model._meta.app_label != "core"
        and "verbose_name" in model._meta.original_attrs
    ]
    return sorted(kinds, key=lambda choice: choice[1])
