"""Signal files imported as jobs (core.jobs): the upload page checks what it can at once, seals the file at rest and
queues its import; a worker opens it into a nameless file and imports it with `import_signal_file`, the same
all-or-nothing import as the command line's.

The sealed upload (core.sealed) lies at DOLBOM_HOME/jobs/uploads/<token>.sealed for as long as a job may need it:
- removed when the import is done, or refused for the file's own content (running it again would refuse it
  again: the importer corrects the file and uploads it anew);
- kept after a stop, a worker that died, a period to confirm or an unexpected error, so that "run it again" and
  "confirm the period" work without a new upload, for KEEP_FOR_RETRY after the job ended; then the next
  `dolbom cleanup` (run by every start of the server and the worker) removes it (`held_upload_wanted`).
While the request writes it, the request holds its lock (core.files), so that a cleanup running beside it does not
take it for a leftover before its job exists.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import sealed
from dolbom.core.files import LockedFile, ScratchFile, private_dir
from dolbom.core.jobs.runtime import JobFailed, Progress
from dolbom.core.jobs.selectors import jobs_visible_to
from dolbom.core.jobs.services import retry_job, start_job
from dolbom.core.models import ACTIVE_JOB_STATUSES, Job, JobStatus
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import visible_or_404
from dolbom.discovery.importing import store
from dolbom.discovery.importing.report import report_as_dict
from dolbom.discovery.services.signals import (
    ImportResult,
    SignalFileRejected,
    check_request,
    import_signal_file,
    record_refusal,
)

IMPORT_KIND = "signal_import"
KEEP_FOR_RETRY = timedelta(hours=24)
SEALED_SUFFIX = ".sealed"
# A refusal of these kinds is not the file's content: the same bytes may be imported once it is resolved.
REFUSALS_WORTH_KEEPING = {"period_unconfirmed", "busy"}
# While every import turn is taken, the job looks again this often (and may be stopped in between).
TURN_POLL_SECONDS = 2.0
_TOKEN = re.compile(r"[0-9a-f]{32}")


def held_uploads() -> Path:
    return private_dir(Path(settings.HOME) / "jobs" / "uploads")


def held_upload_path(token: str) -> Path:
    if not _TOKEN.fullmatch(token or ""):
        raise ValueError("not an upload token")
    return held_uploads() / f"{token}{SEALED_SUFFIX}"


def _context(token: str) -> bytes:
    return b"dolbom.signal-upload:" + token.encode()


def import_target(district_code: str, sha256: str) -> str:
    """One import of the same bytes into the same district at a time: a double click queues one job."""
    return f"import:{district_code}:{sha256[:16]}"


def queue_signal_import(
    *,
    user: Any,
    path: Path,
    name: str,
    period: str,
    agency_code: str | None,
    district_code: str | None,
    confirm_period: str = "",
) -> Job:
    """Check what can be told before a row is read (district, period, agency, size, an earlier import of the same
    bytes: SignalFileRejected, audited, as the import itself would), seal the file and queue its import. Raises
    JobBusy while the same bytes are being imported into the same district."""
    ensure_can(user, "discovery.import_signals")
    try:
        request = check_request(
            user=user, path=path, period=period, agency_code=agency_code, district_code=district_code, name=name
        )
    except SignalFileRejected as rejected:
        record_refusal(user, rejected.report, size=path.stat().st_size if path.is_file() else None)
        raise
    token = secrets.token_hex(16)
    held = LockedFile.create(held_upload_path(token))
    try:
        with open(path, "rb") as source:
            sha256 = sealed.seal(source, held.file, context=_context(token))
        if sha256 != request.sha256:  # the nameless upload is ours alone; this would be a fault, not a user's
            raise ValueError("the upload changed while it was sealed")
        with transaction.atomic():
            job = start_job(
                user=user,
                kind=IMPORT_KIND,
                target=import_target(request.district.code, sha256),
                district_code=request.district.code,
                params={
                    "upload": token,
                    "name": name,
                    "period": request.period,
                    "agency": request.agency.code,
                    "district": request.district.code,
                    "sha256": sha256,
                    "bytes": path.stat().st_size,
                    "confirm_period": confirm_period,
                },
            )
    except BaseException:
        held.path.unlink(missing_ok=True)
        raise
    finally:
        held.release()
    return job


def confirm_import_period(*, user: Any, job_id: int) -> Job:
    """Run an import that stopped at the period question again, with the period confirmed for that very file (the
    confirmation the job recorded holds for its bytes and period only)."""
    job = visible_or_404(jobs_visible_to(user).filter(kind=IMPORT_KIND), job_id)
    report = job.result.get("report") or {}
    if report.get("kind") != "period_unconfirmed" or not report.get("confirmation"):
        raise ValidationError({NON_FIELD_ERRORS: _("This import is not waiting for its period to be confirmed.")})
    return retry_job(user=user, job_id=job.pk, params={"confirm_period": report["confirmation"]})


def pause_for_turn() -> None:
    time.sleep(TURN_POLL_SECONDS)


def upload_kept(job: Job) -> bool:
    """Whether the job's sealed upload is still there, so that it can run again."""
    try:
        return held_upload_path(job.params.get("upload", "")).is_file()
    except ValueError:
        return False


def held_upload_wanted(path: Path) -> bool:
    """Whether a sealed upload may still be needed: a job naming it waits or runs, or ended less than
    KEEP_FOR_RETRY ago without importing it."""
    token = path.name.removesuffix(SEALED_SUFFIX)
    jobs = Job.objects.filter(kind=IMPORT_KIND, params__upload=token)
    if jobs.filter(status__in=ACTIVE_JOB_STATUSES).exists():
        return True
    since = timezone.now() - KEEP_FOR_RETRY
    retryable = (JobStatus.FAILED, JobStatus.CANCELLED)
    return jobs.filter(status__in=retryable, finished_at__gte=since).exists()


def run_import(job: Job, progress: Progress) -> dict[str, Any]:
    """The worker's side of an import job."""
    params = job.params
    token = params["upload"]
    path = held_upload_path(token)

    def wait_for_turn() -> None:
        progress.phase("waiting")
        pause_for_turn()

    progress.phase("opening")
    if not path.is_file():
        raise JobFailed(_("The uploaded file is no longer kept (kept a day after its job ended). Upload it again."))
    scratch = ScratchFile(store.staging_dir())
    try:
        try:
            if sealed.unseal(path, scratch.file, context=_context(token)) != params["sha256"]:
                raise sealed.SealBroken("the bytes differ from those uploaded")
        except sealed.SealBroken:
            path.unlink(missing_ok=True)  # it will never open: nothing to keep for a retry
            broken = _("The stored upload does not open (it was changed or damaged). Upload the file again.")
            raise JobFailed(broken) from None
        result = import_signal_file(
            user=job.started_by,
            path=scratch.path,
            period=params["period"],
            agency_code=params["agency"],
            district_code=params["district"],
            original_name=params["name"],
            confirm_period=params.get("confirm_period") or False,
            progress=progress,
            wait_for_turn=wait_for_turn,
        )
    except SignalFileRejected as rejected:
        if rejected.report.kind not in REFUSALS_WORTH_KEEPING:
            path.unlink(missing_ok=True)
        raise JobFailed(rejected.report.headline(), result={"report": report_as_dict(rejected.report)}) from None
    finally:
        scratch.close()
    path.unlink(missing_ok=True)
    return {"imported": imported_summary(result)}


def imported_summary(result: ImportResult) -> dict[str, Any]:
    """What the job's page shows of an accepted file: counts and names, never a resident number."""
    signal_file = result.signal_file
    return {
        "signal_file_id": signal_file.pk,
        "name": signal_file.original_name,
        "agency_code": signal_file.agency_code,
        "agency_name": result.agency_name,
        "period": signal_file.period,
        "rows": result.rows,
        "matched": result.matched,
        "unmatched": result.unmatched,
        "file_format": result.file_format,
        "encoding": result.encoding,
        "warnings": list(result.warnings),
        "unmatched_sample": [{"row": u.row, "record_id": u.record_id, "kind": u.kind} for u in result.unmatched_sample],
    }
