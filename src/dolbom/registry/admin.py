"""The Django admin covers reference data only, for district administrators. Persons and households are left out
on purpose: the admin would bypass the scoping and the read audit that every view of personal data goes through."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from dolbom.core.permissions import can
from dolbom.registry.models import AdministrativeArea, Agency, Staff


def _may_manage(request: HttpRequest) -> bool:
    return request.user.is_active and (request.user.is_superuser or can(request.user, "registry.manage_reference_data"))


def _site_permission(request: HttpRequest) -> bool:
    """The role decides who may use the admin, not Django's is_staff flag, so that one table of permissions rules
    all. A signed-in user without the role is refused with 403: answering False would send them to the login page,
    which sends a signed-in user straight back (a redirect loop). Anonymous users go to the login page."""
    if _may_manage(request):
        return True
    if request.user.is_authenticated:
        raise PermissionDenied("registry.manage_reference_data")
    return False


admin.site.has_permission = _site_permission


class ReferenceDataAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # referenced by history: deactivate instead


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(ReferenceDataAdmin):
    list_display = ("code", "name", "level", "parent", "visit_capacity")
    list_filter = ("level",)
    search_fields = ("code", "name")


@admin.register(Agency)
class AgencyAdmin(ReferenceDataAdmin):
    list_display = ("name", "sector", "kind", "area", "active")
    list_filter = ("sector", "kind", "active")
    search_fields = ("name",)


@admin.register(Staff)
class StaffAdmin(ReferenceDataAdmin):
    list_display = ("display_name", "user", "role", "agency", "active")
    list_filter = ("role", "active", "agency__sector")
    search_fields = ("display_name", "user__username")
    filter_horizontal = ("areas",)
    raw_id_fields = ("user",)
