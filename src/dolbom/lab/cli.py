"""`dolbom model-card`: registered by the lab itself, so that the domains' commands never import evaluation code."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def cmd_model_card(args: argparse.Namespace) -> int:
    # Imported when the command runs: the card pulls in numpy, pyarrow and LightGBM, which every other `dolbom`
    # command would otherwise load just to build the parser.
    from dolbom.lab.card import write_model_card

    path = write_model_card([Path(c) for c in args.city], out=Path(args.out))
    print(f"model card written to {path}")
    return 0


def register(sub: argparse._SubParsersAction, setup: Any) -> None:
    """Add `dolbom model-card` to the `dolbom` parser; `setup` readies Django (the card is written through its
    templates and translations) without asking for the machine's database: the experiment runs in a subprocess
    with a throwaway home and database of its own, so the card can be written where the configured database is
    not migrated (or not reachable)."""
    card = sub.add_parser(
        "model-card", help="evaluate the scorers on one or more synthetic cities and write one model card"
    )
    card.add_argument(
        "--city",
        required=True,
        action="append",
        help="a generated city folder (it holds the hidden truth); repeat it to evaluate several cities",
    )
    card.add_argument("--out", default="docs/model-card.md")
    card.set_defaults(func=setup(cmd_model_card))
