"""The rounds pages, from the outside: who may open them, running a round from the form, and the round's page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.core.models import Job
from dolbom.discovery.models import OutreachItem, ScreeningRound
from dolbom.discovery.services import rounds as service
from tests.conftest import PASSWORD, work_off_queue
from tests.discovery.screening.support import PERIOD, ready_for_a_round


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def ready(city, home, tmp_path):
    return ready_for_a_round(city, tmp_path / "files")


def login(client: Client, username: str) -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html and " style=" not in html, "inline style"


@pytest.mark.parametrize("username", ["officer", "worker", "tongjang", "analyst"])
def test_only_district_staff_open_the_rounds_pages(ready, client, username):
    c = login(client, username)
    assert c.get(reverse("round_list")).status_code == 403
    assert c.get(reverse("round_new")).status_code == 403
    assert c.post(reverse("round_new"), {"period": PERIOD}).status_code == 403
    assert not ScreeningRound.objects.exists()


def test_the_form_offers_the_imported_periods_and_the_scorecards_cool_down(ready, client):
    response = login(client, "manager").get(reverse("round_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{PERIOD}" selected>{PERIOD}</option>' in html
    assert 'name="cooldown_days"' in html and 'value="180"' in html
    assert 'type="hidden" name="district" value="9911000000"' in html
    for name in ("period", "scorer", "cooldown_days"):
        assert f'for="id_{name}"' in html
    assert_no_inline_code(html)


def test_running_a_round_from_the_form_lands_on_its_page(ready, client):
    c = login(client, "manager")
    data = {"district": "9911000000", "period": PERIOD, "scorer": "scorecard", "cooldown_days": "90"}
    response = c.post(reverse("round_new"), data)
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("job_detail", args=[job.pk])
    assert job.status == "queued" and not ScreeningRound.objects.exists()  # the worker runs it, not the request
    waiting = c.get(response.url).content.decode()
    assert 'data-job-status="queued"' in waiting and 'hx-trigger="every 1s"' in waiting

    work_off_queue()
    screening_round = ScreeningRound.objects.get()
    job.refresh_from_db()
    assert job.status == "done" and job.result["round_id"] == screening_round.pk and job.percent == 100
    assert screening_round.status == "done" and screening_round.params["cooldown_days"] == 90
    assert OutreachItem.objects.filter(round=screening_round).count() == 2
    done = c.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert reverse("round_detail", args=[screening_round.pk]) in done and "every 1s" not in done

    page = c.get(reverse("round_detail", args=[screening_round.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for dong in ready.dongs[:2]:
        link = f"{reverse('outreach_list')}?round={screening_round.pk}&amp;dong={dong.code}"
        assert link in html and dong.name in html
    assert ready.dongs[2].name not in html  # another district
    assert screening_round.scorecard_version in html
    assert_no_inline_code(html)

    listing = c.get(reverse("round_list")).content.decode()
    assert reverse("round_detail", args=[screening_round.pk]) in listing


def test_errors_come_back_on_the_form(ready, client):
    c = login(client, "manager")
    response = c.post(reverse("round_new"), {"district": "9911000000", "period": PERIOD, "scorer": "model",
                                             "cooldown_days": "180"})  # fmt: skip
    assert response.status_code == 200 and "학습 모형" in response.content.decode()
    response = c.post(reverse("round_new"), {"district": "9912000000", "period": PERIOD, "scorer": "scorecard",
                                             "cooldown_days": "180"})  # fmt: skip
    assert response.status_code == 200  # not one of the user's districts: not a valid choice
    assert not ScreeningRound.objects.exists()


def test_a_round_already_running_in_the_district_is_named_on_the_form(ready, client):
    running = ScreeningRound.objects.create(district=ready.districts[0], period=PERIOD, scorer="scorecard")
    c = login(client, "manager")
    response = c.post(reverse("round_new"), {"district": "9911000000", "period": PERIOD, "scorer": "scorecard",
                                             "cooldown_days": "180"})  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and f"차수 #{running.pk}가 실행 중입니다" in html and 'role="alert"' in html
    assert ScreeningRound.objects.count() == 1


def test_a_failed_round_shows_its_error(ready, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the engine stopped")

    monkeypatch.setattr(service, "run_screening", broken)
    c = login(client, "manager")
    response = c.post(
        reverse("round_new"), {"district": "9911000000", "period": PERIOD, "scorer": "scorecard", "cooldown_days": "0"}
    )
    work_off_queue()
    job_page = c.get(response.url).content.decode()
    assert 'data-job-status="failed"' in job_page and "the engine stopped" in job_page
    page = c.get(reverse("round_detail", args=[ScreeningRound.objects.get().pk])).content.decode()
    assert "the engine stopped" in page and 'role="alert"' in page


def test_rounds_of_another_district_are_not_found(ready, client, city):
    other = ScreeningRound.objects.create(district=city.districts[1], period=PERIOD, scorer="scorecard")
    assert login(client, "manager").get(reverse("round_detail", args=[other.pk])).status_code == 404
