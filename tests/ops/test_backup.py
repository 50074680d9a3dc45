"""`dolbom backup` and `dolbom restore` as an operator runs them: a loaded installation backed up while it runs,
restored into a fresh database and a fresh DOLBOM_HOME, and then `dolbom audit verify`, every table row by row and
every file byte by byte compared; and the refusals (a changed backup, an installation that is not empty, other
keys), each of which must leave nothing written.

Each installation is its own `dolbom` process with its own DOLBOM_HOME (and, on PostgreSQL, its own database), as
on a server; the test database of pytest-django is not involved."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# Each installation is migrated and loaded by its own processes: about a minute for the module, so it runs with
# the slow tests (CI runs them, on SQLite and, with DOLBOM_DATABASE_URL, PostgreSQL).
pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("dolbom")
DOLBOM = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "dolbom.cli"]
FOLDERS = ("signals", "models", "scorecards")

# Every table of the database, rows in a canonical order, bytes as base64: equal output means equal tables.
DUMP_TABLES = r"""
import base64, json
from django.db import connection

def cell(value):
    if isinstance(value, (bytes, memoryview)):
        return "b64:" + base64.b64encode(bytes(value)).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = [json.dumps([cell(v) for v in row], ensure_ascii=False, default=str) for row in cursor.fetchall()]
        tables[table] = sorted(rows)
print("TABLES " + json.dumps(tables, ensure_ascii=False))
"""


def _keys() -> dict[str, str]:
    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    return {
        "DOLBOM_SECRET_KEY": base64.b64encode(os.urandom(40)).decode(),
        "DOLBOM_RRN_KEY": key(),
        "DOLBOM_RRN_HMAC_KEY": key(),
        "DOLBOM_AUDIT_KEY": key(),
    }


class Installation:
    """One installation: a DOLBOM_HOME, its keys and its database (SQLite in the home, or a PostgreSQL URL)."""

    def __init__(self, home: Path, keys: dict[str, str], database_url: str = "") -> None:
        self.home = home
        self.keys = keys
        self.database_url = database_url

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
        env = {**clean, "DOLBOM_HOME": str(self.home), **self.keys}
        if self.database_url:
            env["DOLBOM_DATABASE_URL"] = self.database_url
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*DOLBOM, *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(f"dolbom {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def tables(self) -> dict[str, list[str]]:
        out = self.run("manage", "shell", "-c", DUMP_TABLES).stdout
        line = next(line for line in out.splitlines() if line.startswith("TABLES "))
        return json.loads(line.removeprefix("TABLES "))

    def files(self) -> dict[str, bytes]:
        found = {}
        for folder in FOLDERS:
            root = self.home / folder
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                if path.is_file() and ".staging" not in path.parts:
                    found[str(path.relative_to(self.home))] = path.read_bytes()
        anchors = self.home / "audit-anchors.jsonl"
        if anchors.exists():
            found["audit-anchors.jsonl"] = anchors.read_bytes()
        return found

    def untouched(self) -> bool:
        """Nothing a restore writes is there: no database file, no backed-up folder, no anchor, no staging."""
        leftovers = (
            [p.name for p in self.home.iterdir() if p.name.startswith(".restore-")] if self.home.exists() else []
        )
        return (
            not (self.home / "dolbom.sqlite3").exists()
            and not any((self.home / folder).exists() for folder in FOLDERS)
            and not (self.home / "audit-anchors.jsonl").exists()
            and not leftovers
        )


def _loaded(home: Path, keys: dict[str, str], database_url: str, city: Path) -> Installation:
    """A migrated installation with a small generated city, one signal import, a scorecard and an anchor."""
    source = Installation(home, keys, database_url)
    source.run("manage", "migrate", "--no-input", "-v0")
    source.run("load", str(city))
    signals = city / "signals" / "9911000000" / "2026-09" / "kepco.csv"
    source.run("import", "signals", str(signals), "--period", "2026-09", "--as", "demo_district")
    (home / "scorecards").mkdir(mode=0o700)
    (home / "scorecards" / "9911000000.toml").write_text("# the district's scorecard\n")
    source.run("audit", "anchor")
    return source


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city") / "city"
    subprocess.run([*DOLBOM, "generate", "--households", "300", "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory: pytest.TempPathFactory, city: Path) -> tuple[Installation, dict, Path]:
    keys = _keys()
    source = _loaded(tmp_path_factory.mktemp("source-home"), keys, "", city)
    before = source.tables()
    out = tmp_path_factory.mktemp("backups") / "sqlite"
    source.run("backup", "--out", str(out))
    return source, before, out


def _round_trip(source: Installation, before: dict, backup: Path, target: Installation) -> None:
    restored = target.run("restore", str(backup))
    assert "복원했습니다" in restored.stdout, restored.stdout
    verified = target.run("audit", "verify")
    assert "감사 로그가 온전합니다" in verified.stdout, verified.stdout
    after = target.tables()
    assert sorted(after) == sorted(before)
    differing = [table for table in before if before[table] != after[table]]
    assert not differing, f"tables that differ after the restore: {differing}"
    assert target.files() == source.files()
    assert any(name.startswith("signals/") for name in target.files())


def test_backup_holds_a_signed_manifest_and_private_files(sqlite_backup):
    source, _, backup = sqlite_backup
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == {"vendor": "sqlite", "file": "database.sqlite3"}
    assert manifest["migrations"]["registry"].startswith("00")
    assert manifest["signature"]
    listed = {entry["path"] for entry in manifest["files"]}
    assert {"database.sqlite3", "audit-anchors.jsonl", "home/scorecards/9911000000.toml"} <= listed
    assert any(path.startswith("home/signals/9911000000/2026-09/") for path in listed)
    # The keys are not in the backup, only their fingerprints.
    text = "".join(p.read_text(errors="replace") for p in backup.rglob("*") if p.is_file())
    assert not any(value in text for value in source.keys.values())
    assert set(manifest["keys"]) == {"rrn", "rrn_hmac", "audit"}
    for path in [backup, *backup.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_backup_then_restore_into_a_fresh_installation_on_sqlite(sqlite_backup, tmp_path):
    source, before, backup = sqlite_backup
    _round_trip(source, before, backup, Installation(tmp_path / "home", source.keys))


def _copy(backup: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "backup"
    shutil.copytree(backup, copy)
    return copy


def _change_a_signal_file(backup: Path) -> None:
    parquet = next((backup / "home" / "signals").rglob("*.parquet"))
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))


def _rewrite_the_manifest(backup: Path) -> None:
    """An edited database with the manifest's hash and size updated to match (but no key to sign it again)."""
    import hashlib

    database = backup / "database.sqlite3"
    data = database.read_bytes() + b"\0" * 4096
    database.write_bytes(data)
    manifest = json.loads((backup / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["path"] == "database.sqlite3")
    entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (backup / "manifest.json").write_text(json.dumps(manifest))


def _add_a_file(backup: Path) -> None:
    (backup / "home" / "signals" / "extra.parquet").write_bytes(b"PAR1")


@pytest.mark.parametrize("change", [_change_a_signal_file, _rewrite_the_manifest, _add_a_file])
def test_a_changed_backup_is_refused_and_nothing_is_written(sqlite_backup, tmp_path, change):
    source, _, backup = sqlite_backup
    copy = _copy(backup, tmp_path)
    change(copy)
    target = Installation(tmp_path / "home", source.keys)
    result = target.run("restore", str(copy), check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "백업이 손상되었거나 변경되었습니다" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.untouched()


def test_restore_into_an_installation_that_is_not_empty_is_refused(sqlite_backup, tmp_path):
    source, _, backup = sqlite_backup
    migrated = Installation(tmp_path / "migrated", source.keys)
    migrated.run("manage", "migrate", "--no-input", "-v0")
    result = migrated.run("restore", str(backup), check=False)
    assert result.returncode == 1
    assert "데이터베이스에 이미 테이블이 있습니다" in result.stderr
    assert not (migrated.home / "signals").exists()

    # An empty database, but a data folder that already holds signal files.
    stale = Installation(tmp_path / "stale", source.keys)
    (stale.home / "signals" / "9911000000").mkdir(parents=True)
    (stale.home / "signals" / "9911000000" / "old.parquet").write_bytes(b"PAR1")
    result = stale.run("restore", str(backup), check=False)
    assert result.returncode == 1
    assert "DOLBOM_HOME에 복원할 파일이 이미 있습니다" in result.stderr
    assert not (stale.home / "dolbom.sqlite3").exists()


def test_restore_under_other_keys_is_refused(sqlite_backup, tmp_path):
    source, _, backup = sqlite_backup
    other = {**source.keys, "DOLBOM_RRN_KEY": _keys()["DOLBOM_RRN_KEY"]}
    target = Installation(tmp_path / "home", other)
    result = target.run("restore", str(backup), check=False)
    assert result.returncode == 1
    assert "DOLBOM_RRN_KEY" in result.stderr and "키" in result.stderr
    assert "DOLBOM_AUDIT_KEY" not in result.stderr
    assert target.untouched()


# ---------------------------------------------------------------------------------------------- PostgreSQL


def _postgres_url() -> str:
    url = os.environ.get("DOLBOM_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _database(url: str, suffix: str) -> str:
    """A database of its own beside the run's, created empty (and dropped afterwards by the test)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/") + suffix
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.strip("/")}" WITH (FORCE)')


@pytest.mark.skipif(not _postgres_url(), reason="PostgreSQL only: DOLBOM_DATABASE_URL=postgres://… (CI sets it)")
def test_backup_then_restore_into_a_fresh_installation_on_postgresql(tmp_path, city):
    keys = _keys()
    source_url, target_url = _database(_postgres_url(), "_backup_source"), _database(_postgres_url(), "_backup_target")
    try:
        source = _loaded(tmp_path / "source", keys, source_url, city)
        before = source.tables()
        backup = tmp_path / "backups" / "pg"
        source.run("backup", "--out", str(backup))
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["database"] == {"vendor": "postgresql", "file": "database.pgdump"}
        target = Installation(tmp_path / "target", keys, target_url)
        _round_trip(source, before, backup, target)
        again = target.run("restore", str(backup), check=False)
        assert again.returncode == 1 and "데이터베이스에 이미 테이블이 있습니다" in again.stderr
    finally:
        _drop(source_url)
        _drop(target_url)
