"""Label-sharing agreements: a district's administrator records that the district lets its outcomes train the
city's pooled models (and ends it); the city's officer and the districts' staff read them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from dolbom.core.http import REFUSED, error_text, requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.discovery.selectors import agreements_visible_to
from dolbom.discovery.services import governance
from dolbom.registry.selectors import districts_visible_to


class AgreementForm(forms.Form):
    district = forms.RegexField(regex=r"^\d{10}$", widget=forms.HiddenInput)
    shares_from = forms.DateField(
        label=gettext_lazy("Outcomes of rounds run from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    approved_by = forms.CharField(label=gettext_lazy("Approved by (title and name)"), max_length=200)
    approved_on = forms.DateField(label=gettext_lazy("Approved on"), widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.CharField(label=gettext_lazy("Approval document number"), max_length=200)


class EndForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why the agreement ends"), max_length=1000)


@require_http_methods(["GET", "POST"])
@requires("discovery.view_agreements")
def agreement_list(request: HttpRequest) -> HttpResponse:
    districts = list(districts_visible_to(request.user))
    may_record = can(request.user, "discovery.share_labels") and len(districts) > 0
    initial = {"district": districts[0].code} if districts else {}
    form = AgreementForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied("only a district's administrator records its agreement")
        try:
            data = valid_data(form)
            governance.record_agreement(
                user=request.user,
                district_code=data["district"],
                shares_from=data["shares_from"],
                approved_by=data["approved_by"],
                approved_on=data["approved_on"],
                document=data["document"],
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = REFUSED
        else:
            messages.success(request, _("The agreement is recorded: the next pooled model may learn from it."))
            return redirect("agreement_list")
    agreements = list(agreements_visible_to(request.user)[:100])
    in_force = {a.district_id for a in agreements if a.ended_at is None}
    context = {
        "agreements": agreements,
        "form": form if may_record and any(d.code not in in_force for d in districts) else None,
        "may_end": can(request.user, "discovery.share_labels"),
        "end_form": EndForm(),
        "active_nav": "discovery",
    }
    return render(request, "discovery/agreement_list.html", context, status=status)


@require_POST
@requires("discovery.share_labels")
def end(request: HttpRequest, agreement_id: int) -> HttpResponse:
    form = EndForm(request.POST)
    try:
        governance.end_agreement(user=request.user, agreement_id=agreement_id, reason=valid_data(form)["reason"])
    except ValidationError as refused:
        messages.error(request, error_text(refused))
    else:
        messages.success(
            request, _("The agreement has ended: pooled models trained from now on leave these outcomes out.")
        )
    return redirect("agreement_list")
