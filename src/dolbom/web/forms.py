from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from dolbom.core import audit, lockout


class LockoutAuthenticationForm(AuthenticationForm):
    """Refuses a locked user name before checking the password, and counts failures towards the lockout."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed attempts. Try again in %(minutes)s minutes or ask your administrator."),
    }

    def clean(self) -> dict[str, Any]:
        from django.conf import settings

        username = self.cleaned_data.get("username") or ""
        remote = self.request.META.get("REMOTE_ADDR") if self.request else None
        if username and lockout.is_locked(username):
            audit.record(None, "auth.login_refused_locked", detail={"username": username})
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOCKOUT_MINUTES}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                lockout.register_failure(username, remote)
                audit.record(None, "auth.login_failed", detail={"username": username})
            raise
        lockout.clear_failures(username)
        return cleaned
