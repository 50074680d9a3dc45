"""A real Dolbom server for the login attacks: `dolbom serve` (waitress, one thread per parallel request) on a fresh
database of its own, driven over HTTP like an attacker's script would.

SQLite is a file in a temporary DOLBOM_HOME (pytest-django's in-memory test database cannot be shared by a server
process, and its shared-cache mode locks tables instead of waiting). Under DOLBOM_DATABASE_URL=postgres://… the
server gets a database of its own next to the one pytest-django creates.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

LOCKED = "로그인에 여러 번 실패했습니다"
WRONG = "아이디 또는 비밀번호가 맞지 않습니다"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def dolbom_command() -> list[str]:
    script = Path(sys.executable).with_name("dolbom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _recreate_postgres_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class Attempt:
    status: int
    body: str

    @property
    def outcome(self) -> str:
        """in (logged in), wrong (the password was checked and refused) or locked (refused without a check)."""
        if self.status == 302:
            return "in"
        if LOCKED in self.body:
            return "locked"
        if WRONG in self.body:
            return "wrong"
        return f"unexpected {self.status}: {self.body[:300]}"


class Visitor:
    """One browser: its own cookies, and optionally the address a trusted reverse proxy reports for it."""

    def __init__(self, base_url: str, forwarded_for: str | None = None) -> None:
        self.base_url = base_url
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def _open(self, request: urllib.request.Request) -> Attempt:
        try:
            with self.opener.open(request, timeout=120) as response:
                return Attempt(response.status, response.read().decode())
        except urllib.error.HTTPError as error:  # 302 (not followed) and 4xx arrive here
            return Attempt(error.code, error.read().decode())

    def prepare(self) -> str:
        """Fetch the login page (the CSRF cookie and token), as a browser does before posting."""
        page = self._open(urllib.request.Request(self.base_url + "/accounts/login/", headers=self.headers))
        match = TOKEN.search(page.body)
        assert match, f"no CSRF token on the login page: {page.status} {page.body[:300]}"
        return match.group(1)

    def post_login(self, token: str, username: str, password: str) -> Attempt:
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        request = urllib.request.Request(
            self.base_url + "/accounts/login/",
            data=data.encode(),
            headers={**self.headers, "Referer": self.base_url + "/accounts/login/"},
            method="POST",
        )
        return self._open(request)

    def login(self, username: str, password: str) -> Attempt:
        return self.post_login(self.prepare(), username, password)


@dataclass
class LoginServer:
    base_url: str
    env: dict[str, str]

    def visitor(self, forwarded_for: str | None = None) -> Visitor:
        return Visitor(self.base_url, forwarded_for)

    def shell(self, code: str) -> str:
        result = subprocess.run(
            [*dolbom_command(), "manage", "shell", "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [*dolbom_command(), "manage", *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def audited(self, *, address: str) -> tuple[int, int]:
        """Failed and refused login events recorded for attempts from this address."""
        code = (
            "from dolbom.core.models import AuditEvent; "
            f"events = AuditEvent.objects.filter(detail__address={address!r}); "
            "print(events.filter(action='auth.login_failed').count(), "
            "events.filter(action='auth.login_refused_locked').count())"
        )
        failed, refused = self.shell(code).split()[-2:]
        return int(failed), int(refused)


def start(home: Path, users: dict[str, str], extra_env: dict[str, str]) -> tuple[LoginServer, subprocess.Popen]:
    env = {**os.environ, "DOLBOM_HOME": str(home), **extra_env}
    postgres = env.get("DOLBOM_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if postgres:
        parts = urlsplit(env["DOLBOM_DATABASE_URL"])
        env["DOLBOM_DATABASE_URL"] = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_login"))
        _recreate_postgres_database(env["DOLBOM_DATABASE_URL"])
    else:
        env.pop("DOLBOM_DATABASE_URL", None)
    port = _free_port()
    server = LoginServer(f"http://127.0.0.1:{port}", env)
    server.manage("migrate", "--no-input", "-v", "0")
    create = "; ".join(
        f"get_user_model().objects.create_user({name!r}, password={password!r})" for name, password in users.items()
    )
    server.shell(f"from django.contrib.auth import get_user_model; {create}")
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(
        [*dolbom_command(), "serve", "--port", str(port), "--threads", "32"], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            server.visitor().prepare()
            break
        except (urllib.error.URLError, ConnectionError, AssertionError):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(server, process)
                raise RuntimeError(f"dolbom serve did not start: {(home / 'serve.log').read_text()[-2000:]}") from None
            time.sleep(0.2)
    return server, process


def stop(server: LoginServer, process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if server.env.get("DOLBOM_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        _recreate_postgres_database(server.env["DOLBOM_DATABASE_URL"], drop_only=True)
