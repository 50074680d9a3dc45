"""Imports take turns: while DOLBOM_IMPORTS_AT_ONCE imports run on the machine (in any server process or command),
one more is refused at once with a Korean message to send it again shortly (503 with Retry-After), instead of
every upload holding its working memory at the same time. A turn held by a process that dies is free at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import SignalFile
from tests.conftest import PASSWORD
from tests.discovery.test_import_files import PERIOD, ktoa_rows, write_csv

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
    with path.open("rb") as handle:
        return client.post(reverse("signal_upload"), {"file": handle, "period": PERIOD, "agency": ""})


def test_an_upload_while_another_import_runs_is_refused_at_once_in_korean(city, home, client, tmp_path):
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    other = _elsewhere(home)
    try:
        response = _upload(client, path)
        assert response.status_code == 503 and response["Retry-After"] == "30"
        page = response.content.decode()
        assert "다른 파일을 가져오는 중입니다" in page and "잠시 후 다시" in page
        assert not SignalFile.objects.exists()
        refused = AuditEvent.objects.get(action="discovery.import_refused")
        assert refused.detail["reason"] == "busy"
    finally:
        other.communicate("done\n", timeout=30)
    # Its turn over, the same file goes in.
    assert _upload(client, path).status_code == 200
    assert SignalFile.objects.count() == 1


def test_the_turn_of_a_killed_import_is_free_at_once(city, home, client, tmp_path):
    other = _elsewhere(home)
    other.send_signal(signal.SIGKILL)
    other.wait(timeout=30)
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    assert _upload(client, path).status_code == 200


@pytest.mark.slow  # two more processes to start: the quick loop keeps the two tests above
def test_the_number_of_turns_is_a_setting(city, home, client, settings, tmp_path):
    settings.IMPORTS_AT_ONCE = 2
    other = _elsewhere(home, at_once=2)
    try:
        path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
        assert _upload(client, path).status_code == 200  # the second turn
        third = _elsewhere(home, at_once=2)  # now both turns are taken ...
        try:
            again = write_csv(tmp_path / "ktoa2.csv", ktoa_rows(city)[:1])
            assert _upload(client, again).status_code == 503  # ... and a third import waits for one
        finally:
            third.communicate("done\n", timeout=30)
    finally:
        other.communicate("done\n", timeout=30)
