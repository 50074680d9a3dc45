"""`dolbom backup --out DIR` and `dolbom restore DIR`: the database, the files under DOLBOM_HOME that it refers to,
and a signed manifest; never the keys (docs/operations.md, "Backup and restore").

A backup folder holds:

    manifest.json            format, Dolbom version, database vendor, time, each app's latest migration, the
                             fingerprints of the keys, and the SHA-256 and size of every other file; signed
    database.sqlite3         SQLite: a consistent copy taken while the service runs (sqlite3's backup API)
    database.pgdump          PostgreSQL: `pg_dump --format=custom` of one snapshot
    home/signals/…           the Parquet files of the signal imports that stand (the rows of that same snapshot)
    home/models/…            the learned models and their specifications
    home/scorecards/…        the districts' scorecards
    audit-anchors.jsonl      the local anchor file of the audit log, when there is one

The keys stay out: whoever holds a backup and the keys holds every resident number in clear. The manifest keeps a
fingerprint of each key (an HMAC of a fixed text under the key, which tells nothing of the key), so that a restore
under other keys is refused with a sentence instead of ending in numbers nobody can read. The manifest is signed
with a key derived from the audit key, so a file changed in the backup, or the manifest itself, is found before
anything is written.

Written by hand rather than with a backup tool because what belongs together here is specific: a database
snapshot, exactly the files that snapshot refers to, and keys checked without being copied. The database part
itself is SQLite's and PostgreSQL's own (`Connection.backup`, `pg_dump`/`pg_restore`).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

FORMAT = "dolbom-backup/1"
MANIFEST = "manifest.json"
HOME_PART = "home"
ANCHORS = "audit-anchors.jsonl"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Folders of DOLBOM_HOME whose files the database refers to or the rounds read; the rest of the folder is work in
# progress (uploads, staging, tmp, locks), keys (keys.env) or rebuilt (static).
HOME_FOLDERS = ("signals", "models", "scorecards")
_FINGERPRINT_TEXT = b"dolbom backup: key fingerprint v1"
_SIGNING_TEXT = b"dolbom backup: manifest signature v1"
_CHUNK = 1 << 20


class BackupError(Exception):
    """A refusal or failure, with the sentence the operator reads (nothing half-written is left)."""


# ------------------------------------------------------------------------------------------------------- keys


def key_fingerprint(value: str) -> str:
    """What a manifest keeps of a key: an HMAC under the key of a fixed text. Equal keys give equal fingerprints;
    the fingerprint does not help to find the key."""
    return hmac.new(value.encode(), _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:32]


def _configured_keys() -> dict[str, tuple[str, list[str]]]:
    """Each kind of key: the current one and those still accepted (rotation)."""
    from django.conf import settings

    return {
        "rrn": (settings.RRN_KEY, list(settings.RRN_OLD_KEYS)),
        "rrn_hmac": (settings.RRN_HMAC_KEY, list(getattr(settings, "RRN_HMAC_OLD_KEYS", []))),
        "audit": (settings.AUDIT_KEY, list(settings.AUDIT_OLD_KEYS)),
    }


KEY_NAMES = {"rrn": "DOLBOM_RRN_KEY", "rrn_hmac": "DOLBOM_RRN_HMAC_KEY", "audit": "DOLBOM_AUDIT_KEY"}


def _fingerprints() -> dict[str, dict[str, Any]]:
    return {
        kind: {"current": key_fingerprint(current), "old": [key_fingerprint(k) for k in old]}
        for kind, (current, old) in _configured_keys().items()
    }


def _signature(body: dict[str, Any], audit_key: str) -> str:
    signing_key = hmac.new(audit_key.encode(), _SIGNING_TEXT, hashlib.sha256).digest()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(signing_key, canonical, hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------------ files


def _private_dir(path: Path) -> Path:
    from dolbom.core.files import private_dir

    return private_dir(path)


def _copy_hashed(source: Path, target: Path, *, expect: str | None = None) -> tuple[str, int]:
    """Copy a file into a new private file (0600), returning its SHA-256 and size; with `expect`, refuse (and
    remove the copy) when the bytes read are not those the manifest names."""
    from dolbom.core.files import create_private

    _private_dir(target.parent)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as reading, create_private(target) as writing:
            while chunk := reading.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                writing.write(chunk)
            writing.flush()
            os.fsync(writing.fileno())
        if expect is not None and digest.hexdigest() != expect:
            raise BackupError(_damaged(target.name))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as reading:
        while chunk := reading.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _damaged(name: str) -> str:
    message = _("The backup is damaged or was altered: %(path)s does not match its manifest. Nothing was written.")
    return message % {"path": name}


def _home() -> Path:
    from django.conf import settings

    return Path(settings.HOME)


def _anchor_file() -> Path:
    from django.conf import settings

    return Path(settings.AUDIT_ANCHOR_FILE)


def _home_files(standing_signals: list[str]) -> list[str]:
    """The files of DOLBOM_HOME to back up, relative to it: the Parquet of every signal import that stands in the
    snapshot (a file still being written, or orphaned by a crash, is not part of the system), every model file and
    every scorecard."""
    home = _home()
    files = []
    for relative in sorted(set(standing_signals)):
        if not (home / relative).is_file():
            message = _(
                "The database refers to %(path)s, which is not in DOLBOM_HOME: the backup was not made. Check the "
                "data folder (`dolbom cleanup`, a restore from the last backup) before backing up."
            )
            raise BackupError(message % {"path": relative})
        files.append(relative)
    for folder in HOME_FOLDERS[1:]:
        root = home / folder
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                files.append(str(path.relative_to(home)))
    return files


# --------------------------------------------------------------------------------------------------- database


def _database() -> dict[str, Any]:
    from django.db import connection

    return connection.settings_dict


def _vendor() -> str:
    from django.db import connection

    if connection.vendor not in DATABASE_FILES:
        raise BackupError(_("Only SQLite and PostgreSQL databases can be backed up."))
    return connection.vendor


def _pg_program(name: str) -> str:
    """A PostgreSQL client program: in DOLBOM_PG_BIN when it is set, else on the PATH."""
    from django.conf import settings

    folder = settings.PG_BIN
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        message = _(
            "%(program)s was not found: install the PostgreSQL client of the server's version (on Debian "
            "`apt-get install postgresql-client-15`) or set DOLBOM_PG_BIN to the folder that holds it."
        )
        raise BackupError(message % {"program": name})
    return found


def _pg_environment() -> dict[str, str]:
    """The connection for pg_dump and pg_restore, from DATABASES: the password in PGPASSWORD, never on the command
    line, where every user of the machine could read it in the process list."""
    db = _database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
    }
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        values["PGSSLMODE"] = sslmode
    env.update({k: v for k, v in values.items() if v})
    return env


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        # pg_dump and pg_restore name tables and objects, never rows: their messages are safe to show.
        detail = " ".join(result.stderr.split())[-800:]
        raise BackupError(_("%(what)s failed: %(detail)s") % {"what": what, "detail": detail})


def _latest_migrations(rows: list[tuple[str, str]]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))


def _table(app_label: str, model: str) -> str:
    from django.apps import apps

    return apps.get_model(app_label, model)._meta.db_table


def _signal_query() -> str:
    return f"SELECT storage_path FROM {_table('discovery', 'SignalFile')} WHERE withdrawn_at IS NULL"  # noqa: S608


@contextlib.contextmanager
def _sqlite_snapshot(target: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Copy the SQLite database with its online backup API (a consistent copy while the service writes), then
    read what the copy refers to from the copy itself."""
    from dolbom.core.files import create_private

    source = sqlite3.connect(_database()["NAME"])
    create_private(target).close()  # 0600 before a byte is written
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # One self-contained file: the copy takes the live database's WAL mode, which would need -wal/-shm files.
        copy.execute("PRAGMA journal_mode=DELETE")
        signals = [row[0] for row in copy.execute(_signal_query())]
        migrations = _latest_migrations(list(copy.execute("SELECT app, name FROM django_migrations")))
    finally:
        copy.close()
        source.close()
    yield signals, migrations


@contextlib.contextmanager
def _postgres_snapshot(target: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """pg_dump of one exported snapshot, and the signal files and migrations read in that same snapshot; the
    snapshot stays open (and so the rows it saw) until the files are copied."""
    from django.db import connection

    pg_dump = _pg_program("pg_dump")
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = raw.execute("SELECT pg_export_snapshot()").fetchone()[0]
        signals = [row[0] for row in raw.execute(_signal_query())]
        migrations = _latest_migrations(list(raw.execute("SELECT app, name FROM django_migrations")))
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        _run([*command, f"--file={target}"], "pg_dump")
        os.chmod(target, 0o600)
        yield signals, migrations
        raw.execute("ROLLBACK")
    finally:
        raw.close()


@dataclass
class BackupSummary:
    out: Path
    vendor: str
    files: int
    size: int
    manifest_sha256: str

    def render(self) -> str:
        values = {"out": self.out, "files": f"{self.files:,}", "mb": f"{self.size / 2**20:,.1f}", "db": self.vendor}
        return _("Backup written to %(out)s: the %(db)s database and %(files)s files, %(mb)s MB.") % values


def backup(out: Path) -> BackupSummary:
    """Write a backup folder at `out` (which must not exist, or be empty). It is built beside it under a hidden
    name and renamed at the end, so that a folder of that name is always a complete backup."""
    from django.conf import settings

    out = Path(out).absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(_("%(out)s already exists and is not empty: name a new folder.") % {"out": out})
    vendor = _vendor()
    _private_dir(out.parent)
    work = Path(_private_dir(out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"))
    try:
        database = work / DATABASE_FILES[vendor]
        snapshot = _sqlite_snapshot if vendor == "sqlite" else _postgres_snapshot
        entries: list[dict[str, Any]] = []
        with snapshot(database) as (signals, migrations):
            home = _home()
            for relative in _home_files(signals):
                sha, size = _copy_hashed(home / relative, work / HOME_PART / relative)
                entries.append({"path": f"{HOME_PART}/{relative}", "sha256": sha, "size": size})
        anchors = _anchor_file()
        if anchors.is_file() and anchors.stat().st_size:
            sha, size = _copy_hashed(anchors, work / ANCHORS)
            entries.append({"path": ANCHORS, "sha256": sha, "size": size})
        sha, size = _hash_file(database)
        entries.insert(0, {"path": database.name, "sha256": sha, "size": size})
        body = {
            "format": FORMAT,
            "dolbom_version": metadata.version("dolbom"),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "file": database.name},
            "migrations": migrations,
            "keys": _fingerprints(),
            "files": entries,
        }
        manifest = {**body, "signature": _signature(body, settings.AUDIT_KEY)}
        text = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
        from dolbom.core.files import write_private

        write_private(work / MANIFEST, text)
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    total = sum(e["size"] for e in entries)
    return BackupSummary(out, vendor, len(entries) - 1, total, hashlib.sha256(text).hexdigest())


# ---------------------------------------------------------------------------------------------------- restore


def _read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(_("%(dir)s is not a Dolbom backup: it has no manifest.json.") % {"dir": source})
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(_damaged(MANIFEST)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        message = _("%(dir)s is not a backup this version of Dolbom reads (format %(format)s).")
        raise BackupError(message % {"dir": source, "format": FORMAT})
    return manifest


def _check_keys(manifest: dict[str, Any]) -> str:
    """Refuse unless every key the backup's data was written under is configured here; return the audit key that
    signed the manifest."""
    configured = _configured_keys()
    saved = manifest.get("keys") or {}
    missing = []
    for kind, name in KEY_NAMES.items():
        current, old = configured[kind]
        here = {key_fingerprint(k) for k in [current, *old]}
        theirs = saved.get(kind) or {}
        needed = [theirs.get("current"), *(theirs.get("old") or [])] if kind != "rrn_hmac" else [theirs.get("current")]
        if any(fp not in here for fp in needed):
            missing.append(name)
    if missing:
        message = _(
            "The keys configured here are not those of the backup: %(names)s. Set the keys kept apart from the "
            "backups (the sealed envelope or the vault) in the environment, then restore again. Nothing was written."
        )
        raise BackupError(message % {"names": ", ".join(missing)})
    current, old = configured["audit"]
    return next(k for k in [current, *old] if key_fingerprint(k) == saved["audit"]["current"])


def _check_manifest(source: Path, manifest: dict[str, Any], audit_key: str) -> list[dict[str, Any]]:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    if not hmac.compare_digest(str(manifest.get("signature", "")), _signature(body, audit_key)):
        raise BackupError(_damaged(MANIFEST))
    entries = manifest["files"]
    listed = {e["path"] for e in entries}
    database = manifest["database"]["file"]
    if database not in listed or database not in DATABASE_FILES.values():
        raise BackupError(_damaged(MANIFEST))
    for entry in entries:
        path = source / entry["path"]
        if ".." in Path(entry["path"]).parts or Path(entry["path"]).is_absolute():
            raise BackupError(_damaged(entry["path"]))
        if not path.is_file() or path.is_symlink() or path.stat().st_size != entry["size"]:
            raise BackupError(_damaged(entry["path"]))
        if _hash_file(path)[0] != entry["sha256"]:
            raise BackupError(_damaged(entry["path"]))
    for path in source.rglob("*"):
        relative = str(path.relative_to(source))
        if path.is_file() and relative != MANIFEST and relative not in listed:
            raise BackupError(_damaged(relative))
    return entries


def _check_schema(manifest: dict[str, Any]) -> None:
    """A backup from a newer Dolbom has migrations this code does not know: refuse rather than run on a schema the
    code does not match. An older backup is fine: `dolbom manage migrate` brings it forward after the restore."""
    from django.db.migrations.loader import MigrationLoader

    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [f"{app}.{name}" for app, name in manifest.get("migrations", {}).items() if (app, name) not in known]
    if unknown:
        message = _(
            "The backup was made by a newer version of Dolbom (%(version)s; migrations unknown here: %(names)s). "
            "Install that version, restore, then upgrade."
        )
        raise BackupError(message % {"version": manifest.get("dolbom_version"), "names": ", ".join(unknown[:5])})
    vendor = manifest["database"]["vendor"]
    if vendor != _vendor():
        message = _("The backup holds a %(theirs)s database; the database configured here is %(ours)s.")
        raise BackupError(message % {"theirs": vendor, "ours": _vendor()})


def _database_tables() -> list[str]:
    if _vendor() == "sqlite":
        name = Path(_database()["NAME"])
        if not name.exists():
            return []
        uri = f"{name.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return [r[0] for r in cursor.fetchall()]


def _check_empty(entries: list[dict[str, Any]]) -> None:
    """Restore only where nothing would be overwritten or mixed: a database without tables, a DOLBOM_HOME without
    the folders a backup fills, and no anchor file with lines in it."""
    if _database_tables():
        message = _(
            "The database already holds tables: restore only into a new, empty database (created, never migrated). "
            "Nothing was written."
        )
        raise BackupError(message)
    home = _home()
    for folder in HOME_FOLDERS:
        root = home / folder
        found = next((p for p in root.rglob("*") if p.is_file()), None) if root.is_dir() else None
        if found is not None:
            message = _(
                "DOLBOM_HOME already holds files a restore would write (%(path)s): restore only into a new, empty "
                "data folder. Nothing was written."
            )
            raise BackupError(message % {"path": found.relative_to(home)})
    anchors = _anchor_file()
    if any(e["path"] == ANCHORS for e in entries) and anchors.exists() and anchors.stat().st_size:
        message = _(
            "The anchor file %(path)s already has lines: restore only into a new installation. Nothing was written."
        )
        raise BackupError(message % {"path": anchors})


@dataclass
class _Placed:
    """What a restore has put in place so far, to take back if a later step fails."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def place(self, staged: Path, target: Path) -> None:
        missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
        _private_dir(target.parent)
        self.folders.extend(sorted(missing, key=lambda p: len(p.parts), reverse=True))
        os.replace(staged, target)
        self.files.append(target)

    def take_back(self) -> None:
        for path in self.files:
            path.unlink(missing_ok=True)
        for folder in sorted(set(self.folders), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()


@dataclass
class RestoreSummary:
    source: Path
    vendor: str
    files: int
    created_at: str

    def render(self) -> str:
        values = {"source": self.source, "db": self.vendor, "files": f"{self.files:,}", "at": self.created_at}
        message = _(
            "Restored the backup of %(at)s from %(source)s: the %(db)s database and %(files)s files. Now run "
            "`dolbom manage migrate` and `dolbom audit verify`."
        )
        return message % values


def restore(source: Path) -> RestoreSummary:
    """Restore a backup into this empty installation: everything is checked before anything is written, the files
    are staged inside DOLBOM_HOME, put in place, and the database restored last in one step (a renamed file, or
    one pg_restore transaction); if that fails, the files placed are taken back."""
    source = Path(source).absolute()
    manifest = _read_manifest(source)
    try:
        audit_key = _check_keys(manifest)
        entries = _check_manifest(source, manifest, audit_key)
    except (KeyError, TypeError, AttributeError):  # a manifest with a field missing or of the wrong kind
        raise BackupError(_damaged(MANIFEST)) from None
    _check_schema(manifest)
    _check_empty(entries)
    home = _home()
    staging = _private_dir(home / f".restore-{secrets.token_hex(4)}")
    placed = _Placed()
    vendor = manifest["database"]["vendor"]
    try:
        staged: list[tuple[Path, Path]] = []
        for entry in entries:
            relative = entry["path"]
            # Copied again with its hash checked as it is read: what is written is what was verified.
            _copy_hashed(source / relative, staging / relative, expect=entry["sha256"])
            if relative.startswith(f"{HOME_PART}/"):
                staged.append((staging / relative, home / relative.removeprefix(f"{HOME_PART}/")))
            elif relative == ANCHORS:
                staged.append((staging / relative, _anchor_file()))
        try:
            for staged_path, target in staged:
                placed.place(staged_path, target)
            database = staging / manifest["database"]["file"]
            if vendor == "sqlite":
                target = Path(_database()["NAME"])
                for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                    leftover.unlink(missing_ok=True)  # an empty database file, checked above to have no table
                placed.place(database, target)
            else:
                pg_restore = _pg_program("pg_restore")
                command = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
                _run([*command, f"--dbname={_database()['NAME']}", str(database)], "pg_restore")
        except BaseException:
            placed.take_back()
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreSummary(source, vendor, len(entries) - 1, manifest.get("created_at", ""))


# -------------------------------------------------------------------------------------------------------- CLI


def cmd_backup(args: argparse.Namespace) -> int:
    from dolbom.core import audit

    try:
        summary = backup(Path(args.out))
    except BackupError as refused:
        print(refused, file=sys.stderr)
        return 1
    # After the snapshot, so the backup does not hold its own event: the log says which backups exist, by whom.
    detail = {"vendor": summary.vendor, "files": summary.files, "bytes": summary.size}
    audit.record(None, "ops.backup", detail={**detail, "manifest_sha256": summary.manifest_sha256, **_operator()})
    print(summary.render())
    return 0


def _operator() -> dict[str, str]:
    import getpass

    try:
        return {"operator": getpass.getuser()}
    except (KeyError, OSError):
        return {}


def cmd_restore(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    try:
        summary = restore(Path(args.source))
    except BackupError as refused:
        print(refused, file=sys.stderr)
        return 1
    except DatabaseError as exc:  # the empty database asked for its tables is not reachable
        db = _database()
        where = f"{db['HOST']}:{db['PORT']}/{db['NAME']}" if db.get("HOST") else str(db["NAME"])
        message = _("Cannot reach the database (%(where)s); check DOLBOM_DATABASE_URL and the server: %(error)s")
        print(message % {"where": where, "error": " ".join(str(exc).split())}, file=sys.stderr)
        return 2
    print(summary.render())
    return 0


Wrap = Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]


def register(sub: Any, with_django: Wrap, with_settings: Wrap | None = None) -> None:
    """`dolbom backup` needs the database migrated; `dolbom restore` needs it empty, so only the settings."""
    made = sub.add_parser("backup", help="back up the database, the files under DOLBOM_HOME and a manifest (no keys)")
    made.add_argument("--out", required=True, help="a new folder for the backup")
    made.set_defaults(func=with_django(cmd_backup))
    back = sub.add_parser("restore", help="restore a backup into an empty installation (the same keys configured)")
    back.add_argument("source", help="the backup folder")
    back.set_defaults(func=(with_settings or with_django)(cmd_restore))
