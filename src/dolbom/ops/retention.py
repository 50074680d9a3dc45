"""`dolbom retention report` and `dolbom retention purge --confirm`: what the retention rules
(`ops/retention.toml`, each with its source and certainty) say is past its period, counted, and then deleted.

The rules are data; the deletions are the domains' own services (a closed case with everything recorded under it
in `cases`, a signal file and its Parquet in `discovery`, a withdrawn consent's record in `registry`), each in one
transaction with its audit event: counts, dates, the rules' version and the operator's account, never what was
deleted. The report reads counts only. The audit log itself is not purged (its rule says why).

A purge runs on the server, as the service account, for the whole installation: like the database itself it is
the operator's, not a role's, so it acts for no staff member (the audit events are the system's, with the
operator's account name).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

RULES_FILE = Path(__file__).with_name("retention.toml")
CERTAINTIES = ("verified", "secondary", "inferred", "unverified")
MARKS = {"verified": "", "secondary": "*", "inferred": "†", "unverified": "?"}


class RulesError(ValueError):
    pass


@cache
def load_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    """The rules file, checked: every rule has a positive period, a certainty and sources that exist."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = data.get("sources", {})
    for group in ("rules", "kept"):
        for name, rule in data.get(group, {}).items():
            where = f"{path.name}: {group}.{name}"
            periods = [rule.get(k) for k in ("keep_years", "keep_months") if k in rule]
            if len(periods) != 1 or not isinstance(periods[0], int) or periods[0] < 1:
                raise RulesError(f"{where}: give one of keep_years or keep_months, a whole number of at least 1")
            if rule.get("certainty") not in CERTAINTIES:
                raise RulesError(f"{where}: certainty must be one of {', '.join(CERTAINTIES)}")
            unknown = [s for s in rule.get("sources", []) if s not in sources]
            if not rule.get("sources") or unknown:
                raise RulesError(f"{where}: sources missing or unknown: {unknown}")
    for name in ("closed_cases", "withdrawn_consents", "signal_files"):
        if name not in data.get("rules", {}):
            raise RulesError(f"{path.name}: rules.{name} is missing")
    return data


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> str:
    """The period (YYYY-MM) `months` months before the month of `day`: files of periods before it are past a
    retention of `months` months counted from the end of their period."""
    index = day.year * 12 + (day.month - 1) - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class Horizon:
    """One rule applied on one day: what is past it and how many."""

    rule: str
    title: str
    before: str  # a date or a period: what is older than this is past its retention
    count: int
    extra: str
    certainty: str

    def render(self) -> str:
        values = {
            "title": self.title,
            "mark": MARKS[self.certainty],
            "before": self.before,
            "count": f"{self.count:,}",
            "extra": f" ({self.extra})" if self.extra else "",
        }
        return _("%(title)s%(mark)s — before %(before)s: %(count)s%(extra)s") % values


def horizons(today: date) -> list[Horizon]:
    """What each rule would purge today, counted."""
    from dolbom.cases.services.retention import closed_cases_before
    from dolbom.discovery.services.retention import signal_files_before
    from dolbom.registry.services import withdrawn_consents_before

    rules = load_rules()["rules"]
    cases = rules["closed_cases"]
    consents = rules["withdrawn_consents"]
    signals = rules["signal_files"]
    cases_before = years_before(today, cases["keep_years"])
    consents_before = years_before(today, consents["keep_years"])
    period = months_before(today, signals["keep_months"])
    files, signal_rows = signal_files_before(period)
    return [
        Horizon(
            "closed_cases",
            cases["title"],
            cases_before.isoformat(),
            closed_cases_before(cases_before),
            "",
            cases["certainty"],
        ),
        Horizon(
            "withdrawn_consents",
            consents["title"],
            consents_before.isoformat(),
            withdrawn_consents_before(consents_before),
            "",
            consents["certainty"],
        ),
        Horizon(
            "signal_files",
            signals["title"],
            period,
            files,
            _("%(rows)s signal rows") % {"rows": f"{signal_rows:,}"},
            signals["certainty"],
        ),
    ]


def purge(today: date, *, operator: str) -> dict[str, Any]:
    """Apply every rule: each domain's purge in its own transaction, audited. Returns what went, counted."""
    from dolbom.cases.services.retention import purge_closed_cases
    from dolbom.discovery.services.retention import purge_signal_files
    from dolbom.registry.services import purge_withdrawn_consents

    data = load_rules()
    rules, version = data["rules"], data["version"]
    cases = purge_closed_cases(
        closed_before=years_before(today, rules["closed_cases"]["keep_years"]), operator=operator, rule_version=version
    )
    consents = purge_withdrawn_consents(
        withdrawn_before=years_before(today, rules["withdrawn_consents"]["keep_years"]),
        operator=operator,
        rule_version=version,
    )
    files, signal_rows = purge_signal_files(
        period_before=months_before(today, rules["signal_files"]["keep_months"]),
        operator=operator,
        rule_version=version,
    )
    return {
        "closed_cases": cases.get("cases.case", 0),
        "case_rows": sum(cases.values()),
        "withdrawn_consents": consents,
        "signal_files": files,
        "signal_rows": signal_rows,
    }


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _print_report(today: date) -> None:
    data = load_rules()
    print(_("Retention rules %(version)s on %(today)s:") % {"version": data["version"], "today": today.isoformat()})
    for horizon in horizons(today):
        print("  " + horizon.render())
    kept = data["kept"]["audit_log"]
    print("  " + _("%(title)s: not purged, kept at least %(years)s years.") % {**kept, "years": kept["keep_years"]})
    print(_("* secondary sources only   † inferred   ? no source: check with the district's records officer"))


def cmd_report(args: argparse.Namespace) -> int:
    from dolbom.core.dates import today_kst

    _print_report(today_kst())
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError

    from dolbom.core.dates import today_kst

    today = today_kst()
    if not args.confirm:
        _print_report(today)
        print(_("Nothing was purged: add --confirm to delete what is listed above."), file=sys.stderr)
        return 2
    try:
        done = purge(today, operator=_operator())
    except ValidationError as refused:
        print(" ".join(refused.messages), file=sys.stderr)
        return 1
    message = _(
        "Purged: %(closed_cases)s closed cases (%(case_rows)s rows with their records), %(withdrawn_consents)s "
        "withdrawn consents, %(signal_files)s signal files (%(signal_rows)s signal rows). Recorded in the audit log."
    )
    print(message % {k: f"{v:,}" for k, v in done.items()})
    return 0


Wrap = Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]


def register(sub: Any, with_django: Wrap) -> None:
    retention = sub.add_parser("retention", help="what the retention rules say is past its period, and purging it")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True)
    report = retention_sub.add_parser("report", help="count what would be purged today (changes nothing)")
    report.set_defaults(func=with_django(cmd_report))
    purged = retention_sub.add_parser("purge", help="delete what is past its retention (audited; needs --confirm)")
    purged.add_argument("--confirm", action="store_true", help="really delete; without it, only the report")
    purged.set_defaults(func=with_django(cmd_purge))
