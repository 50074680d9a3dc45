"""Which process is doing a long piece of work, and whether it still exists: the identity a job records when it
starts (host, pid, and when that pid was started), so that a job left "running" by a process that died can be told
from one still at work.

Hand-written rather than psutil: two reads under /proc answer it, and the check must tell a reused pid from the
original process, which a pid alone cannot. The start mark is the kernel's boot id and the process's start time in
clock ticks since boot (/proc/<pid>/stat, field 22): a reboot changes the first, a pid given to another process
changes the second. Without /proc (not Linux) the mark is empty and only the pid is asked about (`os.kill(pid, 0)`).

Only a process on this machine can be asked about. Two machines must not share a host name; containers sharing one
host name must share their pid namespace too, or one would take the other's live work for dead.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Runner:
    host: str
    pid: int
    started: str  # "<boot id>:<start ticks>", or "" where /proc is missing


def host_name() -> str:
    return socket.gethostname()[:255]


def _start_mark(pid: int) -> str:
    try:
        boot = _BOOT_ID.read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: count the fields after its ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    return f"{boot}:{fields[19]}"


def this_process() -> Runner:
    pid = os.getpid()
    return Runner(host=host_name(), pid=pid, started=_start_mark(pid))


def is_gone(runner: Runner) -> bool | None:
    """True when the process no longer exists on this machine; False when it (still) does; None when it cannot be
    known here (another host, or nothing recorded)."""
    if not runner.pid or runner.host != host_name():
        return None
    if runner.started:
        current = _start_mark(runner.pid)
        if current:
            return current != runner.started  # the pid now belongs to another process (or another boot)
        if _BOOT_ID.exists():
            return True  # /proc works here and has no such pid
    try:
        os.kill(runner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, owned by another user
    return False


def abandoned(runner: Runner, *, last_heard: datetime, stale_after: timedelta) -> str | None:
    """Why work recorded as running has lost its process: "gone" when it ran on this host and no longer exists,
    "silent" when it ran elsewhere and nothing was heard of it for `stale_after`; None while it may be at work."""
    gone = is_gone(runner)
    if gone:
        return "gone"
    if gone is None and last_heard < datetime.now(tz=UTC) - stale_after:
        return "silent"
    return None


def end_child(process: subprocess.Popen[bytes]) -> None:
    """A reader process of ours (core/tabular/excel.py, core/side_read.py) killed if it is still running, reaped, and
    its output pipe closed: nothing of it outlives the caller's work."""
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()
