"""The Django admin covers reference data only. Persons and households are left out on purpose: the admin would
bypass the scoping and the read audit that every view of personal data must go through."""

from django.contrib import admin

from dolbom.registry.models import AdministrativeArea, Agency, Staff


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "visit_capacity")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "sector", "kind", "area", "active")
    list_filter = ("sector", "kind", "active")
    search_fields = ("name",)


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "role", "agency", "active")
    list_filter = ("role", "active", "agency__sector")
    search_fields = ("display_name", "user__username")
    filter_horizontal = ("areas",)
    raw_id_fields = ("user",)
