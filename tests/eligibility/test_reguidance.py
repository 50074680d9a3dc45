"""Re-guidance campaigns (맞춤형 급여 안내, 위기·틈새가정 재안내): who is chosen and why, on real rows — the margin
above a line exact to the won, households turned down before, changes since the last calculation or refusal (a
member leaving, a signal of unpaid bills) — put on each dong's one worklist once, those already worked on marked;
then, from the outside, who may see and launch what, and the applications the dong records."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.urls import reverse

from dolbom.cases.models import Case, CaseState, CaseType
from dolbom.core.models import AuditEvent, Job
from dolbom.core.roles import Role
from dolbom.eligibility.calculator import HouseholdFacts, Member
from dolbom.eligibility.models import ApplicationOutcome, BenefitApplication, ReguidanceCampaign, ReguidanceTarget
from dolbom.eligibility.reguidance import candidates, percent_above, reason_text, within_margin
from dolbom.eligibility.services import create_reguidance, launch_reguidance, record_check
from dolbom.intake.models import WorkItem, WorkSource, WorkStatus
from dolbom.registry.models import Membership
from tests.conftest import work_off_queue
from tests.discovery.screening.support import import_telecom
from tests.intake.test_consultations import _outsider

CHECKED, TODAY = date(2026, 9, 1), date(2026, 11, 2)
NEAR_POOR_1 = 1_282_119  # 2026, one person: the near-poor (and education) line, 50 % of 2,564,238
AT_MARGIN_1 = 1_410_330  # 1,282,119 × 110 / 100 = 1,410,330.9: the last won within 10 %


@pytest.mark.parametrize(
    ("income", "line", "margin", "inside"),
    [
        (1_000_000, 1_000_000, 10, False),  # at the line: eligible, not "above"
        (1_000_001, 1_000_000, 10, True),
        (1_100_000, 1_000_000, 10, True),  # exactly 10 % above
        (1_100_001, 1_000_000, 10, False),  # one won over
        (NEAR_POOR_1 + 1, NEAR_POOR_1, 10, True),
        (AT_MARGIN_1, NEAR_POOR_1, 10, True),
        (AT_MARGIN_1 + 1, NEAR_POOR_1, 10, False),
        (1_050_000, 1_000_000, 0, False),  # no margin: nobody above counts
        (999_999, 1_000_000, 10, False),
        (1_200_000, 1_000_000, 20, True),
        (1_200_001, 1_000_000, 20, False),
    ],
)
def test_the_margin_above_a_line_is_exact_to_the_won(income, line, margin, inside):
    assert within_margin(income, line, margin) is inside


def test_how_far_above_is_shown_to_one_decimal():
    assert percent_above(1_100_000, 1_000_000) == "10.0"
    assert percent_above(AT_MARGIN_1, NEAR_POOR_1) == "10.0"
    assert percent_above(1_073_000, 1_000_000) == "7.3"


@pytest.fixture
def on_day(settings):
    def set_day(day: date) -> None:
        settings.TODAY_OVERRIDE = day

    set_day(CHECKED)
    return set_day


def _calculate(city, household, income: int, *, size: int = 1):
    facts = HouseholdFacts(members=tuple(Member(age=40) for _ in range(size)), other_income=income)
    return record_check(user=city.users["district_manager"], household_id=household.pk, facts=facts, year=2026,
                        submission=uuid.uuid4())  # fmt: skip


def _codes(found, household):
    return [r["code"] for c in found if c.household_id == household.pk for r in c.reasons]


@pytest.mark.parametrize(
    ("income", "codes"),
    [
        (NEAR_POOR_1, ["near_poor"]),  # at the near-poor line
        (NEAR_POOR_1 + 1, ["near_line"]),  # one won above it
        (AT_MARGIN_1, ["near_line"]),  # at the margin
        (AT_MARGIN_1 + 1, []),  # one won over the margin
    ],
)
def test_a_calculation_near_a_line_is_chosen_within_the_margin_only(city, on_day, income, codes):
    household = city.household_in(1)  # one member
    _calculate(city, household, income)
    on_day(TODAY)
    assert _codes(candidates(city.districts[0].code, 10, TODAY), household) == codes


def test_the_reason_reads_in_korean(city, on_day):
    household = city.household_in(1)
    _calculate(city, household, AT_MARGIN_1)
    on_day(TODAY)
    (found,) = [c for c in candidates(city.districts[0].code, 10, TODAY) if c.household_id == household.pk]
    text = reason_text(found.reasons[0])
    assert "1,410,330원" in text and "10.0%" in text and "1,282,119원" in text and "2026-09-01" in text


def test_turned_down_before_and_changed_since(city, on_day, settings, tmp_path):
    """Household 0 (two members) was rejected; household 1 calculated well above every line: then a member of
    household 0 left and household 1's head fell behind on the phone bill. Household 1 is chosen for the change
    only because it came after its calculation."""
    settings.HOME = tmp_path / "home"
    rejected, calculated = city.household_in(0), city.household_in(1)
    BenefitApplication.objects.create(household=rejected, benefit="livelihood", applied_on=date(2026, 6, 1),
                                      outcome=ApplicationOutcome.REJECTED, outcome_on=date(2026, 7, 1),
                                      recorded_by=city.users["dong_officer"])  # fmt: skip
    _calculate(city, calculated, 3_000_000)
    on_day(TODAY)
    spouse = Membership.objects.get(household=rejected, relationship="spouse")
    Membership.objects.filter(pk=spouse.pk).update(moved_out=date(2026, 10, 1), ended_by="moved_away")
    head = Membership.objects.get(household=calculated, relationship="head").person
    import_telecom(city.users["district_manager"], tmp_path / "files", [(head, 4)])  # observed 2026-09-15
    found = candidates(city.districts[0].code, 10, TODAY)
    assert _codes(found, rejected) == ["turned_down", "member_left"]
    assert _codes(found, calculated) == ["signal"]
    texts = [reason_text(r) for c in found for r in c.reasons]
    assert "생계급여 신청 탈락 (2026-07-01)" in texts[0] or "탈락" in texts[0]
    assert any("통신비 체납" in t and "2026-09-15" in t for t in texts)


def test_a_change_before_the_calculation_is_no_reason(city, on_day, settings, tmp_path):
    settings.HOME = tmp_path / "home"
    household = city.household_in(1)
    head = Membership.objects.get(household=household, relationship="head").person
    import_telecom(city.users["district_manager"], tmp_path / "files", [(head, 4)])  # 2026-09-15
    on_day(date(2026, 10, 1))
    _calculate(city, household, 3_000_000)  # calculated after the signal
    on_day(TODAY)
    assert _codes(candidates(city.districts[0].code, 10, TODAY), household) == []


def test_launched_twice_each_household_once_and_those_already_worked_on_marked(city, on_day):
    manager = city.users["district_manager"]
    on_worklist, in_case = city.household_in(0), city.household_in(1)
    for household in (on_worklist, in_case):
        _calculate(city, household, NEAR_POOR_1)
    on_day(TODAY)
    open_item = WorkItem.objects.create(dong=on_worklist.dong, household=on_worklist, source=WorkSource.WALK_IN)
    case_type = CaseType.objects.create(district=city.districts[0], name="일반사례", tier="general", duration_months=6)
    Case.objects.create(
        household=in_case, district=city.districts[0], dong=in_case.dong, case_type=case_type,
        state=CaseState.IN_SERVICE, lead_agency=city.agencies["district"], intake_on=date(2026, 10, 1),
        opened_by=manager,
    )  # fmt: skip
    items_before = WorkItem.objects.count()
    campaign = create_reguidance(
        user=manager, name="하반기 재안내", margin_percent=10, district_code=city.districts[0].code
    )
    assert launch_reguidance(user=manager, campaign_id=campaign.pk) == 2
    assert launch_reguidance(user=manager, campaign_id=campaign.pk) == 0  # again: nobody twice
    targets = {t.household_id: t for t in ReguidanceTarget.objects.filter(campaign=campaign)}
    assert len(targets) == 2
    assert (targets[on_worklist.pk].already, targets[on_worklist.pk].work_item) == ("open_item", open_item)
    assert (targets[in_case.pk].already, targets[in_case.pk].work_item) == ("open_case", None)
    assert WorkItem.objects.count() == items_before  # marked, not put on the worklist a second time
    event = AuditEvent.objects.get(action="eligibility.launch_reguidance", object_id=str(campaign.pk), detail__added=2)
    assert event.detail["marked"] == 2 and event.detail["per_reason"] == {"near_poor": 2}


def test_a_new_household_goes_on_its_dongs_worklist(city, on_day):
    manager = city.users["district_manager"]
    household = city.household_in(1)
    _calculate(city, household, NEAR_POOR_1)
    on_day(TODAY)
    campaign = create_reguidance(user=manager, name="재안내", margin_percent=10, district_code=city.districts[0].code)
    assert launch_reguidance(user=manager, campaign_id=campaign.pk) == 1
    item = ReguidanceTarget.objects.get(campaign=campaign).work_item
    assert (item.household, item.dong, item.source, item.status) == (
        household, household.dong, WorkSource.REGUIDANCE, WorkStatus.OPEN,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ from the outside
def _launched_by_the_district(client, city, on_day):
    """Households of dong 0 and dong 1 near-poor by a calculation; the district manager creates and launches."""
    for dong_index in (0, 1):
        _calculate(city, city.household_in(dong_index), NEAR_POOR_1)
    on_day(TODAY)
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("reguidance_list"), {"name": "위기·틈새가정 재안내", "margin_percent": "10"})
    assert response.status_code == 302, response.content.decode()[:1500]
    campaign = ReguidanceCampaign.objects.get()
    response = client.post(reverse("reguidance_launch", args=[campaign.pk]))
    assert response.status_code == 302 and "/jobs/" in response["Location"]  # a job, followed on its page
    work_off_queue()
    job = Job.objects.get(kind="reguidance_launch")
    assert job.status == "done" and job.result["added"] == 2, job.error
    assert reverse("reguidance_detail", args=[campaign.pk]) in client.get(response["Location"]).content.decode()
    return campaign


def test_the_district_launches_and_each_dong_sees_its_own_list(client, city, on_day):
    campaign = _launched_by_the_district(client, city, on_day)
    page = client.get(reverse("reguidance_detail", args=[campaign.pk])).content.decode()
    assert "차상위 해당" in page and page.count('class="target"') == 2
    client.force_login(city.users["dong_officer"])  # dong 0 only
    page = client.get(reverse("reguidance_detail", args=[campaign.pk])).content.decode()
    assert page.count('class="target"') == 1 and city.dongs[0].name in page and city.dongs[1].name not in page
    assert reverse("reguidance_launch", args=[campaign.pk]) not in page
    item = ReguidanceTarget.objects.get(campaign=campaign, dong=city.dongs[0]).work_item
    worklist = client.get(reverse("worklist")).content.decode()
    assert reverse("work_item", args=[item.pk]) in worklist  # on the dong's one worklist
    shown = client.get(reverse("work_item", args=[item.pk])).content.decode()
    assert "위기·틈새가정 재안내" in shown and "차상위 해당" in shown  # the item says why it is there


def test_a_dong_officer_neither_creates_nor_launches(client, city, on_day):
    campaign = _launched_by_the_district(client, city, on_day)
    client.force_login(city.users["dong_officer"])
    before = (ReguidanceCampaign.objects.count(), ReguidanceTarget.objects.count(), WorkItem.objects.count())
    assert client.post(reverse("reguidance_list"), {"name": "몰래", "margin_percent": "10"}).status_code == 403
    assert client.post(reverse("reguidance_launch", args=[campaign.pk])).status_code == 403
    assert (ReguidanceCampaign.objects.count(), ReguidanceTarget.objects.count(), WorkItem.objects.count()) == before


def test_another_district_finds_nothing(client, city, on_day):
    campaign = _launched_by_the_district(client, city, on_day)
    target = ReguidanceTarget.objects.filter(campaign=campaign).first()
    other = _outsider(city, 2, Role.DISTRICT_MANAGER, "other")
    client.force_login(other)
    assert client.get(reverse("reguidance_detail", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("reguidance_launch", args=[campaign.pk])).status_code == 404
    url = reverse("reguidance_application", args=[campaign.pk, target.pk])
    assert client.post(url, {"benefit": "medical", "applied_on": "2026-11-02"}).status_code == 404
    assert not BenefitApplication.objects.exists()
    assert campaign.name not in client.get(reverse("reguidance_list")).content.decode()


def test_the_dong_records_the_application_and_its_outcome(client, city, on_day):
    campaign = _launched_by_the_district(client, city, on_day)
    target = ReguidanceTarget.objects.get(campaign=campaign, dong=city.dongs[0])
    client.force_login(city.users["dong_officer"])
    url = reverse("reguidance_application", args=[campaign.pk, target.pk])
    refused = client.post(url, {"benefit": "", "applied_on": "2026-12-31", "outcome": "pending"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "신청한 급여를 고르세요" in html and "신청일은 오늘보다 늦을 수 없습니다" in html
    assert client.post(url, {"benefit": "medical", "applied_on": "2026-11-02", "outcome": "pending"}).status_code == 302
    application = BenefitApplication.objects.get()
    assert (application.household_id, application.target, application.outcome) == (target.household_id, target,
                                                                                     "pending")  # fmt: skip
    outcome = reverse("reguidance_outcome", args=[campaign.pk, application.pk])
    assert client.post(outcome, {"outcome": "granted"}).status_code == 422  # the decision's day is asked
    assert client.post(outcome, {"outcome": "granted", "outcome_on": "2026-11-02"}).status_code == 302
    application.refresh_from_db()
    assert (application.outcome, application.outcome_on) == ("granted", TODAY.replace(day=2))
    page = client.get(reverse("reguidance_detail", args=[campaign.pk])).content.decode()
    assert "의료급여 2026-11-02 신청: 선정" in page and "신청 1 · 선정 1" in page
    change = AuditEvent.objects.get(action="eligibility.change_application")
    assert change.detail == {"before": "pending", "after": "granted"}


def test_a_margin_out_of_range_is_refused_in_korean(client, city):
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("reguidance_list"), {"name": "재안내", "margin_percent": "60"})
    assert response.status_code == 422
    response = client.post(reverse("reguidance_list"), {"name": "", "margin_percent": ""})
    html = response.content.decode()
    assert response.status_code == 422 and "캠페인 이름을 입력하세요" in html and "정수(퍼센트)로 입력하세요" in html
    assert not ReguidanceCampaign.objects.exists()


def test_a_double_click_queues_one_launch_and_a_stopped_launch_writes_nothing(client, city, on_day):
    for dong_index in (0, 1):
        _calculate(city, city.household_in(dong_index), NEAR_POOR_1)
    on_day(TODAY)
    client.force_login(city.users["district_manager"])
    client.post(reverse("reguidance_list"), {"name": "재안내", "margin_percent": "10"})
    campaign = ReguidanceCampaign.objects.get()
    launch = reverse("reguidance_launch", args=[campaign.pk])
    first, second = client.post(launch), client.post(launch)
    assert first["Location"] == second["Location"] and Job.objects.count() == 1
    job = Job.objects.get()

    assert client.post(reverse("job_cancel", args=[job.pk])).status_code == 302
    work_off_queue()
    job.refresh_from_db()
    campaign.refresh_from_db()
    assert job.status == "cancelled" and campaign.launched_at is None
    assert not ReguidanceTarget.objects.exists() and not WorkItem.objects.exists()

    again = client.post(reverse("job_retry", args=[job.pk]))
    work_off_queue()
    assert Job.objects.get(retry_of=job).status == "done" and ReguidanceTarget.objects.count() == 2
    assert again["Location"] == reverse("job_detail", args=[Job.objects.get(retry_of=job).pk])
