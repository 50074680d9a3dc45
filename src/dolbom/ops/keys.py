"""`dolbom keys status` and `dolbom keys rotate`: see docs/operations.md, "Key rotation", and core.rekey."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _


def _print_status(status: Any) -> None:
    from dolbom.core import crypto

    names = {**crypto.encryption_key_ids(), **crypto.lookup_key_ids()}
    unknown = _("not configured")
    for title, counts in ((_("Encrypted values"), status.ciphers), (_("Lookup hashes"), status.hashes)):
        print(title)
        for label, by_key in counts.items():
            for fingerprint, rows in sorted(by_key.items(), key=lambda item: -item[1]):
                where = names.get(fingerprint, unknown)
                print(f"  {label}\t{fingerprint}\t{where}\t{rows:,}")
            if not by_key:
                print(f"  {label}\t-\t-\t0")


def _print_left(status: Any) -> int:
    left = status.retired()
    if left:
        for label, by_key in left.items():
            for fingerprint, rows in by_key.items():
                values = {"rows": f"{rows:,}", "label": label, "key": fingerprint}
                print(_("%(rows)s rows of %(label)s are still under key %(key)s, not the current one.") % values)
        print(_("Do not retire the old keys yet: run `dolbom keys rotate` (again)."))
        return 1
    print(_("Nothing is left under an old key: the old keys may be retired (see the runbook)."))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Rows per key fingerprint (never a key), per encrypted column and per lookup hash."""
    from dolbom.core.rekey import status

    current = status()
    _print_status(current)
    return _print_left(current)


def cmd_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt and re-hash everything not under the current keys, batch after batch, beside the running
    service; safe to interrupt and to run again (core.rekey)."""
    from dolbom.core.rekey import Rotation, rotate, status

    def progress(done: Rotation) -> None:
        values = {"batches": done.batches, "rows": f"{sum(done.rewritten.values()):,}"}
        print(_("batch %(batches)s: %(rows)s rows rewritten so far") % values, flush=True)

    done = rotate(batch_size=args.batch_size, after_batch=progress if args.progress else None)
    for label, rows in done.rewritten.items():
        print(_("%(label)s: %(rows)s rows rewritten") % {"label": label, "rows": f"{rows:,}"})
    for label, rows in done.unreadable.items():
        values = {"label": label, "rows": f"{rows:,}"}
        print(_("%(label)s: %(rows)s rows under a key that is not configured (DOLBOM_RRN_OLD_KEYS)") % values)
    after = status()
    _print_status(after)
    return _print_left(after)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(_("a whole number from 1"))
    return int(text)


def register(sub: argparse._SubParsersAction, with_django: Callable[[Any], Any]) -> None:
    """Add `dolbom keys …`; `with_django` wraps a command that needs the database."""
    keys = sub.add_parser("keys", help="resident-number keys: counts per key, rotation to the current keys")
    what = keys.add_subparsers(dest="keys_what", required=True)
    show = what.add_parser("status", help="rows per key fingerprint, and whether any is left under an old key")
    show.set_defaults(func=with_django(cmd_status))
    rotate = what.add_parser(
        "rotate", help="re-encrypt and re-hash, in batches, whatever is not under DOLBOM_RRN_KEY / DOLBOM_RRN_HMAC_KEY"
    )
    rotate.add_argument("--batch-size", type=_positive, default=1000, help="rows per transaction (default 1000)")
    rotate.add_argument("--progress", action="store_true", help="print a line after each batch")
    rotate.set_defaults(func=with_django(cmd_rotate))
