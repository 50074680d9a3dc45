"""The `dolbom` command: demo, serve, generate, load, audit, and Django's management commands."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

DEMO_SEED = 20261123
DEMO_HOUSEHOLDS = 20_000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    import django

    django.setup()


def _manage(*args: str, **options: object) -> None:
    from django.core.management import call_command

    call_command(*args, **options)


def cmd_generate(args: argparse.Namespace) -> int:
    from dolbom.synth.generate import generate_city

    started = time.perf_counter()
    summary = generate_city(Path(args.out), households=args.households, seed=args.seed)
    print(f"{summary} in {time.perf_counter() - started:.1f} s → {args.out}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    _setup_django()
    from dolbom.synth.load import LoadError, load_city

    started = time.perf_counter()
    try:
        summary = load_city(Path(args.city))
    except LoadError as exc:
        print(f"not loaded: {exc}", file=sys.stderr)
        return 1
    print(f"{summary} in {time.perf_counter() - started:.1f} s")
    return 0


def _remove_leftovers() -> None:
    """What a killed import or round left on disk (resident numbers in clear among it) goes at every start."""
    from dolbom.discovery.importing.leftovers import remove_leftovers

    print(remove_leftovers().render(), flush=True)


def cmd_cleanup(args: argparse.Namespace) -> int:
    _setup_django()
    _remove_leftovers()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    _remove_leftovers()
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from dolbom.discovery.importing.limits import Limits
    from dolbom.wsgi import application

    # Waitress buffers a whole request before the application sees it: no body larger than the largest signal file
    # (and its form) is worth receiving. Smaller files over their own format's limit are stopped by the upload page.
    ceiling = Limits.from_settings().request_ceiling
    print(f"Dolbom: http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    serve(
        application,
        host=args.host,
        port=args.port,
        threads=args.threads,
        ident="dolbom",
        max_request_body_size=ceiling,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    from django.conf import settings

    from dolbom.registry.models import Household
    from dolbom.synth.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from dolbom.synth.generate import generate_city
    from dolbom.synth.load import load_city

    home = Path(settings.HOME)
    print(f"Data folder: {home}")
    print(f"Development keys: {settings.KEYS_FILE} (generated on first run; production reads the environment)")
    _manage("migrate", "--no-input", verbosity=0)
    _remove_leftovers()
    city = home / f"city-{args.households}-{args.seed}"
    if not (city / "manifest.json").exists():
        started = time.perf_counter()
        print(f"Generating a synthetic city of {args.households:,} households …", flush=True)
        generate_city(city, households=args.households, seed=args.seed)
        print(f"  done in {time.perf_counter() - started:.1f} s → {city}")
    if not Household.objects.exists():
        started = time.perf_counter()
        print("Loading the city into the database …", flush=True)
        print(f"  {load_city(city)} in {time.perf_counter() - started:.1f} s")
    accounts = ensure_demo_accounts()
    print(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for account in accounts:
        print(f"  {account.username:<18} {account.role_label} — {account.where}")
    if args.no_serve:
        return 0
    return _serve(args)


def cmd_audit(args: argparse.Namespace) -> int:
    _setup_django()
    from dolbom.core.audit import verify_chain
    from dolbom.core.models import AuditEvent

    problems = list(verify_chain())
    for problem in problems:
        print(f"event {problem.seq}: {problem.message}")
    if problems:
        print(f"audit log: {len(problems)} problem(s) found — the log has been altered")
        return 1
    print(f"audit log intact: {AuditEvent.objects.count():,} events verified")
    return 0


def _with_django(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        _setup_django()
        return command(args)

    return run


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dolbom manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dolbom", description="Dolbom welfare outreach and case management")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--threads", type=int, default=8)

    demo = sub.add_parser("demo", help="generate and load the demo city if needed, then serve it")
    demo.add_argument("--households", type=int, default=DEMO_HOUSEHOLDS)
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--no-serve", action="store_true", help="prepare everything, do not start the server")
    add_server_options(demo)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the web application (removes what killed imports left, first)")
    add_server_options(serve)
    serve.set_defaults(func=cmd_serve)

    cleanup = sub.add_parser(
        "cleanup", help="remove what unfinished imports and rounds left on disk (uploads, staging, orphan files)"
    )
    cleanup.set_defaults(func=cmd_cleanup)

    generate = sub.add_parser("generate", help="write a deterministic synthetic city as Parquet and signal files")
    generate.add_argument("--households", type=int, default=DEMO_HOUSEHOLDS)
    generate.add_argument("--seed", type=int, default=DEMO_SEED)
    generate.add_argument("--out", required=True)
    generate.set_defaults(func=cmd_generate)

    load = sub.add_parser("load", help="bulk-load a generated city into the database (one transaction)")
    load.add_argument("city")
    load.set_defaults(func=cmd_load)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="verify the hash chain of the audit log").set_defaults(func=cmd_audit)

    from dolbom.discovery.cli import register as register_discovery

    register_discovery(sub, _with_django)
    from dolbom.synth.outcomes import register as register_outcomes

    register_outcomes(sub, _with_django)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from django.core.exceptions import PermissionDenied, ValidationError

    try:
        return args.func(args)
    except PermissionDenied as denied:
        print(f"권한이 없습니다: {denied}", file=sys.stderr)
        return 2
    except ValidationError as invalid:
        for message in invalid.messages:
            print(f"입력을 확인하세요: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
