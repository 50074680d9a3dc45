"""Starting, stopping and re-running jobs (core.jobs.runtime says what a job is)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.jobs.runtime import KINDS, run_job
from dolbom.core.jobs.selectors import active_job_for, jobs_visible_to
from dolbom.core.models import ACTIVE_JOB_STATUSES, Job, JobStatus
from dolbom.core.permissions import ensure_can
from dolbom.core.processes import Runner, abandoned
from dolbom.core.scope import scope_for, visible_or_404

# Work beats the heartbeat between its steps; the longest step (a round's scoring at ten million households) takes
# a few minutes. A job on another host silent for this long has lost its worker.
STALE_AFTER = timedelta(minutes=30)


class JobBusy(ValidationError):
    """Another job on the same target is waiting or running."""

    def __init__(self, job: Job) -> None:
        self.job = job
        super().__init__({NON_FIELD_ERRORS: _busy_text(job)})


def start_job(
    *, user: Any, kind: str, target: str, district_code: str = "", params: dict[str, Any], retry_of: Job | None = None
) -> Job:
    """Queue a job. The caller has checked the request (a job refused later fails on its page, but what can be
    told at once is told at once). Raises JobBusy while another job on `target` is waiting or running."""
    ensure_can(user, KINDS[kind].permission)
    if district_code:
        scope_for(user).ensure_district(district_code)
    end_abandoned_jobs(target=target)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                target=target,
                district_code=district_code,
                params=params,
                started_by=user if getattr(user, "is_authenticated", False) else None,
                retry_of=retry_of,
            )
            # The queue is a table of the same database: the job and its task land together or not at all, and a
            # worker sees the task only once both are committed.
            run_job.enqueue(job.pk)
    except IntegrityError as exc:
        running = active_job_for(target)
        if running is None:  # it ended between the insert and this look
            raise ValidationError({NON_FIELD_ERRORS: _("Another job on the same data ended a moment ago.")}) from exc
        raise JobBusy(running) from exc
    return job


def cancel_job(*, user: Any, job_id: int) -> Job:
    """Ask a job to stop. A waiting job stops at once; a running one at its next step (its writes are all or
    nothing, so it leaves nothing half-written)."""
    job = visible_or_404(jobs_visible_to(user), job_id)
    ensure_can(user, KINDS[job.kind].permission)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not job.active:
            raise ValidationError({NON_FIELD_ERRORS: _("The job has already ended.")})
        job.cancel_requested = True
        job.cancelled_by = user
        fields = ["cancel_requested", "cancelled_by"]
        if job.status == JobStatus.QUEUED:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            fields += ["status", "finished_at"]
        job.save(update_fields=fields)
        audit.record(user, "core.cancel_job", job, detail={"kind": job.kind, "target": job.target})
    return job


def retry_job(*, user: Any, job_id: int, params: dict[str, Any] | None = None) -> Job:
    """Run a failed or cancelled job again, as a new job that names the one before: with the same parameters, or
    with `params` changed by its domain's service (an import's period confirmed, say)."""
    job = visible_or_404(jobs_visible_to(user), job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ValidationError({NON_FIELD_ERRORS: _("Only a failed or cancelled job can be run again.")})
    if not KINDS[job.kind].retryable(job):
        raise ValidationError({NON_FIELD_ERRORS: _("This job cannot run again: what it worked on is no longer kept.")})
    with transaction.atomic():
        again = start_job(
            user=user,
            kind=job.kind,
            target=job.target,
            district_code=job.district_code,
            params={**job.params, **(params or {})},
            retry_of=job,
        )
        audit.record(user, "core.retry_job", again, detail={"kind": job.kind, "retry_of": job.pk})
    return again


def end_abandoned_jobs(*, target: str | None = None) -> list[Job]:
    """Mark failed every running job (on `target`, or all) whose worker is gone: at once when the worker ran on this
    host and no longer exists, after STALE_AFTER without a heartbeat otherwise. The work of such a job wrote all or
    nothing, so a retry starts afresh. Called when a worker or the server starts and before a job is queued."""
    running = Job.objects.filter(status=JobStatus.RUNNING)
    if target is not None:
        running = running.filter(target=target)
    ended = []
    for job in running:
        runner = Runner(job.runner_host, job.runner_pid or 0, job.runner_started)
        reason = abandoned(runner, last_heard=job.heartbeat_at or job.created_at, stale_after=STALE_AFTER)
        if reason == "gone":
            why = _("The worker running it (pid %(pid)s on %(host)s) stopped before it ended.")
        elif reason == "silent":
            why = _("Its worker (pid %(pid)s on %(host)s) has not been heard from for 30 minutes.")
        else:
            continue
        with transaction.atomic():
            changed = Job.objects.filter(pk=job.pk, status__in=ACTIVE_JOB_STATUSES).update(
                status=JobStatus.FAILED,
                finished_at=timezone.now(),
                error=why % {"pid": runner.pid, "host": runner.host},
            )
            if changed:
                audit.record(
                    None, "core.job_interrupted", job, detail={"kind": job.kind, "host": runner.host, "pid": runner.pid}
                )
                ended.append(job)
    return ended


def _busy_text(job: Job) -> str:
    by = getattr(getattr(job.started_by, "staff", None), "display_name", None) or "-"
    started = timezone.localtime(job.created_at)
    message = _("%(kind)s on the same data, job #%(id)s: %(status)s (%(by)s, since %(at)s). Wait until it ends.")
    return message % {
        "kind": KINDS[job.kind].label,
        "id": job.pk,
        "status": job.get_status_display(),
        "by": by,
        "at": f"{started:%H:%M}",
    }
