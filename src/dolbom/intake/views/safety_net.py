"""The safety net's pages, for the dong officer and the district's staff: the members of their area (names and
phones masked), adding one, changing or ending an appointment, and the members' activity per month or quarter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import KoreanDateField
from dolbom.core.http import REFUSED, parse_query, requires, show_errors
from dolbom.core.permissions import can
from dolbom.intake.models import SafetyNetKind
from dolbom.intake.selectors import ActivityPeriod, safety_net_dongs_for, safety_net_logins_for
from dolbom.intake.services import safety_net as services


class MembersQuery(forms.Form):
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
    ended = forms.BooleanField(required=False)


class ActivityQuery(forms.Form):
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100)
    by = forms.ChoiceField(choices=ActivityPeriod.choices, required=False)


class MemberForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *SafetyNetKind.choices], required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    dong = forms.ModelChoiceField(label=_("Dong"), queryset=None, required=False)
    tongs = forms.CharField(
        label=_("Tong numbers watched (optional)"),
        help_text=_("Separate with commas, for example 3, 5, 12. Empty: the whole dong."),
        max_length=200,
        required=False,
    )
    appointed_from = KoreanDateField(label=_("Appointed from"), required=False)
    appointed_to = KoreanDateField(label=_("Appointed until (optional)"), required=False)
    account = forms.ChoiceField(label=_("Login account (optional)"), required=False)

    def __init__(self, *args: Any, user: Any, editing: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].queryset = safety_net_dongs_for(user)
        logins = [(str(u.pk), f"{u.staff.display_name} ({u.get_username()})") for u in safety_net_logins_for(user)]
        self.fields["account"].choices = [("", _("No login")), *logins]
        if editing is not None:
            self.fields["name"].help_text = _("Now %(name)s. Leave empty to keep it.") % {"name": editing.masked_name}
            self.fields["phone"].help_text = _("Now %(phone)s. Leave empty to keep it.") % {
                "phone": editing.masked_phone or "—"
            }

    def appointment(self, *, editing: bool) -> services.Appointment | None:
        """The form as the service's input; None (with the error on the form) when the 통 numbers do not parse."""
        data = self.cleaned_data
        tongs = services.parse_tongs(data["tongs"])
        if tongs is None:
            self.add_error("tongs", _("Write tong numbers as digits separated by commas, for example 3, 5, 12."))
            return None
        return services.Appointment(
            kind=data["kind"],
            dong=data["dong"],
            appointed_from=data["appointed_from"],
            appointed_to=data["appointed_to"],
            tongs=tongs,
            account_id=int(data["account"]) if data["account"] else None,
            name=(data["name"] or None) if editing else data["name"],
            phone=(data["phone"] or None) if editing else data["phone"],
        )


class EndForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    on = KoreanDateField(label=_("Ended on"), required=False)
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)


@require_safe
@requires("intake.view_safety_net")
def members(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, MembersQuery)
    rows = services.list_members(user=request.user, dong=query["dong"], current_only=not query["ended"])
    context = {
        "members": rows,
        "query": query,
        "dongs": safety_net_dongs_for(request.user),
        "today": today_kst(),
        "can_manage": can(request.user, "intake.manage_safety_net"),
        "active_nav": "discovery",
    }
    return render(request, "intake/safety_net.html", context)


@requires("intake.manage_safety_net")
def member_new(request: HttpRequest) -> HttpResponse:
    form = MemberForm(
        request.POST if request.method == "POST" else None, user=request.user, initial={"appointed_from": today_kst()}
    )
    if request.method == "POST" and form.is_valid():
        appointment = form.appointment(editing=False)
        if appointment is not None:
            try:
                services.appoint(user=request.user, data=appointment)
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                return redirect("safety_net")
    # A POST that reaches here was refused: the form comes back with its errors and what was typed.
    status = REFUSED if request.method == "POST" else 200
    return render(request, "intake/safety_net_form.html", {"form": form, "active_nav": "discovery"}, status=status)


def _initial(member: Any) -> dict[str, Any]:
    return {
        "version": member.version,
        "kind": member.kind,
        "dong": member.dong_id,
        "tongs": member.tong_text,
        "appointed_from": member.appointed_from,
        "appointed_to": member.appointed_to,
        "account": str(member.account_id or ""),
    }


def _member_page(
    request: HttpRequest, member: Any, form: MemberForm, end_form: EndForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "member": member,
        "form": form,
        "end_form": end_form,
        "can_manage": can(request.user, "intake.manage_safety_net"),
        "active_nav": "discovery",
    }
    return render(request, "intake/safety_net_form.html", context, status=status)


@requires("intake.view_safety_net")
def member(request: HttpRequest, member_id: int) -> HttpResponse:
    """One appointment: its page, and its changes (POST)."""
    current = services.open_member(user=request.user, member_id=member_id)
    end_form = EndForm(initial={"version": current.version, "on": today_kst()})
    if request.method != "POST":
        form = MemberForm(initial=_initial(current), user=request.user, editing=current)
        return _member_page(request, current, form, end_form)
    form = MemberForm(request.POST, user=request.user, editing=current)
    if form.is_valid():
        appointment = form.appointment(editing=True)
        if appointment is not None:
            try:
                services.change(
                    user=request.user,
                    member_id=member_id,
                    data=appointment,
                    seen_version=form.cleaned_data["version"],
                )
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                return redirect("safety_net")
    return _member_page(request, current, form, end_form, status=REFUSED)


@require_POST
def member_end(request: HttpRequest, member_id: int) -> HttpResponse:
    end_form = EndForm(request.POST)
    if end_form.is_valid():
        try:
            services.end_appointment(
                user=request.user,
                member_id=member_id,
                on=end_form.cleaned_data["on"],
                reason=end_form.cleaned_data["reason"],
                seen_version=end_form.cleaned_data["version"],
            )
        except ValidationError as refused:
            show_errors(end_form, refused)
        else:
            return redirect("safety_net")
    current = services.open_member(user=request.user, member_id=member_id)
    form = MemberForm(initial=_initial(current), user=request.user, editing=current)
    return _member_page(request, current, form, end_form, status=REFUSED)


@require_safe
@requires("intake.view_safety_net")
def activity(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ActivityQuery)
    year = query["year"] or today_kst().year
    table = services.activity(user=request.user, year=year, by=query["by"] or ActivityPeriod.MONTH, dong=query["dong"])
    context = {
        "table": table,
        "query": query,
        "dongs": safety_net_dongs_for(request.user),
        "periods": ActivityPeriod.choices,
        "active_nav": "discovery",
    }
    return render(request, "intake/safety_net_activity.html", context)
