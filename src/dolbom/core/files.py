"""Files that hold personal data: private folders (0700), private files (0600), whatever the process umask.

Every domain that writes resident data to disk (uploads, signal files, round snapshots, models) goes through these
helpers, so that "who else on this machine can read it" has one answer. `mkdir(mode)` and `open(mode)` are masked
by the umask, which can only remove bits, never add the ones a caller forgot: so the modes are set explicitly
with chmod/fchmod after creation, which also repairs a folder created earlier with looser bits.

Work in progress is protected against crashes in two ways:

- **No name at all** when nothing needs one: `anonymous_file` is unlinked from its folder from the start
  (O_TMPFILE, or created and unlinked at once), so a process killed with SIGKILL leaves nothing behind; other code
  reads it through `reopenable_path`, /proc/self/fd/N on Linux.
- **A lock** when a file needs a name (it will be renamed into place) or a folder is a work area: the owner holds
  an exclusive `flock` while it works, and the kernel drops the lock when the owner dies, however it dies. So
  `remove_if_abandoned` can tell a leftover of a dead process (lock free) from the work of a live one (locked),
  at startup or from `dolbom cleanup` while the server runs, without guessing from ages or process ids (which
  mean nothing across the machines that may share DOLBOM_HOME).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_PROC_FD = Path("/proc/self/fd")


def private_dir(path: Path | str) -> Path:
    """Create `path` (and missing parents) as 0700 folders; make an existing `path` 0700. Parents that already
    exist are left alone: they may be an operator's (DOLBOM_HOME itself, a mount point)."""
    path = Path(path)
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for created in [*missing, path]:
        os.chmod(created, PRIVATE_DIR)
    return path


def create_private(path: Path | str) -> IO[bytes]:
    """Create a new file (never an existing one, never through a symlink) readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


def write_private(path: Path | str, data: bytes) -> None:
    """Write a whole private file atomically: a locked temporary name beside it, then a rename."""
    path = Path(path)
    with LockedFile.create(path.with_name(f".{path.name}.{os.urandom(4).hex()}.part")) as part:
        part.file.write(data)
        part.file.flush()
        os.fsync(part.file.fileno())
        os.replace(part.path, path)


class LockedFile:
    """A new private file whose owner holds an exclusive lock on it until `release` (or its process ends).

    The lock follows the file through a rename (it is on the file, not on its name), so a file renamed into its
    final place stays marked "in progress" until the owner releases it, e.g. once the database row that makes it
    count is committed."""

    def __init__(self, path: Path, file: IO[bytes]) -> None:
        self.path = path
        self.file = file

    @classmethod
    def create(cls, path: Path | str) -> LockedFile:
        path = Path(path)
        while True:
            file = create_private(path)
            fcntl.flock(file.fileno(), fcntl.LOCK_EX)
            # Between our create and our lock, `remove_if_abandoned` may have taken the free lock and unlinked the
            # name; then we hold a lock on a file nobody can find. Start again under the same (free) name.
            if _same_file(path, file.fileno()):
                return cls(path, file)
            file.close()

    def release(self) -> None:
        """Drop the lock (closing the file); safe to call twice."""
        if not self.file.closed:
            self.file.close()

    def __enter__(self) -> LockedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.release()


def _same_file(path: Path, fd: int) -> bool:
    try:
        named, held = os.stat(path, follow_symlinks=False), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def anonymous_file(directory: Path | str) -> IO[bytes]:
    """A read-write private file in `directory` that has no name: it disappears when closed or when the process
    dies. On Linux it is created with O_TMPFILE; elsewhere it is created and unlinked at once (tempfile does both).
    The folder matters: it is where the bytes are written (DOLBOM_HOME, never a shared /tmp)."""
    file = tempfile.TemporaryFile(dir=private_dir(directory))  # noqa: SIM115 - the caller owns and closes it
    os.fchmod(file.fileno(), PRIVATE_FILE)
    return file  # type: ignore[return-value]


def reopenable_path(file: IO[bytes]) -> Path | None:
    """A path that opens `file` again, even with no name (Linux's /proc/self/fd/N), or None where there is none.
    Each open of it starts at offset 0 and does not move the offset of `file`."""
    candidate = _PROC_FD / str(file.fileno())
    return candidate if candidate.exists() else None


class ScratchFile:
    """A private read-write file for the duration of one piece of work, with a `path` other code can open: on
    Linux an anonymous file reopened through /proc/self/fd, so that nothing survives the process; elsewhere a named,
    locked file in `directory` that `close` removes (and `dolbom cleanup` after a crash)."""

    def __init__(self, directory: Path | str, *, suffix: str = "") -> None:
        self.file: IO[bytes] = anonymous_file(directory)
        path = reopenable_path(self.file)
        self._named = path is None
        if path is None:
            self.file.close()
            path = Path(directory) / f"scratch-{os.urandom(8).hex()}{suffix}"
            self.file = LockedFile.create(path).file  # write-only; others read it by `path`
        self.path: Path = path

    def close(self) -> None:
        """Close (and so delete) the file; safe to call twice."""
        if not self.file.closed:
            self.file.close()
        if self._named:
            self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def private_workdir(root: Path | str, *, prefix: str) -> Iterator[Path]:
    """A private work folder under `root`, locked while in use and removed afterwards. After a crash the folder
    remains, unlocked, and `remove_if_abandoned` takes it away."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=private_dir(root)))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def remove_if_abandoned(path: Path, *, keep: Callable[[], bool] | None = None) -> str:
    """Remove a file or folder that no live process holds locked. Returns "removed", "in use" (locked by a live
    process: kept), "kept" (`keep()`, asked while holding the lock, said it is wanted) or "gone" (already removed).

    `keep` is for a name whose owner releases its lock only once the file counts (a committed database row): asked
    after the lock is ours, it sees the owner's final word."""
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_DIRECTORY if path.is_dir() else 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        return "gone"
    except OSError:  # a symlink or something else none of ours creates: remove the name only
        path.unlink(missing_ok=True)
        return "removed"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return "in use"
        if not _same_file(path, fd):
            return "gone"  # replaced under us by a new owner's file: not ours to judge
        if keep is not None and keep():
            return "kept"
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        return "removed"
    finally:
        os.close(fd)


def is_locked(path: Path) -> bool:
    """Whether a live process holds `path` locked (see LockedFile)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextlib.contextmanager
def one_of_slots(directory: Path | str, slots: int) -> Iterator[int | None]:
    """Hold one of `slots` numbered lock files in `directory` (an exclusive `flock`) while the block runs, and yield
    its number; yield None, at once and without waiting, when every slot is held.

    A counting semaphore for the processes of one machine, hand-written on the same kernel locks as the rest of
    this module: a slot is freed by the kernel when its holder dies, however it dies, so a killed process never
    keeps one (a counter in the database would, until some timeout). `flock` belongs to each open of the file, so
    two threads of one server process count as two holders, like two processes."""
    folder = private_dir(directory)
    held: int | None = None
    fd = -1
    try:
        for number in range(max(1, slots)):
            fd = os.open(folder / f"slot-{number}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                fd = -1
                continue
            held = number
            break
        yield held
    finally:
        if fd >= 0:
            os.close(fd)  # closing the file drops its lock
