"""Browser tests against the real thing: `dolbom demo` prepares a small synthetic city in a temporary DOLBOM_HOME,
`dolbom serve` serves it on a free loopback port, and Debian's Chromium drives it through Playwright.

Prerequisites come from scripts/test-deps.sh (run by `make test`). Without them the tests skip with the reason,
except under CI=true, where a missing browser must fail the run rather than pass it silently.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_HOUSEHOLDS,
    DemoServer,
    main_text,
    require,
    submit_login,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _dolbom_command() -> list[str]:
    """The console script installed next to this interpreter (.venv/bin/dolbom)."""
    script = Path(sys.executable).with_name("dolbom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# What the tests need to know about the generated city, read from the database the server uses. It runs inside
# `dolbom manage shell`, so the expectations come from the data itself and not from the views under test.
FACTS_SCRIPT = r"""
import json
from collections import Counter
from dolbom.core.dates import today_kst
from dolbom.registry.models import Consent, Household, Membership, Person, Staff, consent_active_on, current_on

today = today_kst()

def members(household):
    rows = Membership.objects.filter(current_on(today), household=household).select_related("person")
    return sorted(rows, key=lambda m: m.relationship != "head")

def staff(username):
    return Staff.objects.select_related("agency").get(user__username=username)

def head_of(household):
    heads = [m.person for m in members(household) if m.relationship == "head"]
    return heads[0] if heads else None

dong_codes = list(staff("demo_dong").areas.values_list("code", flat=True))
name_counts = Counter(Person.objects.values_list("name", flat=True))
own = Household.objects.filter(dong_id__in=dong_codes).order_by("pk")
candidates = []
for household in own[:300]:
    rows = members(household)
    head = head_of(household)
    if head is not None:
        # Prefer a household of several members whose head's name is rare, so a name search finds it first.
        candidates.append(((len(rows) < 2, name_counts[head.name], household.pk), household, head, rows))
candidates.sort(key=lambda c: c[0])
_, household, head, rows = candidates[0]
others = Household.objects.exclude(dong_id__in=dong_codes).order_by("pk")[:50]
other, other_head = next((h, head_of(h)) for h in others if head_of(h) is not None)

agency = staff("demo_agency").agency
consented = set(
    Consent.objects.filter(consent_active_on(today), recipient=agency).values_list("person_id", flat=True)
)
mixed = partly = hidden = None
for h in Household.objects.filter(memberships__person_id__in=consented).distinct().order_by("pk"):
    ids = {m.person_id for m in members(h)}
    if ids & consented and ids - consented:
        mixed = (h, ids)
        break
    if ids & consented and partly is None:
        partly = (h, ids)
mixed = mixed or partly
for h in Household.objects.order_by("pk")[:500]:
    if not {m.person_id for m in members(h)} & consented:
        hidden = h
        break

facts = {
    "household": {
        "id": household.pk,
        "head_id": head.pk,
        "head_name": head.name,
        "head_rrn": head.resident_number(),
        "head_phone": head.phone,
        "person_ids": [m.person_id for m in rows],
        "names": [m.person.name for m in rows],
        "road_address": household.address.road_address,
        "dong": household.dong_id,
    },
    "other_household": {"id": other.pk, "head_id": other_head.pk, "head_name": other_head.name},
    "agency": {
        "household_id": mixed[0].pk if mixed else None,
        "consented_ids": sorted(mixed[1] & consented) if mixed else [],
        "hidden_ids": sorted(mixed[1] - consented) if mixed else [],
        "household_without_consent": hidden.pk if hidden else None,
    },
}
print("E2E-FACTS " + json.dumps(facts, ensure_ascii=False))
"""


def _e2e_database(url: str) -> str:
    """The test run's PostgreSQL URL with the database renamed: pytest-django owns `test_<name>`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_e2e"))


def _recreate_postgres_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _run(label: str, command: list[str], env: dict[str, str], log: Path, timeout: float) -> str:
    """Run a dolbom command to completion; its output goes to `log`, and its tail into the failure message."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    log.write_text(f"$ {label}\n{result.stdout}\n{result.stderr}")
    if result.returncode != 0:
        pytest.fail(f"{label} exited {result.returncode}:\n{_tail(log)}", pytrace=False)
    return result.stdout


def _wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dolbom serve exited {server.returncode}:\n{_tail(log)}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"dolbom serve did not answer {url} within {timeout:.0f} s:\n{_tail(log)}", pytrace=False)


@pytest.fixture(scope="package")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`dolbom demo --no-serve` then `dolbom serve`, in a temporary DOLBOM_HOME, for the whole e2e package.

    On SQLite the database is the one in that DOLBOM_HOME; on PostgreSQL a database of its own, next to the one
    pytest-django creates for the rest of the suite."""
    home = tmp_path_factory.mktemp("dolbom-home")
    port = _free_port()
    env = {**os.environ, "DOLBOM_HOME": str(home)}
    postgres_url = ""
    if env.get("DOLBOM_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DOLBOM_DATABASE_URL"] = postgres_url = _e2e_database(env["DOLBOM_DATABASE_URL"])
        _recreate_postgres_database(postgres_url)
    else:
        env.pop("DOLBOM_DATABASE_URL", None)
    dolbom = _dolbom_command()
    server: subprocess.Popen[bytes] | None = None
    try:
        demo = [*dolbom, "demo", "--households", str(DEMO_HOUSEHOLDS), "--no-serve", "--port", str(port)]
        _run("dolbom demo", demo, env, home / "demo.log", timeout=900)
        shell = [*dolbom, "manage", "shell", "-c", FACTS_SCRIPT]
        facts_out = _run("the facts script", shell, env, home / "facts.log", timeout=120)
        marker = next((line for line in facts_out.splitlines() if line.startswith("E2E-FACTS ")), None)
        assert marker, f"the facts script printed nothing:\n{_tail(home / 'facts.log')}"
        facts = json.loads(marker.removeprefix("E2E-FACTS "))

        from dolbom.synth.accounts import DEMO_PASSWORD

        serve_log = home / "serve.log"
        with serve_log.open("wb") as out:
            server = subprocess.Popen(
                [*dolbom, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_answering(base_url + "/accounts/login/", server, serve_log)
        yield DemoServer(base_url=base_url, home=home, password=DEMO_PASSWORD, facts=facts, env=env)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if postgres_url:
            _recreate_postgres_database(postgres_url, drop_only=True)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the package. launch() gives it a fresh temporary profile (user-data dir) of its own.

    Package scope, not session: Playwright's sync API keeps an event loop that Django would take for an async
    context, so it must be gone before the database tests of later packages run."""
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium; see scripts/test-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, demo_server: DemoServer) -> Iterator[Callable[..., Any]]:
    """open_page(username) → a Page logged in as that demo user, in a context of its own (own cookies);
    open_page(None) → an anonymous page. The CSP is bypassed only so that axe-core can be injected."""
    contexts = []

    def open_page(username: str | None) -> Any:
        context = browser.new_context(
            bypass_csp=True, locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        if username is not None:
            submit_login(page, demo_server, username, demo_server.password)
            assert "/accounts/login/" not in page.url, f"{username} could not log in: {main_text(page)}"
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    """Screenshots land here (git-ignored); each run starts from an empty folder."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS
