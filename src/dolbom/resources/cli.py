"""`dolbom directory export --out DIR` and `dolbom directory import DIR`: the service directory as Open Referral
HSDS 3.0 documents, one JSON file per service (services/hsds.py). Like every command, they act as a named staff
user (`--as`), so that the permission and the audit log apply as on the web."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

# Imported by `dolbom` before Django is set up: each command imports the services when it runs.


def _acting_user(username: str) -> Any:
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        message = _("No active user %(user)s: --as names the staff member the command acts for.")
        raise SystemExit(message % {"user": repr(username)}) from None


def cmd_export(args: argparse.Namespace) -> int:
    from dolbom.resources.services.hsds import export_directory

    result = export_directory(user=_acting_user(args.acting_user), out=Path(args.out))
    print(f"{result.render()} → {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dolbom.resources.services.hsds import import_directory

    result = import_directory(user=_acting_user(args.acting_user), folder=Path(args.folder))
    print(result.render())
    return 0


def register(sub: argparse._SubParsersAction, setup: Any) -> None:
    """Add `dolbom directory …` to the parser; `setup` wraps a command so that Django is ready first."""
    directory = sub.add_parser("directory", help="exchange the service directory as HSDS 3.0 JSON")
    what = directory.add_subparsers(dest="directory_what", required=True)
    export = what.add_parser("export", help="write one HSDS service document per service into a folder")
    export.add_argument("--out", required=True, help="folder to write the *.json documents into")
    export.add_argument("--as", dest="acting_user", required=True, help="user name of the staff member exporting")
    export.set_defaults(func=setup(cmd_export))
    imp = what.add_parser("import", help="read a folder of HSDS service documents (*.json) into the directory")
    imp.add_argument("folder")
    imp.add_argument("--as", dest="acting_user", required=True, help="user name of the staff member importing")
    imp.set_defaults(func=setup(cmd_import))
