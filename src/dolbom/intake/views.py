from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from dolbom.core.permissions import ensure_can
from dolbom.intake import services
from dolbom.intake.selectors import referrals_visible_to
from dolbom.registry.models import AdministrativeArea


class ReferralForm(forms.Form):
    dong = forms.ModelChoiceField(queryset=AdministrativeArea.objects.filter(level="eupmyeondong"), label=_("Dong"))
    address_text = forms.CharField(label=_("Where (address or landmark)"), max_length=200)
    concern = forms.CharField(label=_("What did you notice?"), widget=forms.Textarea(attrs={"rows": 5}))


def referral_list(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "intake.view_referrals")
    referrals = referrals_visible_to(request.user)[:200]
    return render(request, "intake/referrals.html", {"referrals": referrals, "active_nav": "discovery"})


def referral_new(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "intake.file_referral")
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_referral(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("referrals")
    return render(request, "intake/referral_new.html", {"form": form, "active_nav": "discovery"})
