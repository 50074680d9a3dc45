"""The learned models page and the agreements page from each role's side: the gate's verdict in Korean, a model
held back cannot be chosen, the city's officer trains the pooled model as a job, and only a district's
administrator records its agreement."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import Job
from dolbom.discovery.learning.gate import not_evaluated
from dolbom.discovery.models import LabelSharingAgreement, ModelChoice, ScoringModel
from tests.conftest import work_off_queue

PASSED = {
    "evaluated": True, "passed": True, "held_back": [], "rounds": [1], "labels": 200, "positives": 60, "k": 100,
    "precision": {"model": 0.45, "scorecard": 0.30}, "difference": 0.15, "interval": [0.05, 0.25],
    "parity": {"head_age_band": {"model": 1.2, "scorecard": 1.4, "compared": 3, "measured": True, "groups": {}}},
}  # fmt: skip
PASSED["balanced"] = dict(PASSED)


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


def _models(city):
    held = ScoringModel.objects.create(district=city.districts[0], city=city.sido, algorithm="lightgbm", path="",
                                       gate=not_evaluated("no_heldout_round"))  # fmt: skip
    passed = ScoringModel.objects.create(kind="pooled", city=city.sido, algorithm="lightgbm", path="", gate=PASSED,
                                         gate_passed=True, labels=200,
                                         label_sources=[{"district": city.districts[0].code, "labels": 200,
                                                         "positives": 60, "agreement": 1}])  # fmt: skip
    return held, passed


def test_the_page_says_why_a_model_is_held_back_and_refuses_to_choose_it(city, client, home):
    held, passed = _models(city)
    client.force_login(city.users["district_admin"])
    page = client.get(reverse("model_list")).content.decode()
    assert "보류" in page and "다음 차수의 결과를 기록한 뒤" in page
    assert "통과" in page and "통합 (한빛시)" in page and "중앙구: 결과 200건" in page
    assert reverse("model_choose", args=[passed.pk]) in page
    assert reverse("model_choose", args=[held.pk]) not in page  # no button for a model held back
    response = client.post(reverse("model_choose", args=[held.pk]), {"district": city.districts[0].code},
                           follow=True)  # fmt: skip
    assert "검증에서 보류되어" in response.content.decode()
    assert not ModelChoice.objects.exists()
    response = client.post(reverse("model_choose", args=[passed.pk]), {"district": city.districts[0].code},
                           follow=True)  # fmt: skip
    assert ModelChoice.objects.get().scoring_model == passed
    assert "사용 중" in response.content.decode()
    client.post(reverse("model_stop_using"), {"district": city.districts[0].code})
    assert not ModelChoice.objects.exists()


def test_a_district_manager_reads_the_page_but_chooses_nothing(city, client, home):
    _held, passed = _models(city)
    client.force_login(city.users["district_manager"])
    page = client.get(reverse("model_list")).content.decode()
    assert reverse("model_choose", args=[passed.pk]) not in page
    response = client.post(reverse("model_choose", args=[passed.pk]), {"district": city.districts[0].code})
    assert response.status_code == 403 and not ModelChoice.objects.exists()


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "safety_net", "analyst"])
def test_other_roles_have_no_models_page(city, client, role):
    client.force_login(city.users[role])
    assert client.get(reverse("model_list")).status_code == 403
    assert client.get(reverse("agreement_list")).status_code == 403


def test_the_citys_officer_trains_the_pooled_model_as_a_job(city, client, home):
    client.force_login(city.users["city_officer"])
    page = client.get(reverse("model_list")).content.decode()
    assert reverse("model_train_pooled") in page and reverse("model_train") not in page
    assert 'href="/discovery/models/"' in client.get("/").content.decode()  # the menu leads there
    response = client.post(reverse("model_train_pooled"), {"city": city.sido.code})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("job_detail", args=[job.pk])
    assert job.kind == "pooled_model_training" and job.district_code == ""
    work_off_queue()
    job.refresh_from_db()
    assert job.status == "failed" and "동의한 구가 없어" in job.error  # no agreement yet: nothing to learn from
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 200
    assert client.post(reverse("model_train_pooled"), {"city": "9800000000"}).status_code == 400
    client.force_login(city.users["district_admin"])
    assert client.post(reverse("model_train_pooled"), {"city": city.sido.code}).status_code == 403
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404  # the city's job, not the district's


def test_the_districts_administrator_records_and_ends_its_agreement(city, client):
    client.force_login(city.users["district_admin"])
    page = client.get(reverse("agreement_list")).content.decode()
    assert "구의 협약 등록" in page
    blank = client.post(reverse("agreement_list"), {"district": city.districts[0].code})
    assert blank.status_code == 422 and not LabelSharingAgreement.objects.exists()
    response = client.post(reverse("agreement_list"), {
        "district": city.districts[0].code, "shares_from": "2026-01-01", "approved_by": "중앙구청장",
        "approved_on": "2026-08-01", "document": "복지정책과-1234",
    })  # fmt: skip
    assert response.status_code == 302
    agreement = LabelSharingAgreement.objects.get()
    assert agreement.shares_from == date(2026, 1, 1) and agreement.district == city.districts[0]
    assert "구의 협약 등록" not in client.get(reverse("agreement_list")).content.decode()  # one in force
    client.post(reverse("agreement_end", args=[agreement.pk]), {"reason": "협약 기간 만료"})
    agreement.refresh_from_db()
    assert agreement.ended_at is not None and agreement.ended_by == city.users["district_admin"]


def test_the_citys_officer_reads_every_districts_agreement_and_records_none(city, client):
    for district in city.districts:
        LabelSharingAgreement.objects.create(city=city.sido, district=district, shares_from=date(2026, 1, 1),
                                             approved_by="구청장", approved_on=date(2026, 1, 1), document="문서-1",
                                             recorded_by=city.users["district_admin"])  # fmt: skip
    client.force_login(city.users["city_officer"])
    page = client.get(reverse("agreement_list")).content.decode()
    assert "중앙구" in page and "강변구" in page and "구의 협약 등록" not in page
    response = client.post(reverse("agreement_list"), {"district": city.districts[0].code})
    assert response.status_code == 403
    client.force_login(city.users["district_manager"])
    page = client.get(reverse("agreement_list")).content.decode()
    assert "중앙구" in page and "강변구" not in page
