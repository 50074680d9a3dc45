"""A served Dolbom for tests and benchmarks that need the real server process: a throwaway DOLBOM_HOME with a
small demo city on SQLite, `dolbom serve` (waitress) on a free port, a login and a multipart upload sent as a
browser sends it. Linux only (the callers read /proc). Imported by tests and tests/bench; it holds no tests."""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

PASSWORD = "dolbom-demo-2026"


def dolbom_command() -> list[str]:
    script = Path(sys.executable).with_name("dolbom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a command on `home`: its own SQLite database, whatever the test run uses."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOLBOM_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    return {**env, "DOLBOM_HOME": str(home), **extra}


def dolbom(home: Path, *args: str, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*dolbom_command(), *args], env=home_env(home, **extra), capture_output=True, text=True, timeout=timeout
    )


def prepare_home(home: Path, households: int = 200) -> Path:
    result = dolbom(home, "demo", "--no-serve", "--households", str(households))
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def home_with_signals(home: Path, *, period: str, households: int = 200, rows: int = 50) -> Path:
    """A prepared home whose demo district has one telecom association file imported for `period` (as
    `demo_district`, through the command line), so that a round can run on it."""
    from tests.discovery.hostile_files import valid_ktoa_csv

    prepare_home(home, households)
    csv = valid_ktoa_csv(home.parent / "ktoa.csv", rows=rows)
    imported = dolbom(home, "import", "signals", str(csv), "--period", period, "--as", "demo_district")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return home


def sql(home: Path, query: str, *args: object) -> list[tuple]:
    """A query on the home's SQLite database, from outside the processes that use it."""
    with sqlite3.connect(home / "dolbom.sqlite3") as db:
        return db.execute(query, args).fetchall()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def open_fds(pid: int) -> list[str]:
    """Where the process's open descriptors point (a nameless file shows as '/folder/#inode (deleted)')."""
    found = []
    try:
        entries = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for entry in entries:
        try:
            found.append(os.readlink(entry))
        except OSError:
            continue
    return found


class Server:
    """`dolbom serve` on `home`; `start` returns once it answers."""

    def __init__(self, home: Path, *, worker: bool = True, **extra: str) -> None:
        self.home = home
        self.port = free_port()
        self.log = home.parent / f"serve-{self.port}.log"  # a file, not a pipe nobody reads while it runs
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*dolbom_command(), "serve", "--port", str(self.port), *([] if worker else ["--no-worker"])],
                env=home_env(home, **extra),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.output()) from None
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def login(self, username: str = "demo_district") -> http.cookiejar.CookieJar:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.base}/accounts/login/").read()
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _cookie(jar, "csrftoken")}
        opener.open(f"{self.base}/accounts/login/", data=urllib.parse.urlencode(form).encode()).read()
        opener.open(f"{self.base}/discovery/signals/upload/").read()  # every module the upload needs is loaded
        return jar

    def upload(self, jar: http.cookiejar.CookieJar, path: Path, *, name: str, period: str) -> tuple[int, str]:
        """Post `path` to the upload page as `name`, streaming it; return the status and the page."""
        boundary = uuid.uuid4().hex
        fields = {"csrfmiddlewaretoken": _cookie(jar, "csrftoken"), "period": period, "agency": ""}
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.putrequest("POST", "/discovery/signals/upload/")
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
        connection.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in jar))
        connection.putheader("Referer", f"{self.base}/discovery/signals/upload/")
        connection.endheaders()
        try:
            connection.send(head)
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    connection.send(block)
            connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was sent: the answer is still there to read
        try:
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (ConnectionError, http.client.HTTPException):
            return 0, ""  # the server died

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        return self.output()


def _cookie(jar: http.cookiejar.CookieJar, name: str) -> str:
    return next(c.value for c in jar if c.name == name)
