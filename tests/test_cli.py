"""The `dolbom` command as an operator meets it on a fresh machine: a database not migrated yet, or not reachable,
gets a sentence saying what to do, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOT_READY = "데이터베이스가 준비되지 않았습니다: `dolbom manage migrate` 또는 `make demo`"


def _dolbom(*args, home, **env):
    script = Path(sys.executable).with_name("dolbom")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
    return subprocess.run(
        [*command, *args],
        env={**clean, "DOLBOM_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "verify"],
        ["import", "signals", "nhis.csv", "--period", "2026-09", "--as", "demo_district"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_commands_refuse_a_database_that_was_never_migrated(tmp_path, command):
    result = _dolbom(*command, home=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert NOT_READY in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "audit-anchors.jsonl").exists()


def test_commands_say_when_the_database_cannot_be_reached(tmp_path):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    result = _dolbom("audit", "verify", home=tmp_path, DOLBOM_DATABASE_URL="postgres://dolbom:x@127.0.0.1:1/dolbom")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "데이터베이스에 연결할 수 없습니다(127.0.0.1:1/dolbom)" in result.stderr
    assert "Traceback" not in result.stderr and "x@" not in result.stderr
