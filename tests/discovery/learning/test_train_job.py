"""Training from the models page runs as a background job (core.jobs): the page answers with the job's page at
once, a refusal (too few recorded outcomes) ends the job failed with the counts and shows on the models page, and
a district outside the user's is refused before anything is queued."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dolbom.core.models import Job
from dolbom.core.roles import Role
from dolbom.discovery.models import ScoringModel
from tests.conftest import PASSWORD, _user, work_off_queue


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


def test_training_is_queued_and_a_refusal_ends_the_job_with_the_counts(city, home, client):
    assert client.login(username="manager", password=PASSWORD)
    response = client.post(reverse("model_train"), {"district": city.districts[0].code})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("job_detail", args=[job.pk])
    assert job.kind == "model_training" and job.status == "queued" and job.district_code == city.districts[0].code

    work_off_queue()
    job.refresh_from_db()
    assert job.status == "failed" and job.phase == "labels" and "0" in job.error, job.error
    assert "Refused" not in job.error  # the refusal's own sentence, not an exception's name
    assert not ScoringModel.objects.exists()
    listing = client.get(reverse("model_list")).content.decode()
    assert reverse("job_detail", args=[job.pk]) in listing
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert job.error[:20] in page and reverse("job_retry", args=[job.pk]) in page


def test_a_district_outside_the_users_is_refused_before_anything_is_queued(city, home, client):
    assert client.login(username="manager", password=PASSWORD)
    assert client.post(reverse("model_train"), {"district": city.districts[1].code}).status_code == 403
    assert client.post(reverse("model_train"), {"district": "12"}).status_code == 400
    _user("officer2", Role.DONG_OFFICER, city.agencies["dong0"], [city.dongs[0]])
    client.logout()
    assert client.login(username="officer2", password=PASSWORD)
    assert client.post(reverse("model_train"), {"district": city.districts[0].code}).status_code == 403
    assert not Job.objects.exists()
