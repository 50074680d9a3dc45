"""Eligibility pages: a calculation for a household (from its page), and a kept calculation with its arithmetic."""

from __future__ import annotations

import uuid
from itertools import zip_longest
from typing import Any

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
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.views import follow_queued
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.eligibility import services
from dolbom.eligibility.forms import (
    AftercareQuery,
    ApplicationForm,
    CheckForm,
    HouseholdApplicationForm,
    MemberFormSet,
    OutcomeForm,
    ReguidanceForm,
    ReverificationForm,
    ReviewForm,
)
from dolbom.eligibility.selectors import aftercare_dongs, check_view, reguidance_campaigns_visible_to

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
        "jobs": [j for j in recent_jobs(request.user, services.LAUNCH_KIND) if j.params.get("campaign") == campaign_id],
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
    """Queue the launch and follow it on its job's page; a second click follows the launch already queued."""
    return follow_queued(request, lambda: services.queue_reguidance_launch(user=request.user, campaign_id=campaign_id))


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


# -------------------------------------------------------------------------------------- household applications
class FromDecision(forms.Form):
    decision = IdField(required=False)  # opened from a consultation's decision to apply


def _applications_page(
    request: HttpRequest, household_id: int, *, form: HouseholdApplicationForm | None = None, error: str = ""
) -> HttpResponse:
    household, applications = services.open_household_applications(user=request.user, household_id=household_id)
    if form is None:
        decision = parse_query(request, FromDecision).get("decision")
        form = HouseholdApplicationForm(initial={"applied_on": today_kst(), "decision_id": decision})
    context = {
        "household": household,
        "rows": [(a, OutcomeForm(auto_id=f"a{a.pk}-%s")) for a in applications],
        "form": form,
        "error": error,
        "can_record": can(request.user, "eligibility.record_application"),
        "active_nav": "households",
    }
    status = 422 if form.errors or error else 200
    return render(request, "eligibility/applications.html", context, status=status)


@requires("eligibility.view_checks")
def household_applications(request: HttpRequest, household_id: int) -> HttpResponse:
    """A household's applications for public benefits and their outcomes; a new one recorded from here (a
    rejection before Dolbom, a benefit the household receives)."""
    if request.method != "POST":
        return _applications_page(request, household_id)
    if not can(request.user, "eligibility.record_application"):
        raise PermissionDenied("eligibility.record_application")
    form = HouseholdApplicationForm(request.POST)
    try:
        services.record_household_application(user=request.user, household_id=household_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _applications_page(request, household_id, form=form)
    return redirect("household_applications", household_id)


@require_POST
@requires("eligibility.record_application")
def household_application_outcome(request: HttpRequest, household_id: int, application_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST)
    try:
        services.change_application_outcome(user=request.user, application_id=application_id, **valid_data(form))
    except ValidationError as refused:
        return _applications_page(request, household_id, error=error_text(refused))
    return redirect("household_applications", household_id)


# ------------------------------------------------------------------------------------------------ after-care
def _aftercare_page(request: HttpRequest, *, dong: str = "", error: str = "", failed: Any = None) -> HttpResponse:
    """The queue; after a refused form, that form with its errors in its row (`failed`: (kind, id, form))."""
    page = services.open_aftercare(user=request.user, dong=dong)
    today = today_kst()
    reverify_forms = {}
    for row in page.due:
        pk = row.application.pk
        reverify_forms[pk] = ReverificationForm(
            initial={"done_on": today, "submission": uuid.uuid4()}, auto_id=f"r{pk}-%s"
        )
    review_forms = {r.review.pk: ReviewForm(auto_id=f"v{r.review.pk}-%s") for r in page.open_reviews}
    review_forms.update({r.review.pk: ReviewForm(auto_id=f"v{r.review.pk}-%s") for r in page.decided_reviews})
    if failed is not None:
        kind, pk, form = failed
        (reverify_forms if kind == "reverify" else review_forms)[pk] = form
    for row in page.due:
        row.form = reverify_forms[row.application.pk]
    for review_row in page.open_reviews + page.decided_reviews:
        review_row.form = review_forms[review_row.review.pk]
    context = {
        "page": page,
        "dong": dong,
        "dongs": aftercare_dongs(request.user),
        "can_act": can(request.user, "eligibility.aftercare"),
        "error": error,
        "failed": failed[:2] if failed else None,
        "active_nav": "discovery",
    }
    status = 422 if failed or error else 200
    return render(request, "eligibility/aftercare.html", context, status=status)


@require_safe
@requires("eligibility.view_aftercare")
def aftercare_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, AftercareQuery)
    return _aftercare_page(request, dong=query.get("dong") or "")


def _back_to_aftercare(request: HttpRequest, anchor: str = "") -> HttpResponse:
    dong = request.POST.get("dong", "")
    url = reverse("aftercare")
    if dong and dong.isalnum():
        url += f"?dong={dong}"
    return redirect(url + anchor)


@require_POST
@requires("eligibility.aftercare")
def aftercare_reverify(request: HttpRequest, application_id: int) -> HttpResponse:
    form = ReverificationForm(request.POST, auto_id=f"r{application_id}-%s")
    try:
        services.record_reverification(user=request.user, application_id=application_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _aftercare_page(request, failed=("reverify", application_id, form))
    return _back_to_aftercare(request)


@require_POST
@requires("eligibility.aftercare")
def aftercare_look(request: HttpRequest) -> HttpResponse:
    services.look_for_changes(user=request.user)
    return _back_to_aftercare(request, "#reviews")


@require_POST
@requires("eligibility.aftercare")
def aftercare_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    form = ReviewForm(request.POST, auto_id=f"v{review_id}-%s")
    try:
        services.decide_review(user=request.user, review_id=review_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _aftercare_page(request, failed=("review", review_id, form))
    return _back_to_aftercare(request, "#reviews")
