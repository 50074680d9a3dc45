"""A round whose process died does not block its district for an hour: a process that starts a round and is killed
(SIGKILL) leaves it "running"; the next round asked for, and the server's start (`dolbom cleanup` does the same),
find that its process no longer exists on this host and mark it failed at once, with a system event in the audit
log. A round run by another host is still judged by the clock (an hour)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.discovery.served import dolbom, home_with_signals, sql

# A demo city and a command per step: about 50 s, so outside the quick loop (CI runs it with the whole suite).
pytestmark = pytest.mark.slow

PERIOD = "2026-09"
DISTRICT = "9911000000"  # the demo's district of `demo_district`
SCREEN = ("screen", "--period", PERIOD, "--district", DISTRICT, "--as", "demo_district")
# A process that starts a round as the command and the web pages do, and is killed before it can finish it.
START_AND_DIE = f"""
import os, signal
from django.contrib.auth import get_user_model
from dolbom.discovery.services.rounds import plan_round, start_round
user = get_user_model().objects.get(username="demo_district")
plan = plan_round(
    user=user, district_code="{DISTRICT}", period="{PERIOD}", scorer="scorecard", engine="duckdb", cooldown_days=None,
    as_of=None,
)
print(start_round(user=user, plan=plan).pk, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return home_with_signals(tmp_path_factory.mktemp("rounds") / "home", period=PERIOD)


def _status(home: Path, round_id: int) -> str:
    return sql(home, "SELECT status FROM discovery_screeninground WHERE id = ?", round_id)[0][0]


def _killed_round(home: Path) -> int:
    result = dolbom(home, "manage", "shell", "-c", START_AND_DIE)
    assert result.returncode == -9, result.stdout + result.stderr
    round_id = int(result.stdout.split()[-1])  # after what the shell says of its own imports
    assert _status(home, round_id) == "running"
    return round_id


def _interrupted_events(home: Path, round_id: int) -> list[tuple]:
    return sql(
        home,
        "SELECT actor_id, detail FROM core_auditevent WHERE action = 'discovery.round_interrupted' AND object_id = ?",
        str(round_id),
    )


def test_a_new_round_ends_the_one_a_killed_process_left_running(home):
    killed = _killed_round(home)
    result = dolbom(home, *SCREEN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _status(home, killed) == "failed"
    [(actor, detail)] = _interrupted_events(home, killed)
    assert actor is None and '"pid"' in detail and PERIOD in detail  # a system event


def test_the_servers_start_ends_it_and_says_so(home):
    killed = _killed_round(home)
    result = dolbom(home, "cleanup")
    assert result.returncode == 0, result.stderr
    assert f"#{killed}" in result.stdout and "실패" in result.stdout
    assert _status(home, killed) == "failed"
    assert len(_interrupted_events(home, killed)) == 1
    assert dolbom(home, "cleanup").stdout.count(f"#{killed}") == 0  # once only


def test_a_round_of_another_host_waits_for_the_hour(home):
    killed = _killed_round(home)
    sql(home, "UPDATE discovery_screeninground SET runner_host = 'other-host' WHERE id = ?", killed)
    dolbom(home, "cleanup")
    assert _status(home, killed) == "running"
    refused = dolbom(home, *SCREEN)
    assert refused.returncode != 0 and _status(home, killed) == "running"
    sql(
        home,
        "UPDATE discovery_screeninground SET started_at = datetime(started_at, '-61 minutes') WHERE id = ?",
        killed,
    )
    assert dolbom(home, *SCREEN).returncode == 0
    assert _status(home, killed) == "failed"
