"""`make bench` as a whole, at the quick sizes: every benchmark runs in one go, each on a database of its own
(several load a generated city, and a registry takes one only), and the report has every section."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.__main__ import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(
    bool(os.environ.get("DOLBOM_DATABASE_URL")),
    reason="the benchmarks start the databases they measure: run once, in the SQLite pass",
)
def test_every_benchmark_runs_in_one_go_at_quick_sizes():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_") and k != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "tests.bench", "--quick", "--no-write"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1700)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    titles = re.findall(r"^### (.+)$", result.stdout, re.M)
    assert len(titles) == len(BENCHMARKS), titles
