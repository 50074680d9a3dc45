"""Imports take turns: while DOLBOM_IMPORTS_AT_ONCE imports run on the machine (in any worker or command), an import
job waits for a turn (its page says so, and it can be stopped meanwhile), and the command line is refused at once
with a Korean message, instead of every import holding its working memory at the same time. A turn held by a
process that dies is free at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.test import Client

from dolbom.cli import main
from dolbom.core.models import AuditEvent, Job
from dolbom.discovery.models import SignalFile
from dolbom.discovery.services import signal_jobs
from tests.conftest import PASSWORD
from tests.discovery.test_import_files import PERIOD, ktoa_rows, write_csv
from tests.discovery.uploads import upload

# Another process of the same machine in the middle of an import (a second server process, `dolbom import
# signals`): it holds its turn the way every import does until it is told to stop, or is killed.
IMPORTING_ELSEWHERE = """
import sys, django
django.setup()
from dolbom.discovery.importing.limits import import_turn
with import_turn() as ours:
    print("importing" if ours else "refused", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    settings.IMPORTS_AT_ONCE = 1
    return settings.HOME


def _elsewhere(home, at_once: int = 1) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DOLBOM_DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "dolbom.settings",
        "DOLBOM_HOME": str(home),
        "DOLBOM_IMPORTS_AT_ONCE": str(at_once),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", IMPORTING_ELSEWHERE], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "importing"
    return process


def _upload(client: Client, path):
    assert client.login(username="manager", password=PASSWORD)
    return upload(client, path, period=PERIOD)


@pytest.fixture
def waits(monkeypatch):
    """The import job's pauses while every turn is taken: each one is recorded and then runs `then` (which frees a
    turn), instead of sleeping."""
    record: dict = {"count": 0, "then": lambda: None}

    def pause() -> None:
        record["count"] += 1
        record["then"]()

    monkeypatch.setattr(signal_jobs, "pause_for_turn", pause)
    return record


def test_an_import_job_waits_for_its_turn_and_says_so(city, home, client, tmp_path, waits):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    other = _elsewhere(home)
    seen = []

    def free_the_turn() -> None:
        seen.append(Job.objects.get(kind="signal_import").phase)
        other.communicate("done\n", timeout=30)

    waits["then"] = free_the_turn
    try:
        response = _upload(client, path)
    finally:
        if other.poll() is None:
            other.communicate("done\n", timeout=30)
    assert waits["count"] == 1 and seen == ["waiting"]
    assert response.job.status == "done" and SignalFile.objects.count() == 1
    assert not AuditEvent.objects.filter(action="discovery.import_refused").exists()


def test_an_import_job_waiting_for_a_turn_can_be_stopped(city, home, client, tmp_path, waits):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    other = _elsewhere(home)

    def stop_it() -> None:
        Job.objects.filter(kind="signal_import").update(cancel_requested=True)

    waits["then"] = stop_it
    try:
        response = _upload(client, path)
    finally:
        other.communicate("done\n", timeout=30)
    assert response.job.status == "cancelled" and not SignalFile.objects.exists()


def test_the_command_line_is_refused_at_once_in_korean(city, home, tmp_path, capsys):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    other = _elsewhere(home)
    try:
        assert main(["import", "signals", str(path), "--period", PERIOD, "--as", "manager"]) == 1
        out = capsys.readouterr().out
        assert "다른 파일을 가져오는 중입니다" in out and "잠시 후 다시" in out
        assert not SignalFile.objects.exists()
        assert AuditEvent.objects.get(action="discovery.import_refused").detail["reason"] == "busy"
    finally:
        other.communicate("done\n", timeout=30)


def test_the_turn_of_a_killed_import_is_free_at_once(city, home, client, tmp_path, waits):
    other = _elsewhere(home)
    other.send_signal(signal.SIGKILL)
    other.wait(timeout=30)
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    assert _upload(client, path).job.status == "done" and waits["count"] == 0


@pytest.mark.slow  # two more processes to start: the quick loop keeps the tests above
def test_the_number_of_turns_is_a_setting(city, home, client, settings, tmp_path, waits):
    settings.IMPORTS_AT_ONCE = 2
    other = _elsewhere(home, at_once=2)
    try:
        path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
        assert _upload(client, path).job.status == "done" and waits["count"] == 0  # the second turn
        third = _elsewhere(home, at_once=2)  # now both turns are taken ...
        waits["then"] = lambda: third.communicate("done\n", timeout=30)
        try:
            (tmp_path / "second").mkdir()
            again = write_csv(tmp_path / "second" / "ktoa.csv", ktoa_rows(city)[:1])
            assert _upload(client, again).job.status == "done" and waits["count"] == 1  # ... and a third waited
        finally:
            if third.poll() is None:
                third.communicate("done\n", timeout=30)
    finally:
        other.communicate("done\n", timeout=30)
