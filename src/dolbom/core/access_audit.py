"""Refused requests and logouts in the audit log (개인정보의 안전성 확보조치 기준: access records include attempts
that were refused, not only accesses that succeeded).

A signed-in user's request that ends in a refusal — 403 (role or scope), 404 (an object outside the user's scope
answers 404 on purpose, so it cannot be told from one that does not exist), 400, 405, 413 or 429 — is recorded as
`access.denied` with the method, the path (numbers that could identify a person masked), the view, the status and
the kind of refusal; never the query string or the posted values, which may hold personal data. Anonymous
requests are not recorded: every page that shows data sends them to the login page, and recording them would let
anyone fill the log.

Rate limit: at most DOLBOM_DENIED_AUDIT_PER_MINUTE `access.denied` events per user and calendar minute, so that a
script probing ids cannot flood the log. The events already recorded are counted in the audit table itself, through
its (actor, at) index: that count is the same for every server process, so the limit holds across processes (up to
the few refusals that race each other at the same instant). What is then left out is counted in the process that
refused it, in memory: the audit table is append-only, so there is no shared counter to increment, and a cache
is per process anyway. Each process reports its own count in one `access.denied_unrecorded` event (how many, in
which minute) at that user's first request after the minute; the events of all processes add up to the total. A
count is lost only if its process stops before the user makes another request.

Logins refused because of a lock (`auth.login_refused_locked`) have no user to count against: they are limited
the same way per address and typed user name (DOLBOM_DENIED_AUDIT_PER_MINUTE per pair and minute), so that a
script hammering a locked account writes at most that many events a minute, and what is left out is written as one
`auth.login_refused_unrecorded` event at the next failed or refused login after the minute.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dolbom.core import audit
from dolbom.core.models import AuditEvent
from dolbom.core.numbers import redact
from dolbom.core.permissions import POLICY

DENIED = "access.denied"
UNRECORDED = "access.denied_unrecorded"
LOGOUT = "auth.logout"
LOGIN_REFUSED = "auth.login_refused_locked"
LOGIN_REFUSED_UNRECORDED = "auth.login_refused_unrecorded"

REASONS = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
}
# Requests that browsers make on their own, and static files: a missing one is no attempt to reach data.
_IGNORED_PATHS = ("/favicon.ico", "/robots.txt", "/apple-touch-icon", "/.well-known/")
_MAX_PATH = 200


def set_reason(request: HttpRequest, reason: str, *, permission: str = "") -> None:
    """Name the refusal more precisely than its status (the error handlers call this: "csrf", a permission)."""
    request._dolbom_denied = (reason, permission)


class _Unrecorded:
    """Refusals left out of the log by this process, per user (or per address and typed name for refused logins):
    (minute, count). A dict under a lock, because the entries must be found and removed again per key, which a
    cache cannot list; it holds one entry per throttled key at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[Hashable, tuple[datetime, int]] = {}

    def add(self, user_id: Hashable, minute: datetime) -> None:
        with self._lock:
            held = self._by_user.get(user_id)
            if held is not None and held[0] == minute:
                self._by_user[user_id] = (minute, held[1] + 1)
            else:
                # An older minute still held is reported first by the caller (take_before), so it cannot be lost.
                self._by_user[user_id] = (minute, 1)

    def over_limit(self, user_id: Hashable, minute: datetime) -> bool:
        with self._lock:
            held = self._by_user.get(user_id)
        return held is not None and held[0] == minute

    def take_before(self, user_id: Hashable, minute: datetime) -> tuple[datetime, int] | None:
        """Remove and return what is held for the user from a minute before `minute`."""
        with self._lock:
            held = self._by_user.get(user_id)
            if held is None or held[0] >= minute:
                return None
            del self._by_user[user_id]
            return held

    def take_all_before(self, minute: datetime, kind: str) -> list[tuple[Hashable, datetime, int]]:
        """Remove and return everything held from before `minute` under keys of one kind (tuples starting so)."""
        with self._lock:
            keys = [
                key
                for key, held in self._by_user.items()
                if isinstance(key, tuple) and key[0] == kind and held[0] < minute
            ]
            return [(key, *self._by_user.pop(key)) for key in keys]


_unrecorded = _Unrecorded()


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _report_unrecorded(user: Any, minute: datetime) -> None:
    held = _unrecorded.take_before(user.pk, minute)
    if held is not None:
        start, count = held
        audit.record(
            user,
            UNRECORDED,
            detail={
                "count": count,
                "from": start.isoformat(),
                "to": (start + timedelta(minutes=1)).isoformat(),
                "limit_per_minute": settings.DENIED_AUDIT_PER_MINUTE,
            },
        )


def _detail(request: HttpRequest, status: int) -> dict[str, Any]:
    reason, permission = getattr(request, "_dolbom_denied", (REASONS[status], ""))
    match = getattr(request, "resolver_match", None)
    detail: dict[str, Any] = {
        "method": request.method if request.method in ("GET", "POST", "HEAD", "PUT", "PATCH", "DELETE") else "OTHER",
        "path": redact(request.path)[:_MAX_PATH],
        "status": status,
        "reason": reason,
    }
    if match is not None and match.view_name:
        detail["view"] = match.view_name
    if permission in POLICY:  # an action name from the policy table, never free text from an exception
        detail["permission"] = permission
    return detail


def record_denied(request: HttpRequest, status: int) -> None:
    user = request.user
    minute = _minute(timezone.now())
    _report_unrecorded(user, minute)
    if _unrecorded.over_limit(user.pk, minute):
        _unrecorded.add(user.pk, minute)  # known to be over the limit: no need to count again
        return
    recorded = AuditEvent.objects.filter(actor=user, at__gte=minute, action=DENIED).count()
    if recorded >= settings.DENIED_AUDIT_PER_MINUTE:
        _unrecorded.add(user.pk, minute)
        return
    audit.record(user, DENIED, detail=_detail(request, status))


def _report_unrecorded_logins(minute: datetime) -> None:
    for key, start, count in _unrecorded.take_all_before(minute, LOGIN_REFUSED):
        _, address, name = key
        audit.record(
            None,
            LOGIN_REFUSED_UNRECORDED,
            detail={
                **dict(name),
                "address": address,
                "count": count,
                "from": start.isoformat(),
                "to": (start + timedelta(minutes=1)).isoformat(),
                "limit_per_minute": settings.DENIED_AUDIT_PER_MINUTE,
            },
        )


def record_login_refused(*, username: dict[str, str], address: str | None) -> None:
    """A login refused by the lock, recorded at most DOLBOM_DENIED_AUDIT_PER_MINUTE times per address and typed
    name (`username`: login_throttle.audit_username) and minute; the rest is counted as for refused requests."""
    minute = _minute(timezone.now())
    _report_unrecorded_logins(minute)
    key = (LOGIN_REFUSED, address, tuple(sorted(username.items())))
    if _unrecorded.over_limit(key, minute):
        _unrecorded.add(key, minute)
        return
    same = {f"detail__{field}": value for field, value in username.items()}
    recorded = AuditEvent.objects.filter(
        action=LOGIN_REFUSED, at__gte=minute, actor=None, detail__address=address, **same
    ).count()
    if recorded >= settings.DENIED_AUDIT_PER_MINUTE:
        _unrecorded.add(key, minute)
        return
    audit.record(None, LOGIN_REFUSED, detail={**username, "address": address})


def record_login_failed(*, username: dict[str, str], address: str | None) -> None:
    """A wrong password: always recorded (each one was a password checked, and there are at most as many as the
    lockout allows); also the moment to write what refused logins of an earlier minute left out."""
    _report_unrecorded_logins(_minute(timezone.now()))
    audit.record(None, "auth.login_failed", detail={**username, "address": address})


class DeniedAccessAuditMiddleware:
    """Place after AuthenticationMiddleware, and before any middleware that may refuse a request itself, so that
    it sees the final status of every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        if response.status_code in REASONS and not self._ignored(request.path):
            record_denied(request, response.status_code)
        else:
            _report_unrecorded(user, _minute(timezone.now()))
        return response

    @staticmethod
    def _ignored(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(static) or path.startswith(_IGNORED_PATHS)


@receiver(user_logged_out)
def _record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        audit.record(user, LOGOUT)
