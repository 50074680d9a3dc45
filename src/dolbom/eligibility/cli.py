"""`dolbom eligibility lines` and `dolbom eligibility check`: the year's selection lines as a table, and a recognised
income checked against them, for operators and for comparing with published examples. Both read only the rules
files (no database, no personal data), so they act for nobody and write nothing to the audit log."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

# Imported by `dolbom` before Django is set up: each command imports the rules when it runs.

MARKS = {"verified": "", "secondary": "*", "inferred": "†", "unverified": "?"}


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Hangul and other wide letters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text: str, width: int, *, right: bool = True) -> str:
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def _rules(year: int | None) -> Any:
    from dolbom.core.dates import today_kst
    from dolbom.eligibility.ruleset import RulesError, load_rules

    try:
        return load_rules(year or today_kst().year)
    except (LookupError, RulesError) as refused:
        print(str(refused) if isinstance(refused, RulesError) else refused.args[0], file=sys.stderr)
        raise SystemExit(2) from None


def cmd_lines(args: argparse.Namespace) -> int:
    from dolbom.eligibility.ruleset import Benefit, Certainty

    rules = _rules(args.year)
    largest = max(args.up_to or rules.table_sizes, 1)
    header = [_("Persons"), _("Median income")]
    header += [f"{Benefit(b).label} {rules.lines[b][0].percent}%" for b in Benefit.values]
    header.append(_("Emergency support %(percent)s%%") % {"percent": rules.emergency_income.percent})
    rows = []
    used: set[str] = set()
    for size in range(1, largest + 1):
        median = rules.median(size)
        cells = [str(size), f"{median.won:,}{MARKS[median.basis.certainty]}"]
        used.add(median.basis.certainty)
        for benefit in Benefit.values:
            line = rules.line(benefit, size)
            cells.append(f"{line.won:,}{MARKS[line.basis.certainty]}")
            used.add(line.basis.certainty)
        emergency = rules.emergency_income_line(size)
        cells.append(f"{emergency.won:,}{MARKS[emergency.basis.certainty]}")
        used.add(emergency.basis.certainty)
        rows.append(cells)
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    title = _("Selection lines %(year)s (rules %(version)s, checked %(checked)s), won a month") % {
        "year": rules.year,
        "version": rules.version,
        "checked": rules.checked.isoformat(),
    }
    print(title)
    print("  ".join(_cell(text, widths[i]) for i, text in enumerate(header)))
    for row in rows:
        print("  ".join(_cell(text, widths[i]) for i, text in enumerate(row)))
    for certainty in Certainty.values:
        if certainty in used and MARKS[certainty]:
            print(f"{MARKS[certainty]} {Certainty(certainty).label}")
    if largest > rules.table_sizes:
        print(
            _("Beyond %(n)s persons each further person adds the difference between the last two sizes.")
            % {"n": rules.table_sizes}
        )
    print(_("Source: %(source)s") % {"source": rules.source_title("median")})
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from dolbom.eligibility.calculator import check_lines

    if args.household_size < 1 or args.recognised_income < 0:
        print(_("Give a household of at least one person and a recognised income of 0 won or more."), file=sys.stderr)
        return 2
    rules = _rules(args.year)
    results = check_lines(rules, args.household_size, args.recognised_income)
    if args.json:
        answer = {r.benefit: {"line": r.line, "eligible": r.eligible, "verified": r.verified} for r in results}
        print(json.dumps(answer, ensure_ascii=False))
        print(
            _("Rules %(version)s (checked %(checked)s)")
            % {
                "version": rules.version,
                "checked": rules.checked.isoformat(),
            },
            file=sys.stderr,
        )
        return 0
    print(
        _("%(year)s, %(size)s persons, recognised income %(income)s won (rules %(version)s)")
        % {
            "year": rules.year,
            "size": args.household_size,
            "income": f"{args.recognised_income:,}",
            "version": rules.version,
        }
    )
    for result in results:
        line = _("%(benefit)s: line %(won)s won") % {"benefit": result.label, "won": f"{result.line:,}"}
        mark = "" if result.verified else " ({})".format(_("not verified"))
        print(f"  {line}{mark} → {result.outcome_label}")
    return 0


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(_("a year such as 2026"))
    return int(text)


def register(sub: argparse._SubParsersAction, setup: Any) -> None:
    """Add `dolbom eligibility …`; `setup` wraps a command so that Django's settings (and translations) are ready."""
    eligibility = sub.add_parser("eligibility", help="benefit selection lines and recognised-income checks")
    what = eligibility.add_subparsers(dest="eligibility_what", required=True)
    lines = what.add_parser("lines", help="print the year's selection lines by benefit and household size")
    lines.add_argument("--year", type=_year, help="rules year (default: this year)")
    lines.add_argument("--up-to", type=int, help="largest household size to print (default: the notice's table)")
    lines.set_defaults(func=setup(cmd_lines))
    check = what.add_parser("check", help="a recognised income against each benefit's line")
    check.add_argument("--year", type=_year, help="rules year (default: this year)")
    check.add_argument("--household-size", type=int, required=True)
    check.add_argument("--recognised-income", type=int, required=True, help="won a month")
    check.add_argument("--json", action="store_true", help="print JSON: per benefit its line and eligible")
    check.set_defaults(func=setup(cmd_check))
