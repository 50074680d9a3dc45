from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from dolbom.core import audit


class LockoutAuthenticationForm(AuthenticationForm):
    """The login form: says in Korean when login throttling (dolbom.core.login_throttle) refused the attempt
    before its password was checked, and writes every failed and refused attempt to the audit log."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed attempts. Try again in %(minutes)s minutes or ask your administrator."),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code != "invalid_login":
                raise
            detail = {
                "username": self.cleaned_data.get("username") or "",
                "address": getattr(self.request, "axes_ip_address", None),
            }
            # Both answers take the same path whether or not the account exists: a refusal checks no password at
            # all, and a wrong password is hashed even for an unknown user name (Django's ModelBackend).
            if getattr(self.request, "axes_locked_out", False):
                audit.record(None, "auth.login_refused_locked", detail=detail)
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked", params={"minutes": settings.LOCKOUT_MINUTES}
                ) from None
            audit.record(None, "auth.login_failed", detail=detail)
            raise
