"""What an unfinished import (or round) leaves on disk after its process was killed, and its removal.

Run at every start of the server (`dolbom serve`, `dolbom demo`) and by `dolbom cleanup`, possibly while another
process imports a file or runs a round right now. The rule that keeps both safe: a file or folder is removed only
if no live process holds its lock (core.files). Work in progress is always locked by its owner — the Parquet
being written under its `.part` name and then, after the rename, until its `SignalFile` row is committed; a
round's or a training's work folder while it runs — and the kernel releases a lock when its process dies,
however it dies. An unlocked file is therefore a leftover, even one a second old; a locked one is someone's work,
even one a day old. Ages and process ids would be guesses, and wrong across machines sharing DOLBOM_HOME.

A final Parquet file counts only with its committed row that stands (docs/signal-storage.md): one without, and
unlocked, is an orphan — so is the file of a withdrawn import that its withdrawal could not remove. Its row is
looked up again after its lock is taken, since the owner releases the lock only after the commit.

Uploads and staging files have no name at all while in use (they are unlinked from the start), so normally there
is nothing there to remove; what may be there comes from an older version or a system without /proc. An upload
waiting for its import job is sealed (encrypted) under jobs/uploads/ and removed once no job needs it any more
(services.signal_jobs).

The report names what was removed (kind, path relative to DOLBOM_HOME, size), never what was in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.core.files import remove_if_abandoned
from dolbom.discovery.importing import store
from dolbom.discovery.models import SignalFile
from dolbom.discovery.screening.rounds_inputs import work_root
from dolbom.discovery.services import signal_jobs

KINDS = {
    "upload": gettext_lazy("uploaded file"),
    "staging": gettext_lazy("temporary file of a check"),
    "part": gettext_lazy("half-written Parquet (.part)"),
    "orphan": gettext_lazy("Parquet without a database row"),
    "workdir": gettext_lazy("work folder"),
    "held": gettext_lazy("sealed upload no import job needs any more"),
}


@dataclass(frozen=True)
class Removed:
    kind: str
    path: str  # relative to DOLBOM_HOME
    size: int


@dataclass
class Leftovers:
    removed: list[Removed] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.removed:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return counts

    def render(self) -> str:
        if not self.removed:
            lines = [_("Nothing to clean up: no unfinished import left a file behind.")]
        else:
            summary = ", ".join(f"{KINDS[k]} {n}" for k, n in self.counts().items())
            removed = _("Removed %(count)s file(s) left behind by unfinished imports: %(summary)s")
            lines = [removed % {"count": len(self.removed), "summary": summary}]
            line = _("%(kind)s: %(path)s (%(size)s bytes)")
            lines += [
                "  - " + line % {"kind": KINDS[item.kind], "path": item.path, "size": f"{item.size:,}"}
                for item in self.removed
            ]
        if self.in_use:
            lines.append(_("Kept %(count)s file(s) that another process is using:") % {"count": len(self.in_use)})
            lines += [f"  - {path}" for path in self.in_use]
        lines += self.notes
        return "\n".join(lines)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _committed() -> set[str] | None:

    try:
        return set(SignalFile.objects.filter(withdrawn_at__isnull=True).values_list("storage_path", flat=True))
    except DatabaseError:  # a database never migrated has no imports to protect, and no way to tell
        return None


def remove_leftovers() -> Leftovers:
    """Remove every leftover of an unfinished import or round that no live process holds; say what."""

    home = Path(settings.HOME)
    result = Leftovers()

    def remove(path: Path, kind: str, *, keep: object = None) -> None:
        size = _size(path)
        outcome = remove_if_abandoned(path, keep=keep)  # type: ignore[arg-type]
        shown = str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
        if outcome == "removed":
            result.removed.append(Removed(kind, shown, size))
        elif outcome == "in use":
            result.in_use.append(shown)

    uploads = Path(settings.FILE_UPLOAD_TEMP_DIR)
    for path in sorted(uploads.iterdir()) if uploads.is_dir() else []:
        remove(path, "upload")
    root = store.signals_root()
    staging = root / ".staging"
    for path in sorted(staging.iterdir()) if staging.is_dir() else []:
        remove(path, "staging")

    committed = _committed()
    # Stored files lie at signals/<district>/<period>/ (and, from before files had a district, signals/<period>/).
    stored = sorted(p for p in root.rglob("*") if p.is_file() and staging not in p.parents) if root.is_dir() else []
    for path in stored:
        if path.name.startswith(".") and path.name.endswith(store.PART_SUFFIX):
            remove(path, "part")
        elif path.suffix == ".parquet" and committed is not None:
            relative = str(path.relative_to(home))
            if relative in committed:
                continue

            def wanted(relative: str = relative) -> bool:
                return SignalFile.objects.filter(storage_path=relative, withdrawn_at__isnull=True).exists()

            remove(path, "orphan", keep=wanted)
    if committed is None and stored:
        result.notes.append(
            _("The database is not ready, so Parquet files without a database row were not looked for.")
        )

    held = signal_jobs.held_uploads()
    for path in sorted(held.iterdir()):
        if committed is not None:  # without a database, whether a job still needs it cannot be told: kept

            def needed(path: Path = path) -> bool:
                return signal_jobs.held_upload_wanted(path)

            remove(path, "held", keep=needed)

    work = work_root()
    for path in sorted(work.iterdir()):
        remove(path, "workdir")
    return result
