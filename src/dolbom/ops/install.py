"""`dolbom install` and the commands that set up a district: `dolbom area add`, `agency add`, `staff add`.

`install` is what docs/operations.md, "Installing for production", runs: it checks the keys before writing
anything, migrates, collects the static files, runs Django's deployment checks and creates the first
administrator. Running it again after an upgrade does the same and changes no account.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

Command = Callable[[argparse.Namespace], int]

ADMIN_PASSWORD_VARIABLE = "DOLBOM_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def read_password(variable: str | None = None) -> str:
    """A new password: from the environment variable if set, else the first line of standard input when it is
    not a terminal (`… < file`, a pipe from the secret store), else typed twice without echo."""
    if variable and os.environ.get(variable):
        return os.environ[variable]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(_("New password: "))
    if getpass.getpass(_("New password again: ")) != first:
        raise SystemExit(_("The two passwords differ; nothing was changed."))
    return first


def _setup() -> str | None:
    """Django set up, or why it cannot be: in production a missing key stops the settings themselves."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    try:
        django.setup()
    except ImproperlyConfigured as exc:
        # The settings module itself refused: translating the sentence needs settings, so the bare minimum for it.
        from django.conf import settings

        locale = Path(__file__).resolve().parents[1] / "locale"
        settings.configure(USE_I18N=True, LANGUAGE_CODE="ko", LOCALE_PATHS=[locale], INSTALLED_APPS=[])
        django.setup()
        return _('The settings are incomplete: %(error)s. See docs/operations.md, "Settings".') % {"error": exc}
    return None


def cmd_install(args: argparse.Namespace) -> int:
    problem = _setup()
    if problem:
        _err(problem)
        return 2
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import DatabaseError, connection

    from dolbom.ops.key_checks import key_problems
    from dolbom.ops.serving import static_problem

    print(_("Data folder: %(home)s") % {"home": settings.HOME}, flush=True)
    if not settings.PRODUCTION:
        print(
            _("DOLBOM_ENV is not production: this installs a development instance (keys from %(file)s).")
            % {"file": settings.KEYS_FILE},
            flush=True,
        )
    problems = key_problems()
    if problems:
        _err(_("The keys cannot be used; nothing was changed:"))
        for line in problems:
            _err(f"  {line}")
        _err(_('Generate them as docs/operations.md, "Keys", shows, and set them in the service\'s environment.'))
        return 2
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        _err(
            _("Cannot reach the database; check DOLBOM_DATABASE_URL and the server: %(error)s")
            % {"error": " ".join(str(exc).split())}
        )
        return 2

    password = None
    user_model = get_user_model()
    if args.admin:
        password = read_password(ADMIN_PASSWORD_VARIABLE)
        try:
            validate_password(password, user_model(username=args.admin))
        except ValidationError as invalid:
            _err(_("The administrator's password is refused; nothing was changed:"))
            for message in invalid.messages:
                _err(f"  {message}")
            return 2

    print(_("Migrating the database …"), flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    print(_("Collecting the static files into %(path)s …") % {"path": settings.STATIC_ROOT or "-"}, flush=True)
    if settings.STATIC_ROOT:
        call_command("collectstatic", interactive=False, verbosity=0)
        problem = static_problem()
        if problem:
            _err(problem)
            return 2
    try:
        call_command("check", deploy=settings.PRODUCTION, fail_level="ERROR")
    except SystemCheckError as failed:
        _err(str(failed))
        return 2

    if args.admin:
        if user_model.objects.filter(username=args.admin).exists():
            print(_("The account %(name)s exists already: left as it is.") % {"name": args.admin}, flush=True)
        else:
            user_model.objects.create_superuser(username=args.admin, email="", password=password)
            print(_("Created the administrator %(name)s.") % {"name": args.admin}, flush=True)

    print()
    print(_('Installed. Next steps (docs/operations.md, "Installing for production"):'))
    print(_("  1. the district's areas and agencies: dolbom area add …, dolbom agency add … --as ADMIN"))
    print(
        _("  2. staff accounts: dolbom staff add USER --name NAME --role ROLE --agency AGENCY --area CODE --as ADMIN")
    )
    print(_("  3. start the server: dolbom serve --prod (or the systemd unit in deploy/)"))
    print(_("  4. behind the proxy, check https://HOST/healthz"))
    return 0


def _acting_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        message = _("No active user %(user)s: --as names the administrator the command acts for.")
        raise SystemExit(message % {"user": repr(username)}) from None


def cmd_area_add(args: argparse.Namespace) -> int:
    from dolbom.registry.services import add_area

    area = add_area(
        user=_acting_user(args.acting_user), code=args.code, name=args.name, level=args.level, parent_code=args.parent
    )
    print(_("Added the area %(code)s %(name)s.") % {"code": area.code, "name": area.name})
    return 0


def cmd_agency_add(args: argparse.Namespace) -> int:
    from dolbom.registry.services import add_agency

    agency = add_agency(
        user=_acting_user(args.acting_user), name=args.name, sector=args.sector, kind=args.kind, area_code=args.area
    )
    print(_("Added the agency %(name)s.") % {"name": agency.name})
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    from dolbom.registry.services import add_staff_account

    acting = _acting_user(args.acting_user)
    staff = add_staff_account(
        user=acting,
        username=args.username,
        display_name=args.name,
        role=args.role,
        agency_name=args.agency,
        area_codes=args.area or [],
        password=read_password(),
    )
    values = {"user": staff.user.username, "role": staff.get_role_display(), "agency": staff.agency.name}
    print(_("Added the account %(user)s: %(role)s, %(agency)s.") % values)
    return 0


def register(sub: argparse._SubParsersAction, with_django: Callable[[Command], Command]) -> None:
    install = sub.add_parser(
        "install", help="install or upgrade: check keys, migrate, collect static files, first administrator"
    )
    install.add_argument(
        "--admin",
        metavar="NAME",
        help=f"create this superuser if missing; password from {ADMIN_PASSWORD_VARIABLE} or standard input",
    )
    install.set_defaults(func=cmd_install)

    area = sub.add_parser("area", help="administrative areas (sido, sigungu, eupmyeondong)")
    area_sub = area.add_subparsers(dest="area_command", required=True)
    area_add = area_sub.add_parser("add", help="add an area with its 10-digit administrative code")
    area_add.add_argument("code")
    area_add.add_argument("name")
    area_add.add_argument("--level", required=True, choices=["sido", "sigungu", "eupmyeondong"])
    area_add.add_argument("--parent", default="", help="code of the area it is part of")
    area_add.add_argument("--as", dest="acting_user", required=True)
    area_add.set_defaults(func=with_django(cmd_area_add))

    agency = sub.add_parser("agency", help="agencies (community service centres, welfare centres …)")
    agency_sub = agency.add_subparsers(dest="agency_command", required=True)
    agency_add = agency_sub.add_parser("add", help="add an agency located in an area")
    agency_add.add_argument("name")
    agency_add.add_argument("--sector", required=True, choices=["public", "private"])
    agency_add.add_argument("--kind", required=True, help="dong_centre, district_unit, welfare_centre, … (AgencyKind)")
    agency_add.add_argument("--area", required=True, help="code of the area the agency is in")
    agency_add.add_argument("--as", dest="acting_user", required=True)
    agency_add.set_defaults(func=with_django(cmd_agency_add))

    staff = sub.add_parser("staff", help="staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_sub.add_parser(
        "add", help="add a login account with its staff record; password from standard input or typed twice"
    )
    staff_add.add_argument("username")
    staff_add.add_argument("--name", required=True, help="the person's name as colleagues see it")
    staff_add.add_argument("--role", required=True, help="dong_officer, district_manager, district_admin, …")
    staff_add.add_argument("--agency", required=True, help="the agency's name")
    staff_add.add_argument("--area", action="append", help="code of an area served (repeat for several)")
    staff_add.add_argument("--as", dest="acting_user", required=True)
    staff_add.set_defaults(func=with_django(cmd_staff_add))
