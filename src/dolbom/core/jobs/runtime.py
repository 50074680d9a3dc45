"""Long work off the request: a `Job` row says what is done, how far it has come and whether someone asked to stop;
Django's Tasks API (the `django-tasks` backport, with `django-tasks-db`'s database backend) carries it to a worker
process (`dolbom worker`, started by `dolbom demo` and `dolbom serve`; production runs it as its own service).

Why the Tasks API with its database backend: it needs no broker (the embedded default has only SQLite), several
workers share one PostgreSQL queue through row locks (`SELECT … FOR UPDATE SKIP LOCKED`), and the same `@task`
code moves to Django 6's built-in `django.tasks` unchanged. What the backend does not do is kept here, on the
`Job` row: progress, cancelling, and telling a job whose worker died from one still at work (core.processes).

A domain declares each kind of job once (`register(JobKind(...))` in its `jobs.py`, imported by its AppConfig).
The kind's `run(job, progress)` does the work in its own transactions and calls `progress.phase(...)` between
steps; `progress.phase` raises `JobCancelled` once someone asked to stop, so the work stops between two steps and
never in the middle of a write. Whatever the work writes must be all-or-nothing: a killed worker then leaves only
the job row `running`, which `end_abandoned_jobs` marks failed, and a retry starts afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django_tasks import task

from dolbom.core.models import Job, JobStatus
from dolbom.core.processes import this_process

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Someone asked the job to stop; raised between two steps of its work."""

    def __init__(self, message: str = "cancelled: stopped at a user's request before it ended") -> None:
        super().__init__(message)


class JobFailed(Exception):
    """The work ended without its result and says why in words of its own (a round's recorded error, say);
    `result` is kept on the job for its page (a refused file's report, say)."""

    def __init__(self, message: str, *, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


@dataclass(frozen=True)
class JobKind:
    key: str
    label: str | Promise
    permission: str  # who may start, follow, cancel and retry it (core.permissions)
    phases: dict[str, str | Promise]  # in order: key → words shown beside the progress bar
    run: Callable[[Job, Progress], dict[str, Any]]  # returns what the job page links to (e.g. {"round_id": 3})
    result_url: Callable[[dict[str, Any]], str | None] = field(default=lambda result: None)
    nav: str = ""  # the menu entry highlighted on the job's page
    # What the job's page shows of this kind below its status, if anything: a template, rendered with `job` and
    # what `detail_context(job)` adds (a refused file's report, say; with `failure_explained` it stands in for the
    # page's general failure box and its "run again" button; `status_text` words the status in the kind's terms).
    detail_template: str = ""
    detail_context: Callable[[Job], dict[str, Any]] = field(default=lambda job: {})
    # Whether an ended job can still run again (its input may be gone); asked before the button is shown.
    retryable: Callable[[Job], bool] = field(default=lambda job: True)


KINDS: dict[str, JobKind] = {}
# Each phase is this many steps of `Job.done`/`Job.total`, so that work that knows how far it is within a phase can
# move the bar there (`Progress.check(share)`).
STEPS = 100


def register(kind: JobKind) -> JobKind:
    KINDS[kind.key] = kind
    return kind


def kind_of(job: Job) -> JobKind:
    return KINDS[job.kind]


class Progress:
    """What the work says of itself while it runs. Every call also beats the job's heartbeat."""

    def __init__(self, job: Job, kind: JobKind) -> None:
        self.job = job
        self.order = list(kind.phases)
        self._index: int | None = None

    def phase(self, key: str, **result: Any) -> None:
        """The work enters phase `key` (a key of its kind's phases); `result` is merged into what the page shows
        (the round's number as soon as it exists, say). Raises JobCancelled when a stop was asked for."""
        self._index = self.order.index(key)
        fields: dict[str, Any] = {"phase": key, "done": self._index * STEPS, "total": len(self.order) * STEPS}
        if result:
            self.job.result = {**self.job.result, **result}
            fields["result"] = self.job.result
        self._write(fields)

    def check(self, share: float | None = None) -> None:
        """Beat the heartbeat and stop here if asked to; for work that loops within one phase. `share` (0..1), when
        the work knows it, moves the bar within the phase."""
        fields: dict[str, Any] = {}
        if share is not None and self._index is not None:
            fields["done"] = self._index * STEPS + int(max(0.0, min(1.0, share)) * (STEPS - 1))
        self._write(fields)

    def _write(self, fields: dict[str, Any]) -> None:
        Job.objects.filter(pk=self.job.pk).update(heartbeat_at=timezone.now(), **fields)
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCancelled


def failure_text(exc: BaseException) -> str:
    """What the job page says went wrong: a refusal's own sentences, otherwise the exception's type and text."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, JobFailed):
        return str(exc)[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


@task(queue_name="default")
def run_job(job_id: int) -> None:
    """The worker's side: claim the job (only if still waiting: it may have been cancelled meanwhile), run its
    kind's work, and record how it ended."""
    runner = this_process()
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        runner_host=runner.host,
        runner_pid=runner.pid,
        runner_started=runner.started,
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    kind = kind_of(job)
    try:
        result = kind.run(job, Progress(job, kind))
    except JobCancelled:
        _end(job, JobStatus.CANCELLED)
    except JobFailed as exc:
        _end(job, JobStatus.FAILED, error=failure_text(exc), result={**job.result, **exc.result})
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _end(job, JobStatus.FAILED, error=failure_text(exc))
    else:
        _end(job, JobStatus.DONE, result={**job.result, **(result or {})}, done=F("total"))


def _end(job: Job, status: str, **fields: Any) -> None:
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), heartbeat_at=timezone.now(), **fields
    )
