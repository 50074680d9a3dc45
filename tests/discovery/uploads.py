"""Uploading a signal file as the importer does: the page queues an import job and sends them to its page; here
the job runs at once (`work_off_queue`, the database worker's own code) and the page they end on is returned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.test import Client, TestCase
from django.urls import reverse

from dolbom.core.models import Job
from tests.conftest import work_off_queue


def upload(client: Client, path: Path | None, *, period: str, agency: str = "", **data: Any) -> HttpResponse:
    """Post `path` to the upload page; run the job it queued; return the job's page (with `.job`), or the upload
    page's own answer when it refused the file at once (form, size, district, agency, an earlier import)."""
    fields = {"period": period, "agency": agency, **data}
    if path is None:
        response = client.post(reverse("signal_upload"), fields)
    else:
        with path.open("rb") as handle:
            response = client.post(reverse("signal_upload"), {"file": handle, **fields})
    return follow_job(client, response)


def follow_job(client: Client, response: HttpResponse) -> HttpResponse:
    if response.status_code != 302 or "/jobs/" not in response["Location"]:
        response.job = None  # type: ignore[attr-defined]
        return response
    # Run what waits for the commit too, as the worker's own commit would (an import lets go of its file then).
    with TestCase.captureOnCommitCallbacks(execute=True):
        work_off_queue()
    page = client.get(response["Location"])
    page.job = Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))  # type: ignore[attr-defined]
    return page
