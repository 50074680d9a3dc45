"""A guard against absurdly long request parameters (a 50,000-character search once ended in a database error).

Every GET parameter, and every field of a form posted as application/x-www-form-urlencoded, longer than
DOLBOM_MAX_FIELD_LENGTH characters (name or value) is refused with 400 and a Korean page, before any view runs.
Multipart uploads are left to their views: reading their body here would parse the upload before the view can
choose how (the signal import streams it to a private temporary file), and Django already bounds their non-file
fields (DATA_UPLOAD_MAX_MEMORY_SIZE). Views still validate their own parameters; this only keeps the absurd out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _


class InputTooLong(BadRequest):
    """A 400 whose page tells the user what to do (see web.views.bad_request)."""

    user_message = _("An entry in this request is far too long. Shorten what you typed and try again.")


def _too_long(params: QueryDict, limit: int) -> bool:
    return any(len(key) > limit or any(len(v) > limit for v in values) for key, values in params.lists())


class ParameterLengthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_FIELD_LENGTH
        if _too_long(request.GET, limit):
            raise InputTooLong("a GET parameter is longer than DOLBOM_MAX_FIELD_LENGTH")
        form = request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
        if form and _too_long(request.POST, limit):
            raise InputTooLong("a POST field is longer than DOLBOM_MAX_FIELD_LENGTH")
        return self.get_response(request)
