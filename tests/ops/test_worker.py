"""`dolbom worker` killed in the middle of a round: the job and the round it was writing are marked failed when the
next worker (or server) starts, no list of that round exists, and the job run again from its page completes.
Real processes on a demo city on SQLite; the worker is SIGKILLed while the job says it is past the registry read."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.discovery.served import dolbom, dolbom_command, home_env, home_with_signals, sql

# A demo city and a worker per step: about a minute, outside the quick loop (CI runs it with the whole suite).
pytestmark = pytest.mark.slow

PERIOD = "2026-09"
DISTRICT = "9911000000"
QUEUE = f"""
from django.contrib.auth import get_user_model
from dolbom.core.jobs.services import start_job
user = get_user_model().objects.get(username="demo_district")
params = dict(district="{DISTRICT}", period="{PERIOD}", scorer="scorecard", cooldown_days=0, confirm_few_files=True)
job = start_job(user=user, kind="screening_round", target="round:{DISTRICT}", district_code="{DISTRICT}", params=params)
print(job.pk)
"""
RETRY = """
from django.contrib.auth import get_user_model
from dolbom.core.jobs.services import retry_job
print(retry_job(user=get_user_model().objects.get(username="demo_district"), job_id={job}).pk)
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return home_with_signals(tmp_path_factory.mktemp("worker") / "home", period=PERIOD, households=3000)


def _shell(home: Path, code: str) -> int:
    result = dolbom(home, "manage", "shell", "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr
    return int(result.stdout.split()[-1])


def _worker(home: Path) -> subprocess.Popen[bytes]:
    log = (home.parent / "worker.log").open("ab")
    return subprocess.Popen([*dolbom_command(), "worker"], env=home_env(home), stdout=log, stderr=subprocess.STDOUT)


def _wait(what: str, condition: object, *, seconds: float, every: float = 0.005) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(every)
    raise AssertionError(f"waited {seconds} s for {what}")


def test_a_worker_killed_half_way_through_a_round_leaves_nothing_and_the_retry_completes(home):
    job = _shell(home, QUEUE)
    worker = _worker(home)
    try:

        def past_the_registry_read() -> bool:
            [(status, phase)] = sql(home, "SELECT status, phase FROM core_job WHERE id = ?", job)
            assert status in ("queued", "running"), f"the round ended ({status}) before the worker could be killed"
            return phase in ("snapshot", "scoring")

        _wait("the round to be running", past_the_registry_read, seconds=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    [(round_id,)] = sql(home, "SELECT id FROM discovery_screeninground WHERE status = 'running'")
    assert sql(home, "SELECT status FROM core_job WHERE id = ?", job) == [("running",)]

    # The next worker to start ends what the killed one left, before it takes any work.
    restarted = _worker(home)
    try:
        _wait(
            "the killed job to be marked failed",
            lambda: sql(home, "SELECT status FROM core_job WHERE id = ?", job) == [("failed",)],
            seconds=60,
            every=0.2,
        )
        assert sql(home, "SELECT status FROM discovery_screeninground WHERE id = ?", round_id) == [("failed",)]
        assert sql(home, "SELECT count(*) FROM discovery_outreachitem WHERE round_id = ?", round_id) == [(0,)]
        [(error,)] = sql(home, "SELECT error FROM core_job WHERE id = ?", job)
        assert "pid" in error
        assert sql(home, "SELECT count(*) FROM core_auditevent WHERE action = 'core.job_interrupted'") == [(1,)]
        # The registry snapshot the killed round wrote (resident data) went with the restart.
        assert not list(home.rglob(f"round-{round_id}-*"))

        again = _shell(home, RETRY.format(job=job))
        _wait(
            "the job run again to end",
            lambda: sql(home, "SELECT status FROM core_job WHERE id = ?", again)[0][0] not in ("queued", "running"),
            seconds=180,
            every=0.2,
        )
        [(status, result)] = sql(home, "SELECT status, result FROM core_job WHERE id = ?", again)
        assert status == "done", sql(home, "SELECT error FROM core_job WHERE id = ?", again)
        rounds = sql(home, "SELECT id, status FROM discovery_screeninground ORDER BY id")
        assert rounds == [(round_id, "failed"), (json.loads(result)["round_id"], "done")]
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=15) == 0  # a stop between jobs is a clean exit
