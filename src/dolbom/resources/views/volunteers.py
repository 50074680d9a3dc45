"""Volunteers' pages: the registry of volunteers matched to a need or a skill, registering one, recording the
hours they gave, and the hours of a period as the 1365 portal's CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import KoreanDateField
from dolbom.core.http import parse_query, requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.core.scope import visible_or_404
from dolbom.registry.selectors import areas_visible_to
from dolbom.resources.models import Skill
from dolbom.resources.selectors import NEED_DOMAINS, volunteers_visible_to
from dolbom.resources.services import volunteers as services
from dolbom.resources.views.donations import _form_page


class MatchQuery(forms.Form):
    need = forms.ChoiceField(choices=[("", ""), *NEED_DOMAINS.choices], required=False)
    skill = forms.ChoiceField(choices=[("", ""), *Skill.choices], required=False)
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
    page = forms.IntegerField(required=False, min_value=1)


@require_safe
@requires("resources.view_volunteers")
def volunteer_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, MatchQuery)
    found = services.open_volunteers(user=request.user, **query)
    context = {
        "volunteers": found,
        "query": query,
        "needs": NEED_DOMAINS.choices,
        "skills": Skill.choices,
        "dongs": list(areas_visible_to(request.user)),
        "can_manage": can(request.user, "resources.manage_volunteers"),
        "active_nav": "resources",
    }
    return render(request, "resources/volunteers.html", context)


class VolunteerForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "60"})
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"), required=False, widget=forms.TextInput(attrs={"maxlength": "20"})
    )
    dong = forms.ChoiceField(label=gettext_lazy("Dong where they help"), required=False)
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("Skills"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    availability = forms.CharField(
        label=gettext_lazy("When they can help"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"})
    )
    portal_id = forms.CharField(
        label=gettext_lazy("1365 member ID"), required=False, widget=forms.TextInput(attrs={"maxlength": "30"})
    )
    consent_on = KoreanDateField(label=gettext_lazy("Consented to keeping their data on"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].choices = [("", "—"), *((a.code, a.name) for a in areas_visible_to(user))]


@requires("resources.manage_volunteers")
def volunteer_new(request: HttpRequest) -> HttpResponse:
    form = VolunteerForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            services.register_volunteer(user=request.user, dong_code=data.pop("dong"), **data)
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The volunteer is registered."))
            return redirect("resources_volunteers")
    return _form_page(request, form, _("Register a volunteer"), back="/resources/volunteers/")


class HoursForm(forms.Form):
    on = KoreanDateField(label=gettext_lazy("Date"), required=False)
    minutes = forms.IntegerField(label=gettext_lazy("Minutes"), required=False, min_value=1, max_value=24 * 60)
    activity = forms.CharField(
        label=gettext_lazy("What they did"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"})
    )


@requires("resources.manage_volunteers")
def hours_new(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = visible_or_404(volunteers_visible_to(request.user), volunteer_id)
    form = HoursForm(request.POST if request.method == "POST" else None, initial={"on": today_kst()})
    if request.method == "POST":
        try:
            services.record_hours(user=request.user, volunteer_id=volunteer.pk, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The hours are recorded."))
            return redirect("resources_volunteers")
    title = _("Hours given by %(name)s") % {"name": volunteer.masked_name}
    return _form_page(request, form, title, back="/resources/volunteers/")


class PeriodForm(forms.Form):
    start = KoreanDateField(label=gettext_lazy("From"))
    end = KoreanDateField(label=gettext_lazy("Until"))


@requires("resources.manage_volunteers")
def portal_export(request: HttpRequest) -> HttpResponse:
    today = today_kst()
    form = PeriodForm(
        request.POST if request.method == "POST" else None,
        initial={"start": date(today.year, today.month, 1), "end": today},
    )
    if request.method == "POST":
        try:
            text, _rows = services.hours_for_portal(user=request.user, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            response = HttpResponse(text, content_type="text/csv; charset=utf-8")
            name = f"1365-hours-{form.cleaned_data['start']:%Y%m%d}-{form.cleaned_data['end']:%Y%m%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    intro = _("The hours given in the period, as the CSV file the 1365 volunteer portal takes.")
    return _form_page(request, form, _("Hours for 1365"), back="/resources/volunteers/", intro=intro)
