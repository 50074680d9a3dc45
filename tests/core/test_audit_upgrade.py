"""An install whose audit log was written with plain SHA-256 links, upgraded to keyed links by `migrate`.

Run through the real command on SQLite in a temporary DOLBOM_HOME: the rows are written as the unkeyed chain wrote
them, then the upgrade, then `dolbom audit verify`, then an intruder's recomputation of the whole chain."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
GENESIS = "0" * 64


def _dolbom(*args, home):
    script = Path(sys.executable).with_name("dolbom")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")} | {"DOLBOM_HOME": str(home)}
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=300)


def _unkeyed_chain(db: sqlite3.Connection, rows: list[dict], start_prev: str = GENESIS) -> str:
    """Write `rows` linked the way the unkeyed chain did: SHA-256 over the previous hash and the canonical JSON."""
    prev = start_prev
    for row in rows:
        payload = {k: row[k] for k in ("seq", "actor_name", "action", "object_type", "object_id", "reason", "detail")}
        payload |= {"at": row["at"].isoformat(timespec="microseconds"), "actor": None}
        canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(prev.encode() + b"\n" + canonical.encode()).hexdigest()
        db.execute(
            "INSERT OR REPLACE INTO core_auditevent (seq, at, actor_id, actor_name, action, object_type, object_id,"
            " reason, detail, prev_hash, hash) VALUES (?, ?, NULL, ?, ?, '', '', ?, ?, ?, ?)",
            (
                row["seq"],
                row["at"].strftime("%Y-%m-%d %H:%M:%S.%f"),
                row["actor_name"],
                row["action"],
                row["reason"],
                json.dumps(row["detail"]),
                prev,
                digest,
            ),
        )
        prev = digest
    db.execute("INSERT OR REPLACE INTO core_auditchainhead (id, seq, hash) VALUES (1, ?, ?)", (rows[-1]["seq"], prev))
    return prev


def test_an_upgraded_log_verifies_and_cannot_be_recomputed_as_unkeyed(tmp_path):
    assert _dolbom("manage", "migrate", "core", "0002", "-v0", home=tmp_path).returncode == 0
    start = datetime(2026, 9, 1, 9, tzinfo=UTC)
    rows = [
        {
            "seq": i,
            "at": start + timedelta(minutes=i, microseconds=i * 1234),
            "actor_name": "demo_dong",
            "action": "registry.view_household",
            "object_type": "",
            "object_id": "",
            "reason": f"상담 {i}",
            "detail": {"i": i},
        }
        for i in (1, 2, 3)
    ]
    with sqlite3.connect(tmp_path / "dolbom.sqlite3") as db:
        _unkeyed_chain(db, rows)

    upgraded = _dolbom("manage", "migrate", "-v0", home=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    verified = _dolbom("audit", "verify", home=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "기록 1–3" in verified.stdout and "기록 4" in verified.stdout
    with sqlite3.connect(tmp_path / "dolbom.sqlite3") as db:
        sealed = db.execute("SELECT action, key_id, prev_hash FROM core_auditevent WHERE seq = 4").fetchone()
        triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert sealed[0] == "core.audit_keyed" and sealed[1]
    assert {"core_auditevent_no_update", "core_auditevent_no_delete"} <= triggers, "the upgrade lost the triggers"

    # The intruder drops the triggers and recomputes everything, the upgrade's event included, as unkeyed links.
    with sqlite3.connect(tmp_path / "dolbom.sqlite3") as db:
        db.execute("DROP TRIGGER core_auditevent_no_update")
        db.execute("DROP TRIGGER core_auditevent_no_delete")
        rows[1]["reason"] = "정기 점검"
        rows.append({**rows[0], "seq": 4, "action": "core.audit_keyed", "reason": "", "detail": {"unkeyed_until": 3}})
        _unkeyed_chain(db, rows)
        db.execute("UPDATE core_auditevent SET key_id = NULL WHERE seq = 4")
    tampered = _dolbom("audit", "verify", home=tmp_path)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert tampered.stdout.startswith("#4 "), tampered.stdout
