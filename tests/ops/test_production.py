"""The install runbook of docs/operations.md run as written on a fresh DOLBOM_HOME against a throwaway PostgreSQL 15
cluster, then `dolbom serve --prod` as its systemd unit starts it: a login through a TLS-terminating proxy's
headers, and a 10 s PostgreSQL outage under requests.

The runbook's blocks are read from the guide (those after `<!-- runbook -->`) and run by bash with only these
changes: the folders /etc/dolbom, /srv/dolbom and /usr/local/bin move into a temporary folder, the server's
PostgreSQL port is the throwaway cluster's, the application is this checkout's, and there is no `dolbom` service
account (`runuser -u dolbom --` is dropped: the test runs as whoever runs it)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PGBIN = Path("/usr/lib/postgresql/15/bin")
HOST = "dolbom.example.go.kr"
ADMIN_PASSWORD = "Pine-Harbor-4417"
STAFF_PASSWORD = "Cheongun-Lantern-2208"
UNAVAILABLE = "서비스를 잠시 사용할 수 없습니다"


def _free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port")


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root (CI runs as root); an unprivileged developer runs it as themselves.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Cluster:
    data: Path
    port: int
    log: Path

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(PGBIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", *args]
        return subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=150)

    def start(self) -> None:
        # A restart right after a stop may find the port still held for a moment (a socket the outage left
        # closing), so it is tried again before the test gives up, showing what pg_ctl and the server said.
        for attempt in range(3):
            result = self.pg_ctl(
                "start",
                "-o",
                f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.data.parent} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            )
            if result.returncode == 0:
                return
            time.sleep(2 * (attempt + 1))
        log = self.log.read_text(errors="replace").splitlines()[-30:] if self.log.exists() else []
        raise AssertionError(
            f"pg_ctl start exited {result.returncode}\n{result.stdout}{result.stderr}\n" + "\n".join(log)
        )

    def stop(self) -> None:
        result = self.pg_ctl("stop", "-m", "fast")
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def cluster():
    if not (PGBIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL 15 is not installed ({PGBIN}); CI installs it (.ci/run)")
        pytest.skip(f"PostgreSQL 15 is not installed ({PGBIN})")
    # Not under pytest's own temporary folder, which only its user may enter: the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="dolbom-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        _as_postgres(
            [
                str(PGBIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Below the kernel's ephemeral range (32768 and up on Linux), so that no client socket opened while the
    # server is down can be given its port and keep it from coming back; offset by the process id so that two
    # suites running side by side (CI's SQLite and PostgreSQL halves) do not both pick the same one.
    pg = Cluster(data=data, port=_free_port(15500 + os.getpid() % 1000), log=folder / "postgres.log")
    pg.start()
    yield pg
    subprocess.run(
        _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
    )
    shutil.rmtree(folder, ignore_errors=True)


def runbook_blocks() -> list[str]:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    return re.findall(r"<!-- runbook -->\n```bash\n(.*?)```", guide, flags=re.S)


@dataclass
class Install:
    root: Path
    env: dict[str, str]
    unit_command: list[str]
    port: int
    output: list[str] = field(default_factory=list)


def _moved(text: str, root: Path, pg_port: int) -> str:
    dolbom = Path(sys.executable).with_name("dolbom")
    for old, new in [
        ("runuser -u dolbom -- ", ""),
        ("/srv/dolbom/app/.venv/bin/dolbom", str(dolbom)),
        ("/srv/dolbom/app", str(ROOT)),
        ("/srv/dolbom/var", str(root / "var")),
        ("/etc/dolbom", str(root / "etc")),
        ("/usr/local/bin/dolbom", str(root / "bin" / "dolbom")),
        ("127.0.0.1:5432", f"127.0.0.1:{pg_port}"),
    ]:
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def installed(cluster, tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    (root / "bin").mkdir()
    script = "\n".join(_moved(block, root, cluster.port) for block in runbook_blocks())
    assert "dolbom install --admin admin" in script and "dolbom staff add kim.admin" in script
    (root / "runbook.sh").write_text(script, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DOLBOM_", "PG"))}
    env = {**clean, "PATH": f"{root / 'bin'}:{clean['PATH']}", "PGHOST": "127.0.0.1", "PGPORT": str(cluster.port)}
    if os.geteuid() != 0:
        script = script.replace("runuser -u postgres -- ", "")
        env["PGUSER"] = "postgres"
        (root / "runbook.sh").write_text(script, encoding="utf-8")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", str(root / "runbook.sh")],
        input=f"{ADMIN_PASSWORD}\n{STAFF_PASSWORD}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr

    # The service as deploy/systemd/dolbom-web.service starts it: its EnvironmentFile and its ExecStart.
    unit = (ROOT / "deploy" / "systemd" / "dolbom-web.service").read_text(encoding="utf-8")
    env_file = re.search(r"^EnvironmentFile=(.+)$", unit, flags=re.M).group(1)
    exec_start = re.search(r"^ExecStart=(.+)$", unit, flags=re.M).group(1)
    port = _free_port(18400 + os.getpid() % 1000)
    command = shlex.split(_moved(exec_start, root, cluster.port).replace("--port 8000", f"--port {port}"))
    service_env = {**clean}
    for line in Path(_moved(env_file, root, cluster.port)).read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        service_env[key] = value
    return Install(root=root, env=service_env, unit_command=command, port=port)


@pytest.fixture(scope="module")
def server(installed):
    process = subprocess.Popen(
        [*installed.unit_command, "--workers", "3"],
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reader = threading.Thread(target=lambda: installed.output.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if _request(installed.port, "GET", "/healthz", host="127.0.0.1").status == 200:
                break
        except OSError:
            pass
        assert process.poll() is None, "".join(installed.output)
        time.sleep(0.5)
    else:
        pytest.fail("the server did not answer /healthz: " + "".join(installed.output))
    yield installed
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


def _request(
    port: int, method: str, path: str, *, host: str = HOST, headers: dict | None = None, body: str | None = None
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


class Browser:
    """What a browser behind the TLS-terminating proxy sends to the server: the proxy's X-Forwarded-Proto, the
    cookies it was given (secure ones included: the browser's side is HTTPS), an HTTPS origin for forms."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            }
        answer = _request(self.port, method, path, headers=headers, body=body)
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                assert morsel["secure"], f"{name} cookie is not Secure"
                self.cookies[name] = morsel.value
        return answer

    def log_in(self, username: str, password: str) -> Answer:
        page = self.send("GET", "/accounts/login/")
        assert page.status == 200, page.status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        return self.send(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )


def test_the_runbook_ends_with_a_login_through_the_proxy(server):
    port = server.port
    # Plain HTTP that did not come through the proxy is sent to HTTPS: the production redirect is on.
    direct = _request(port, "GET", "/")
    assert direct.status == 301 and direct.headers["Location"] == f"https://{HOST}/"

    browser = Browser(port)
    first = browser.send("GET", "/")
    assert first.status == 302 and first.headers["Location"].startswith("/accounts/login/"), first.status
    logged_in = browser.log_in("kim.admin", STAFF_PASSWORD)
    assert logged_in.status == 302 and logged_in.headers["Location"] == "/", logged_in.status
    home = browser.send("GET", "/")
    assert home.status == 200 and "김관리" in home.body
    assert "sessionid" in browser.cookies

    health = json.loads(_request(port, "GET", "/healthz", host="127.0.0.1").body)
    assert health == {"status": "ok", "checks": {"database": "ok", "keys": "ok", "storage": "ok"}}

    # The access log: one JSON object per request, the signed-in user's id, no password or user name.
    entries = [json.loads(line) for line in server.output if line.startswith("{")]
    assert any(e["path"] == "/" and e["status"] == 200 and e["user"] for e in entries), server.output
    assert not any(STAFF_PASSWORD in line or "kim.admin" in line for line in server.output)


def test_the_server_refuses_to_start_without_the_static_files_manifest(installed):
    manifest = installed.root / "var" / "static" / "staticfiles.json"
    aside = manifest.with_suffix(".aside")
    manifest.rename(aside)
    try:
        result = subprocess.run(installed.unit_command, env=installed.env, capture_output=True, text=True, timeout=120)
    finally:
        aside.rename(manifest)
    assert result.returncode == 2
    assert "dolbom install" in result.stderr and "Traceback" not in result.stderr


def test_a_database_outage_gives_503_pages_and_no_failed_request_after(server, cluster):
    port = server.port
    browsers = [Browser(port) for _ in range(3)]
    for browser in browsers:
        assert browser.log_in("kim.admin", STAFF_PASSWORD).status == 302
        assert browser.send("GET", "/").status == 200  # every worker now keeps a connection

    during: list[Answer] = []

    def hammer(browser: Browser, until: float, into: list[Answer]) -> None:
        while time.monotonic() < until:
            into.append(browser.send("GET", "/"))
            time.sleep(0.1)

    cluster.stop()
    stopped = time.monotonic()
    threads = [threading.Thread(target=hammer, args=(b, stopped + 10, during)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    health = _request(port, "GET", "/healthz", host="127.0.0.1")
    cluster.start()

    assert during and {a.status for a in during} == {503}, sorted({a.status for a in during})
    assert all(UNAVAILABLE in a.body and a.headers["Retry-After"] == "30" for a in during)
    assert health.status == 503 and json.loads(health.body)["checks"]["database"] == "failed"

    after: list[Answer] = []
    threads = [threading.Thread(target=hammer, args=(b, time.monotonic() + 5, after)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(after) >= 20
    assert [a.status for a in after] == [200] * len(after)
    assert all("김관리" in a.body for a in after)

    # A restart while nobody is asking: every worker's kept connection is now stale, and is checked and replaced
    # before its first query (CONN_HEALTH_CHECKS) instead of failing the first request each worker takes.
    cluster.stop()
    cluster.start()
    quiet: list[Answer] = []
    threads = [threading.Thread(target=hammer, args=(b, time.monotonic() + 3, quiet)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(quiet) >= 10
    assert [a.status for a in quiet] == [200] * len(quiet)
