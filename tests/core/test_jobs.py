"""Background jobs (core.jobs) from the outside, with the screening round as the job: queued by the page, run by the
database worker, one at a time per district, stopped on request between two steps with nothing written, failed
when its worker died, and run again from its page. The worker is django-tasks-db's own, run in this process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent, Job
from dolbom.core.processes import host_name
from dolbom.core.roles import Role
from dolbom.discovery.models import OutreachItem, ScreeningRound
from dolbom.discovery.services import rounds as round_service
from tests.conftest import PASSWORD, _user, work_off_queue
from tests.discovery.screening.support import PERIOD, ready_for_a_round

ROUND = {"district": "9911000000", "period": PERIOD, "scorer": "scorecard", "cooldown_days": "0"}


@pytest.fixture
def ready(city, settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return ready_for_a_round(city, tmp_path / "files")


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def queue_round(client: Client) -> Job:
    response = client.post(reverse("round_new"), ROUND)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[-1]))


def test_a_second_round_of_the_district_waits_for_the_first(ready, client):
    c = login(client, "manager")
    first = queue_round(c)
    double_click = c.post(reverse("round_new"), ROUND)
    html = double_click.content.decode()
    assert double_click.status_code == 200 and f"#{first.pk}" in html and 'role="alert"' in html
    assert Job.objects.count() == 1

    work_off_queue()
    first.refresh_from_db()
    assert first.status == "done"
    second = queue_round(c)  # the first has ended: the district is free again
    assert second.pk != first.pk and second.status == "queued"


def test_a_waiting_job_is_cancelled_at_once_and_run_again_from_its_page(ready, client):
    c = login(client, "manager")
    job = queue_round(c)
    c.post(reverse("job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled" and job.cancelled_by.username == "manager"
    work_off_queue()  # the queued task finds its job cancelled and does nothing
    assert not ScreeningRound.objects.exists()
    assert reverse("job_retry", args=[job.pk]) in c.get(reverse("job_detail", args=[job.pk])).content.decode()

    response = c.post(reverse("job_retry", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("job_detail", args=[again.pk]) and again.retry_of == job
    work_off_queue()
    again.refresh_from_db()
    assert again.status == "done" and ScreeningRound.objects.get().status == "done"
    actions = list(AuditEvent.objects.filter(action__in=["core.cancel_job", "core.retry_job"]).values_list("action"))
    assert sorted(a for (a,) in actions) == ["core.cancel_job", "core.retry_job"]
    # A done job cannot be run again, nor cancelled: both say so on its page and change nothing.
    assert c.post(reverse("job_retry", args=[again.pk])).status_code == 302
    assert c.post(reverse("job_cancel", args=[again.pk])).status_code == 302
    again.refresh_from_db()
    assert Job.objects.count() == 2 and again.status == "done" and not again.cancel_requested


def test_a_running_round_asked_to_stop_stops_before_writing_its_lists(ready, client, monkeypatch):
    c = login(client, "manager")
    job = queue_round(c)
    reading = round_service.inputs_for

    def officer_clicks_stop_during_the_snapshot(**kwargs):
        assert c.post(reverse("job_cancel", args=[job.pk])).status_code == 302
        return reading(**kwargs)

    monkeypatch.setattr(round_service, "inputs_for", officer_clicks_stop_during_the_snapshot)
    work_off_queue()
    job.refresh_from_db()
    screening_round = ScreeningRound.objects.get()
    assert job.status == "cancelled" and job.phase == "scoring" and job.result["round_id"] == screening_round.pk
    assert screening_round.status == "failed" and screening_round.error.startswith("cancelled")
    assert not OutreachItem.objects.exists()
    page = c.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert 'data-job-status="cancelled"' in page and reverse("round_detail", args=[screening_round.pk]) in page


def test_a_job_whose_worker_died_is_failed_when_looked_at_and_runs_again(ready, client):
    c = login(client, "manager")
    job = queue_round(c)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    Job.objects.filter(pk=job.pk).update(status="running", runner_host=host_name(), runner_pid=int(dead.stdout))
    page = c.get(reverse("job_detail", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and f"pid {int(dead.stdout)}" in job.error
    assert 'data-job-status="failed"' in page and reverse("job_retry", args=[job.pk]) in page
    assert AuditEvent.objects.filter(action="core.job_interrupted", object_id=str(job.pk)).exists()

    c.post(reverse("job_retry", args=[job.pk]))
    work_off_queue()
    assert Job.objects.get(retry_of=job).status == "done"


def test_a_live_worker_is_not_taken_for_dead(ready, client):
    c = login(client, "manager")
    job = queue_round(c)
    Job.objects.filter(pk=job.pk).update(status="running", runner_host=host_name(), runner_pid=os.getpid())
    c.get(reverse("job_detail", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "running"


@pytest.mark.parametrize("username", ["officer", "worker", "tongjang", "analyst"])
def test_only_district_staff_follow_jobs(ready, client, username):
    job = queue_round(login(Client(), "manager"))
    c = login(client, username)
    assert c.get(reverse("job_detail", args=[job.pk])).status_code == 403
    assert c.post(reverse("job_cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == "queued" and not job.cancel_requested


def test_another_districts_job_is_not_found(ready, client, city):
    job = queue_round(login(Client(), "manager"))
    _user("manager2", Role.DISTRICT_MANAGER, city.agencies["other"], [city.districts[1]])
    c = login(client, "manager2")
    for name in ("job_detail",):
        assert c.get(reverse(name, args=[job.pk])).status_code == 404
    for name in ("job_cancel", "job_retry"):
        assert c.post(reverse(name, args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.status == "queued" and not job.cancel_requested
