"""Upload one file to a served instance and report the server's memory: the figure behind the upload limits.

    .venv/bin/python -m tests.bench.upload_memory FILE [--name ktoa.xlsx] [--env DOLBOM_X=Y ...]
    .venv/bin/python -m tests.bench.upload_memory /tmp/bomb.xlsx --make-zip-bomb 360 --name ktoa.xlsx

A throwaway DOLBOM_HOME gets a small demo city; `dolbom serve` (waitress, as in production) is started on a free
port; `demo_district` logs in and posts FILE to the upload page, as a browser would. While the request runs, the
resident set of the server and of every process it started (a spreadsheet reader) is sampled from /proc; the
script prints the answer's status and its first line of refusal, the time, the server's resident set before the
upload and the peak of the server and of its children (VmHWM, the kernel's own high-water mark). Linux only.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.discovery.hostile_files import zip_bomb_xlsx
from tests.discovery.served import Server, prepare_home


def _kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Sampler(threading.Thread):
    """Peak resident set of the server and, separately, of the largest child it started."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.child_peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for child in _children(self.pid):
                self.child_peak = max(self.child_peak, _kib(child, "VmHWM"), _kib(child, "VmRSS"))
            time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="upload_memory")
    parser.add_argument("file")
    parser.add_argument("--name", help="file name sent with the upload (default: the file's)")
    parser.add_argument("--period", default="2026-09")
    parser.add_argument("--env", action="append", default=[], help="extra setting for the server, NAME=VALUE")
    parser.add_argument("--make-zip-bomb", type=int, metavar="MB", help="first write FILE: 1 MB, MB of shared strings")
    args = parser.parse_args(argv)
    path = Path(args.file)
    if args.make_zip_bomb:
        zip_bomb_xlsx(path, unpacked_mb=args.make_zip_bomb)
    extra = dict(item.split("=", 1) for item in args.env)

    home = prepare_home(Path(tempfile.mkdtemp(prefix="dolbom-upload-bench-")) / "home", households=300)
    server = Server(home, **extra)
    try:
        jar = server.login()
        before = _kib(server.process.pid, "VmRSS")
        sampler = Sampler(server.process.pid)
        sampler.start()
        started = time.perf_counter()
        status, body = server.upload(jar, path, name=args.name or path.name, period=args.period)
        seconds = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        peak = _kib(server.process.pid, "VmHWM")
    finally:
        server.stop()

    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    reason = next((line.strip() for line in text.splitlines() if re.search(r"[가-힣].*(한도|너무|MB|행이)", line)), "")
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB) sent as {args.name or path.name}")
    print(f"status {status} in {seconds:.1f} s; {reason[:240]}")
    print(f"server RSS before the upload {before / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")
    print(f"largest child process peak: {sampler.child_peak / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
