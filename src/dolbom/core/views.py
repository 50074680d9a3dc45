from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from dolbom.core.audit_labels import action_choices, object_type_choices
from dolbom.core.http import parse_query, requires
from dolbom.core.selectors import SYSTEM, AuditFilters
from dolbom.core.services import read_audit_log

DAY = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class AuditLogQuery(forms.Form):
    """The page's address: which page, the verification, and the filters (each optional)."""

    page = forms.IntegerField(required=False, min_value=1)
    verify = forms.BooleanField(required=False)
    # A user id, or "system" for events no signed-in user caused. An id outside the district is not refused but
    # finds nothing: the events are scoped before they are filtered.
    actor = forms.RegexField(regex=rf"^(\d{{1,18}}|{SYSTEM})$", required=False, label=_("Who"))
    action = forms.ChoiceField(required=False, label=_("Action"))
    since = forms.DateField(required=False, label=_("From"), widget=DAY)
    until = forms.DateField(required=False, label=_("Until"), widget=DAY)
    object_type = forms.ChoiceField(required=False, label=_("Record type"))
    object_id = forms.RegexField(regex=r"^[\w-]{1,64}$", required=False, label=_("Record number"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *action_choices()]
        self.fields["object_type"].choices = [("", _("All kinds")), *object_type_choices()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date comes before the start date."))
        return cleaned

    @staticmethod
    def filters(data: dict[str, Any]) -> AuditFilters:
        """The filters of a parsed query (`parse_query`'s cleaned values)."""
        actor = data["actor"]
        return AuditFilters(
            actor=None if not actor else actor if actor == SYSTEM else int(actor),
            action=data["action"],
            since=data["since"],
            until=data["until"],
            object_type=data["object_type"],
            object_id=data["object_id"],
        )


@requires("core.view_audit_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The administrator's view of the log, their district's events only."""
    query = parse_query(request, AuditLogQuery)
    filters = AuditLogQuery.filters(query)
    log = read_audit_log(user=request.user, filters=filters, page_number=query["page"], verify=query["verify"])
    context = {
        "form": AuditLogQuery(request.GET),  # valid (parsed above): the filter form shows what was chosen
        "filtered": bool(filters.as_detail()),
        "page": log.page,
        "rows": log.rows,
        "actors": log.actors,
        "system": SYSTEM,
        "verification": log.verification,
        "active_nav": "admin",
    }
    return render(request, "core/audit_log.html", context)
