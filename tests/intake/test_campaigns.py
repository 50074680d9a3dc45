"""Survey campaigns (전수조사) from the outside: the district defines a target group by criteria over a registry
built here, previews it, launches it once (twice adds nothing), each household lands on its own dong's worklist,
the campaign page counts completion and findings per dong, and nobody outside the district sees or launches it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dolbom.core.jobs.runtime import JobCancelled
from dolbom.core.models import AuditEvent, Job
from dolbom.intake.models import CampaignTarget, SurveyCampaign, WorkItem, WorkOutcome, WorkSource
from dolbom.intake.selectors import campaign_households
from dolbom.intake.services.outreach import create_campaign, launch_campaign, open_campaign
from dolbom.intake.services.work import close, record_visit
from dolbom.registry.models import Address, Household, Membership, Staff
from tests.conftest import make_person, work_off_queue

START = date(2026, 11, 1)
_serial = iter(range(500, 999))


@pytest.fixture(autouse=True)
def on_the_first_day(settings):
    """Today is the campaign's first day unless a test moves it (the group is taken as of today once that day
    has passed)."""
    settings.TODAY_OVERRIDE = START


def _household(city, dong_index: int, members: list[tuple[date, str]], *, road: str = "", detail: str = ""):
    """A household of the given members (birth date, disability), living there since 2020."""
    dong = city.dongs[dong_index]
    address = Address.objects.create(dong=dong, road_address=road or f"한빛시 들꽃로 {next(_serial)}", detail=detail)
    household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
    for number, (birth, disability) in enumerate(members):
        person = make_person("주민", birth, "F", serial=next(_serial), disability=disability)
        relationship = "head" if number == 0 else "spouse"
        Membership.objects.create(household=household, person=person, relationship=relationship,
                                  moved_in=date(2020, 1, 1))  # fmt: skip
    return household


@pytest.fixture
def registry(city):
    """Households of district 1 (dongs 0 and 1) and one of district 2, each telling one criterion apart. The tiny
    city already has an elderly couple in dong 0, a man of 46 alone in dong 1 and a young woman in district 2."""
    h = {
        "alone_80_dong0": _household(city, 0, [(date(1946, 5, 1), "")]),
        "alone_65_today_dong1": _household(city, 1, [(date(1961, 11, 1), "")]),  # 65 on the campaign's first day
        "alone_64_dong0": _household(city, 0, [(date(1961, 11, 2), "")]),  # 65 one day later
        "alone_70_district2": _household(city, 2, [(date(1956, 1, 1), "")]),
        "disabled_alone_dong0": _household(city, 0, [(date(1980, 1, 1), "severe")]),
        "disabled_couple_dong1": _household(city, 1, [(date(1975, 1, 1), "mild"), (date(1977, 1, 1), "severe")]),
        "disabled_with_carer_dong0": _household(city, 0, [(date(1985, 1, 1), "severe"), (date(1955, 1, 1), "")]),
        "block_a_dong0": _household(
            city, 0, [(date(1990, 1, 1), "")] * 3, road="한빛시 중앙구 희망로 7", detail="101동 202호"
        ),
        "block_b_dong0": _household(
            city, 0, [(date(1992, 1, 1), "")], road="한빛시 중앙구 희망로 7", detail="102동 101호"
        ),
    }
    # Someone elderly who lived alone but moved out before the campaign: no longer a household member.
    gone = _household(city, 0, [(date(1940, 1, 1), "")])
    Membership.objects.filter(household=gone).update(moved_out=date(2026, 6, 1))
    return h


def _campaign(city, **criteria) -> SurveyCampaign:
    values = {"name": "홀몸 어르신 전수조사", "starts_on": START, "ends_on": date(2026, 12, 31),
              "district_code": city.districts[0].code, **criteria}  # fmt: skip
    return create_campaign(user=city.users["district_manager"], **values)


def _matched(campaign: SurveyCampaign, registry) -> set[str]:
    ids = set(campaign_households(campaign).values_list("pk", flat=True))
    return {key for key, household in registry.items() if household.pk in ids}


def test_elderly_living_alone(city, registry):
    assert _matched(_campaign(city, elderly_alone=True), registry) == {"alone_80_dong0", "alone_65_today_dong1"}


def test_households_of_disabled_members_only(city, registry):
    assert _matched(_campaign(city, disabled_only=True), registry) == {"disabled_alone_dong0", "disabled_couple_dong1"}


def test_one_building_of_a_block(city, registry):
    assert _matched(_campaign(city, address_text="희망로 7"), registry) == {"block_a_dong0", "block_b_dong0"}
    assert _matched(_campaign(city, address_text="희망로 7", building="101동"), registry) == {"block_a_dong0"}


def test_age_and_household_size_ranges(city, registry):
    matched = _matched(_campaign(city, min_age=60, max_age=70, max_size=1), registry)
    assert matched == {"alone_65_today_dong1", "alone_64_dong0"}
    assert _matched(_campaign(city, min_size=3), registry) == {"block_a_dong0"}
    assert _matched(_campaign(city, dong_code=city.dongs[1].code, elderly_alone=True), registry) == {
        "alone_65_today_dong1"
    }


def test_launching_puts_each_household_on_its_dongs_worklist_once(city, registry):
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)
    assert launch_campaign(user=manager, campaign_id=campaign.pk) == 2
    targets = {t.household_id: t for t in CampaignTarget.objects.select_related("work_item")}
    for key, dong in (("alone_80_dong0", city.dongs[0]), ("alone_65_today_dong1", city.dongs[1])):
        item = targets[registry[key].pk].work_item
        assert (item.source, item.dong, item.household, targets[registry[key].pk].dong) == (
            WorkSource.CAMPAIGN, dong, registry[key], dong,
        )  # fmt: skip
    assert launch_campaign(user=manager, campaign_id=campaign.pk) == 0  # again: nothing twice
    assert CampaignTarget.objects.count() == 2 and WorkItem.objects.filter(source=WorkSource.CAMPAIGN).count() == 2
    launches = AuditEvent.objects.filter(action="intake.launch_campaign").order_by("pk")
    assert [e.detail["added"] for e in launches] == [2, 0]
    # A household that matches since is added by launching again, alone.
    newcomer = _household(city, 1, [(date(1950, 2, 2), "")])
    assert launch_campaign(user=manager, campaign_id=campaign.pk) == 1
    assert CampaignTarget.objects.filter(household=newcomer).exists()


def test_launching_again_later_adds_those_who_have_come_to_match(city, registry, settings):
    """One who lives alone and turns 65 the day after the campaign starts is added by the launch a day later."""
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)
    assert launch_campaign(user=manager, campaign_id=campaign.pk) == 2
    settings.TODAY_OVERRIDE = date(2026, 11, 2)
    assert launch_campaign(user=manager, campaign_id=campaign.pk) == 1
    assert CampaignTarget.objects.filter(campaign=campaign, household=registry["alone_64_dong0"]).exists()


def test_a_large_group_asks_for_confirmation(city, registry, settings):
    settings.CAMPAIGN_CONFIRM_ABOVE = 1
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)
    with pytest.raises(ValidationError) as refused:
        launch_campaign(user=manager, campaign_id=campaign.pk)
    assert "2" in refused.value.message_dict["confirm"][0]
    assert not CampaignTarget.objects.exists()
    assert launch_campaign(user=manager, campaign_id=campaign.pk, confirm=True) == 2


class _Steps:
    """What a job's progress hears, with something done at one phase: a stop asked for, or another launch."""

    def __init__(self, at: str, then) -> None:
        self.at, self.then, self.heard = at, then, []

    def phase(self, key: str, **result) -> None:
        self.heard.append(key)
        if key == self.at:
            self.then()


def test_a_launch_stopped_before_its_writes_writes_nothing(city, registry):
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)

    def stop() -> None:
        raise JobCancelled

    with pytest.raises(JobCancelled):
        launch_campaign(user=manager, campaign_id=campaign.pk, progress=_Steps("listing", stop))
    campaign.refresh_from_db()
    assert campaign.status == "draft" and not CampaignTarget.objects.exists() and not WorkItem.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.launch_campaign").exists()


def test_households_listed_meanwhile_are_not_listed_twice(city, registry):
    """The group is read before the transaction (so that the job's page moves): a launch that ends in between
    leaves this one nothing to add, and nobody is on the campaign twice."""
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)
    steps = _Steps("listing", lambda: launch_campaign(user=manager, campaign_id=campaign.pk))
    assert launch_campaign(user=manager, campaign_id=campaign.pk, progress=steps) == 0
    assert steps.heard == ["choosing", "listing"]
    assert CampaignTarget.objects.count() == 2 and WorkItem.objects.filter(source=WorkSource.CAMPAIGN).count() == 2


def test_a_double_click_queues_one_launch_a_stop_writes_nothing_and_a_retry_completes(client, city, registry):
    client.force_login(city.users["district_manager"])
    campaign = _campaign(city, elderly_alone=True)
    launch = reverse("campaign_launch", args=[campaign.pk])
    first, second = client.post(launch, {}), client.post(launch, {})
    assert first["Location"] == second["Location"] and Job.objects.count() == 1
    job = Job.objects.get()
    assert (job.kind, job.target, job.district_code) == ("campaign_launch", f"campaign:{campaign.pk}",
                                                         city.districts[0].code)  # fmt: skip

    assert client.post(reverse("job_cancel", args=[job.pk])).status_code == 302
    work_off_queue()
    job.refresh_from_db()
    campaign.refresh_from_db()
    assert job.status == "cancelled" and campaign.status == "draft"
    assert not CampaignTarget.objects.exists() and not WorkItem.objects.exists()

    again = client.post(reverse("job_retry", args=[job.pk]))
    work_off_queue()
    retried = Job.objects.get(retry_of=job)
    assert retried.status == "done" and retried.result == {"campaign_id": campaign.pk, "added": 2}, retried.error
    assert again["Location"] == reverse("job_detail", args=[retried.pk]) and CampaignTarget.objects.count() == 2
    campaign.refresh_from_db()
    assert campaign.status == "launched"


def test_the_page_previews_then_launches_and_the_checklist_is_the_worklist(client, city, registry, settings):
    settings.CAMPAIGN_CONFIRM_ABOVE = 1
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("campaign_new"), {"name": "홀몸 어르신", "starts_on": "2026-11-01",
                                                     "ends_on": "2026-12-31", "elderly_alone": "on"})  # fmt: skip
    assert response.status_code == 302
    campaign = SurveyCampaign.objects.get()
    page = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert 'id="to-add"' in page and "2" in page.split('id="to-add"')[1][:40]
    response = client.post(reverse("campaign_launch", args=[campaign.pk]), {})
    assert response.status_code == 422 and not CampaignTarget.objects.exists()
    response = client.post(reverse("campaign_launch", args=[campaign.pk]), {"confirm": "1"})
    assert response.status_code == 302 and "/jobs/" in response["Location"]  # a job, followed on its page
    assert not CampaignTarget.objects.exists()  # queued, not yet run
    work_off_queue()
    job = Job.objects.get(kind="campaign_launch")
    assert job.status == "done" and job.result["added"] == 2 and CampaignTarget.objects.count() == 2, job.error
    assert reverse("campaign_detail", args=[campaign.pk]) in client.get(response["Location"]).content.decode()
    page = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("job_detail", args=[job.pk]) in page  # the launch is listed on the campaign's page
    other = WorkItem.objects.create(dong=city.dongs[0], source=WorkSource.WALK_IN)
    worklist = client.get(reverse("worklist"), {"campaign": campaign.pk}).content.decode()
    items = [t.work_item_id for t in CampaignTarget.objects.all()]
    assert all(f"work-{pk}" in worklist for pk in items) and f"work-{other.pk}" not in worklist
    assert client.get(reverse("worklist"), {"campaign": "abc"}).status_code == 400
    item_page = client.get(reverse("work_item", args=[items[0]])).content.decode()
    assert "홀몸 어르신" in item_page and reverse("campaign_detail", args=[campaign.pk]) in item_page


def test_completion_and_findings_per_dong(city, registry):
    manager = city.users["district_manager"]
    campaign = _campaign(city, elderly_alone=True)
    extra = _household(city, 0, [(date(1944, 3, 3), "")])
    launch_campaign(user=manager, campaign_id=campaign.pk)
    items = {t.household_id: t.work_item_id for t in CampaignTarget.objects.all()}
    officer = city.users["dong_officer"]
    visitor = Staff.objects.get(user=officer).pk
    # Dong 0: one met and needing help, one nobody answered (still open); dong 1: met, no need.
    record_visit(user=officer, work_item_id=items[registry["alone_80_dong0"].pk], visitor_id=visitor, on=START,
                 kind="visit", result="met")  # fmt: skip
    close(user=officer, work_item_id=items[registry["alone_80_dong0"].pk], outcome=WorkOutcome.REFERRED, on=START)
    record_visit(user=officer, work_item_id=items[extra.pk], visitor_id=visitor, on=START, kind="visit",
                 result="absent")  # fmt: skip
    dong1_officer = _officer_of(city, 1)
    record_visit(user=manager, work_item_id=items[registry["alone_65_today_dong1"].pk],
                 visitor_id=Staff.objects.get(user=dong1_officer).pk, on=START, kind="phone", result="met")  # fmt: skip
    close(user=manager, work_item_id=items[registry["alone_65_today_dong1"].pk], outcome=WorkOutcome.NOT_ELIGIBLE,
          on=START)  # fmt: skip
    page = open_campaign(user=manager, campaign_id=campaign.pk)
    rows = {row.dong.code: row for row in page.dongs}
    dong0, dong1 = rows[city.dongs[0].code], rows[city.dongs[1].code]
    assert (dong0.total, dong0.reached, dong0.not_reached, dong0.needs_help, dong0.no_need) == (2, 1, 1, 1, 0)
    assert (dong1.total, dong1.reached, dong1.needs_help, dong1.no_need) == (1, 1, 0, 1)
    assert (page.total.total, page.total.reached) == (3, 2)
    # The dong-0 officer sees the campaign, and only their dong's row.
    mine = open_campaign(user=officer, campaign_id=campaign.pk)
    assert [row.dong.code for row in mine.dongs] == [city.dongs[0].code]


def _officer_of(city, dong_index: int):
    from django.contrib.auth import get_user_model

    from dolbom.core.roles import Role

    user = get_user_model().objects.create_user(username=f"officer-dong{dong_index}", password="x" * 12)
    staff = Staff.objects.create(user=user, agency=city.agencies["dong0"], role=Role.DONG_OFFICER, display_name="o")
    staff.areas.set([city.dongs[dong_index]])
    return user


def test_only_district_staff_define_and_launch_in_their_district(client, city, registry):
    with pytest.raises(PermissionDenied):
        _campaign(city, district_code=city.districts[1].code)
    for role in ("dong_officer", "agency_worker", "safety_net", "analyst"):
        with pytest.raises(PermissionDenied):
            create_campaign(user=city.users[role], name="x", starts_on=START, ends_on=START,
                            district_code=city.districts[0].code)  # fmt: skip
    campaign = _campaign(city, elderly_alone=True)
    for role in ("dong_officer", "agency_worker", "safety_net", "analyst"):
        client.force_login(city.users[role])
        assert client.post(reverse("campaign_launch", args=[campaign.pk]), {"confirm": "1"}).status_code == 403
        assert client.get(reverse("campaign_new")).status_code == 403
    # Before launch a dong officer has nothing of it on a list: the page is not theirs (404).
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("campaign_detail", args=[campaign.pk])).status_code == 404
    # Another district's manager cannot guess it.
    other = _manager_of_district2(city)
    client.force_login(other)
    assert client.get(reverse("campaign_detail", args=[campaign.pk])).status_code == 404
    assert client.post(reverse("campaign_launch", args=[campaign.pk]), {"confirm": "1"}).status_code == 404
    assert not CampaignTarget.objects.exists()


def _manager_of_district2(city):
    from django.contrib.auth import get_user_model

    from dolbom.core.roles import Role

    user = get_user_model().objects.create_user(username="manager2", password="x" * 12)
    staff = Staff.objects.create(user=user, agency=city.agencies["other"], role=Role.DISTRICT_MANAGER,
                                 display_name="m2")  # fmt: skip
    staff.areas.set([city.districts[1]])
    return user


def test_a_very_long_name_is_refused_naming_the_field(client, city):
    client.force_login(city.users["district_manager"])
    response = client.post(reverse("campaign_new"), {"name": "조사" * 3000, "starts_on": "2026-11-01",
                                                     "ends_on": "2026-12-31", "elderly_alone": "on"})  # fmt: skip
    assert response.status_code == 422
    assert "이름이(가) 너무 깁니다" in response.content.decode()
    assert not SurveyCampaign.objects.exists()
