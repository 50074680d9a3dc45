"""Login lockout: after DOLBOM_LOCKOUT_FAILURES failed attempts within DOLBOM_LOCKOUT_MINUTES, the user name is
refused until the window has passed, even with the right password (so guessing gains nothing)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from dolbom.core.models import LoginFailure


def _window_start() -> timezone.datetime:
    return timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES)


def is_locked(username: str) -> bool:
    recent = LoginFailure.objects.filter(username=username.lower(), at__gte=_window_start())
    return recent.count() >= settings.LOCKOUT_FAILURES


def register_failure(username: str, remote_addr: str | None) -> None:
    LoginFailure.objects.create(username=username.lower(), at=timezone.now(), remote_addr=remote_addr or None)
    # Old rows only slow the count down; they carry nothing the audit log does not already keep.
    LoginFailure.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
