"""Rendering of benchmark results: one Markdown section per benchmark, machine facts on top."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass
class Section:
    title: str
    command: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    # Figures of a tree with uncommitted changes in the code do not belong to the commit named.
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "tests"], capture_output=True, text=True
    ).stdout.strip()
    if commit and changed:
        commit += " with uncommitted changes"
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {python}, commit {commit or '-'}"


def render(
    sections: list[Section],
    *,
    load: tuple[float, float] | None = None,
    reference: tuple[float, float] | None = None,
) -> str:
    """The sections as Markdown; `load` is the one-minute load average at the start and the end of the run, which
    says whether other programs shared the cores; `reference` the time of the fixed work of `reference.py` then,
    which says how fast the machine ran."""
    shared = f" Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end." if load else ""
    if reference:
        shared += (
            f" Reference work (tests/bench/reference.py, best of three) {reference[0]:.2f} s at the start, "
            f"{reference[1]:.2f} s at the end."
        )
    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}.{shared}", ""]
    for section in sections:
        lines += [f"### {section.title}", "", f"Command: `{section.command}`", ""]
        lines.append("| " + " | ".join(section.header) + " |")
        lines.append("|" + "|".join("---" for _ in section.header) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in section.rows]
        lines += ["", *section.notes, ""] if section.notes else [""]
    return "\n".join(lines)


def write(text: str) -> None:
    """Replace the generated part of docs/benchmarks.md, keeping the hand-written text around it."""
    current = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
