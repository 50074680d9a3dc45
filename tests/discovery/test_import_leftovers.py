"""A crash leaves no plaintext behind: imports killed with SIGKILL (from the command line and inside the web
server) leave nothing in `uploads/` or the staging folder; a killed commit's `.part` and orphan Parquet are
removed by `dolbom cleanup` and at the server's start, which say what they removed; files another process is
working on right now are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import transaction

from dolbom.cli import main
from dolbom.discovery.importing import store
from dolbom.discovery.models import SignalFile
from tests.discovery.hostile_files import valid_ktoa_csv
from tests.discovery.served import Server, dolbom, dolbom_command, home_env, open_fds, prepare_home
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


@pytest.mark.slow
def test_an_upload_killed_with_the_server_leaves_nothing(served_home, big_csv):
    server = Server(served_home)
    jar = server.login()
    answer: list[tuple[int, str]] = []
    sender = threading.Thread(
        target=lambda: answer.append(server.upload(jar, big_csv, name="ktoa.csv", period="2026-07")), daemon=True
    )
    sender.start()
    try:
        assert wait_for(lambda: staging_open(server.process.pid)), server.output()
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        sender.join(timeout=60)
    finally:
        server.stop()

    # The uploaded file (resident numbers in clear) and the staged rows had no name on disk: nothing remains.
    assert files_under(served_home / "uploads") == []
    assert files_under(served_home / "signals") == []


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
