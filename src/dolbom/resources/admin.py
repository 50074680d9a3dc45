"""The resources domain's reference data in the admin, per district: the district's details as the body that
receives gifts (② 기부금 단체 on a donation receipt). Each district's administrator edits their own district's row
only, and every change is audited with its values before and after, like all reference data (registry/admin.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from dolbom.core.business_number import InvalidBusinessNumber, format_business_number, parse_business_number
from dolbom.core.text import visible_text
from dolbom.registry.admin import DistrictRowAdmin, DistrictRowForm
from dolbom.resources.models import ReceiptIssuer


class ReceiptIssuerForm(DistrictRowForm):
    # Typed with dashes, or in any form `parse_business_number` folds: wider than the ten digits kept.
    registration_number = forms.CharField(
        label=ReceiptIssuer._meta.get_field("registration_number").verbose_name,
        help_text=ReceiptIssuer._meta.get_field("registration_number").help_text,
        max_length=20,
    )

    class Meta:
        model = ReceiptIssuer
        fields = ("district", "name", "registration_number", "address", "legal_basis", "default_code")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.registration_number:
            self.initial["registration_number"] = format_business_number(self.instance.registration_number)

    def clean_registration_number(self) -> str:
        try:
            return parse_business_number(self.cleaned_data["registration_number"])
        except InvalidBusinessNumber as refused:
            raise forms.ValidationError(str(refused)) from None

    def clean_name(self) -> str:
        return visible_text(self.cleaned_data["name"])

    def clean_address(self) -> str:
        return visible_text(self.cleaned_data["address"])


@admin.register(ReceiptIssuer)
class ReceiptIssuerAdmin(DistrictRowAdmin):
    form = ReceiptIssuerForm
    list_display = ("district", "name", "registration_number", "default_code")
    fields = ("district", "name", "registration_number", "address", "legal_basis", "default_code")
