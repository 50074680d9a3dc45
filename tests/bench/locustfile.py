"""The officers of the load benchmark (tests/bench/load.py), run by locust as a library in this process:

    python -m tests.bench.locustfile --host URL --plan PLAN --out RESULT --users N --wait MIN MAX --seconds S

Each simulated officer logs in once with their own account, then opens, at random, one of the pages of their day.
The figures are those of the requests *started* after the last officer has logged in: the requests already on their
way then (the first officers' pages, queued behind the last ones' password hashing) would otherwise be counted
with the wait of the logins in them, since locust's own statistics, once reset, count every request that ends
after. Importing locust patches the standard library with gevent, which is why this is its own process and module.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import gevent
from locust import HttpUser, between, constant, task
from locust.env import Environment

GRACE_SECONDS = 10.0
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Officer(HttpUser):
    """A dong officer behind the TLS-terminating proxy: every request says it came over HTTPS."""

    abstract = True
    plan: ClassVar[dict[str, Any]] = {}
    accounts: ClassVar[Iterator[dict[str, Any]]]  # set by main()
    logged_in: ClassVar[int] = 0

    def on_start(self) -> None:
        self.officer = next(type(self).accounts)
        origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.client.headers.update({"X-Forwarded-Proto": "https", "Origin": origin, "Referer": f"{origin}/"})
        form = self.client.get("/accounts/login/", name="login form")
        self._keep_cookies()
        token = TOKEN.search(form.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": self.officer["username"],
                "password": type(self).plan["password"],
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302 or answer.headers.get("Location") != "/":
                answer.failure(f"login refused: {answer.status_code} {answer.headers.get('Location')}")
        self._keep_cookies()
        type(self).logged_in += 1

    def _keep_cookies(self) -> None:
        # The server's cookies are Secure (the browser's side is HTTPS), and requests sends none of them over the
        # plain HTTP of loopback, which the proxy would carry; its cookie policy is not used when a request is
        # prepared, so the flag is dropped from each cookie as it arrives.
        for cookie in self.client.cookies:
            cookie.secure = False

    def _page(self, path: str, name: str) -> None:
        # No redirect followed: a session lost on the way would show as the login page's 200 otherwise.
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} {answer.headers.get('Location', '')}")
        self._keep_cookies()

    def _open(self, name: str, **values: object) -> None:
        path = type(self).plan["paths"][name].format(**values)
        self._page(path, name)

    @task
    def today(self) -> None:
        self._open("today")

    @task
    def search(self) -> None:
        self._open("search", q=quote(random.choice(self.officer["names"] or ["김"])))

    @task
    def household(self) -> None:
        self._open("household", household_id=random.choice(self.officer["households"]))

    @task
    def worklist(self) -> None:
        self._open("worklist")

    @task
    def outcome(self) -> None:
        items = self.officer["work_items"]
        if not items:
            return self.worklist()
        self._open("outcome", work_item_id=random.choice(items))
        return None


def _stats(entry: Any) -> dict[str, float]:
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50": entry.get_response_time_percentile(0.5) or 0,
        "p95": entry.get_response_time_percentile(0.95) or 0,
        "max": entry.max_response_time or 0,
    }


def _percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (as locust's, without its rounding)."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def _measured(requests: list[tuple[float, str, float, bool]]) -> dict[str, dict[str, float]]:
    """Per page and for all pages: the requests (start, name, milliseconds, failed) of the window."""
    by_page: dict[str, list[tuple[float, bool]]] = {}
    for _start, name, ms, failed in requests:
        by_page.setdefault(name, []).append((ms, failed))
    by_page["all pages"] = [(ms, failed) for _start, _name, ms, failed in requests]
    figures = {}
    for name, values in by_page.items():
        ordered = sorted(ms for ms, _failed in values)
        figures[name] = {
            "requests": len(values),
            "failures": sum(failed for _ms, failed in values),
            "p50": _percentile(ordered, 0.5),
            "p95": _percentile(ordered, 0.95),
            "max": ordered[-1] if ordered else 0.0,
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--wait", type=float, nargs=2, default=(1.0, 5.0))
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    low, high = args.wait

    class Measured(Officer):
        abstract = False
        wait_time = between(low, high) if high > 0 else constant(0)

    Measured.plan = plan
    Measured.accounts = itertools.cycle(plan["officers"])
    env = Environment(user_classes=[Measured], host=args.host)
    requests: list[tuple[float, str, float, bool]] = []

    def record(*, name: str, response_time: float, exception: object, start_time: float, **_: object) -> None:
        requests.append((start_time, name, response_time, exception is not None))

    env.events.request.add_listener(record)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=10)
    deadline = time.monotonic() + 300
    while Measured.logged_in < args.users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    login = env.stats.get("login", "POST")
    login_stats, login_failures = _stats(login), login.num_failures + env.stats.get("login form", "GET").num_failures
    for error in env.stats.errors.values():
        print(f"locust: {error.occurrences} × {error.name}: {error.error}", file=sys.stderr)
    env.stats.reset_all()
    window_opened = time.time()
    started = time.monotonic()
    gevent.sleep(args.seconds)
    elapsed = time.monotonic() - started
    window_closed = time.time()
    gevent.sleep(GRACE_SECONDS)  # the requests started in the window and still on their way end
    in_window = [r for r in requests if window_opened <= r[0] < window_closed]
    pages = _measured(in_window)
    # What locust's reset statistics would have counted besides: requests started before the window, ended in it.
    carried = [r for r in requests if r[0] < window_opened and r[0] + r[2] / 1000 >= window_opened]
    carried_over = {"requests": len(carried), "max": max((r[2] for r in carried), default=0.0)}
    errors = [{"name": e.name, "error": str(e.error), "count": e.occurrences} for e in env.stats.errors.values()]
    runner.quit()
    for error in errors:
        print(f"locust: {error['count']} × {error['name']}: {error['error']}", file=sys.stderr)
    result = {
        "users": args.users,
        "accounts": len({o["username"] for o in plan["officers"][: args.users]}),
        "seconds": elapsed,
        "pages": pages,
        "carried_over": carried_over,
        "window": [window_opened, window_closed],
        "login": login_stats,
        "login_failures": login_failures,
        "errors": errors,
    }
    args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
