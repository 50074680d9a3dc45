"""The food bank and market's pages: its stock with the lots about to expire and the won value given per dong,
and the forms that stock goods, give them out and correct a movement."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField
from dolbom.core.http import requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.core.scope import visible_or_404
from dolbom.resources.selectors import distributions_visible_to, food_banks_for
from dolbom.resources.services import foodbank as services
from dolbom.resources.views.donations import HOUSEHOLD_HELP, ReasonForm, _form_page, _household_asked, _id
from dolbom.resources.views.forms import WonField


@require_safe
@requires("resources.view_stock")
def food_bank(request: HttpRequest) -> HttpResponse:
    page = services.open_food_bank(user=request.user)
    context = {
        "page": page,
        "can_keep": can(request.user, "resources.keep_stock"),
        "year": today_kst().year,
        "active_nav": "resources",
    }
    return render(request, "resources/food_bank.html", context)


class LotForm(forms.Form):
    agency = forms.ChoiceField(label=gettext_lazy("Kept by"), required=False)
    item = forms.CharField(
        label=gettext_lazy("Item"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    unit = forms.CharField(
        label=pgettext_lazy("quantity", "Unit"), required=False, widget=forms.TextInput(attrs={"maxlength": "20"})
    )
    units = forms.IntegerField(label=gettext_lazy("How many units"), required=False, min_value=1, max_value=1_000_000)
    unit_won = WonField(label=gettext_lazy("Won value per unit"), required=False)
    received_on = KoreanDateField(label=gettext_lazy("Received on"), required=False)
    expires_on = KoreanDateField(label=gettext_lazy("Expires on"), required=False)
    lot_code = forms.CharField(
        label=gettext_lazy("Lot"), required=False, widget=forms.TextInput(attrs={"maxlength": "40"})
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Bought with public money, or given"),
        choices=[
            ("private", gettext_lazy("Given (private)")),
            ("public", gettext_lazy("Bought with public money")),
        ],
        required=False,
        initial="private",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        banks = list(food_banks_for(user))
        self.fields["agency"].choices = [("", "—"), *((str(a.pk), a.name) for a in banks)]
        if len(banks) == 1:
            self.fields["agency"].initial = str(banks[0].pk)


@requires("resources.keep_stock")
def stock_new(request: HttpRequest) -> HttpResponse:
    form = LotForm(
        request.POST if request.method == "POST" else None, user=request.user, initial={"received_on": today_kst()}
    )
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            services.stock_lot(user=request.user, agency_id=_id(data.pop("agency")), **data)
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            messages.success(request, _("The goods are in stock."))
            return redirect("resources_food_bank")
    return _form_page(request, form, _("Stock goods"), back="/resources/food-bank/")


class GiveForm(forms.Form):
    agency = forms.ChoiceField(label=gettext_lazy("From the stock of"), required=False)
    item = forms.CharField(
        label=gettext_lazy("Item"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    units = forms.IntegerField(label=gettext_lazy("How many units"), required=False, min_value=1, max_value=1_000_000)
    household = IdField(label=gettext_lazy("Household number"), required=False, help_text=HOUSEHOLD_HELP)
    event = forms.CharField(
        label=gettext_lazy("Or an event"), required=False, widget=forms.TextInput(attrs={"maxlength": "200"})
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    group = forms.CharField(
        label=gettext_lazy("Group of households"), required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        banks = list(food_banks_for(user))
        self.fields["agency"].choices = [("", "—"), *((str(a.pk), a.name) for a in banks)]
        if len(banks) == 1:
            self.fields["agency"].initial = str(banks[0].pk)


@requires("resources.keep_stock")
def give(request: HttpRequest) -> HttpResponse:
    form = GiveForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        initial={"item": request.GET.get("item", "")[:100], "household": _household_asked(request)},
    )
    if request.method == "POST":
        try:
            data = dict(valid_data(form))
            taken = services.distribute(
                user=request.user, agency_id=_id(data.pop("agency")), household_id=data.pop("household"), **data
            )
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            value = sum(d.value_won for d in taken)
            messages.success(request, _("Given out: %(value)s won of goods.") % {"value": f"{value:,}"})
            return redirect("resources_food_bank")
    intro = _("Goods go out first-expiring first; expired lots are never given.")
    return _form_page(request, form, _("Give out goods"), back="/resources/food-bank/", intro=intro)


@requires("resources.keep_stock")
def distribution_reverse(request: HttpRequest, distribution_id: int) -> HttpResponse:
    distribution = visible_or_404(distributions_visible_to(request.user), distribution_id)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.reverse_distribution(user=request.user, distribution_id=distribution.pk, **valid_data(form))
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_food_bank")
    intro = _("The units go back into their lot: %(units)s.") % {"units": distribution.units}
    return _form_page(request, form, _("Correct a distribution"), back="/resources/food-bank/", intro=intro)
