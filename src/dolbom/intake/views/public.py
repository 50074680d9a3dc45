"""The public pages, open without login (`login_not_required`, these views only): the short report form for posters
(`/report/`), the receipt-number status page (`/report/status/`) and the challenge's picture and sound.

Every POST is counted against the address's hourly limit before anything else is read; over it, the answer is a
429 page in Korean that says when to try again and where to call instead. Nothing the reporter typed is shown back
after sending, only the receipt number. CSRF applies as everywhere: the form sets its cookie."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.views import captcha_image
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dolbom.core.http import show_errors
from dolbom.core.login_throttle import TOO_MANY_REQUESTS, client_address
from dolbom.intake.selectors import public_dongs
from dolbom.intake.services import public


class ChallengeInput(CaptchaTextInput):
    """The library's widget (a hidden key and the answer box) with a picture that says what it is, and the link
    to hear the digits when the server can speak them."""

    template_name = "intake/challenge_widget.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["audio"] = reverse("public_challenge_audio", args=[self._key]) if settings.CAPTCHA_SPEECH else None
        return context


class PublicReportForm(forms.Form):
    dong = forms.ChoiceField(label=_("Dong (eup, myeon or dong)"), required=False)
    address_text = forms.CharField(
        label=_("Where is it?"),
        help_text=_("A road address with the building number, or a landmark nearby."),
        max_length=public.ADDRESS_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    concern = forms.CharField(
        label=_("What did you notice?"),
        help_text=_(
            "For example: the lights have been off for days, mail is piling up, an elderly neighbour skips meals."
        ),
        max_length=public.CONCERN_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    reporter_contact = forms.CharField(
        label=_("Your phone number (optional)"),
        help_text=_("Only if you would like the community service centre to call you back."),
        max_length=public.PHONE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    captcha = CaptchaField(
        label=_("Type the five digits in the picture"),
        widget=ChallengeInput(attrs={"inputmode": "numeric", "maxlength": "10"}),
        error_messages={"invalid": _("The digits do not match. Type the digits of the new picture.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = [(district, [(d.code, d.name) for d in dongs]) for district, dongs in public_dongs()]
        self.fields["dong"].choices = [("", _("Find it from the address")), *groups]


class StatusForm(forms.Form):
    receipt_number = forms.CharField(
        label=_("Receipt number"),
        help_text=_("Eight letters and digits, for example ABCD-2345."),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


def _describe_errors(form: forms.Form) -> None:
    """Tie each field's error to its input (aria-invalid, aria-describedby), so a screen reader reads it there."""
    for name in form.errors:
        if name not in form.fields:
            continue
        widget = form.fields[name].widget
        target = widget.widgets[1] if isinstance(widget, forms.MultiWidget) else widget
        described = [f"{name}-help"] if form.fields[name].help_text else []
        target.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join([f"{name}-error", *described])})
    for name, field in form.fields.items():
        if field.help_text and name not in form.errors:
            field.widget.attrs.setdefault("aria-describedby", f"{name}-help")


def _limited(request: HttpRequest, admission: public.Admission) -> HttpResponse:
    response = render(
        request,
        "intake/public_limited.html",
        {"minutes": admission.retry_minutes, "limit": admission.limit},
        status=TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(admission.retry_after)
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        admission = public.admit(bucket=public.REPORT, address=client_address(request))
        if not admission.allowed:
            return _limited(request, admission)
        if "new_challenge" in request.POST:  # "show other digits": the same form again with a new picture
            form = PublicReportForm(initial={k: v for k, v in request.POST.items() if k != "captcha_1"})
        else:
            form = PublicReportForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    referral = public.file_public_referral(
                        dong_code=data["dong"],
                        address_text=data["address_text"],
                        concern=data["concern"],
                        reporter_contact=data["reporter_contact"],
                        client=client_address(request),
                    )
                except ValidationError as refused:
                    show_errors(form, refused)
                else:
                    return render(request, "intake/public_received.html", {"receipt": referral.receipt_number})
    else:
        form = PublicReportForm()
    _describe_errors(form)
    return render(request, "intake/public_report.html", {"form": form})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def report_status(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST if request.method == "POST" else None)
    status = None
    if request.method == "POST":
        admission = public.admit(bucket=public.STATUS, address=client_address(request))
        if not admission.allowed:
            return _limited(request, admission)
        if form.is_valid():
            receipt = public.normalise_receipt(form.cleaned_data["receipt_number"])
            status = public.public_status(receipt_number=receipt) if receipt else None
            if receipt is None:
                form.add_error("receipt_number", _("A receipt number has eight letters and digits, e.g. ABCD-2345."))
            elif status is None:
                form.add_error(
                    "receipt_number", _("No report has this receipt number. Check the number and try again.")
                )
    _describe_errors(form)
    return render(request, "intake/public_status.html", {"form": form, "status": status})


@login_not_required
@never_cache
@require_GET
def challenge_image(request: HttpRequest, key: str) -> HttpResponse:
    """The library's picture of the challenge, open without login like the form that shows it."""
    return captcha_image(request, key, scale=1)


@login_not_required
@never_cache
@require_GET
def challenge_audio(request: HttpRequest, key: str) -> HttpResponse:
    admission = public.admit(bucket=public.AUDIO, address=client_address(request))
    if not admission.allowed:
        return _limited(request, admission)
    sound = public.challenge_audio(key=key)
    if sound is None:
        raise Http404
    response = HttpResponse(sound, content_type="audio/wav")
    response["Content-Disposition"] = 'inline; filename="digits.wav"'
    return response
