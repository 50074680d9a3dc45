"""The Django admin covers reference data only (areas, agencies, staff), for district administrators, and only of
their own district. Persons and households are left out on purpose: the admin would bypass the scoping and the read
audit that every view of personal data goes through.

Scope applies here as everywhere: an administrator lists, edits and adds the areas, agencies and staff of their own
district; the choices offered for an area, an agency or a staff member's areas are those of the district, and the
save is checked again (a hand-made POST offers what it likes). So no one can give anyone, themselves included, a
scope beyond their own. Every change is an audit event with the values before and after.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dolbom.core.permissions import can
from dolbom.core.roles import Role
from dolbom.core.scope import scope_for
from dolbom.core.text import visible_length, visible_text
from dolbom.registry import services
from dolbom.registry.models import AREA_CODE, AdministrativeArea, Agency, AreaLevel, Staff


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


def _districts(request: HttpRequest) -> frozenset[str] | None:
    """The districts whose reference data the user administers; None: all (a superuser, for the initial setup)."""
    if request.user.is_superuser:
        return None
    return scope_for(request.user).area_codes if scope_for(request.user).sees_district else frozenset()


def areas_of(request: HttpRequest) -> QuerySet[AdministrativeArea]:
    """The district itself and its dongs."""
    districts = _districts(request)
    areas = AdministrativeArea.objects.all()
    return areas if districts is None else areas.filter(Q(code__in=districts) | Q(parent__in=districts))


def agencies_of(request: HttpRequest) -> QuerySet[Agency]:
    return Agency.objects.filter(area__in=areas_of(request))


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

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        # The values as they were, read before the save: the form has already written its own into `obj`.
        request._dolbom_before = services.reference_snapshot(type(obj).objects.filter(pk=obj.pk).first())
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """After the many-to-many fields (a staff member's areas) are saved too, so that the audit event holds the
        whole change; the admin runs all of it in one transaction."""
        super().save_related(request, form, formsets, change)
        services.audit_reference_change(
            user=request.user, obj=form.instance, before=getattr(request, "_dolbom_before", None)
        )


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


class ScopedChoicesForm(forms.ModelForm):
    """Checks on save that every area and agency chosen is the administrator's: the choices shown are narrowed
    by the admin below, but a POST can carry any id."""

    request: HttpRequest  # set by the admin's get_form

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        areas = areas_of(self.request)
        for name in ("parent", "area"):
            value = cleaned.get(name)
            if value is not None and not areas.filter(pk=value.pk).exists():
                self.add_error(name, _("Only areas of the district you administer can be chosen."))
        chosen = cleaned.get("areas")
        if chosen is not None and chosen.exclude(pk__in=areas.values("pk")).exists():
            self.add_error("areas", _("Only areas of the district you administer can be assigned."))
        agency = cleaned.get("agency")
        if agency is not None and not agencies_of(self.request).filter(pk=agency.pk).exists():
            self.add_error("agency", _("Only agencies of the district you administer can be chosen."))
        for name in ("name", "display_name"):
            if name in cleaned:
                cleaned[name] = visible_text(cleaned[name] or "")
                if visible_length(cleaned[name]) == 0:
                    self.add_error(name, _("Enter a name."))
        if isinstance(self.instance, AdministrativeArea) and self.instance._state.adding:
            self._check_new_area(cleaned)
        return cleaned

    def _check_new_area(self, cleaned: dict[str, Any]) -> None:
        """An administrator adds dongs to their district, and a dong's code is its district's code with its own
        three digits: every rule that places a record in a district (the audit log's, the scope's) reads the code,
        so a code in another district's range, or no code at all ("../zz"), would move records across districts."""
        code, parent, level = cleaned.get("code") or "", cleaned.get("parent"), cleaned.get("level")
        if not AREA_CODE.fullmatch(code):
            self.add_error("code", _("An area code is ten digits."))
        if level != AreaLevel.EUPMYEONDONG or parent is None or parent.level != AreaLevel.SIGUNGU:
            self.add_error("level", _("Add a dong, under its district."))
        elif AREA_CODE.fullmatch(code) and (code[:5] != parent.code[:5] or code == parent.code or code[8:] != "00"):
            self.add_error("code", _("A dong's code begins with its district's five digits and ends in 00."))


class ScopedAdmin(ReferenceDataAdmin):
    form = ScopedChoicesForm

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("parent", "area"):
            kwargs["queryset"] = areas_of(request)
        elif db_field.name == "agency":
            kwargs["queryset"] = agencies_of(request)
        elif db_field.name == "user":
            # A new staff record is for an account that has none yet, and never for a superuser's.
            kwargs["queryset"] = get_user_model().objects.filter(staff__isnull=True, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "areas":
            kwargs["queryset"] = areas_of(request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AdministrativeArea)
class AdministrativeAreaAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "parent", "visit_capacity")
    list_filter = ("level",)
    search_fields = ("code", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdministrativeArea]:
        return areas_of(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # An area's code is its identity in every record and file; its place in the hierarchy is not edited here.
        return ("code", "level", "parent") if obj is not None else ()


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin):
    list_display = ("name", "sector", "kind", "area", "active")
    list_filter = ("sector", "kind", "active")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return agencies_of(request)


@admin.register(Staff)
class StaffAdmin(ScopedAdmin):
    list_display = ("display_name", "user", "role", "agency", "active")
    list_filter = ("role", "active", "agency__sector")
    search_fields = ("display_name", "user__username")
    filter_horizontal = ("areas",)
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Staff]:
        """Staff working for an agency of the district; a staff member serving an area elsewhere as well is the
        other district's to edit too, but not beyond: the areas they may be given are checked on save."""
        staff = Staff.objects.select_related("user", "agency")
        if _districts(request) is None:
            return staff
        return staff.filter(agency__in=agencies_of(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Moving a staff record to another account would hand its role to whoever holds that account.
        return ("user",) if obj is not None else ()

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The city's officer works above every district: only the superuser appoints one. The narrowed choices
        # are also what a POST is checked against.
        if db_field.name == "role" and _districts(request) is not None:
            kwargs["choices"] = [choice for choice in Role.choices if choice[0] != Role.CITY_OFFICER]
        return super().formfield_for_choice_field(db_field, request, **kwargs)
