"""The `dolbom` command: demo, serve, generate, load, audit, and Django's management commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import django
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command, execute_from_command_line
from django.utils.translation import gettext

from dolbom.discovery.cli import register as register_discovery
from dolbom.eligibility.cli import register as register_eligibility
from dolbom.lab.cli import register as register_lab
from dolbom.ops.backup import register as register_backup
from dolbom.ops.install import register as register_install
from dolbom.ops.keys import register as register_keys
from dolbom.ops.retention import register as register_retention
from dolbom.ops.worker import register as register_worker
from dolbom.ops.worker import remove_leftovers_and_interrupted, worker_beside
from dolbom.registry.cli import register as register_registry_import
from dolbom.resources.cli import register as register_resources
from dolbom.synth.cli import register as register_synth

# Each command imports what it runs when it runs: most of it imports the models, which Django allows only after
# `django.setup()`, and the rest (the generator's numpy and pyarrow, the web server) would slow every command.

DEMO_SEED = 20261123
DEMO_HOUSEHOLDS = 20_000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    django.setup()


def _manage(*args: str, **options: object) -> None:
    call_command(*args, **options)


def cmd_generate(args: argparse.Namespace) -> int:
    from dolbom.synth.generate import generate_city  # numpy and pyarrow: only this command and demo need them

    started = time.perf_counter()
    summary = generate_city(Path(args.out), households=args.households, seed=args.seed)
    print(f"{summary} in {time.perf_counter() - started:.1f} s → {args.out}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from dolbom.synth.load import LoadError, load_city  # after setup: imports the models

    started = time.perf_counter()
    try:
        summary = load_city(Path(args.city))
    except LoadError as exc:
        print(f"not loaded: {exc}", file=sys.stderr)
        return 1
    print(f"{summary} in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    remove_leftovers_and_interrupted()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from dolbom.ops.serving import serve_prod, static_problem

    problem = static_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    remove_leftovers_and_interrupted()
    return serve_prod(args) if args.prod else _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from waitress import serve

    from dolbom.core.tabular.limits import Limits  # after setup: reads the settings
    from dolbom.wsgi import application  # after setup: building the application loads every app

    # Waitress buffers a whole request before the application sees it: no body larger than the largest signal file
    # (and its form) is worth receiving. Smaller files over their own format's limit are stopped by the upload page.
    ceiling = Limits.from_settings().request_ceiling
    print(gettext("Dolbom: %(url)s  (Ctrl+C to stop)") % {"url": f"http://{args.host}:{args.port}/"}, flush=True)
    # Waitress drops X-Forwarded-For by default; with DOLBOM_TRUSTED_PROXIES set it passes the header on, and the
    # application believes it only from those proxies (dolbom.core.login_throttle.client_address).
    forwarded = {"clear_untrusted_proxy_headers": False} if settings.TRUSTED_PROXIES else {}
    with worker_beside() if not args.no_worker else nullcontext():
        serve(
            application,
            host=args.host,
            port=args.port,
            threads=args.threads or 8,
            ident="dolbom",
            max_request_body_size=ceiling,
            **forwarded,
        )
    return 0


def _current_city(city: Path) -> bool:
    """Whether the folder holds a city written by this generator: an older layout (signal files for the whole city
    instead of per district, say) is written again rather than served with paths the README no longer names."""
    from dolbom.synth.generate import GENERATOR_VERSION  # numpy and pyarrow: only when the demo needs them

    manifest = city / "manifest.json"
    if not manifest.exists():
        return False
    return json.loads(manifest.read_text(encoding="utf-8")).get("generator_version") == GENERATOR_VERSION


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from dolbom.registry.models import Household  # these four after setup: they import the models
    from dolbom.synth.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from dolbom.synth.generate import generate_city
    from dolbom.synth.load import load_city, load_resources

    home = Path(settings.HOME)
    print(f"Data folder: {home}")
    print(f"Development keys: {settings.KEYS_FILE} (generated on first run; production reads the environment)")
    _manage("migrate", "--no-input", verbosity=0)
    remove_leftovers_and_interrupted()
    city = home / f"city-{args.households}-{args.seed}"
    if not _current_city(city):
        started = time.perf_counter()
        print(f"Generating a synthetic city of {args.households:,} households …", flush=True)
        generate_city(city, households=args.households, seed=args.seed)
        print(f"  done in {time.perf_counter() - started:.1f} s → {city}")
    if not Household.objects.exists():
        started = time.perf_counter()
        print("Loading the city into the database …", flush=True)
        print(f"  {load_city(city)} in {time.perf_counter() - started:.1f} s")
    else:
        started = time.perf_counter()
        added = load_resources(city)
        if added is not None:
            print(f"Added the districts' resources: {added} in {time.perf_counter() - started:.1f} s")
    accounts = ensure_demo_accounts()
    print(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for account in accounts:
        print(f"  {account.username:<18} {account.role_label} — {account.where}")
    if args.no_serve:
        return 0
    return _serve(args)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from dolbom.core import audit  # after setup: imports the models

    path = Path(args.anchors) if args.anchors else audit.anchor_file()
    if args.anchors and not path.is_file():
        print(_("Anchor file not found: %(path)s") % {"path": path}, file=sys.stderr)
        return 2
    result = audit.verify(anchors=path)
    for problem in result.problems:
        print(f"{problem.where} {problem.message}".strip())
    for note in result.notes:
        print(note)
    if not result.intact:
        print(_("The audit log has been altered: %(count)s problem(s).") % {"count": len(result.problems)})
        return 1
    values = {"events": f"{result.events:,}", "anchors": f"{result.anchors:,}", "path": path}
    print(_("The audit log is intact: %(events)s events and %(anchors)s anchors (%(path)s) verified.") % values)
    return 0


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from dolbom.core import audit  # after setup: imports the models

    path = Path(args.file) if args.file else audit.anchor_file()
    try:
        anchored = audit.anchor(path)
    except audit.AnchorRefused as refused:
        message = _("Not anchored: event %(seq)s: %(reason)s. Run `dolbom audit verify`.")
        print(message % {"seq": refused.seq, "reason": refused}, file=sys.stderr)
        return 1
    values = {"seq": anchored.seq, "hash": anchored.hash[:16], "path": path}
    print(_("Anchored the log up to event %(seq)s (%(hash)s…) in %(path)s") % values)
    return 0


def cmd_audit_searched(args: argparse.Namespace) -> int:
    """Who searched for a resident number, a phone number or a name (a person asking who looked them up, an
    inquiry): the log keeps such searches masked with a keyed hash, which this command, running where the key
    is, computes for the text given and finds. The text is read as the search page reads it."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from dolbom.core import audit
    from dolbom.core.crypto import purpose_hashes
    from dolbom.core.models import AuditEvent
    from dolbom.registry.selectors import parse_search

    query = parse_search(args.text)
    detail = query.audit_detail
    if "hash" not in detail:
        print(_("Give a full resident, phone or card number, or a name: other searches are kept as typed."))
        return 2
    # Under every configured lookup key: searches logged before a rotation keep the old key's hash (an inquiry
    # into them puts the retired key back in DOLBOM_RRN_HMAC_OLD_KEYS for the time of the command).
    hashes = purpose_hashes("audit.search", f"{query.kind}={query.value}")
    events = AuditEvent.objects.filter(action="registry.search", detail__hash__in=hashes).select_related("actor")
    count = 0
    for event in events.order_by("seq").iterator():
        count += 1
        who = getattr(getattr(event.actor, "staff", None), "display_name", "") or getattr(event.actor, "username", "")
        at = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M")
        found = _("%(n)s households found") % {"n": event.detail.get("total", event.detail.get("results", "?"))}
        print(f"#{event.seq}\t{at}\t{who}\t{event.detail.get('query', '')}\t{found}")
    print(_("%(n)s searches for %(query)s.") % {"n": f"{count:,}", "query": detail["query"]})
    # The inquiry is a reading of the log about one person: it is in the log too (masked, with the same hash).
    audit.record(None, "core.audit_inquiry", detail={**detail, "found": count})
    return 0


def _database_problem() -> str | None:
    """Why the database cannot serve a command, or None. Asked once, before every command that needs it, so that
    a database never migrated (or not reachable) gets a sentence saying what to do instead of a traceback."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils.translation import gettext as _

    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        db = connection.settings_dict
        where = f"{db['HOST']}:{db['PORT']}/{db['NAME']}" if db.get("HOST") else str(db["NAME"])
        message = _("Cannot reach the database (%(where)s); check DOLBOM_DATABASE_URL and the server: %(error)s")
        return message % {"where": where, "error": " ".join(str(exc).split())}
    if pending:
        return _("The database is not ready: `dolbom manage migrate` or `make demo`")
    return None


def _with_django(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command that needs the database: Django set up, and the database reachable and migrated."""

    def run(args: argparse.Namespace) -> int:
        _setup_django()
        problem = _database_problem()
        if problem:
            print(problem, file=sys.stderr)
            return 2
        return command(args)

    return run


def _with_settings(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command that needs Django's settings but not this machine's database."""

    def run(args: argparse.Namespace) -> int:
        _setup_django()
        return command(args)

    return run


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    execute_from_command_line(["dolbom manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dolbom", description="Dolbom welfare outreach and case management")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--threads", type=int, help="threads per process (default: 8, or 1 with --prod)")
        p.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a background-job worker beside the server (--prod never does: run `dolbom worker`)",
        )

    demo = sub.add_parser("demo", help="generate and load the demo city if needed, then serve it")
    demo.add_argument("--households", type=int, default=DEMO_HOUSEHOLDS)
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--no-serve", action="store_true", help="prepare everything, do not start the server")
    add_server_options(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the web application (removes what killed imports left, first)")
    add_server_options(serve)
    serve.add_argument("--prod", action="store_true", help="the production server: gunicorn, several processes")
    serve.add_argument("--workers", type=int, help="worker processes with --prod (default: 2 × CPUs + 1, at most 12)")
    serve.add_argument("--timeout", type=int, default=600, help="seconds before a stuck worker is restarted (--prod)")
    serve.set_defaults(func=_with_django(cmd_serve))

    cleanup = sub.add_parser(
        "cleanup", help="remove what unfinished imports and rounds left on disk (uploads, staging, orphan files)"
    )
    cleanup.set_defaults(func=_with_django(cmd_cleanup))

    generate = sub.add_parser("generate", help="write a deterministic synthetic city as Parquet and signal files")
    generate.add_argument("--households", type=int, default=DEMO_HOUSEHOLDS)
    generate.add_argument("--seed", type=int, default=DEMO_SEED)
    generate.add_argument("--out", required=True)
    generate.set_defaults(func=cmd_generate)

    load = sub.add_parser("load", help="bulk-load a generated city into the database (one transaction)")
    load.add_argument("city")
    load.set_defaults(func=_with_django(cmd_load))

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="verify the keyed chain and its anchors (exit 1 if altered)")
    verify.add_argument("--anchors", help="anchor file to check against (default: DOLBOM_AUDIT_ANCHOR_FILE)")
    verify.set_defaults(func=_with_django(cmd_audit_verify))
    anchor = audit_sub.add_parser("anchor", help="append the signed head of the audit log to the anchor file")
    anchor.add_argument("--file", help="anchor file (default: DOLBOM_AUDIT_ANCHOR_FILE)")
    anchor.set_defaults(func=_with_django(cmd_audit_anchor))
    searched = audit_sub.add_parser(
        "searched", help="list the household searches for a resident number, phone number or name (keyed hash)"
    )
    searched.add_argument("text", help="the number or name, typed any way the search page accepts")
    searched.set_defaults(func=_with_django(cmd_audit_searched))

    imports = register_discovery(sub, _with_django)
    register_registry_import(imports, _with_django)
    register_resources(sub, _with_django)
    register_eligibility(sub, _with_settings)
    register_synth(sub, _with_django)
    register_lab(sub, _with_settings)
    register_backup(sub, _with_django, _with_settings)
    register_retention(sub, _with_django)
    register_install(sub, _with_django)
    register_keys(sub, _with_django)
    register_worker(sub, _with_django)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PermissionDenied as denied:
        print(gettext("Not permitted: %(what)s") % {"what": denied}, file=sys.stderr)
        return 2
    except ValidationError as invalid:
        for message in invalid.messages:
            print(gettext("Check the input: %(message)s") % {"message": message}, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
