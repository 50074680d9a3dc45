"""`dolbom import registry` as an operator runs it on a new installation: the superuser loads the district's export
into an empty database (the 시도, the 시군구 and its dongs come from the 행정구역 file); `--check` first writes
nothing; a refused export exits 1 naming row and column, never a resident number."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry.export_files import DISTRICT, NUMBERS, members, write_export

# A new installation is migrated by its own process (about half a minute): with the slow tests, which CI runs on
# SQLite and PostgreSQL. The rules themselves are tested in-process in test_import_registry.py.
pytestmark = pytest.mark.slow


def _dolbom(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("dolbom")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
    return subprocess.run(
        [*command, *args],
        env={**clean, "DOLBOM_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _count(home: Path, table: str) -> int:
    with sqlite3.connect(home / "dolbom.sqlite3") as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_the_superuser_loads_a_district_into_a_new_installation(tmp_path):
    home = tmp_path / "home"
    assert _dolbom("manage", "migrate", "--no-input", "-v0", home=home).returncode == 0
    created = _dolbom(
        "manage", "createsuperuser", "--username", "admin", "--email", "", "--noinput",
        home=home, DJANGO_SUPERUSER_PASSWORD="a long password 1",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    folder = write_export(tmp_path / "export", file_format="cp949")
    command = ("import", "registry", str(folder), "--district", DISTRICT, "--as-of", "2026-11-01", "--as", "admin")

    checked = _dolbom(*command, "--check", home=home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "6" in checked.stdout and _count(home, "registry_person") == 0
    assert _count(home, "registry_administrativearea") == 0

    done = _dolbom(*command, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _count(home, "registry_person") == 6 and _count(home, "registry_household") == 2
    assert _count(home, "registry_administrativearea") == 5  # 한빛시, 중앙구, 가온동, 나래동, 다온동
    assert checked.stdout.splitlines()[1:] == done.stdout.splitlines()[1:]  # the check said what the import did

    rows = members()
    rows[2][9] = "050505-3******"
    write_export(tmp_path / "export", rows, file_format="cp949")
    refused = _dolbom(*command, home=home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "세대원.csv" in refused.stdout and "4" in refused.stdout and "주민등록번호" in refused.stdout
    assert "Traceback" not in refused.stderr
    assert not any(n[:6] in refused.stdout + refused.stderr for n in NUMBERS), refused.stdout
    assert _count(home, "registry_person") == 6

    nobody = _dolbom(*command[:-1], "nobody", home=home)
    assert nobody.returncode != 0 and "nobody" in nobody.stderr and "Traceback" not in nobody.stderr
