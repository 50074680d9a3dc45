"""`make bench`: the project's benchmarks, printed side by side and written into docs/benchmarks.md.

Each benchmark runs in a fresh DOLBOM_HOME (temporary SQLite database unless DOLBOM_DATABASE_URL is set), so a
run never touches the demo's data. Sizes can be reduced for a quick look: `make bench BENCH_ARGS=--quick`; one
benchmark runs alone, printed only, with `make bench BENCH_ARGS="--only hsds"`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

BENCHMARKS = ("generator", "search", "screening", "rounds", "imports", "hsds", "reguidance", "pages", "load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for checking the harness itself")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument(
        "--only", choices=BENCHMARKS, help="run one benchmark and print it (docs/benchmarks.md is left alone)"
    )
    args = parser.parse_args(argv)

    load_at_start = os.getloadavg()[0]
    from tests.bench import reference

    reference_at_start = reference.seconds()
    home = Path(tempfile.mkdtemp(prefix="dolbom-bench-"))
    os.environ["DOLBOM_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    import django

    django.setup()
    from tests.bench import generator, hsds, imports, load, pages, reguidance, report, rounds, screening, search

    # In the order they run: the HSDS exchange before any city is loaded, for an empty database.
    modules = {
        "generator": generator,
        "hsds": hsds,
        "search": search,
        "screening": screening,
        # Its cities load into databases of their own (child processes), whatever database the others use.
        "rounds": rounds,
        "imports": imports,
        "reguidance": reguidance,
        "pages": pages,
        # Last: its own PostgreSQL cluster and server, whatever database the others used.
        "load": load,
    }
    sections = {
        name: module.run(home, quick=args.quick) for name, module in modules.items() if args.only in (None, name)
    }
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
