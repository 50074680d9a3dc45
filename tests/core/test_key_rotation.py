"""Key rotation done from the outside, as docs/operations.md ("Key rotation") tells an operator: a loaded city,
both keys replaced, `dolbom keys rotate` killed half way and run again, the old keys retired; then every resident
number still reveals through the reveal service and every search by number still finds its household. A forgotten
old key or a malformed key stops `check --deploy` and the server's start with a message naming the setting.

On SQLite by default; with DOLBOM_DATABASE_URL set to PostgreSQL the city is loaded into a fresh database of that
server (created and dropped here)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.discovery.served import dolbom_command, free_port

pytestmark = pytest.mark.slow

# Prints, for every person each district's administrator may see, the number the reveal service shows and the
# households a search by that number finds (through the audited services, as the pages call them).
REVEAL_AND_SEARCH = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from dolbom.registry import services
from dolbom.registry.selectors import persons_visible_to
seen = {}
for user in get_user_model().objects.filter(staff__role="district_admin"):
    for person in persons_visible_to(user).order_by("pk"):
        number = services.reveal_person(user=user, person_id=person.pk, reason="키 교체 후 확인 점검").rrn
        found = services.search(user=user, text=number)
        seen[person.pk] = [number, sorted(hit.household.pk for hit in found.hits)]
print(json.dumps(seen))
"""

SET_PIPE_SIZE = 1031  # fcntl.F_SETPIPE_SZ (Linux)


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def database_url():
    """A fresh PostgreSQL database when the run uses PostgreSQL, else None (SQLite in the home)."""
    url = os.environ.get("DOLBOM_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    name = f"dolbom_rekey_{uuid.uuid4().hex[:8]}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Install:
    def __init__(self, home: Path, database_url: str | None) -> None:
        self.home = home
        self.database_url = database_url
        self.keys: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_") and k != "DJANGO_SETTINGS_MODULE"}
        env.update(DOLBOM_HOME=str(self.home), DJANGO_SETTINGS_MODULE="dolbom.settings", **self.keys)
        if self.database_url:
            env["DOLBOM_DATABASE_URL"] = self.database_url
        return env

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*dolbom_command(), *args], env=self.env(), input=stdin, capture_output=True, text=True, timeout=600
        )

    def python(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script], env=self.env(), capture_output=True, text=True, timeout=600
        )

    def file_keys(self) -> dict[str, str]:
        lines = (self.home / "keys.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))

    def revealed_and_found(self) -> dict[str, list]:
        result = self.python(REVEAL_AND_SEARCH)
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)


@pytest.fixture
def install(tmp_path, database_url) -> Install:
    """A small generated city loaded with the keys of its keys.env (the keys in force before the rotation)."""
    installed = Install(tmp_path / "home", database_url)
    result = installed.run("demo", "--no-serve", "--households", "200")
    assert result.returncode == 0, result.stdout + result.stderr
    return installed


def _rotate_and_kill(install: Install, after_batches: int) -> str:
    """Start `dolbom keys rotate` one row per batch and kill it (SIGKILL) once it has committed `after_batches`.
    Its output pipe is made one page small and left unread, so that it cannot run ahead to the end meanwhile."""
    process = subprocess.Popen(
        [*dolbom_command(), "keys", "rotate", "--batch-size", "1", "--progress"],
        env=install.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    fcntl.fcntl(process.stdout.fileno(), SET_PIPE_SIZE, 4096)
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if len(seen) == after_batches:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert len(seen) == after_batches, "".join(seen) + process.stderr.read()
    return "".join(seen)


def _status(install: Install) -> str:
    return install.run("keys", "status").stdout


def test_both_keys_rotate_with_a_kill_half_way_then_the_old_ones_retire(install):
    before = install.revealed_and_found()
    assert len(before) > 400 and all(households for _, households in before.values())
    old = install.file_keys()
    new_key, new_lookup = _key(), _key()

    # The runbook: new keys current, the old ones kept as old keys, the service restarted, then the rotation.
    install.keys = {
        "DOLBOM_RRN_KEY": new_key,
        "DOLBOM_RRN_OLD_KEYS": old["DOLBOM_RRN_KEY"],
        "DOLBOM_RRN_HMAC_KEY": new_lookup,
        "DOLBOM_RRN_HMAC_OLD_KEYS": old["DOLBOM_RRN_HMAC_KEY"],
    }
    _rotate_and_kill(install, after_batches=40)

    # Half way: both keys hold data; everybody still reveals and is found (lookups try the old hash as well).
    half = install.run("keys", "status")
    assert half.returncode == 1  # something is left under an old key: not yet time to retire it
    assert "DOLBOM_RRN_OLD_KEYS[0]" in half.stdout and "DOLBOM_RRN_HMAC_OLD_KEYS[0]" in half.stdout
    assert install.revealed_and_found() == before

    resumed = install.run("keys", "rotate", "--batch-size", "50")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    status = install.run("keys", "status")
    assert status.returncode == 0, status.stdout
    assert "DOLBOM_RRN_OLD_KEYS" not in status.stdout and "DOLBOM_RRN_HMAC_OLD_KEYS" not in status.stdout
    assert old["DOLBOM_RRN_KEY"] not in status.stdout + resumed.stdout  # fingerprints only, never a key

    # A second run finds nothing to rewrite: the proof that nothing is left under a key about to be retired.
    assert install.run("keys", "rotate").returncode == 0

    # Old keys retired: everything reveals and is found with the new keys alone.
    install.keys = {"DOLBOM_RRN_KEY": new_key, "DOLBOM_RRN_HMAC_KEY": new_lookup}
    assert install.revealed_and_found() == before
    check = install.run("manage", "check", "--deploy")
    assert "dolbom.E10" not in check.stdout + check.stderr

    # The rotation is in the audit log: every start, and the end of each run that finished.
    audited = install.python(
        "import django, json; django.setup(); from dolbom.core.models import AuditEvent;"
        "print(json.dumps(list(AuditEvent.objects.filter(action__startswith='core.keys_rot').order_by('seq')"
        ".values_list('action', 'detail'))))"
    )
    events = json.loads(audited.stdout)
    assert [action for action, _ in events] == [
        "core.keys_rotate_started",  # the killed run never finished
        "core.keys_rotate_started",
        "core.keys_rotated",
        "core.keys_rotate_started",
        "core.keys_rotated",
    ]
    assert events[2][1]["rewritten"] > 0 and events[4][1]["rewritten"] == 0


def test_a_forgotten_old_key_or_a_malformed_key_stops_check_deploy_and_the_server(install):
    old = install.file_keys()
    install.keys = {"DOLBOM_RRN_KEY": _key(), "DOLBOM_RRN_OLD_KEYS": old["DOLBOM_RRN_KEY"]}
    _rotate_and_kill(install, after_batches=10)

    # The old key forgotten after (or during) a rotation: data under it cannot be read.
    install.keys = {"DOLBOM_RRN_KEY": install.keys["DOLBOM_RRN_KEY"]}
    check = install.run("manage", "check", "--deploy")
    assert check.returncode != 0
    assert "dolbom.E102" in check.stderr and "DOLBOM_RRN_OLD_KEYS" in check.stderr
    served = install.run("serve", "--port", str(free_port()))
    assert served.returncode != 0 and "DOLBOM_RRN_OLD_KEYS" in served.stderr

    # An old lookup key forgotten in the middle of its rotation: searches would miss people.
    install.keys = {
        "DOLBOM_RRN_KEY": _key(),
        "DOLBOM_RRN_OLD_KEYS": old["DOLBOM_RRN_KEY"],
        "DOLBOM_RRN_HMAC_KEY": _key(),
    }
    check = install.run("manage", "check", "--deploy")
    assert check.returncode != 0 and "DOLBOM_RRN_HMAC_OLD_KEYS" in check.stderr

    # A malformed key, an old one included: named, never shown.
    for name, value in (("DOLBOM_RRN_OLD_KEYS", "bm90IGEga2V5"), ("DOLBOM_RRN_HMAC_OLD_KEYS", "%%%")):
        install.keys = {**old, "DOLBOM_RRN_OLD_KEYS": "", name: value}
        install.keys = {k: v for k, v in install.keys.items() if k.startswith("DOLBOM_RRN") and v}
        check = install.run("manage", "check")
        assert check.returncode != 0 and f"{name}[0]" in check.stderr and value not in check.stderr
