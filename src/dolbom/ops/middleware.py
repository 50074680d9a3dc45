"""Middleware for serving behind a reverse proxy: which forwarded headers to believe, and the JSON access log."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from dolbom.core.numbers import redact

access_log = logging.getLogger("dolbom.access")

# The headers a TLS-terminating proxy sets about the original request. Django reads X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER for every request, whoever sent it: a client reaching the server directly could claim
# HTTPS (and get secure cookies over plain HTTP, or dodge the redirect). Only our proxies may say it.
_FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


@cache
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the connection comes from one of DOLBOM_TRUSTED_PROXIES (addresses or networks)."""
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


class TrustedProxyHeadersMiddleware:
    """Place first: removes the forwarded headers of a request that did not come through a trusted proxy, before
    SecurityMiddleware decides on the HTTPS redirect. Behind the proxy, X-Forwarded-Proto: https then makes the
    request secure, so the redirect is not sent again and again (the loop of a proxy that terminates TLS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not from_trusted_proxy(request):
            for header in _FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)


def _user_id(request: HttpRequest) -> int | None:
    """The account's id if the request already knew its user: the log must not query the session itself (one more
    query per request, and a failure of its own while the database is away)."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", empty)
    if wrapped is empty or wrapped is None or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class AccessLogMiddleware:
    """One JSON object per request on the `dolbom.access` logger: time, method, path, status, duration, user id.

    Hand-written because the server's own access log (gunicorn's, waitress's) knows neither the user nor which
    parts of a request are personal. What it leaves out on purpose: the query string (a search for a name or a
    number is a GET), the client's address, user agent and referrer; numbers that could be a resident, phone or
    card number in the path are masked. Place first, so that it sees the final status and the whole time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not access_log.isEnabledFor(logging.INFO):
            return self.get_response(request)
        started = time.perf_counter()
        at = datetime.now(UTC)
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "OTHER"
        entry = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": method,
            "path": redact(request.path)[:300],
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user": _user_id(request),
        }
        access_log.info(json.dumps(entry, ensure_ascii=False))
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
