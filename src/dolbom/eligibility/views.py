"""Eligibility pages: a calculation for a household (from its page), and a kept calculation with its arithmetic."""

from __future__ import annotations

from itertools import zip_longest

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from dolbom.core.fields import IdField
from dolbom.core.http import parse_query, requires, show_errors, valid_data
from dolbom.eligibility import services
from dolbom.eligibility.forms import CheckForm, MemberFormSet
from dolbom.eligibility.selectors import check_view

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
