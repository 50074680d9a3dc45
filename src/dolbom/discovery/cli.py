"""`dolbom import signals`, `dolbom screen` and `dolbom train` (`dolbom model-card` is the lab's: `dolbom.lab.cli`).

Commands act as a named staff user (`--as`), so that permissions and the audit log apply to the shell as to the
web: an operator's import is recorded under their name like an upload through the page.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

# `dolbom` builds its parser, and so imports this module, before Django is set up; each command imports its
# service when it runs, since the services import the models, which Django allows only after `django.setup()`.


def _acting_user(username: str) -> Any:
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        message = _("No active user %(user)s: --as names the staff member the command acts for.")
        raise SystemExit(message % {"user": repr(username)}) from None


def cmd_import_signals(args: argparse.Namespace) -> int:
    from dolbom.discovery.services.signals import SignalFileRejected, import_signal_file  # after setup

    user = _acting_user(args.acting_user)
    failed = 0
    for name in args.files:
        try:
            result = import_signal_file(
                user=user,
                path=Path(name),
                period=args.period,
                agency_code=args.agency,
                district_code=args.district,
                confirm_period=args.confirm_period,
            )
        except SignalFileRejected as rejected:
            failed += 1
            print(rejected.report.render())
        else:
            print(result)
    return 1 if failed else 0


def cmd_screen(args: argparse.Namespace) -> int:
    from dolbom.discovery.models import RoundStatus  # after setup
    from dolbom.discovery.services.rounds import run_round  # after setup

    screening_round = run_round(
        user=_acting_user(args.acting_user),
        district_code=args.district,
        period=args.period,
        scorer=args.scorer,
        engine=args.engine,
        cooldown_days=args.cooldown_days,
        confirm_few_files=args.confirm_few_files,
    )
    print(screening_round.stats.get("summary", f"round {screening_round.pk}: {screening_round.status}"))
    return 0 if screening_round.status == RoundStatus.DONE else 1


def cmd_train(args: argparse.Namespace) -> int:
    from dolbom.discovery.learning.explain import cut_name, explain_gate  # after setup
    from dolbom.discovery.learning.gate import gate_for
    from dolbom.discovery.services.learning import train_model

    model = train_model(user=_acting_user(args.acting_user), district_code=args.district)
    message = _("Model #%(id)s trained on %(labels)s recorded outcomes: %(summary)s")
    print(message % {"id": model.pk, "labels": f"{model.labels:,}", "summary": model.metrics.get("summary", "")})
    # The gate decides whether the district's administrator may choose the model for rounds: whoever trains from
    # the command line reads the same verdict as the learned models page.
    for balanced in (False, True):
        gate = gate_for(model.gate, balanced=balanced)
        verdict = _("Release gate, %(cut)s: passed.") if gate.get("passed") else _("Release gate, %(cut)s: held back.")
        print(verdict % {"cut": cut_name(balanced=balanced)})
        for line in explain_gate(gate):
            print(f"- {line}")
    return 0


def register(sub: argparse._SubParsersAction, setup: Any) -> argparse._SubParsersAction:
    """Add the discovery commands to the `dolbom` parser; `setup` wraps a command so Django is ready first. Returns
    the `import` group, which other domains' imports join (`dolbom import registry`)."""
    imp = sub.add_parser("import", help="import data files")
    imp_sub = imp.add_subparsers(dest="import_what", required=True)
    signals = imp_sub.add_parser("signals", help="import crisis-signal files (CSV UTF-8/CP949, Excel, Parquet)")
    signals.add_argument("files", nargs="+")
    signals.add_argument("--period", required=True, help="screening period, YYYY-MM")
    signals.add_argument("--agency", help="providing agency code (default: the file name, e.g. nhis.csv → nhis)")
    signals.add_argument("--district", help="district the file was delivered to (default: the importer's district)")
    signals.add_argument(
        "--confirm-period",
        action="store_true",
        help="import even when some rows are dated before the period (checked: the period is right)",
    )
    signals.add_argument("--as", dest="acting_user", required=True, help="user name of the staff member importing")
    signals.set_defaults(func=setup(cmd_import_signals))

    screen = sub.add_parser("screen", help="run a screening round and write each dong's outreach list")
    screen.add_argument("--period", required=True, help="screening period, YYYY-MM")
    screen.add_argument("--district", required=True, help="district code (10 digits)")
    screen.add_argument("--scorer", choices=["scorecard", "model"], default="scorecard")
    screen.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    screen.add_argument("--cooldown-days", type=int, default=None, help="skip households contacted this recently")
    screen.add_argument(
        "--confirm-few-files",
        action="store_true",
        help="run even when the period has files from fewer agencies than the district's last round",
    )
    screen.add_argument("--as", dest="acting_user", required=True)
    screen.set_defaults(func=setup(cmd_screen))

    train = sub.add_parser("train", help="train the learned model on the outcomes officers recorded")
    train.add_argument("--district", required=True)
    train.add_argument("--as", dest="acting_user", required=True)
    train.set_defaults(func=setup(cmd_train))
    return imp_sub
