"""Intake's reference data in the admin: the district's crisis scale (위기도), edited by the district's administrator
for their own district only, like every reference datum (see registry/admin.py). Levels are never deleted —
assessments keep the level they chose —; one no longer used is marked so."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from dolbom.intake.models import CrisisLevel
from dolbom.intake.services.consultations import crisis_scale
from dolbom.registry.admin import ReferenceDataAdmin, areas_of
from dolbom.registry.models import AdministrativeArea, AreaLevel


def districts_of(request: HttpRequest) -> QuerySet[AdministrativeArea]:
    return areas_of(request).filter(level=AreaLevel.SIGUNGU)


class CrisisLevelForm(forms.ModelForm):
    """Checks on save that the district is the administrator's: the choices shown are narrowed, a POST is not."""

    request: HttpRequest  # set by the admin's get_form

    class Meta:
        model = CrisisLevel
        fields = ["district", "name", "order", "description", "active"]

    def clean_district(self) -> AdministrativeArea:
        district = self.cleaned_data["district"]
        if not districts_of(self.request).filter(pk=district.pk).exists():
            raise forms.ValidationError(_("Only the district you administer can be chosen."))
        return district


@admin.register(CrisisLevel)
class CrisisLevelAdmin(ReferenceDataAdmin):
    form = CrisisLevelForm
    list_display = ("name", "order", "district", "active", "description")
    list_editable = ()
    list_filter = ("active",)
    ordering = ("district", "order", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CrisisLevel]:
        return CrisisLevel.objects.filter(district__in=districts_of(request)).select_related("district")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A level belongs to its district's scale: moving it would change other assessments' meaning.
        return ("district",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = districts_of(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The administrator sees the scale in force, the default one included before anyone has used it, so
        that it can be edited before the first assessment."""
        for code in districts_of(request).values_list("code", flat=True):
            crisis_scale(district_code=code, user=request.user)
        return super().changelist_view(request, extra_context)
