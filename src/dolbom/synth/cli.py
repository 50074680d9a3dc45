"""`dolbom simulate-outcomes`: demo and evaluation tooling, registered by `synth` itself."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings


def cmd_simulate_outcomes(args: argparse.Namespace) -> int:
    if settings.PRODUCTION:
        # Fabricated outcomes would become labels for the next model: never in a real deployment.
        raise SystemExit("simulate-outcomes is demo and evaluation tooling; it refuses to run in production")
    # Imported when the command runs: the simulation imports the models, which Django allows only once it is set
    # up, and the parser is built before that.
    from dolbom.synth.outcomes import SimulationError, simulate_round_outcomes

    try:
        summary = simulate_round_outcomes(args.round, Path(args.city), seed=args.seed, fraction=args.fraction)
    except SimulationError as exc:
        raise SystemExit(str(exc)) from None
    print(summary)
    return 0


def register(sub: argparse._SubParsersAction, setup: Any) -> None:
    """Add `dolbom simulate-outcomes`; `setup` wraps the command so Django is ready first."""
    sim = sub.add_parser(
        "simulate-outcomes",
        help="record simulated outreach outcomes for a round of a synthetic city (demo and evaluation only)",
    )
    sim.add_argument("--round", type=int, required=True, help="screening round id (a done round)")
    sim.add_argument("--city", required=True, help="the generated city folder that was loaded (holds the truth)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--fraction", type=float, default=1.0, help="share of the items to record (default: all)")
    sim.set_defaults(func=setup(cmd_simulate_outcomes))
