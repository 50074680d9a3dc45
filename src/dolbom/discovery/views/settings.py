"""The district's screening settings page: the reserved share of a learned model's lists and their balanced
cut."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.http import requires, show_errors
from dolbom.discovery.learning.explain import cut_name
from dolbom.discovery.models import MAX_RESERVED_SHARE
from dolbom.discovery.selectors import screening_settings_of
from dolbom.discovery.services.screening_settings import set_screening_settings
from dolbom.registry.selectors import districts_visible_to


class ScreeningSettingsForm(forms.Form):
    district = forms.ChoiceField(label=_("District"))
    # Text, not a number field: the service checks the range and says so in the domain's words.
    reserved_share = forms.CharField(
        label=_("Reserved share (%)"),
        max_length=5,
        help_text=_(
            "In a round screened with the learned model, this share of each dong's list goes to households the "
            "model ranks below the list's cut but the scorecard or an open referral marks, drawn at random."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
    )

    balanced = forms.BooleanField(
        label=_("Balanced cut"),
        required=False,
        help_text=_(
            "In a round screened with the learned model, each dong's list is shared across the head's age band and "
            "sex together in proportion to the need the model expects in each group, and each group's places go to "
            "its households the model ranks highest."
        ),
    )

    def __init__(self, *args: Any, districts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d.code, d.name) for d in districts]
        if len(districts) == 1:
            self.fields["district"].widget = forms.HiddenInput()
            self.fields["district"].initial = districts[0].code


@requires("discovery.manage_settings")
def screening_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    districts = list(districts_visible_to(user))
    current = [(d, screening_settings_of(d.code)) for d in districts]
    initial = {"reserved_share": current[0][1].reserved_share, "balanced": current[0][1].balanced} if current else {}
    form = ScreeningSettingsForm(
        request.POST if request.method == "POST" else None, districts=districts, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = set_screening_settings(
                    user=user,
                    district_code=data["district"],
                    share=data["reserved_share"],
                    balanced=data["balanced"],
                )
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                message = gettext(
                    "The screening settings of %(district)s are saved: reserved share %(share)s %%, %(cut)s."
                )
                facts = {
                    "district": row.district.name,
                    "share": row.reserved_share,
                    "cut": cut_name(balanced=row.balanced),
                }
                messages.success(request, message % facts)
                return redirect("screening_settings")
        status = 200 if not form.errors else 422
    context = {"form": form, "current": current, "max_share": MAX_RESERVED_SHARE, "active_nav": "discovery"}
    return render(request, "discovery/screening_settings.html", context, status=status)
