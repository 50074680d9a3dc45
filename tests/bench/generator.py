"""Synthetic city generation and bulk load: time per size, and how close to linear the growth is."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from dolbom.synth.generate import generate_city
from tests.bench.report import Section


def _generate(out: Path, households: int) -> float:
    started = time.perf_counter()
    generate_city(out, households=households, seed=7)
    return time.perf_counter() - started


def run(home: Path, *, quick: bool) -> Section:
    small, large = (2_000, 20_000) if quick else (20_000, 1_000_000)
    section = Section(
        title="Synthetic city generator",
        command="make bench (tests/bench/generator.py)",
        header=["households", "seconds", "households/s", "peak RSS (GiB)"],
    )
    times = {}
    for size in (small, large):
        times[size] = _generate(home / f"city-{size}", size)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        section.rows.append([f"{size:,}", f"{times[size]:.1f}", f"{size / times[size]:,.0f}", f"{rss:.2f}"])
    growth = (times[large] / times[small]) / (large / small)
    section.notes.append(
        f"Time ratio {large:,} / {small:,} households = {times[large] / times[small]:.1f}× for "
        f"{large // small}× the size (1.0 would be exactly linear: {growth:.2f})."
    )
    return section
