"""The donations ledger's pages: the ledger with each fund's balance, and the forms that add a donor, receive a
gift, allocate money, start a sponsorship, pay the month's sponsorships and correct an entry. Receipts and the
donor's page are views/receipts.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import LARGEST_ID, IdField, KoreanDateField
from dolbom.core.http import requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.core.scope import visible_or_404
from dolbom.registry.selectors import areas_visible_to
from dolbom.resources.models import Designation, DonorKind, GiftKind
from dolbom.resources.selectors import (
    donations_visible_to,
    donors_visible_to,
    food_banks_for,
    funds_visible_to,
    ledger_allocations_visible_to,
)
from dolbom.resources.services import donations as services
from dolbom.resources.views.forms import DonorLegalForm, WonField

HOUSEHOLD_HELP = gettext_lazy("The number shown on the household's page.")


class DonorForm(DonorLegalForm):
    field_order = ["kind", "name", "phone", "anonymous", "consent_on"]

    kind = forms.ChoiceField(label=gettext_lazy("Kind of donor"), choices=DonorKind.choices)
    name = forms.CharField(
        label=gettext_lazy("Name"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"), required=False, widget=forms.TextInput(attrs={"maxlength": "20"})
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Wishes to stay anonymous"), required=False)
    consent_on = KoreanDateField(label=gettext_lazy("A person: consented to keeping their data on"), required=False)


class DonationForm(forms.Form):
    donor = forms.ChoiceField(label=gettext_lazy("Donor"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of gift"), choices=GiftKind.choices, widget=forms.RadioSelect, initial=GiftKind.CASH
    )
    received_on = KoreanDateField(label=gettext_lazy("Received on"), required=False)
    designation = forms.ChoiceField(
        label=gettext_lazy("Designation"),
        initial=Designation.GENERAL,
        choices=[c for c in Designation.choices if c[0] != Designation.HOUSEHOLD],
    )
    dong = forms.ChoiceField(label=gettext_lazy("Designated dong"), required=False)
    purpose = forms.CharField(
        label=gettext_lazy("Designated purpose"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    group = forms.CharField(
        label=gettext_lazy("Designated group of households"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "100"}),
    )
    amount_won = WonField(label=gettext_lazy("Cash: amount (won)"), required=False)
    description = forms.CharField(
        label=gettext_lazy("What was given"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"})
    )
    agency = forms.ChoiceField(label=gettext_lazy("Goods: kept by"), required=False)
    item = forms.CharField(
        label=gettext_lazy("Goods: item"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    unit = forms.CharField(
        label=gettext_lazy("Goods: unit"), required=False, widget=forms.TextInput(attrs={"maxlength": "20"})
    )
    units = forms.IntegerField(
        label=gettext_lazy("Goods: how many units"), required=False, min_value=1, max_value=1_000_000
    )
    unit_won = WonField(label=gettext_lazy("Goods: won value per unit"), required=False)
    expires_on = KoreanDateField(label=gettext_lazy("Goods: expires on"), required=False)
    lot_code = forms.CharField(
        label=gettext_lazy("Goods: lot"), required=False, widget=forms.TextInput(attrs={"maxlength": "40"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor"].choices = [("", "—"), *((str(d.pk), d.public_name) for d in donors_visible_to(user))]
        self.fields["dong"].choices = [("", "—"), *((a.code, a.name) for a in areas_visible_to(user))]
        self.fields["agency"].choices = [("", "—"), *((str(a.pk), a.name) for a in food_banks_for(user))]


def _id(value: str) -> int | None:
    return int(value) if value else None


def _household_asked(request: HttpRequest) -> str:
    """The household a link from its page names (`?household=`), to start the form with; anything else, nothing."""
    value = request.GET.get("household", "")
    return value if value.isascii() and value.isdigit() and len(value) <= 18 else ""


@require_safe
@requires("resources.view_donations")
def ledger(request: HttpRequest) -> HttpResponse:
    page = services.open_ledger(user=request.user)
    context = {
        "page": page,
        "totals": page.totals,
        "can_record": can(request.user, "resources.record_donations"),
        "can_allocate": can(request.user, "resources.allocate"),
        "month": today_kst().strftime("%Y-%m"),
        "active_nav": "resources",
    }
    return render(request, "resources/ledger.html", context)


def _form_page(request: HttpRequest, form: forms.Form, title: str, *, back: str, intro: str = "") -> HttpResponse:
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": title, "back": back, "intro": intro, "active_nav": "resources"}
    return render(request, "resources/simple_form.html", context, status=status)


@requires("resources.record_donations")
def donor_new(request: HttpRequest) -> HttpResponse:
    form = DonorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.add_donor(user=request.user, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_donation_new")
    return _form_page(request, form, _("Add a donor"), back="/resources/donations/")


@requires("resources.record_donations")
def donation_new(request: HttpRequest) -> HttpResponse:
    form = DonationForm(
        request.POST if request.method == "POST" else None, user=request.user, initial={"received_on": today_kst()}
    )
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            services.receive_donation(
                user=request.user,
                donor_id=_id(data.pop("donor")),
                dong_code=data.pop("dong"),
                agency_id=_id(data.pop("agency")),
                **data,
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The gift is recorded."))
            return redirect("resources_ledger")
    intro = _("Cash goes into the fund of its designation; goods are stocked at once at the food bank that keeps them.")
    return _form_page(request, form, _("Receive a gift"), back="/resources/donations/", intro=intro)


class FundField(forms.ChoiceField):
    """The fund money comes out of, offered among the funds the user sees. Any other id is left to the service,
    which answers 404 for a fund outside the user's scope as for every row outside it, so that a hand-made id meets
    the same refusal however it is sent (a choice field would answer it with the form's error instead)."""

    def valid_value(self, value: Any) -> bool:
        text = str(value)
        return text.isascii() and text.isdigit() and 0 < int(text) <= LARGEST_ID


class AllocationForm(forms.Form):
    fund = FundField(label=gettext_lazy("From the fund"), required=False)
    amount_won = WonField(label=gettext_lazy("Amount (won)"), required=False)
    on = KoreanDateField(label=gettext_lazy("Date"), required=False)
    household = IdField(label=gettext_lazy("Household number"), required=False, help_text=HOUSEHOLD_HELP)
    programme = forms.CharField(
        label=gettext_lazy("Or a programme"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"})
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    group = forms.CharField(
        label=gettext_lazy("Group of households"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].choices = [("", "—"), *((str(f.pk), f.label) for f in funds_visible_to(user))]


@requires("resources.allocate")
def allocation_new(request: HttpRequest) -> HttpResponse:
    form = AllocationForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"on": today_kst(), "household": _household_asked(request)},
    )
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            services.allocate(
                user=request.user, fund_id=_id(data.pop("fund")), household_id=data.pop("household"), **data
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The allocation is recorded."))
            return redirect("resources_ledger")
    intro = ""
    if len(form.fields["fund"].choices) == 1:  # only the empty choice
        intro = _("There is no fund you may give from yet: a fund appears here once a gift is received for it.")
    return _form_page(request, form, _("Allocate donated money"), back="/resources/donations/", intro=intro)


class SponsorshipForm(forms.Form):
    donor = forms.ChoiceField(label=gettext_lazy("Donor"), required=False)
    household = IdField(label=gettext_lazy("Household number"), required=False, help_text=HOUSEHOLD_HELP)
    monthly_won = WonField(label=gettext_lazy("Amount a month (won)"), required=False)
    starts_on = KoreanDateField(label=gettext_lazy("From"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor"].choices = [("", "—"), *((str(d.pk), d.public_name) for d in donors_visible_to(user))]


@requires("resources.record_donations")
def sponsorship_new(request: HttpRequest) -> HttpResponse:
    form = SponsorshipForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"starts_on": today_kst().replace(day=1), "household": _household_asked(request)},
    )
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            services.start_sponsorship(
                user=request.user, donor_id=_id(data.pop("donor")), household_id=data.pop("household"), **data
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The sponsorship is recorded."))
            return redirect("resources_ledger")
    return _form_page(request, form, _("Start a sponsorship"), back="/resources/donations/")


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$",  # ASCII digits only: the month is compared as text
        error_messages={"invalid": gettext_lazy("Enter the month as 2026-12.")},
    )


@require_POST
@requires("resources.record_donations")
def sponsorships_pay(request: HttpRequest) -> HttpResponse:
    form = MonthForm(request.POST)
    try:
        paid = services.pay_sponsorships(user=request.user, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _form_page(request, form, _("Pay the month's sponsorships"), back="/resources/donations/")
    messages.success(request, _("%(count)s sponsorship payments recorded.") % {"count": len(paid)})
    return redirect("resources_ledger")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "200"}),
    )


@requires("resources.record_donations")
def donation_reverse(request: HttpRequest, donation_id: int) -> HttpResponse:
    donation = visible_or_404(donations_visible_to(request.user), donation_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.reverse_donation(user=request.user, donation_id=donation.pk, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_ledger")
    intro = _("A correction is recorded as an entry of the opposite amount: %(amount)s won.") % {
        "amount": f"{donation.amount_won:,}"
    }
    return _form_page(request, form, _("Correct a gift"), back="/resources/donations/", intro=intro)


@requires("resources.allocate")
def allocation_reverse(request: HttpRequest, allocation_id: int) -> HttpResponse:
    allocation = visible_or_404(ledger_allocations_visible_to(request.user), allocation_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.reverse_allocation(user=request.user, allocation_id=allocation.pk, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_ledger")
    intro = _("A correction is recorded as an entry of the opposite amount: %(amount)s won.") % {
        "amount": f"{allocation.amount_won:,}"
    }
    return _form_page(request, form, _("Correct an allocation"), back="/resources/donations/", intro=intro)
