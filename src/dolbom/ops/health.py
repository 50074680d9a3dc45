"""/healthz for monitoring: the database answers, the keys work, DOLBOM_HOME is writable.

No login, so a load balancer or a monitoring probe can call it; it names only the checks and whether each passed,
never a host, a path, a key or an error text. 200 when all pass, 503 naming the ones that failed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dolbom.ops.key_checks import key_problems


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _keys() -> bool:
    return not key_problems()


def _storage() -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=settings.HOME, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
        return True
    except OSError:
        return False


CHECKS: dict[str, Callable[[], bool]] = {"database": _database, "keys": _keys, "storage": _storage}


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    results = {name: "ok" if check() else "failed" for name, check in CHECKS.items()}
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "failed", "checks": results}, status=200 if healthy else 503)
