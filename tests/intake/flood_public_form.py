"""Measure what a flood of public reports from one address does to a served instance (not collected by pytest).

    .venv/bin/python -m tests.intake.flood_public_form [--requests 1000] [--seconds 60] [--workers 8]

Starts `dolbom serve` (waitress, 8 threads) on a fresh SQLite database in a temporary DOLBOM_HOME with one dong,
behind 127.0.0.1 as a trusted proxy so that the flood and a bystander can come from two addresses
(X-Forwarded-For). Then, from one address, sends `--requests` reports spread evenly over `--seconds` (the
1,000-a-minute of issue 18), each with a valid CSRF token and a wrong challenge; meanwhile a bystander from
another address opens the form and files a real report every few seconds, reading the challenge from the
database as a person reads the picture. Prints the answers by status, latencies, the bystander's experience, and
the server's memory; then the same flood unpaced, to give the sustained rate the server refuses at.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SETUP = r"""
from dolbom.registry.models import AdministrativeArea
sido = AdministrativeArea.objects.create(code="9900000000", name="한빛시", level="sido")
gu = AdministrativeArea.objects.create(code="9911000000", name="중앙구", level="sigungu", parent=sido)
AdministrativeArea.objects.create(code="9911051000", name="가온동", level="eupmyeondong", parent=gu)
"""
ANSWER = "from captcha.models import CaptchaStore; print(CaptchaStore.objects.get(hashkey='{key}').response)"


def _dolbom() -> list[str]:
    script = Path(sys.executable).with_name("dolbom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]


class Browser:
    """One client with its own cookies, coming from `address` through the trusted proxy."""

    def __init__(self, base: str, address: str) -> None:
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"X-Forwarded-For": self.address})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        return status, text, time.perf_counter() - started

    def form(self) -> tuple[str, str]:
        status, html, _ = self.request("/report/")
        assert status == 200, status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        key = re.search(r'name="captcha_0" value="([0-9a-f]{40})"', html).group(1)
        return token, key


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _flood(base: str, count: int, seconds: float, workers: int) -> tuple[dict[int, int], list[float], float]:
    attacker = Browser(base, "203.0.113.66")
    token, key = attacker.form()
    data = {"csrfmiddlewaretoken": token, "dong": "", "address_text": "x" * 200, "concern": "<script>" * 200}
    data.update({"reporter_contact": "not a phone", "captcha_0": key, "captcha_1": "00000"})
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def one(i: int) -> None:
        if seconds:
            time.sleep(max(0.0, started + i * seconds / count - time.perf_counter()))
        status, _, took = attacker.request("/report/", data)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(took)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return statuses, latencies, time.perf_counter() - started


def _bystander(base: str, env: dict[str, str], stop: threading.Event, results: list[tuple[int, float]]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        person = Browser(base, f"198.51.100.{n}")
        started = time.perf_counter()
        token, key = person.form()
        opened = time.perf_counter() - started
        answer = subprocess.run(
            [*_dolbom(), "manage", "shell", "-c", ANSWER.format(key=key)], env=env, capture_output=True, text=True
        ).stdout.strip()
        data = {"csrfmiddlewaretoken": token, "dong": "9911051000", "address_text": "시청로 10"}
        data.update({"concern": "며칠째 불이 꺼져 있습니다", "captcha_0": key, "captcha_1": answer})
        status, html, sent = person.request("/report/", data)
        ok = status == 200 and 'id="receipt-number"' in html
        results.append((200 if ok else status, opened + sent))  # the two requests, not the shell reading the answer
        stop.wait(3)


def _summary(label: str, statuses: dict[int, int], latencies: list[float], took: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{label}: {sum(statuses.values())} requests in {took:.1f} s ({sum(statuses.values()) / took:.0f}/s)")
    print(f"  answers: {dict(sorted(statuses.items()))}")
    print(
        f"  latency ms: p50 {statistics.median(ordered) * 1000:.1f}, p95 {p95 * 1000:.1f}, max {ordered[-1] * 1000:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dolbom-flood-") as home:
        env = {**os.environ, "DOLBOM_HOME": home, "DOLBOM_TRUSTED_PROXIES": "127.0.0.1", "DOLBOM_LOG_LEVEL": "WARNING"}
        env.pop("DOLBOM_DATABASE_URL", None)
        subprocess.run([*_dolbom(), "manage", "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*_dolbom(), "manage", "shell", "-c", SETUP], env=env, check=True)
        log = (Path(home) / "serve.log").open("wb")  # a pipe nobody reads would stop the server once full
        server = subprocess.Popen([*_dolbom(), "serve", "--port", str(args.port)], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/report/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            print(f"server RSS before: {_rss_mib(server.pid):.0f} MiB")
            stop, seen = threading.Event(), []
            watcher = threading.Thread(target=_bystander, args=(base, env, stop, seen))
            watcher.start()
            statuses, latencies, took = _flood(base, args.requests, args.seconds, args.workers)
            stop.set()
            watcher.join()
            label = f"paced flood from one address ({args.requests} over {args.seconds:.0f} s)"
            _summary(label, statuses, latencies, took)
            filed = sum(1 for status, _ in seen if status == 200)
            slowest = max(t for _, t in seen) if seen else 0
            print(f"  residents at other addresses: {filed}/{len(seen)} reports filed, ", end="")
            print(f"slowest form + send {slowest * 1000:.0f} ms")
            print(f"server RSS after paced flood: {_rss_mib(server.pid):.0f} MiB")
            statuses, latencies, took = _flood(base, args.requests, 0, args.workers)
            _summary(f"unpaced flood, {args.workers} connections", statuses, latencies, took)
            print(f"server RSS after: {_rss_mib(server.pid):.0f} MiB; still answering: ", end="")
            print(Browser(base, "192.0.2.1").request("/report/")[0])
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
