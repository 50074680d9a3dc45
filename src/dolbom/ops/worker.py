"""`dolbom worker`: the process that runs background jobs (dolbom.core.jobs), and the one `dolbom demo` and
`dolbom serve` start beside themselves so that the embedded installation needs nothing else. Production runs it as
its own service (deploy/dolbom-worker.service), as many as the machine has room for: workers share the queue
through the database and never take the same task twice."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils.translation import gettext as _

# A job stopped by SIGTERM ends its current step first; after this long the worker is killed, and its job is
# marked failed by the next worker or server to start (its writes are all or nothing).
STOP_GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def remove_leftovers_and_interrupted() -> None:
    """What a killed import or round left on disk (resident numbers in clear among it) goes at every start; a
    round, and a job, that a killed process left "running" is ended, so that it blocks nothing; the planner's table
    statistics are refreshed (core.planner)."""
    from django.db import DatabaseError

    from dolbom.core.jobs.services import end_abandoned_jobs
    from dolbom.core.planner import refresh_statistics
    from dolbom.discovery.services.leftovers import remove_leftovers
    from dolbom.discovery.services.rounds import end_interrupted_rounds

    print(remove_leftovers().render(), flush=True)
    try:
        ended = end_interrupted_rounds()
        jobs = end_abandoned_jobs()
        # Tables grow as officers work; statistics recorded when they were small would mislead the planner.
        refresh_statistics()
    except DatabaseError:  # not migrated yet: there is nothing to end
        return
    for screening_round in ended:
        line = _("Round #%(id)s (%(period)s) was left running by a process that stopped: marked failed.")
        print(line % {"id": screening_round.pk, "period": screening_round.period}, flush=True)
    for job in jobs:
        print(_("Job #%(id)s was left running by a worker that stopped: marked failed.") % {"id": job.pk}, flush=True)


def run_worker(*, interval: float = 1.0) -> int:
    from django.core.management import call_command

    from dolbom.core.processes import host_name

    call_command(
        "db_worker",
        queue_name="default",
        interval=interval,
        reload=False,
        startup_delay=False,
        worker_id=f"{host_name()}:{os.getpid()}"[:64],
        verbosity=1,
    )
    return 0


def _die_with_parent() -> None:
    """In the child, before it runs: Linux sends it SIGTERM when the server that started it dies, even by SIGKILL,
    so that no worker is left behind a server that is gone. Elsewhere the server's own stop has to do."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@contextmanager
def worker_beside() -> Iterator[subprocess.Popen[bytes]]:
    """A `dolbom worker` child for as long as the block runs (the server's), stopped when it ends. SIGTERM to the
    server ends the block too (as Ctrl+C does), rather than killing the server before it can stop its worker."""
    command = [sys.executable, "-c", "import sys; from dolbom.cli import main; sys.exit(main(['worker']))"]
    child = subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603 - our own module, no input
    print(_("Background jobs: worker process %(pid)s") % {"pid": child.pid}, flush=True)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield child
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def register(sub: argparse._SubParsersAction, with_django: Callable) -> None:
    worker = sub.add_parser(
        "worker", help="run background jobs (rounds, imports …) until stopped; `demo` and `serve` start one"
    )
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
    worker.set_defaults(func=with_django(cmd_worker))


def cmd_worker(args: argparse.Namespace) -> int:
    remove_leftovers_and_interrupted()
    return run_worker(interval=args.interval)
