"""Eligibility pages: a calculation for a household (from its page), and a kept calculation with its arithmetic."""

from __future__ import annotations

from itertools import zip_longest

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField
from dolbom.core.http import error_text, parse_query, requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.eligibility import services
from dolbom.eligibility.forms import ApplicationForm, CheckForm, MemberFormSet, OutcomeForm, ReguidanceForm
from dolbom.eligibility.selectors import check_view, reguidance_campaigns_visible_to

PREFIX = "members"


class FromQuery(forms.Form):
    consultation = IdField(required=False)  # opened from this consultation's page


@requires("eligibility.check")
def check_new(request: HttpRequest, household_id: int) -> HttpResponse:
    consultation_id = parse_query(request, FromQuery)["consultation"]
    if request.method == "POST":
        form = CheckForm(request.POST)
        members = MemberFormSet(request.POST, prefix=PREFIX)
        try:
            data = valid_data(form)
            if not members.is_valid():
                raise ValidationError({"__all__": _("Check the members: each needs an age.")})
            check = services.record_check(
                user=request.user,
                household_id=household_id,
                facts=form.facts(members.members()),
                year=data["year"],
                submission=data["submission"],
                note=data.get("note", ""),
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("eligibility_check", check_id=check.pk)
        page = services.open_check_form(user=request.user, household_id=household_id, consultation_id=consultation_id)
        status = 422
    else:
        page = services.open_check_form(user=request.user, household_id=household_id, consultation_id=consultation_id)
        initial = {"year": page.year, "region": page.region, "emergency_region": page.emergency_region}
        form = CheckForm(initial=initial)
        rows = [{"age": m.age, "disabled": m.disabled} for m in page.members]
        members = MemberFormSet(prefix=PREFIX, initial=rows)
        status = 200
    relationships = [m.relationship for m in page.members]
    member_rows = list(zip_longest(members.forms, relationships))[: len(members.forms)]
    context = {
        "page": page,
        "form": form,
        "members": members,
        "member_rows": member_rows,
        "active_nav": "consultation",
    }
    return render(request, "eligibility/check_new.html", context, status=status)


@require_safe
def check_detail(request: HttpRequest, check_id: int) -> HttpResponse:
    check = services.open_check(user=request.user, check_id=check_id)
    context = {"view": check_view(check), "check": check, "active_nav": "consultation"}
    return render(request, "eligibility/check.html", context)


# ------------------------------------------------------------------------------------------------ re-guidance
@requires("eligibility.view_reguidance")
def reguidance_list(request: HttpRequest) -> HttpResponse:
    """The campaigns the user sees and, for the district's staff, the form of a new one."""
    manage = can(request.user, "eligibility.manage_reguidance")
    form = ReguidanceForm(request.POST if request.method == "POST" else None, initial={"margin_percent": 10})
    status = 200
    if request.method == "POST":
        districts = sorted(scope_for(request.user).district_codes)
        try:
            if not manage:
                raise PermissionDenied("eligibility.manage_reguidance")
            data = valid_data(form)
            if not districts:
                raise ValidationError({"__all__": _("Your account serves no district: ask the administrator.")})
            campaign = services.create_reguidance(
                user=request.user, name=data["name"], margin_percent=data["margin_percent"], district_code=districts[0]
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("reguidance_detail", campaign.pk)
    context = {
        "campaigns": list(reguidance_campaigns_visible_to(request.user)[:200]),
        "form": form,
        "can_manage": manage,
        "active_nav": "discovery",  # re-guidance is outreach, reached from the discovery page
    }
    return render(request, "eligibility/reguidance_list.html", context, status=status)


def _reguidance_page(
    request: HttpRequest, campaign_id: int, *, failed: tuple[int, ApplicationForm] | None = None, error: str = ""
) -> HttpResponse:
    """The campaign's page; after a refused form, that form with its errors under its target, or the refusal."""
    page = services.open_reguidance(user=request.user, campaign_id=campaign_id)
    today = today_kst()
    # One form per target and per application on one page: ids of their own, so each label names its field.
    for group in page.dongs:
        for row in group.rows:
            pk = row.target.pk
            row.form = failed[1] if failed and failed[0] == pk else None
            row.form = row.form or ApplicationForm(initial={"applied_on": today}, auto_id=f"t{pk}-%s")
            row.application_forms = [(a, OutcomeForm(auto_id=f"a{a.pk}-%s")) for a in row.applications]
    context = {
        "page": page,
        "campaign": page.campaign,
        "can_manage": can(request.user, "eligibility.manage_reguidance"),
        "can_record": can(request.user, "eligibility.record_application"),
        "failed_target": failed[0] if failed else None,
        "error": error,
        "active_nav": "discovery",
    }
    status = 422 if failed or error else 200
    return render(request, "eligibility/reguidance_detail.html", context, status=status)


@require_safe
def reguidance_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _reguidance_page(request, campaign_id)


@require_POST
@requires("eligibility.manage_reguidance")
def reguidance_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    services.launch_reguidance(user=request.user, campaign_id=campaign_id)
    return redirect("reguidance_detail", campaign_id)


@require_POST
@requires("eligibility.record_application")
def application_new(request: HttpRequest, campaign_id: int, target_id: int) -> HttpResponse:
    form = ApplicationForm(request.POST, auto_id=f"t{target_id}-%s")
    try:
        data = valid_data(form)
        services.record_application(user=request.user, target_id=target_id, **data)
    except ValidationError as refused:
        show_errors(form, refused)
        return _reguidance_page(request, campaign_id, failed=(target_id, form))
    return redirect(f"{reverse('reguidance_detail', args=[campaign_id])}#target-{target_id}")


@require_POST
@requires("eligibility.record_application")
def application_outcome(request: HttpRequest, campaign_id: int, application_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST)
    try:
        data = valid_data(form)
        application = services.change_application_outcome(user=request.user, application_id=application_id, **data)
    except ValidationError as refused:
        return _reguidance_page(request, campaign_id, error=error_text(refused))
    return redirect(f"{reverse('reguidance_detail', args=[campaign_id])}#target-{application.target_id}")
