"""A crash leaves no plaintext behind: imports killed with SIGKILL (from the command line and in a job worker)
leave nothing in `uploads/` or the staging folder, and a killed job's sealed upload lets it run again; a killed
commit's `.part` and orphan Parquet are removed by `dolbom cleanup` and at the server's start, which say what
they removed; files another process is working on right now are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import transaction

from dolbom.cli import main
from dolbom.discovery.importing import store
from dolbom.discovery.models import SignalFile
from tests.discovery.hostile_files import valid_ktoa_csv
from tests.discovery.served import Server, dolbom, dolbom_command, home_env, open_fds, prepare_home, sql
from tests.discovery.test_import_files import PERIOD, ktoa_rows, run_import, write_csv

ROWS = 600_000  # about 60 MB: an import long enough to be caught in each of its steps


@pytest.fixture(scope="module")
def served_home(tmp_path_factory) -> Path:
    return prepare_home(tmp_path_factory.mktemp("served") / "home")


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    return valid_ktoa_csv(tmp_path_factory.mktemp("big") / "ktoa.csv", rows=ROWS)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def wait_for(condition, *, timeout: float = 240, every: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


# The district of the demo's `demo_district`, which the imports of these tests act as.
DEMO_DISTRICT = "9911000000"


def start_import(home: Path, path: Path, period: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*dolbom_command(), "import", "signals", str(path), "--period", period, "--as", "demo_district"],
        env=home_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def staging_open(pid: int) -> bool:
    return any("/signals/.staging/" in target for target in open_fds(pid))


@pytest.mark.slow
def test_an_import_killed_while_checking_rows_leaves_nothing(served_home, big_csv):
    process = start_import(served_home, big_csv, "2026-09")
    assert wait_for(lambda: staging_open(process.pid)), "the import never staged its rows"
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert files_under(served_home / "signals") == []
    assert files_under(served_home / "uploads") == []
    cleanup = dolbom(served_home, "cleanup")
    assert cleanup.returncode == 0, cleanup.stderr
    assert "정리할 것이 없습니다" in cleanup.stdout


@pytest.mark.slow
def test_an_import_killed_while_writing_its_parquet_is_cleaned_up(served_home, big_csv, tmp_path):
    copy = tmp_path / "ktoa.csv"  # other bytes than the first test's file: not a duplicate
    copy.write_bytes(big_csv.read_bytes().replace(b"KTOA-", b"KTOB-"))
    period = served_home / "signals" / DEMO_DISTRICT / "2026-08"
    process = start_import(served_home, copy, "2026-08")
    assert wait_for(lambda: list(period.glob(".*.part")) if period.exists() else False), "no .part was seen"
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = files_under(served_home / "signals")
    assert left and all(p.name.endswith(".part") or p.suffix == ".parquet" for p in left)

    cleanup = dolbom(served_home, "cleanup")

    assert cleanup.returncode == 0, cleanup.stderr
    assert files_under(served_home / "signals") == []
    for path in left:
        assert str(path.relative_to(served_home)) in cleanup.stdout
    assert "개를 지웠습니다:" in cleanup.stdout
    assert "KTOB" not in cleanup.stdout and "홍길동" not in cleanup.stdout  # paths and sizes, never contents


RETRY = """
from django.contrib.auth import get_user_model
from dolbom.core.jobs.services import retry_job
print(retry_job(user=get_user_model().objects.get(username="demo_district"), job_id={job}).pk)
"""


def worker(home: Path) -> subprocess.Popen:
    log = (home.parent / "worker.log").open("ab")
    return subprocess.Popen([*dolbom_command(), "worker"], env=home_env(home), stdout=log, stderr=subprocess.STDOUT)


def job_status(home: Path, job: int) -> str:
    return sql(home, "SELECT status FROM core_job WHERE id = ?", job)[0][0]


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_an_import_leaves_nothing_and_the_retry_completes(served_home, big_csv):
    server = Server(served_home, worker=False)
    try:
        status, _ = server.upload(server.login(), big_csv, name="ktoa.csv", period="2026-09")
    finally:
        server.stop()
    assert status == 302
    [(job,)] = sql(served_home, "SELECT id FROM core_job WHERE kind = 'signal_import'")
    # Until a worker takes it, the file waits sealed: no resident number in clear on disk.
    [held] = files_under(served_home / "jobs" / "uploads")
    assert held.stat().st_size > big_csv.stat().st_size and big_csv.read_bytes()[-200:] not in held.read_bytes()

    first = worker(served_home)
    try:
        assert wait_for(lambda: staging_open(first.pid)), "the import never staged its rows"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert job_status(served_home, job) == "running"
    assert files_under(served_home / "uploads") == [] and files_under(served_home / "signals") == []
    assert files_under(served_home / "jobs" / "uploads") == [held]  # kept, sealed, for the retry

    restarted = worker(served_home)  # ends what the killed one left before it takes any work
    try:
        assert wait_for(lambda: job_status(served_home, job) == "failed", timeout=60, every=0.2)
        assert sql(served_home, "SELECT count(*) FROM discovery_signalfile WHERE period = '2026-09'") == [(0,)]
        retry = dolbom(served_home, "manage", "shell", "-c", RETRY.format(job=job))
        assert retry.returncode == 0, retry.stdout + retry.stderr
        again = int(retry.stdout.split()[-1])
        assert wait_for(lambda: job_status(served_home, again) not in ("queued", "running"), timeout=240, every=0.2)
        assert job_status(served_home, again) == "done", sql(
            served_home, "SELECT error FROM core_job WHERE id = ?", again
        )
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    assert sql(served_home, "SELECT rows FROM discovery_signalfile WHERE period = '2026-09'") == [(ROWS,)]
    assert files_under(served_home / "jobs" / "uploads") == []  # imported: the sealed copy went with it
    assert files_under(served_home / "uploads") == []


@pytest.mark.slow
def test_the_server_removes_leftovers_when_it_starts(served_home):
    # What an older version, or a system without /proc, leaves after a crash: named files in each place.
    (served_home / "uploads" / "tmpab12cd.upload.csv").write_text("900101-1234567\n")
    staging = store_dir(served_home / "signals" / ".staging")
    (staging / "signals-1234.arrow").write_bytes(b"ARROW1")
    period = store_dir(served_home / "signals" / "2026-06")
    (period / ".0123456789abcdef.parquet.1a2b3c4d.part").write_bytes(b"PAR1")
    (period / "0123456789abcdef.parquet").write_bytes(b"PAR1")  # no SignalFile row: an orphan
    work = store_dir(served_home / "tmp" / "screening" / "round-7-abcd")
    (work / "persons.parquet").write_bytes(b"PAR1")

    server = Server(served_home)
    output = server.stop()

    assert "개를 지웠습니다:" in output
    for name in ("uploads/tmpab12cd.upload.csv", "signals/.staging/signals-1234.arrow",
                 "signals/2026-06/.0123456789abcdef.parquet.1a2b3c4d.part", "signals/2026-06/0123456789abcdef.parquet",
                 "tmp/screening/round-7-abcd"):  # fmt: skip
        assert name in output, name
        assert not (served_home / name).exists(), name
    assert "900101" not in output


def store_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------------- in-process: what is kept, what is not


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    settings.FILE_UPLOAD_TEMP_DIR = settings.HOME / "uploads"
    return settings.HOME


def test_cleanup_keeps_committed_and_locked_files_and_removes_an_orphan(city, home, tmp_path, capsys):
    manager = city.users["district_manager"]
    kept = run_import(manager, write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))).signal_file
    # Inside a transaction that rolls back, the Parquet is written but its row never commits: an orphan.
    with pytest.raises(RuntimeError), transaction.atomic():
        run_import(manager, write_csv(tmp_path / "kepco.csv", ktoa_rows(city, n_stranger=2)), agency="ktoa")
        raise RuntimeError("rolled back")
    orphans = [
        p
        for p in (home / "signals" / city.districts[0].code / PERIOD).glob("*.parquet")
        if p != store.parquet_path(kept)
    ]
    assert len(orphans) == 1 and SignalFile.objects.count() == 1
    # A `.part` another live process is writing right now: locked, so never removed.
    busy = home / "signals" / city.districts[0].code / PERIOD / ".feedfacefeedface.parquet.00000000.part"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(busy)], stdout=subprocess.PIPE, text=True, env=home_env(home)
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"

    try:
        assert main(["cleanup"]) == 0
        report = capsys.readouterr().out
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    assert store.parquet_path(kept).exists()
    assert not orphans[0].exists() and str(orphans[0].relative_to(home)) in report
    assert (
        busy.exists()
        and "다른 프로세스가 쓰고 있어 남겨 둔 파일 1개" in report
        and str(busy.relative_to(home)) in report
    )

    assert main(["cleanup"]) == 0  # its process is gone: now it is a leftover
    assert not busy.exists() and str(busy.relative_to(home)) in capsys.readouterr().out


_HOLD_LOCK = """
import sys, time
from dolbom.core.files import LockedFile
held = LockedFile.create(sys.argv[1])
print("locked", flush=True)
time.sleep(600)
"""


def test_cleanup_never_shows_what_a_file_holds(home, capsys, db):
    uploads = store_dir(home / "uploads")
    (uploads / "tmp1.upload.csv").write_text("record_id,resident_number\nA,900101-1234567\n", encoding="utf-8")
    assert main(["cleanup"]) == 0
    out = capsys.readouterr().out
    assert "uploads/tmp1.upload.csv" in out and "900101" not in out and "record_id" not in out
    assert not any(uploads.iterdir())


def test_no_file_of_an_import_is_named_while_it_runs(city, home, tmp_path, monkeypatch):
    # Seen from inside: while the rows are checked, the staging file is open but has no directory entry.
    from dolbom.discovery.importing import store as store_module

    seen: list[tuple[list[Path], str]] = []
    original = store_module.StagingWriter.write

    def spy(self, *args, **kwargs):
        seen.append((files_under(home / "signals"), os.readlink(f"/proc/self/fd/{self._sink.fileno()}")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(store_module.StagingWriter, "write", spy)
    run_import(city.users["district_manager"], write_csv(tmp_path / "ktoa.csv", ktoa_rows(city)))
    assert seen and all(files == [] and target.endswith("(deleted)") for files, target in seen)


def test_cleanup_keeps_a_sealed_upload_while_its_job_may_still_need_it(city, home, capsys):
    """A sealed upload stays while its job waits or runs, and for a day after the job failed or was stopped (it may
    run again); one no job names, or whose job ended long ago, is removed."""
    from datetime import timedelta

    from django.utils import timezone

    from dolbom.core.models import Job
    from dolbom.discovery.services.signal_jobs import held_upload_path

    def held(token: str, **job: object) -> Path:
        path = held_upload_path(token)
        path.write_bytes(b"DOLBOMS1sealed")
        if job:
            Job.objects.create(kind="signal_import", target=f"import:x:{token[:16]}", params={"upload": token}, **job)
        return path

    now = timezone.now()
    waiting = held("a" * 32, status="queued")
    failed_today = held("b" * 32, status="failed", finished_at=now - timedelta(hours=2))
    failed_long_ago = held("c" * 32, status="failed", finished_at=now - timedelta(days=2))
    imported = held("d" * 32, status="done", finished_at=now)
    nobodys = held("e" * 32)

    assert main(["cleanup"]) == 0
    report = capsys.readouterr().out

    assert waiting.exists() and failed_today.exists()
    for gone in (failed_long_ago, imported, nobodys):
        assert not gone.exists() and str(gone.relative_to(home)) in report
