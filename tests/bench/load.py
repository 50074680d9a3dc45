"""Officers under load: `dolbom serve --prod` (gunicorn) on a throwaway PostgreSQL 15 cluster holding a generated
city of 100 k households, driven over loopback by locust (tests/bench/locustfile.py).

Two runs against the same server:
* **people** — 50 dong officers, each logged in once with their own account, opening the pages of a working day
  (today, a search, a household of their dong, the worklist, a worklist item with its visit and outcome forms),
  waiting 1–5 s between requests; measured for 60 s after every officer has logged in. Target: p95 ≤ 150 ms,
  no error.
* **saturation** — 20 officers with no waiting for 30 s: the requests a second the server gives, and their p95.

The server runs as its systemd unit would (DOLBOM_ENV=production, `dolbom install` first for the migrations and
the static files), with locust in the place of the TLS-terminating proxy: loopback is a trusted proxy and every
request says `X-Forwarded-Proto: https`, so the production redirect, secure cookies and CSRF origin check stay on.
Each dong's worklist is filled the way the service fills it: every district runs a screening round on the
city's signal files, whose lists land on the dongs' worklists.

The generated city, the cluster and the server live in temporary folders removed at the end (the plan handed to
locust names synthetic persons: 0600 in a 0700 folder). locust runs in its own process: it patches the standard
library with gevent when imported, which the benchmark process (Django, threads) must not undergo.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.bench.report import Section

ROOT = Path(__file__).resolve().parents[2]
PGBIN = Path("/usr/lib/postgresql/15/bin")
SEED = 22
OFFICERS = 50
TARGET_P95_MS = 150.0
# The pages of the officers' day, by route name and what each needs from the officer's plan.
PAGES = {
    "today": ("today", {}),
    "search": ("household_search", {}),
    "household": ("household_detail", {"household_id": "households"}),
    "worklist": ("worklist", {}),
    "outcome": ("work_item", {"work_item_id": "work_items"}),  # the visit and outcome forms of a worklist item
}
_MARK = 987654321


def page_paths() -> dict[str, str]:
    """Each page's path as a template for locust (no Django there): `{household_id}`, `{work_item_id}`, `{q}`."""
    from django.urls import reverse

    paths = {}
    for name, (route, needs) in PAGES.items():
        path = reverse(route, kwargs=dict.fromkeys(needs, _MARK))
        for argument in needs:
            path = path.replace(str(_MARK), "{" + argument + "}", 1)
        paths[name] = path + ("?q={q}" if name == "search" else "")
    return paths


def _free_port(start: int) -> int:
    for port in range(start, start + 500):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port")


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root; an unprivileged developer runs it as themselves.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    """A PostgreSQL 15 cluster on loopback for this run (durability off: it lives for minutes), its URL."""
    folder = Path(tempfile.mkdtemp(prefix="dolbom-load-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port(15700)  # below the ephemeral range
    pg_ctl = [str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "postgres.log"), "-w", "-t", "60"]
    try:
        initdb = [str(PGBIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"]
        subprocess.run(_as_postgres([*initdb, "--locale=C.UTF-8"]), check=True, capture_output=True, timeout=120)
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=512MB"
        )
        subprocess.run(_as_postgres([*pg_ctl, "start", "-o", options]), check=True, capture_output=True, timeout=90)
        psql = [str(PGBIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port)]
        for sql in ("CREATE ROLE dolbom LOGIN PASSWORD 'dolbom'", "CREATE DATABASE dolbom OWNER dolbom"):
            subprocess.run([*psql, "-U", "postgres", "-d", "postgres", "-c", sql], check=True, capture_output=True)
        yield f"postgres://dolbom:dolbom@127.0.0.1:{port}/dolbom"
    finally:
        subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True, timeout=90)
        shutil.rmtree(folder, ignore_errors=True)


def _server_env(home: Path, database_url: str) -> dict[str, str]:
    """The production settings of the service's EnvironmentFile, with loopback as the trusted proxy."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DOLBOM_", "PG"))}
    key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "dolbom.settings",
        "DOLBOM_ENV": "production",
        "DOLBOM_HOME": str(home),
        "DOLBOM_DATABASE_URL": database_url,
        "DOLBOM_SECRET_KEY": secrets.token_urlsafe(50),
        "DOLBOM_RRN_KEY": key(),
        "DOLBOM_RRN_HMAC_KEY": key(),
        "DOLBOM_AUDIT_KEY": key(),
        "DOLBOM_TRUSTED_PROXIES": "127.0.0.1",
    }


def _dolbom() -> str:
    return str(Path(sys.executable).with_name("dolbom"))


@contextlib.contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port(18700)
    with log.open("w") as output:
        process = subprocess.Popen(
            [_dolbom(), "serve", "--prod", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the production server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _load_average() -> float:
    return os.getloadavg()[0]


def _page_of(path: str) -> str | None:
    """The page of an access-log path (the log keeps no query string: a search is `/households/`)."""
    for name, (_route, needs) in PAGES.items():
        pattern = re.escape(_TEMPLATES[name].split("?")[0])
        for argument in needs:
            pattern = pattern.replace(re.escape("{" + argument + "}"), r"\d+")
        if re.fullmatch(pattern, path):
            return name
    return None


_TEMPLATES: dict[str, str] = {}


def _server_times(log: Path, start: int, window: list[float] | None) -> dict[str, dict[str, float]]:
    """The server's own time per page (its JSON access log from byte `start`, the requests received within the
    window's epoch seconds if given): the request from the moment the application has it, without the wait for a
    free worker that the client sees."""
    opened, closed = window or (float("-inf"), float("inf"))
    times: dict[str, list[float]] = {}
    with log.open("rb") as handle:
        handle.seek(start)
        for line in handle:
            if not line.startswith(b"{"):
                continue
            entry = json.loads(line)
            received = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
            page = _page_of(entry.get("path", ""))
            if page and entry.get("method") == "GET" and opened <= received < closed:
                times.setdefault(page, []).append(entry["duration_ms"])
                times.setdefault("all pages", []).append(entry["duration_ms"])
    return {name: {"p50": statistics.median(v), "p95": _p95(v)} for name, v in times.items()}


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _locust(url: str, plan: Path, out: Path, log: Path, *, users: int, wait: tuple[float, float], seconds: int) -> dict:
    before, start = _load_average(), log.stat().st_size
    subprocess.run(
        [
            sys.executable, "-m", "tests.bench.locustfile", "--host", url, "--plan", str(plan), "--out", str(out),
            "--users", str(users), "--wait", str(wait[0]), str(wait[1]), "--seconds", str(seconds),
        ],
        check=True,
        cwd=ROOT,
        timeout=seconds + 600,
    )  # fmt: skip
    result = json.loads(out.read_text())
    result["load"] = (before, _load_average())
    # Only the pages' GETs the application received in the measured window count, as for the client's figures.
    result["server"] = _server_times(log, start, result.get("window"))
    return result


def _carried(run: dict) -> str:
    carried = run.get("carried_over", {"requests": 0, "max": 0})
    return f"{carried['requests']} (slowest {carried['max']:,.0f} ms)"


def _ms(value: float) -> str:
    return f"{value:.0f}"


def _skipped(reason: str) -> Section:
    section = Section(title="Officers under load", command=COMMAND, header=["run", "result"])
    section.rows.append(["—", f"not measured: {reason}"])
    return section


COMMAND = 'make bench BENCH_ARGS="--only load" (tests/bench/load.py)'


def run(home: Path, *, quick: bool) -> Section:
    if not (PGBIN / "initdb").exists():
        print(f"load: skipped, PostgreSQL 15 is not installed ({PGBIN})", flush=True)
        return _skipped(f"PostgreSQL 15 is not installed ({PGBIN}; `apt-get install postgresql-15`)")
    households = 5_000 if quick else 100_000
    officers, people_seconds, saturation_users, saturation_seconds = (10, 10, 5, 5) if quick else (OFFICERS, 60, 20, 30)
    alone_seconds = 5 if quick else 20
    # Its own 0700 folder: the plan names synthetic persons, and the server's home holds its keys' products.
    work = Path(tempfile.mkdtemp(prefix="dolbom-load-"))
    timings: dict[str, float] = {}
    try:
        with _postgres() as database_url:
            env = _server_env(work / "home", database_url)
            started = time.perf_counter()
            subprocess.run([_dolbom(), "install"], env=env, check=True, capture_output=True, timeout=600)
            timings["install"] = time.perf_counter() - started
            plan = work / "plan.json"
            password = secrets.token_urlsafe(16)
            started = time.perf_counter()
            prepared = subprocess.run(
                [sys.executable, "-m", "tests.bench.load", "--households", str(households), "--plan", str(plan),
                 "--officers", str(officers)],
                env={**env, "BENCH_OFFICER_PASSWORD": password},
                cwd=ROOT, check=True, capture_output=True, text=True, timeout=3600,
            )  # fmt: skip
            facts = json.loads(prepared.stdout.strip().splitlines()[-1])
            timings["prepare"] = time.perf_counter() - started
            _TEMPLATES.update(json.loads(plan.read_text())["paths"])
            log = work / "server.log"
            with _server(env, log) as url:
                alone = _locust(url, plan, work / "alone.json", log, users=1, wait=(0, 0), seconds=alone_seconds)
                people = _locust(
                    url, plan, work / "people.json", log, users=officers, wait=(1, 5), seconds=people_seconds
                )
                saturation = _locust(
                    url, plan, work / "saturation.json", log, users=saturation_users, wait=(0, 0),
                    seconds=saturation_seconds,
                )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _section(households, facts, timings, alone, people, saturation)


def _section(households: int, facts: dict, timings: dict, alone: dict, people: dict, saturation: dict) -> Section:
    section = Section(
        title=f"Officers under load at {households:,} households (PostgreSQL 15, `dolbom serve --prod`)",
        command=COMMAND,
        header=[
            "page", "one officer: p50 ms", "server p50 ms",
            f"{people['users']} officers: requests", "p50 ms", "p95 ms", "max ms", "server p50 / p95 ms", "errors",
            f"saturation ({saturation['users']}): requests", "p50 ms", "p95 ms", "errors",
        ],
    )  # fmt: skip
    for name in [*PAGES, "all pages"]:
        one, a, b = alone["pages"].get(name), people["pages"].get(name), saturation["pages"].get(name)
        one_server, a_server = alone["server"].get(name), people["server"].get(name)
        row = [f"**{name}**" if name == "all pages" else name]
        row += [_ms(one["p50"]) if one else "-", _ms(one_server["p50"]) if one_server else "-"]
        row += [f"{a['requests']:,}", _ms(a["p50"]), _ms(a["p95"]), _ms(a["max"])] if a else ["0", "-", "-", "-"]
        row += [f"{_ms(a_server['p50'])} / {_ms(a_server['p95'])}" if a_server else "-", str(a["failures"] if a else 0)]
        row += [f"{b['requests']:,}", _ms(b["p50"]), _ms(b["p95"]), str(b["failures"])] if b else ["0", "-", "-", "0"]
        section.rows.append(row)
    p95 = people["pages"]["all pages"]["p95"]
    errors = people["pages"]["all pages"]["failures"] + people["login_failures"]
    met = p95 <= TARGET_P95_MS and errors == 0
    section.notes += [
        f"**People**: {people['users']} officers ({people['accounts']} accounts), each waiting 1–5 s between "
        f"requests, {people['seconds']:.0f} s measured after all had logged in: "
        f"{people['pages']['all pages']['requests'] / people['seconds']:.1f} requests a second. "
        f"Target p95 ≤ {TARGET_P95_MS:.0f} ms and no error: **{'met' if met else 'not met'}** "
        f"(p95 {p95:.0f} ms, {errors} errors). Load average {people['load'][0]:.1f} before, "
        f"{people['load'][1]:.1f} after.",
        f"**Saturation**: {saturation['users']} officers with no waiting, {saturation['seconds']:.0f} s: "
        f"**{saturation['pages']['all pages']['requests'] / saturation['seconds']:.1f} requests a second**, p95 "
        f"{saturation['pages']['all pages']['p95']:.0f} ms. Load average {saturation['load'][0]:.1f} before, "
        f"{saturation['load'][1]:.1f} after.",
        f"**One officer** alone with no waiting, {alone['seconds']:.0f} s: "
        f"{alone['pages']['all pages']['requests'] / alone['seconds']:.1f} requests a second, the time of each page "
        "without queueing. *Server* columns: the application's own time from its access log (from the moment a "
        "worker has the request); the rest of what locust sees is the wait for a free worker and the CPU.",
        f"Logins (once per officer, before measuring; not in the table): p50 {people['login']['p50']:.0f} ms, "
        f"{people['login_failures']} failed.",
        f"Server: `dolbom serve --prod` with its default {facts['workers']} gunicorn workers (sync, one request "
        "each), DOLBOM_ENV=production, loopback as the trusted proxy; locust (one process, gevent) on the same "
        "two cores as the server and PostgreSQL, so its own CPU is taken from them, most at saturation. "
        "Percentiles by nearest rank over the requests started in the measured window (each run's seconds, after "
        "the last officer had logged in), client and server alike. Requests started before the window and ended "
        f"in it are left out: {_carried(people)} for the {people['users']} officers, {_carried(saturation)} at "
        "saturation (the first officers' pages queued behind the last ones' logins).",
        f"City: {facts['households']:,} households, {facts['persons']:,} persons; every district's screening round "
        f"put {facts['work_items']:,} items on the dongs' worklists. Setting up (not measured): "
        f"`dolbom install` {timings['install']:.0f} s, generating and loading the city and the rounds "
        f"{timings['prepare']:.0f} s.",
    ]
    return section


# ------------------------------------------------------------------------------------------------- the city


def prepare(households: int, plan_path: Path, officers: int) -> dict[str, Any]:
    """In the server's environment: generate and load the city, run every district's round, give `officers`
    dong officers (spread over the dongs with the most work) the bench's password, and write what each will
    open."""

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from dolbom.intake.models import WorkItem
    from dolbom.ops.serving import default_workers
    from dolbom.registry.models import Household, Person, Staff
    from dolbom.synth.generate import generate_city
    from dolbom.synth.load import load_city
    from tests.bench.screening import run_city_rounds

    home = Path(os.environ["DOLBOM_HOME"])
    city = home / "city"
    generate_city(city, households=households, seed=SEED)
    load_city(city)
    run_city_rounds(city, home, period="2026-09", tag="load")

    # Officers in turn from each dong, so that all dongs (and their worklists) are in the load.
    by_dong: dict[int, list[Staff]] = {}
    for staff in Staff.objects.filter(role="dong_officer", active=True).prefetch_related("areas").order_by("pk"):
        by_dong.setdefault(staff.areas.get().pk, []).append(staff)
    chosen: list[Staff] = []
    while len(chosen) < officers and any(by_dong.values()):
        for queue in by_dong.values():
            if queue and len(chosen) < officers:
                chosen.append(queue.pop(0))
    get_user_model().objects.filter(pk__in=[s.user_id for s in chosen]).update(
        password=make_password(os.environ["BENCH_OFFICER_PASSWORD"]), is_active=True
    )
    plan = []
    for staff in chosen:
        dong = staff.areas.get()
        household_ids = list(Household.objects.filter(dong=dong).order_by("?").values_list("pk", flat=True)[:200])
        names = list(
            Person.objects.filter(memberships__household__dong=dong).order_by("?").values_list("name", flat=True)[:50]
        )
        items = list(WorkItem.objects.filter(dong=dong).order_by("pk").values_list("pk", flat=True)[:200])
        plan.append({"username": staff.user.username, "households": household_ids, "names": names, "work_items": items})
    fd = os.open(plan_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"password": os.environ["BENCH_OFFICER_PASSWORD"], "paths": page_paths(), "officers": plan}, handle)
    return {
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "work_items": WorkItem.objects.count(),
        "officers": len(plan),
        "workers": default_workers(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="set up the city of the load benchmark (run by tests/bench/load.py)")
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--officers", type=int, default=OFFICERS)
    args = parser.parse_args(argv)
    import django

    django.setup()
    facts = prepare(args.households, args.plan, args.officers)
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
