"""A job's page: what it does, how far it has come, and the buttons to stop it or run it again. While the job
waits or runs, the page asks for its own progress every second (htmx) and swaps in the new state."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.http import requires
from dolbom.core.jobs.runtime import kind_of
from dolbom.core.jobs.selectors import jobs_visible_to
from dolbom.core.jobs.services import JobBusy, cancel_job, end_abandoned_jobs, retry_job
from dolbom.core.models import Job
from dolbom.core.scope import visible_or_404


@require_safe
@requires("core.follow_jobs")
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = visible_or_404(jobs_visible_to(request.user), job_id)
    # A worker killed half way is found here too, not only when the next worker or server starts: the page being
    # watched would otherwise say "running" until then.
    if job.active and end_abandoned_jobs(target=job.target):
        job = visible_or_404(jobs_visible_to(request.user), job_id)
    kind = kind_of(job)
    order = list(kind.phases)
    current = order.index(job.phase) if job.phase in order else -1
    context = {
        "job": job,
        "kind": kind,
        # Each phase as passed, current or to come, for the list beside the bar.
        "phases": [
            (label, i < current or job.status == "done", i == current) for i, label in enumerate(kind.phases.values())
        ],
        "phase_label": kind.phases.get(job.phase, ""),
        "result_url": kind.result_url(job.result),
        "retryable": job.status in ("failed", "cancelled") and kind.retryable(job),
        "active_nav": kind.nav,
        **kind.detail_context(job),
    }
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, context)


@require_POST
@requires("core.follow_jobs")
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        cancel_job(user=request.user, job_id=job_id)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, gettext("Asked the job to stop: it stops at its next step and writes nothing."))
    return redirect("job_detail", job_id=job_id)


@require_POST
@requires("core.follow_jobs")
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        again = retry_job(user=request.user, job_id=job_id)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("job_detail", job_id=job_id)
    return redirect("job_detail", job_id=again.pk)


def follow_queued(request: HttpRequest, queue: Callable[[], Job]) -> HttpResponse:
    """For a domain's view that starts a job: queue it and follow it on its page. While a job on the same target
    waits or runs (a double click, a colleague's launch), follow that one instead and say so."""
    try:
        job = queue()
    except JobBusy as busy:
        messages.info(request, " ".join(busy.messages))
        job = busy.job
    return redirect("job_detail", job_id=job.pk)
