"""`make bench`: the project's benchmarks, printed side by side and written into docs/benchmarks.md.

Each benchmark runs in a process of its own with a fresh DOLBOM_HOME (a new SQLite database unless
DOLBOM_DATABASE_URL is set), removed when it ends: a run never touches the demo's data, and every benchmark loads
the city it describes into an empty database, whatever ran before it (several load a generated city, and a
registry can hold only one). Sizes can be reduced for a quick look: `make bench BENCH_ARGS=--quick`; one
benchmark runs alone, printed only, with `make bench BENCH_ARGS="--only hsds"`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from tests.bench.report import Section

BENCHMARKS = ("generator", "search", "screening", "rounds", "imports", "hsds", "reguidance", "pages", "load")
# The order they run in: the load test last, since it starts its own PostgreSQL cluster and server.
RUN_ORDER = ("generator", "hsds", "search", "screening", "rounds", "imports", "reguidance", "pages", "load")
ROOT = Path(__file__).resolve().parents[2]


def run_here(name: str, *, quick: bool) -> Section:
    """One benchmark in this process, on a fresh DOLBOM_HOME (the child's part)."""
    home = Path(os.environ["DOLBOM_HOME"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    import django

    django.setup()
    module = importlib.import_module(f"tests.bench.{name}")
    return module.run(home, quick=quick)


def run_child(name: str, *, quick: bool) -> Section:
    """One benchmark in a child process with a DOLBOM_HOME of its own, its section read back."""
    home = Path(tempfile.mkdtemp(prefix=f"dolbom-bench-{name}-"))
    try:
        out = home / "section.json"
        command = [sys.executable, "-m", "tests.bench", "--only", name, "--section-out", str(out)]
        command += ["--quick"] if quick else []
        subprocess.run(command, cwd=ROOT, env={**os.environ, "DOLBOM_HOME": str(home)}, check=True)
        return Section(**json.loads(out.read_text(encoding="utf-8")))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for checking the harness itself")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument(
        "--only", choices=BENCHMARKS, help="run one benchmark and print it (docs/benchmarks.md is left alone)"
    )
    # Internal: run the one benchmark `--only` names in this process and write its section there as JSON.
    parser.add_argument("--section-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.section_out is not None:
        if args.only is None:
            parser.error("--section-out needs --only")
        section = run_here(args.only, quick=args.quick)
        args.section_out.write_text(json.dumps(asdict(section), ensure_ascii=False), encoding="utf-8")
        return 0

    from tests.bench import reference, report

    load_at_start = os.getloadavg()[0]
    reference_at_start = reference.seconds()
    sections = {name: run_child(name, quick=args.quick) for name in RUN_ORDER if args.only in (None, name)}
    # In the order docs/benchmarks.md shows them.
    text = report.render(
        [sections[name] for name in BENCHMARKS if name in sections],
        load=(load_at_start, os.getloadavg()[0]),
        reference=(reference_at_start, reference.seconds()),
    )
    print(text)
    if not args.no_write and args.only is None:
        report.write(text)
        print(f"written to {report.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
