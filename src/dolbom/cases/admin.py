"""Case management's reference data in the admin, per district: the case types (일반사례, 고난도사례 and any the
district adds), the deadline rules and the settings (extensions, follow-up checks). Each district's administrator
edits only their own district's rows, audited like all reference data (registry/admin.py). A changed rule moves
the due dates of the district's cases at once."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from dolbom.cases.models import CaseClockRule, CaseSettings, CaseType
from dolbom.cases.services.cases import case_types, refresh_district_dues
from dolbom.registry.admin import DistrictRowAdmin, districts_of


class RuleAdmin(DistrictRowAdmin):
    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        refresh_district_dues(district_code=obj.district_id)


@admin.register(CaseType)
class CaseTypeAdmin(DistrictRowAdmin):
    list_display = ("name", "tier", "duration_months", "district", "active")
    list_filter = ("tier", "active")
    fields = ("district", "name", "tier", "duration_months", "active")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The district's types in force, the two defaults included before anyone has opened a case."""
        for code in districts_of(request).values_list("code", flat=True):
            case_types(district_code=code, user=request.user)
        return super().changelist_view(request, extra_context)


@admin.register(CaseClockRule)
class CaseClockRuleAdmin(RuleAdmin):
    list_display = ("district", "clock", "length", "unit", "counting", "source")
    list_filter = ("clock",)
    fields = ("district", "clock", "length", "unit", "counting", "source")


@admin.register(CaseSettings)
class CaseSettingsAdmin(RuleAdmin):
    list_display = ("district", "extension_months", "max_extensions", "follow_up_checks", "source")
    fields = ("district", "extension_months", "max_extensions", "follow_up_checks", "source")
