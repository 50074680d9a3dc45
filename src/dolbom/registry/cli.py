"""`dolbom import registry DIR --district CODE --as-of YYYY-MM-DD [--check] --as USER`: the district's registry from
the national system's export (registry/importing). Like every command it acts as a named staff user (`--as`), so
that the permission and the audit log apply as on the web."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

# Imported by `dolbom` before Django is set up: the command imports the service when it runs.


def _acting_user(username: str) -> Any:
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        message = _("No active user %(user)s: --as names the staff member the command acts for.")
        raise SystemExit(message % {"user": repr(username)}) from None


def cmd_import_registry(args: argparse.Namespace) -> int:
    from dolbom.registry.importing.services import RegistryImportRefused, import_registry  # after setup

    try:  # parsed here rather than by argparse, which runs before Django (and its translations) is set up
        as_of = date.fromisoformat(args.as_of)
    except ValueError:
        print(_("Write the date as YYYY-MM-DD."), file=sys.stderr)
        return 2
    try:
        result = import_registry(
            user=_acting_user(args.acting_user),
            folder=Path(args.folder),
            district_code=args.district,
            as_of=as_of,
            check=args.check,
        )
    except RegistryImportRefused as refused:
        print(refused.report())
        return 1
    print(result.render())
    return 0


def register(imports: argparse._SubParsersAction, setup: Any) -> None:
    """Add `dolbom import registry` to the `import` group; `setup` wraps a command so that Django is ready first."""
    registry = imports.add_parser(
        "registry",
        help="import the district's registry from the national system's export (docs/operations.md)",
    )
    registry.add_argument("folder", help="folder holding the two files (.csv UTF-8/CP949, .xlsx or .parquet)")
    registry.add_argument("--district", required=True, help="the district's code (10 digits, ends in 00000)")
    registry.add_argument("--as-of", dest="as_of", required=True, help="the export's date, YYYY-MM-DD")
    registry.add_argument("--check", action="store_true", help="check and show what would change; write nothing")
    registry.add_argument("--as", dest="acting_user", required=True, help="user name of the staff member importing")
    registry.set_defaults(func=setup(cmd_import_registry))
