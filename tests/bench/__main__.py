"""`make bench`: the project's benchmarks, printed side by side and written into docs/benchmarks.md.

Each benchmark runs in a fresh DOLBOM_HOME (temporary SQLite database unless DOLBOM_DATABASE_URL is set), so a
run never touches the demo's data. Sizes can be reduced for a quick look: `make bench BENCH_ARGS=--quick`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for checking the harness itself")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="dolbom-bench-"))
    os.environ["DOLBOM_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
    import django

    django.setup()
    from tests.bench import generator, imports, reguidance, report, screening, search

    sections = [
        generator.run(home, quick=args.quick),
        search.run(home, quick=args.quick),
        screening.run(home, quick=args.quick),
        imports.run(home, quick=args.quick),
        reguidance.run(home, quick=args.quick),
    ]
    text = report.render(sections)
    print(text)
    if not args.no_write:
        report.write(text)
        print(f"written to {report.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
