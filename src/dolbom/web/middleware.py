"""The answer to a request method an address does not take (405): the application's own Korean page, with the
`Allow` header, instead of Django's empty response that a browser shows as a blank page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

# Every page is read with GET (and HEAD) and every form sent with POST; nothing in the application takes PUT, PATCH,
# DELETE or OPTIONS (no cross-origin client is served), so they are refused before any view, which a plain view
# would otherwise answer as if it were a GET.
ACCEPTED_METHODS = ("GET", "HEAD", "POST")


class MethodNotAllowedPageMiddleware:
    """Place after AuthenticationMiddleware (the page shows the user's menu) and inside the denied-access audit
    (which records the 405)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ACCEPTED_METHODS:
            response: HttpResponse = HttpResponseNotAllowed(ACCEPTED_METHODS)
        else:
            response = self.get_response(request)
        # require_POST and class-based views answer an empty 405 naming the methods the view takes.
        if response.status_code == 405 and not getattr(response, "streaming", False) and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", ", ".join(ACCEPTED_METHODS))
            return page
        return response
