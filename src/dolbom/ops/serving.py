"""`dolbom serve --prod`: gunicorn with several worker processes, refusing to start without collected static files.

gunicorn rather than the waitress of `dolbom serve`: one waitress process holds every request in one interpreter,
where a CPU-bound page (a PDF, a large list) holds the GIL for all; gunicorn's pre-forked workers each serve one
request at a time, a worker that dies is replaced, and workers can be added without touching the code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _


def default_workers() -> int:
    """gunicorn's rule of thumb, 2 × CPUs + 1, capped: each worker holds a database connection and its memory."""
    return min(2 * (os.cpu_count() or 1) + 1, 12)


def static_problem() -> str | None:
    """Why the collected static files cannot serve every page, or None.

    In production the pages name their CSS and scripts through the manifest that `collectstatic` writes; without
    it, or with a manifest from an older version that lacks a file, every page is a 500. Checked here so that the
    server refuses to start with a sentence saying what to run instead."""
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None  # development: files served from the apps themselves
    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    run = _("Run `dolbom install` (or `dolbom manage collectstatic --noinput`), then start the server again.")
    if not manifest.is_file():
        return _("The static files are not collected: %(path)s is missing.") % {"path": manifest} + " " + run
    try:
        collected = set(json.loads(manifest.read_text(encoding="utf-8"))["paths"])
    except (OSError, ValueError, KeyError):
        return _("The static files manifest %(path)s cannot be read.") % {"path": manifest} + " " + run
    missing = sorted(
        path
        for finder in finders.get_finders()
        for path, _storage in finder.list(["CVS", ".*", "*~"])
        if path not in collected
    )
    if missing:
        message = _("The static files were collected for another version: %(count)s files are missing (%(first)s).")
        return message % {"count": len(missing), "first": missing[0]} + " " + run
    return None


def serve_prod(args: argparse.Namespace) -> int:
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from dolbom.wsgi import application  # after setup: building the application loads every app

    options: dict[str, Any] = {
        "bind": [f"{args.host}:{args.port}"],
        "workers": args.workers or default_workers(),
        "worker_class": "gthread" if (args.threads or 1) > 1 else "sync",
        "threads": args.threads or 1,
        "timeout": args.timeout,
        "graceful_timeout": 30,
        "proc_name": "dolbom",
        # The application writes its own access log (dolbom.ops.middleware.AccessLogMiddleware, JSON, no personal
        # data); gunicorn's would repeat each request with its query string and the client's address.
        "accesslog": None,
        "errorlog": "-",
        # gunicorn sets wsgi.url_scheme from X-Forwarded-Proto only for these peers; the application believes the
        # header from the same peers (TrustedProxyHeadersMiddleware), so the two never disagree.
        "forwarded_allow_ips": ",".join(settings.TRUSTED_PROXIES) or "127.0.0.1,::1",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    if settings.SECURE_SSL_REDIRECT and not settings.TRUSTED_PROXIES:
        print(
            _(
                "Warning: DOLBOM_TRUSTED_PROXIES is not set, so X-Forwarded-Proto is ignored and every plain-HTTP "
                "request is redirected to HTTPS. Behind a proxy that terminates TLS, set it to the proxy's address."
            ),
            file=sys.stderr,
            flush=True,
        )
    url = f"http://{args.host}:{args.port}/"
    message = _("Dolbom (production, %(workers)s workers): %(url)s  (Ctrl+C to stop)")
    print(message % {"workers": options["workers"], "url": url}, flush=True)
    # The checks before this opened a connection: a forked worker must not share its socket with the master.
    connections.close_all()
    Server().run()
    return 0
