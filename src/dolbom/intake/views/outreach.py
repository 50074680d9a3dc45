"""Outreach events (village tours, market-day booths) and survey campaigns (전수조사): their lists, the forms that
create them, an event's page with the households met, and a campaign's page with its completion per dong."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField
from dolbom.core.http import parse_query, requires, show_errors, valid_data
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.views import follow_queued
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.models import CampaignStatus, EventKind
from dolbom.intake.selectors import (
    campaigns_visible_to,
    event_agencies_for,
    event_dongs_for,
    outreach_events_visible_to,
)
from dolbom.intake.services import outreach as services

# Lengths are checked by the services, whose refusals name the field; the browser only stops the typing.
PLACE = forms.TextInput(attrs={"maxlength": str(services.PLACE_MAX)})
NOTE = forms.Textarea(attrs={"rows": 3, "maxlength": str(services.NOTE_MAX)})
NUMBER = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"})
WON = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "20"})


class FiguresForm(forms.Form):
    """The figures of the day, shown with what was recorded so far: each is asked for, so that a form sent empty
    (a page half loaded, a hand-made request) is refused instead of setting every figure to zero."""

    visitors = forms.CharField(label=_("Visitors"), widget=NUMBER)
    consultations = forms.CharField(label=_("Consultations held"), widget=NUMBER)
    help_count = forms.CharField(label=_("Help given (count)"), widget=NUMBER)
    help_won = forms.CharField(label=_("Help given (won)"), widget=WON, help_text=_("For example 1,500,000"))


class EventForm(FiguresForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *EventKind.choices], required=False)
    held_on = KoreanDateField(label=_("Date"), required=False)
    place = forms.CharField(label=_("Place"), required=False, widget=PLACE)
    dongs = forms.MultipleChoiceField(label=_("Dongs"), required=False, widget=forms.CheckboxSelectMultiple)
    agencies = forms.MultipleChoiceField(
        label=_("Agencies taking part"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, widget=NOTE)
    field_order = ["kind", "held_on", "place", "dongs", "agencies", "visitors", "consultations", "help_count",
                   "help_won", "note"]  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A new event's figures may wait for the end of the day: empty counts as none yet.
        for name in FiguresForm.base_fields:
            self.fields[name].required = False
        self.fields["dongs"].choices = [(d.code, d.name) for d in event_dongs_for(user)]
        self.fields["agencies"].choices = [(str(a.pk), a.name) for a in event_agencies_for(user)]


class ContactForm(forms.Form):
    q = forms.CharField(label=_("Find a registered household"), required=False, max_length=100)
    household = IdField(required=False)
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "40"}))
    dong = forms.ChoiceField(label=_("Dong"), required=False)
    asked = forms.CharField(
        label=_("What they asked"), required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": "1000"})
    )
    follow_up = forms.BooleanField(label=_("Needs follow-up: put on the worklist"), required=False)

    def __init__(self, *args: Any, dongs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].choices = [("", "—"), *((d.code, d.name) for d in dongs)]


class PeriodQuery(forms.Form):
    start = KoreanDateField(required=False)
    end = KoreanDateField(required=False)
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)


@require_safe
@requires("intake.view_events")
def event_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, PeriodQuery)
    today = today_kst()
    start = query["start"] or date(today.year, 1, 1)
    end = query["end"] or today
    try:
        figures = services.figures_for(user=request.user, start=start, end=end, dong=query["dong"])
    except ValidationError as refused:
        figures, error = None, " ".join(refused.messages)
    else:
        error = ""
    events = outreach_events_visible_to(request.user).filter(held_on__gte=start, held_on__lte=end)
    if query["dong"]:
        events = events.filter(dongs=query["dong"])
    context = {
        "events": list(events.prefetch_related("dongs")[:300]),
        "figures": figures,
        "error": error,
        "start": start,
        "end": end,
        "query": query,
        "dongs": event_dongs_for(request.user),
        "can_record": can(request.user, "intake.record_events"),
        "active_nav": "discovery",
    }
    return render(request, "intake/event_list.html", context)


@requires("intake.record_events")
def event_new(request: HttpRequest) -> HttpResponse:
    mine = [d.code for d in event_dongs_for(request.user)]
    initial = {"held_on": today_kst(), "dongs": mine if len(mine) == 1 else []}
    form = EventForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.create_event(user=request.user, **data)
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("event_detail", event.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "intake/event_new.html", {"form": form, "active_nav": "discovery"}, status=status)


def _event_page(request: HttpRequest, event_id: int, figures_form: FiguresForm | None = None) -> HttpResponse:
    page = services.open_event(user=request.user, event_id=event_id)
    event = page.event
    form = figures_form or FiguresForm(
        initial={
            "visitors": event.visitors,
            "consultations": event.consultations,
            "help_count": event.help_count,
            "help_won": f"{event.help_won:,}",
        }
    )
    context = {
        "page": page,
        "event": event,
        "figures_form": form,
        "can_record": can(request.user, "intake.record_events"),
        "active_nav": "discovery",
    }
    return render(request, "intake/event_detail.html", context, status=422 if figures_form else 200)


@require_safe
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return _event_page(request, event_id)


@require_POST
@requires("intake.record_events")
def event_figures(request: HttpRequest, event_id: int) -> HttpResponse:
    form = FiguresForm(request.POST)
    try:
        services.update_event_figures(user=request.user, event_id=event_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _event_page(request, event_id, form)
    return redirect("event_detail", event_id)


@requires("intake.record_events")
def event_contact_new(request: HttpRequest, event_id: int) -> HttpResponse:
    page = services.open_event(user=request.user, event_id=event_id)
    form = ContactForm(request.POST if request.method == "POST" else None, dongs=page.contact_dongs)
    hits: list[Any] = []
    searched = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "search":
            searched = True
            try:
                hits = services.find_households(user=request.user, text=data["q"]).hits
            except ValidationError as refused:
                show_errors(form, refused)
        else:
            try:
                services.add_event_contact(
                    user=request.user, event_id=event_id, asked=data["asked"], follow_up=data["follow_up"],
                    household_id=data["household"], name=data["name"], dong_code=data["dong"],
                )  # fmt: skip
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                return redirect("event_detail", event_id)
    context = {
        "page": page,
        "event": page.event,
        "form": form,
        "hits": hits,
        "searched": searched,
        "active_nav": "discovery",
    }
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "intake/event_contact_new.html", context, status=status)


# ------------------------------------------------------------------------------------------------- campaigns


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"}))
    starts_on = KoreanDateField(label=_("From"), required=False)
    ends_on = KoreanDateField(label=_("Until"), required=False)
    dong = forms.ChoiceField(label=_("Dong (empty: the whole district)"), required=False)
    elderly_alone = forms.BooleanField(label=_("Elderly living alone (65 or older, one-person household)"),
                                       required=False)  # fmt: skip
    disabled_only = forms.BooleanField(
        label=_("Households whose members all have a registered disability (alone or only with disabled members)"),
        required=False,
    )
    address_text = forms.CharField(
        label=_("Road-name address contains"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"}),
        help_text=_("A road name and building number: the households of one building or block."),
    )  # fmt: skip
    building = forms.CharField(
        label=_("Building (the unit starts with)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "40"}),
        help_text=_("The building part of the unit, to narrow an apartment block to one building."),
    )
    min_age = forms.IntegerField(label=_("A member aged at least"), required=False, min_value=0, max_value=130)
    max_age = forms.IntegerField(label=_("A member aged at most"), required=False, min_value=0, max_value=130)
    min_size = forms.IntegerField(label=_("Household of at least (persons)"), required=False, min_value=0,
                                  max_value=30)  # fmt: skip
    max_size = forms.IntegerField(label=_("Household of at most (persons)"), required=False, min_value=0,
                                  max_value=30)  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].choices = [("", "—"), *((d.code, d.name) for d in event_dongs_for(user))]


class LaunchForm(forms.Form):
    confirm = forms.BooleanField(required=False)


@require_safe
@requires("intake.view_campaigns")
def campaign_list(request: HttpRequest) -> HttpResponse:
    context = {
        "campaigns": list(campaigns_visible_to(request.user)[:200]),
        "can_manage": can(request.user, "intake.manage_campaigns"),
        "active_nav": "discovery",
    }
    return render(request, "intake/campaign_list.html", context)


@requires("intake.manage_campaigns")
def campaign_new(request: HttpRequest) -> HttpResponse:
    today = today_kst()
    form = CampaignForm(
        request.POST if request.method == "POST" else None, user=request.user, initial={"starts_on": today}
    )
    districts = sorted(scope_for(request.user).district_codes)
    if request.method == "POST" and not districts:
        form.add_error(None, _("Your account serves no district: a campaign belongs to one. Ask the administrator."))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                user=request.user, district_code=districts[0], dong_code=data.pop("dong"), **data
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("campaign_detail", campaign.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "intake/campaign_new.html", {"form": form, "active_nav": "discovery"}, status=status)


def _campaign_page(request: HttpRequest, campaign_id: int, launch_form: LaunchForm | None = None) -> HttpResponse:
    page = services.open_campaign(user=request.user, campaign_id=campaign_id)
    context = {
        "page": page,
        "campaign": page.campaign,
        "launch_form": launch_form or LaunchForm(),
        "not_launched": page.campaign.status == CampaignStatus.DRAFT,
        "needs_confirm": page.to_add > page.confirm_above,
        "can_manage": can(request.user, "intake.manage_campaigns"),
        # The launches of this campaign asked for lately: where to find one whose page was closed, or why it failed.
        "jobs": [j for j in recent_jobs(request.user, services.LAUNCH_KIND) if j.params.get("campaign") == campaign_id],
        "active_nav": "discovery",
    }
    return render(request, "intake/campaign_detail.html", context, status=422 if launch_form else 200)


@require_safe
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _campaign_page(request, campaign_id)


@require_POST
@requires("intake.manage_campaigns")
def campaign_launch(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Queue the launch and follow it on its job's page (a second click follows the launch already queued); a
    group too large to launch unconfirmed is refused at once, on the campaign's page."""
    form = LaunchForm(request.POST)
    try:
        confirm = valid_data(form)["confirm"]
        return follow_queued(
            request, lambda: services.queue_campaign_launch(user=request.user, campaign_id=campaign_id, confirm=confirm)
        )
    except ValidationError as refused:
        show_errors(form, refused)
        return _campaign_page(request, campaign_id, form)
