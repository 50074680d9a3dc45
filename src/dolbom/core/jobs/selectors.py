"""Which jobs a user may follow: those of a kind their role may run, in a district of theirs (core.scope)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dolbom.core.jobs.runtime import KINDS
from dolbom.core.models import Job
from dolbom.core.permissions import can
from dolbom.core.scope import Reach, scoped

# A job belongs to its district as a whole; one with no district (the whole city) is seen by who started it.
JOB = Reach(district="district_code", author="started_by")


def jobs_visible_to(user: Any) -> QuerySet[Job]:
    kinds = [key for key, kind in KINDS.items() if can(user, kind.permission)]
    return scoped(Job.objects.filter(kind__in=kinds).select_related("started_by__staff"), user, JOB)


def recent_jobs(user: Any, *kinds: str, limit: int = 10) -> list[Job]:
    """The latest jobs of the given kinds the user may follow, newest first: enough to find one whose page was
    closed, or why one failed."""
    return list(jobs_visible_to(user).filter(kind__in=kinds)[:limit])


def active_job_for(target: str) -> Job | None:
    return Job.objects.filter(target=target, status__in=["queued", "running"]).first()
