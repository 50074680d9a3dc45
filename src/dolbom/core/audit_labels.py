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
    "access.denied": _("Access refused"),
    "access.denied_unrecorded": _("Refusals over the recording limit"),
    "core.view_audit_log": _("Viewed the audit log"),
    "core.audit_keyed": _("Audit log sealed with the key"),
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
    "intake.file_referral": _("Filed a referral"),
    "discovery.import_signals": _("Imported a crisis-signal file"),
    "discovery.import_refused": _("Crisis-signal file refused"),
    "discovery.run_round": _("Ran a screening round"),
    "discovery.train_model": _("Trained a scoring model"),
    "discovery.view_outreach_list": _("Viewed an outreach list"),
    "discovery.assign_visit": _("Assigned a visit"),
    "discovery.record_outcome": _("Recorded a visit outcome"),
    "reports.view_statistics": _("Viewed the statistics"),
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
