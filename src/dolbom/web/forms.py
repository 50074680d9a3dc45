from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from dolbom.core import access_audit
from dolbom.core.login_throttle import audit_username


class LockoutAuthenticationForm(AuthenticationForm):
    """The login form: says in Korean when login throttling (dolbom.core.login_throttle) refused the attempt
    before its password was checked, and writes every failed and refused attempt to the audit log."""

    # Django's own message names the field by the user model's verbose name and joins it with a particle the
    # Korean catalogue cannot choose ("사용자 이름와/과"); the form says 아이디, as the field is labelled.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The user ID or the password is not right. Check both (capital letters count) and try again."
        ),
        "inactive": _("This account is not in use. Ask your administrator."),
        "locked": _("Too many failed attempts. Try again in %(minutes)s minutes or ask your administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User ID")
        self.fields["username"].error_messages["required"] = _("Type your user ID.")
        self.fields["password"].label = _("Password")
        self.fields["password"].error_messages["required"] = _("Type your password.")

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code != "invalid_login":
                raise
            # The typed name as the lockout counts it: an account's name, or the keyed hash of anything else (a
            # password or a resident number typed in the wrong field must not reach the append-only log).
            username = audit_username(self.cleaned_data.get("username"))
            address = getattr(self.request, "axes_ip_address", None)
            # Both answers take the same path whether or not the account exists: a refusal checks no password at
            # all, and a wrong password is hashed even for an unknown user name (Django's ModelBackend).
            if getattr(self.request, "axes_locked_out", False):
                access_audit.record_login_refused(username=username, address=address)
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked", params={"minutes": settings.LOCKOUT_MINUTES}
                ) from None
            access_audit.record_login_failed(username=username, address=address)
            raise
