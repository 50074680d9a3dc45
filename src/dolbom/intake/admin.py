"""Intake's reference data in the admin, per district: the rules for reaching households (tries, days between
tries), the deadline rules of 오늘 할 일 and emergency support, and the crisis scale (위기도). Each district's
administrator edits their own district's rows, and only those; every change is audited like all reference data
(see registry/admin.py). Crisis levels are never deleted — assessments keep the level they chose —; one no longer
used is marked so."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from dolbom.intake.models import CrisisLevel, DeadlineRule, IntakePolicy
from dolbom.intake.services.consultations import crisis_scale
from dolbom.registry.admin import ReferenceDataAdmin, areas_of
from dolbom.registry.models import AdministrativeArea, AreaLevel


def districts_of(request: HttpRequest) -> QuerySet[AdministrativeArea]:
    return areas_of(request).filter(level=AreaLevel.SIGUNGU)


class DistrictRowForm(forms.ModelForm):
    """Checks on save that the district is the administrator's own: the choices shown are narrowed, a POST is
    not."""

    request: HttpRequest  # set by the admin's get_form

    def clean_district(self) -> AdministrativeArea:
        district = self.cleaned_data["district"]
        if not districts_of(self.request).filter(pk=district.pk).exists():
            raise forms.ValidationError(_("Only the district you administer can be chosen."))
        return district


class DistrictRowAdmin(ReferenceDataAdmin):
    """Rows that belong to one district: listed, offered and checked for the administrator's districts only."""

    form = DistrictRowForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(district__in=districts_of(request)).select_related("district")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A row belongs to its district: moving it would change what another district's records mean.
        return ("district",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = districts_of(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(IntakePolicy)
class IntakePolicyAdmin(DistrictRowAdmin):
    list_display = ("district", "tries_before_unreachable", "retry_after_days")
    fields = ("district", "tries_before_unreachable", "retry_after_days")


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(DistrictRowAdmin):
    list_display = ("district", "clock", "length", "unit", "counting", "source")
    list_filter = ("clock", "counting")
    fields = ("district", "clock", "length", "unit", "counting", "source")


@admin.register(CrisisLevel)
class CrisisLevelAdmin(DistrictRowAdmin):
    list_display = ("name", "order", "district", "active", "description")
    list_filter = ("active",)
    ordering = ("district", "order", "pk")
    fields = ("district", "name", "order", "description", "active")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The administrator sees the scale in force, the default one included before anyone has used it, so
        that it can be edited before the first assessment."""
        for code in districts_of(request).values_list("code", flat=True):
            crisis_scale(district_code=code, user=request.user)
        return super().changelist_view(request, extra_context)
