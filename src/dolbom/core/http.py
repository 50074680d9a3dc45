"""What every view shares, so that each domain's views stay a few lines: typed request parameters (a malformed
one is a 400 with a Korean message, never a 500), a service's refusal shown on its form, and the htmx convention
for a refused change (status 422 with the re-rendered fragment, which `base.html` lets htmx swap in).

The domain contract (docs/architecture.md): a view parses the request with a form, calls one selector or
service, and renders. Permission is checked once, where the work is done: a service checks its own (it is also
called from the command line), and a page that only reads declares its action with `@requires`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from dolbom.core.permissions import ensure_can

# A refused change answered to htmx: the fragment is swapped in with its error (see base.html).
REFUSED = 422

View = TypeVar("View", bound=Callable[..., HttpResponse])


def requires(action: str) -> Callable[[View], View]:
    """A page for the roles that may perform `action` (core.permissions.POLICY); the others get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            ensure_can(request.user, action)
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def parse_query(request: HttpRequest, form_class: type[forms.Form]) -> dict[str, Any]:
    """The query string read through a form: its cleaned values, or a 400 naming the parameter. Parameters the
    form leaves optional and the request omits come back as the form's empty values."""
    form = form_class(request.GET)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise BadRequest(
            _("The address has an invalid value for “%(field)s”: %(error)s")
            % {
                "field": field,
                "error": errors[0],
            }
        )
    return form.cleaned_data


class InvalidForm(ValidationError):
    """A form's own errors raised as a refusal, so that one `except ValidationError` answers both a malformed form
    and a service's refusal with the form, its errors and what was typed (see `valid_data`)."""

    def __init__(self, form: forms.Form) -> None:
        super().__init__(form.errors.as_data())
        self.form = form


def valid_data(form: forms.Form) -> dict[str, Any]:
    """The form's cleaned data, or InvalidForm. A view must never call a service with what is left of an invalid
    form: a field that failed (a note over its length) is missing from `cleaned_data`, and the change would be
    made without it, silently. Used inside the view's `try`, after `@requires` has refused the roles that may not
    act at all."""
    if not form.is_valid():
        raise InvalidForm(form)
    return form.cleaned_data


def show_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: messages for a field the form has go to that field, the rest on top.

    A service's message about a field replaces the form's own about the same field: one message, in the domain's
    words ("only an officer of this dong"), not two. The form's own errors raised by `valid_data` are already on it."""
    if getattr(error, "form", None) is form:
        return  # the form's own errors (valid_data): already on it
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        if target is not None and form.errors.get(target):
            del form.errors[target]
        form.add_error(target, messages)


def run_step(
    form: forms.Form,
    act: Callable[[dict[str, Any]], Any],
    *,
    refused: Callable[[forms.Form], HttpResponse],
    done: Callable[[], HttpResponse],
) -> HttpResponse:
    """One step posted from an object's page (a case, a linkage, an emergency support): parse the form and run the
    service with its data. A refusal answers with `refused(form)` — the object's page with the form, its errors
    and what was typed; a success with `done()`, usually a redirect back to the page."""
    try:
        act(valid_data(form))
    except ValidationError as error:
        show_errors(form, error)
        return refused(form)
    return done()


def error_text(error: ValidationError) -> str:
    """A refusal as one line, for a table row answered to htmx."""
    return " ".join(error.messages)
