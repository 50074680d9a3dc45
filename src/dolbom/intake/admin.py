"""Intake's reference data in the admin: the deadline rules of 오늘 할 일 and emergency support. Each district's
administrator sets their own district's rules, and only those; every change is audited like all reference data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dolbom.intake.models import DeadlineRule
from dolbom.registry.admin import ReferenceDataAdmin, areas_of
from dolbom.registry.models import AdministrativeArea, AreaLevel


def districts_of(request: HttpRequest) -> QuerySet[AdministrativeArea]:
    return areas_of(request).filter(level=AreaLevel.SIGUNGU)


class DeadlineRuleForm(forms.ModelForm):
    """Checks on save that the district is the administrator's own: a POST can carry any code."""

    request: HttpRequest  # set by the admin's get_form

    class Meta:
        model = DeadlineRule
        fields = ("district", "clock", "length", "unit", "counting", "source")

    def clean_district(self) -> AdministrativeArea:
        district = self.cleaned_data["district"]
        if not districts_of(self.request).filter(pk=district.pk).exists():
            raise forms.ValidationError(_("Only the district you administer can be chosen."))
        return district


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(ReferenceDataAdmin):
    form = DeadlineRuleForm
    list_display = ("district", "clock", "length", "unit", "counting", "source")
    list_filter = ("clock", "counting")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeadlineRule]:
        return super().get_queryset(request).filter(district__in=districts_of(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = districts_of(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
