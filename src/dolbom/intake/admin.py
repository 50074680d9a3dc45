"""Intake's reference data in the admin, per district: the rules for reaching households (tries, days between
tries), the deadline rules of 오늘 할 일 and emergency support, and the crisis scale (위기도). Each district's
administrator edits their own district's rows, and only those; every change is audited like all reference data
(see registry/admin.py). Crisis levels are never deleted — assessments keep the level they chose —; one no longer
used is marked so."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from dolbom.intake.models import CrisisLevel, DeadlineRule, IntakePolicy
from dolbom.intake.services.consultations import crisis_scale
from dolbom.registry.admin import DistrictRowAdmin, districts_of


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
