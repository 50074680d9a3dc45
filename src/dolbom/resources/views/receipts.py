"""Donation receipts and the donor's page: issue a gift's receipt, print it as a PDF, record what the receipt needs
to know of the donor, and reveal a person donor's masked data for a reason."""

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

from dolbom.core.http import requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.resources.models import GiftCode
from dolbom.resources.services import receipts as services
from dolbom.resources.views.forms import DonorLegalForm


class ReceiptForm(forms.Form):
    code = forms.ChoiceField(label=gettext_lazy("Kind of gift on the receipt"), choices=GiftCode.choices)
    confirm = forms.BooleanField(label=gettext_lazy("Issue the receipt"), required=True)


def _receipt_page(request: HttpRequest, page: services.ReceiptPage, form: ReceiptForm, status: int) -> HttpResponse:
    context = {
        "page": page,
        "donation": page.donation,
        "form": form,
        "can_print": can(request.user, "resources.print_receipts"),
        "active_nav": "resources",
    }
    return render(request, "resources/receipt.html", context, status=status)


@requires("resources.record_donations")
def donation_receipt(request: HttpRequest, donation_id: int) -> HttpResponse:
    page = services.receipt_page(user=request.user, donation_id=donation_id)
    form = ReceiptForm(request.POST if request.method == "POST" else None, initial={"code": page.default_code})
    if request.method == "POST":
        try:
            data = valid_data(form)
            services.issue_receipt(user=request.user, donation_id=page.donation.pk, code=data["code"])
        except ValidationError as refused:
            show_errors(form, refused)
        else:
            return redirect("resources_donation_receipt", donation_id=page.donation.pk)
        page = services.receipt_page(user=request.user, donation_id=donation_id)
    return _receipt_page(request, page, form, 422 if request.method == "POST" else 200)


@require_safe
@requires("resources.print_receipts")
def receipt_pdf(request: HttpRequest, donation_id: int) -> HttpResponse:
    try:
        pdf = services.receipt_pdf(user=request.user, donation_id=donation_id)
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
        return redirect("resources_donation_receipt", donation_id=donation_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    # Opened in the browser's viewer; the name is for "save as". It holds a full resident number: no cache.
    response["Content-Disposition"] = f'inline; filename="{services.receipt_filename(donation_id)}"'
    response["Cache-Control"] = "private, no-store"
    return response


class RevealForm(forms.Form):
    # Its length is the service's to check (registry.services.checked_reveal_reason), as for every reveal.
    reason = forms.CharField(
        label=gettext_lazy("Reason for viewing"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "500"}),
        help_text=gettext_lazy("Such as: checking the number the donor gave for their receipt."),
    )


def _donor_page(
    request: HttpRequest,
    page: services.DonorPage,
    *,
    legal_form: DonorLegalForm | None = None,
    reveal_form: RevealForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "page": page,
        "donor": page.donor,
        "legal_form": legal_form or DonorLegalForm(),
        "reveal_form": reveal_form or RevealForm(),
        "can_record": can(request.user, "resources.record_donations"),
        "can_reveal": can(request.user, "resources.reveal_donor"),
        "active_nav": "resources",
    }
    return render(request, "resources/donor.html", context, status=status)


@require_safe
@requires("resources.view_donations")
def donor_detail(request: HttpRequest, donor_id: int) -> HttpResponse:
    return _donor_page(request, services.open_donor(user=request.user, donor_id=donor_id))


@require_POST
@requires("resources.record_donations")
def donor_legal(request: HttpRequest, donor_id: int) -> HttpResponse:
    form = DonorLegalForm(request.POST)
    try:
        services.set_donor_legal(user=request.user, donor_id=donor_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        page = services.donor_form_page(user=request.user, donor_id=donor_id)
        return _donor_page(request, page, legal_form=form, status=422)
    messages.success(request, _("The donor's details for receipts are recorded."))
    return redirect("resources_donor", donor_id=donor_id)


@require_POST
@requires("resources.reveal_donor")
def donor_reveal(request: HttpRequest, donor_id: int) -> HttpResponse:
    form = RevealForm(request.POST)
    try:
        page = services.reveal_donor(user=request.user, donor_id=donor_id, **valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        page = services.donor_form_page(user=request.user, donor_id=donor_id)
        return _donor_page(request, page, reveal_form=form, status=422)
    # Shown once, in this answer: the page is not kept by the browser or any cache.
    response = _donor_page(request, page)
    response["Cache-Control"] = "private, no-store"
    return response
