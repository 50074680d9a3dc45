"""Helpers shared by the browser tests: the server under test, prerequisites, logging in."""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E_DIR = Path(__file__).resolve().parent
# Debian's Chromium; DOLBOM_CHROMIUM points elsewhere on other systems (e.g. /usr/bin/chromium-browser).
CHROMIUM = Path(os.environ.get("DOLBOM_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = E2E_DIR / "artifacts"
# Large enough that a screening round lists a few hundred households, so that the outcomes recorded on it are
# enough labels to train the learned model (the discovery walk), yet loaded in seconds.
DEMO_HOUSEHOLDS = 6000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine, fail in CI: a CI run must never pass with its browser tests skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    home: Path
    password: str
    facts: dict[str, Any]
    env: dict[str, str]  # the server's environment, for running `dolbom` commands against the same database

    def url(self, path: str) -> str:
        return self.base_url + path


def dolbom_command() -> list[str]:
    """The console script installed next to this interpreter (.venv/bin/dolbom)."""
    script = Path(sys.executable).with_name("dolbom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dolbom.cli"]


def submit_login(page: Any, server: DemoServer, username: str, password: str) -> None:
    page.goto(server.url("/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def main_text(page: Any) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main"))[:500]


def csrf_token(page: Any) -> str:
    """The CSRF cookie is HttpOnly, so page scripts cannot read it; the test reads it from the context."""
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def assert_accessible(page: Any, name: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation (KWCAG follows WCAG)."""
    require(AXE_JS.exists(), f"{AXE_JS} is missing (run scripts/test-deps.sh, which needs npm)")
    page.add_script_tag(path=AXE_JS)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    grave = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}\n"
        + "\n".join(f"    {', '.join(map(str, n['target']))}: {n['html'][:160]}" for n in v["nodes"][:5])
        for v in grave
    )
    if grave:
        pytest.fail(f"axe-core found serious or critical violations on {name} ({page.url}):\n{report}", pytrace=False)


def follow_job(page: Any, *, timeout_ms: int = 180_000) -> list[int]:
    """On a background job's page (/jobs/<id>/): wait until the worker beside the server has ended it, checking that
    it ended done, then open what it made. Returns the percentages the bar showed while the page refreshed itself."""
    assert re.search(r"/jobs/\d+/$", page.url), f"not on a job's page: {page.url}\n{main_text(page)[:600]}"
    seen: list[int] = []
    deadline = timeout_ms / 1000
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        status = page.locator("[data-job-status]").get_attribute("data-job-status")
        value = int(page.locator("#job-progress").get_attribute("value") or 0)
        if not seen or seen[-1] != value:
            seen.append(value)
        if status not in ("queued", "running"):
            assert status == "done", f"the job ended {status}:\n{main_text(page)[:800]}"
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"the job did not end within {deadline:.0f} s:\n{main_text(page)[:800]}")
    with page.expect_navigation():
        page.locator("#job-status a.button").click()
    return seen
