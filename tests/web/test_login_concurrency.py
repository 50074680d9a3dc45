"""Parallel login attempts against a real server: however many arrive at once, no more passwords are checked than
the limit of the counter they share (the attack that checked 12 passwords with a limit of 5).

Each attempt first loads the login page, then all post at the same instant. A password that was checked answers
with the wrong-password message (and an `auth.login_failed` event); a refused attempt answers with the lockout
message without checking it (and an `auth.login_refused_locked` event). The server runs Django's real password
hasher, so checks take as long as in production and overlap as they would there.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.web.login_server import Attempt, LoginServer, start, stop

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery"
PAIR_LIMIT, ADDRESS_LIMIT, ACCOUNT_LIMIT = 3, 8, 6
ATTEMPTS = 16


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoginServer]:
    env = {
        # The test's own requests all come from 127.0.0.1; as the reverse proxy it stands for, it may say which
        # address each attacker has.
        "DOLBOM_TRUSTED_PROXIES": "127.0.0.1",
        "DOLBOM_LOCKOUT_FAILURES": str(PAIR_LIMIT),
        "DOLBOM_LOCKOUT_ADDRESS_FAILURES": str(ADDRESS_LIMIT),
        "DOLBOM_LOCKOUT_ACCOUNT_FAILURES": str(ACCOUNT_LIMIT),
    }
    login_server, process = start(
        tmp_path_factory.mktemp("login-server"), {"officer": PASSWORD, "manager": PASSWORD}, env
    )
    try:
        yield login_server
    finally:
        stop(login_server, process)


def in_parallel(server: LoginServer, attempts: list[tuple[str, str, str]]) -> list[Attempt]:
    """(address, user name, password) each from its own browser; the posts leave together."""
    visitors = [(server.visitor(address), username, password) for address, username, password in attempts]
    tokens = [visitor.prepare() for visitor, _, _ in visitors]
    barrier = threading.Barrier(len(visitors))
    results: list[Attempt | None] = [None] * len(visitors)

    def post(i: int) -> None:
        visitor, username, password = visitors[i]
        barrier.wait()
        results[i] = visitor.post_login(tokens[i], username, password)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert all(r is not None for r in results), "an attempt got no answer"
    return results  # type: ignore[return-value]


def outcomes(results: list[Attempt]) -> Counter[str]:
    counted = Counter(r.outcome for r in results)
    assert set(counted) <= {"wrong", "locked"}, counted
    return counted


# Each test attacks its own account from its own addresses, so that the counters of one do not reach the next.


def test_parallel_attempts_on_one_account_from_one_address_check_at_most_the_limit(server):
    results = in_parallel(server, [("198.51.100.7", "officer", f"guess-{i}") for i in range(ATTEMPTS)])
    counted = outcomes(results)
    assert counted["wrong"] == PAIR_LIMIT, counted
    assert server.audited(address="198.51.100.7") == (counted["wrong"], counted["locked"])
    assert server.visitor("198.51.100.7").login("officer", PASSWORD).outcome == "locked"


def test_parallel_attempts_on_one_account_from_many_addresses_check_at_most_the_account_limit(server):
    addresses = [f"198.51.100.{10 + i}" for i in range(ATTEMPTS)]
    results = in_parallel(server, [(address, "MANAGER", "guess") for address in addresses])
    counted = outcomes(results)
    assert counted["wrong"] == ACCOUNT_LIMIT, counted
    assert server.visitor("198.51.100.99").login("manager", PASSWORD).outcome == "locked"


def test_parallel_attempts_from_one_address_on_many_user_names_check_at_most_the_address_limit(server):
    results = in_parallel(server, [("203.0.113.5", f"officer{i}", f"guess-{i}") for i in range(ATTEMPTS)])
    counted = outcomes(results)
    assert counted["wrong"] == ADDRESS_LIMIT, counted
    assert server.audited(address="203.0.113.5") == (counted["wrong"], counted["locked"])
    assert server.visitor("203.0.113.5").login("officer", PASSWORD).outcome == "locked"
