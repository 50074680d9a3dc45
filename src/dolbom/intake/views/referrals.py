from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from dolbom.core.http import REFUSED, parse_query, requires, show_errors
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.models import ReferralChannel
from dolbom.intake.selectors import REFERRAL_SORTS, ReferralFilter, referral_dongs_for
from dolbom.intake.services import referrals as services


class ReferralForm(forms.Form):
    dong = forms.ModelChoiceField(queryset=None, label=_("Dong"))
    address_text = forms.CharField(label=_("Where (address or landmark)"), max_length=200)
    concern = forms.CharField(
        label=_("What did you notice?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )

    # An officer taking a report by phone or at the counter says so, with a number to call the reporter back.
    channel = forms.ChoiceField(
        label=_("Received"),
        required=False,
        choices=[
            ("", _("My own report")),
            (ReferralChannel.PHONE, _("By phone")),
            (ReferralChannel.WALK_IN, _("At the counter")),
        ],
    )
    reporter_contact = forms.CharField(label=_("Reporter's phone (for a call back)"), required=False, max_length=100)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dong"].queryset = referral_dongs_for(user)
        if not scope_for(user).sees_by_area:  # reporters file their own reports only
            del self.fields["channel"]
            del self.fields["reporter_contact"]


class ReferralQuery(forms.Form):
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
    mine = forms.BooleanField(required=False)
    unassigned = forms.BooleanField(required=False)
    open = forms.BooleanField(required=False)
    tong = forms.IntegerField(required=False, min_value=1, max_value=9999)
    sort = forms.ChoiceField(choices=[(key, key) for key in REFERRAL_SORTS], required=False)


def referral_filters(request: HttpRequest) -> tuple[ReferralFilter, str]:
    """The referral list's filters and sort from the query string. Only the officers who work the list filter it
    (by its worklist items); a reporter sees their own reports, newest first, whatever the address says."""
    query = parse_query(request, ReferralQuery)
    if not can(request.user, "intake.view_worklist"):
        return ReferralFilter(), "new"
    filters = ReferralFilter(
        dong=query["dong"],
        mine=query["mine"],
        unassigned=query["unassigned"],
        open_only=query["open"],
        tong=query["tong"],
    )
    return filters, query["sort"] or "new"


@require_safe
@requires("intake.view_referrals")
def referral_list(request: HttpRequest) -> HttpResponse:
    filters, sort = referral_filters(request)
    page = services.open_referral_list(user=request.user, filters=filters, sort=sort)
    context = {
        "page": page,
        "referrals": page.referrals,
        "filters": filters,
        "sort": sort,
        "works": can(request.user, "intake.view_worklist"),
        "query_string": request.GET.urlencode(),
        "active_nav": "discovery",
    }
    return render(request, "intake/referrals.html", context)


@requires("intake.file_referral")
def referral_new(request: HttpRequest) -> HttpResponse:
    form = ReferralForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_referral(user=request.user, **form.cleaned_data)
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            # Said after the redirect, on the list where the new report now stands first.
            messages.success(
                request, _("Your report was received. The dong's welfare team will look into it; its status is below.")
            )
            return redirect("referrals")
    # A POST that reaches here was refused: the form comes back with its errors and what was typed.
    status = REFUSED if request.method == "POST" else 200
    return render(request, "intake/referral_new.html", {"form": form, "active_nav": "discovery"}, status=status)
