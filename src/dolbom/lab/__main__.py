"""`python -m dolbom.lab --city DIR --result FILE [--seed N]`: the model card's experiment, run by card.py in a
child process whose DOLBOM_HOME and database are throwaway. It writes the figures as JSON to FILE."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import django


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dolbom.lab")
    parser.add_argument("--city", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    django.setup()
    # The experiment imports the models at module level, which Django allows only once it is set up.
    from dolbom.lab.experiment import run

    result = run(Path(args.city), seed=args.seed)
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in result["generated"]["timings"].items())
    print(f"model-card experiment done in {result['generated']['seconds']:.0f} s ({timings})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
