"""오늘 할 일 from the outside, with "today" fixed (settings.TODAY_OVERRIDE, what DOLBOM_TODAY sets): a clock is
coming, due today, then overdue — red, first, and counted in the menu's badge —; calendar or working days as the
district's rule says, across Chuseok; each officer sees their own work and what nobody has yet, the district's case
manager the whole district's."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.dates import KST
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.core.workdays import Counting
from dolbom.intake.models import Clock, DeadlineRule, Referral, WorkItem, WorkSource, WorkStatus
from dolbom.intake.services.emergency import decide, open_emergency_support, record_check
from dolbom.intake.services.referrals import file_referral
from dolbom.registry.models import Staff


@pytest.fixture
def today(settings):
    """Move "today" as the test goes."""

    def move(day: date) -> None:
        settings.TODAY_OVERRIDE = day

    return move


def _apply(city, today, requested_on: date, *, user=None, household=None):
    today(requested_on)
    return open_emergency_support(
        user=user or city.users["dong_officer"],
        household_id=(household or city.households[0]).pk,
        requested_on=requested_on,
        kinds=["livelihood"],
        reason="갑작스러운 실직",
    )


def _board(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    return response.content.decode()


def _state(html: str, kind: str, pk: int) -> str | None:
    match = re.search(rf'<li class="due due-(\w+)" id="due-{kind}-{pk}"', html)
    return match.group(1) if match else None


def _badge(html: str) -> int:
    match = re.search(r'<span class="badge">(\d+)<', html)
    return int(match.group(1)) if match else 0


def test_the_on_site_check_is_coming_then_due_today_then_overdue(client, city, today):
    support = _apply(city, today, date(2026, 9, 14))  # a Monday; the default rule: 3 calendar days
    officer = city.users["dong_officer"]
    for day, state, badge in (
        (date(2026, 9, 16), "running", 0),
        (date(2026, 9, 17), "today", 0),
        (date(2026, 9, 18), "overdue", 1),
    ):
        today(day)
        html = _board(client, officer)
        assert _state(html, "emergency", support.pk) == state, day
        assert _badge(html) == badge, day
    assert "1일 지남" in html and "기한 지남: 1건" in html
    # The badge is on every page, not only on 오늘 할 일.
    assert _badge(client.get(reverse("worklist")).content.decode()) == 1
    # Checked on site: that clock stops, the decision's starts (2 days by default).
    record_check(user=officer, support_id=support.pk, on=date(2026, 9, 18), note="현장 확인")
    html = _board(client, officer)
    assert _state(html, "emergency", support.pk) == "running" and _badge(html) == 0
    today(date(2026, 9, 21))
    assert _state(_board(client, officer), "emergency", support.pk) == "overdue"


def test_the_badge_follows_a_new_deadline_rule_and_a_change_of_areas_at_once(client, city, today):
    """The badge's question is built once per user, day and rules: a rule changed or an area taken away is asked
    anew on the next page, never answered from what was built before."""
    _apply(city, today, date(2026, 9, 14))
    officer = city.users["dong_officer"]
    today(date(2026, 9, 18))
    assert _badge(_board(client, officer)) == 1  # the on-site check: 3 calendar days by default
    district = city.districts[0]
    rule = DeadlineRule.objects.create(district=district, clock=Clock.ON_SITE_CHECK, length=5, source="구 지침")
    assert _badge(_board(client, officer)) == 0  # due on the 19th now
    rule.length = 2
    rule.save()
    assert _badge(_board(client, officer)) == 1
    officer.staff.areas.set([city.dongs[1]])  # moved to another dong: the application is no longer theirs to see
    assert _badge(_board(client, officer)) == 0


def test_calendar_or_working_days_across_chuseok(client, city, today):
    support = _apply(city, today, date(2026, 9, 22))  # Tuesday; Chuseok is Thursday to Saturday
    officer = city.users["dong_officer"]
    today(date(2026, 9, 28))
    assert _state(_board(client, officer), "emergency", support.pk) == "overdue"  # calendar: due on the 25th
    DeadlineRule.objects.create(
        district=city.districts[0], clock=Clock.ON_SITE_CHECK, length=3, counting=Counting.WORKING, source="구 지침"
    )
    for day, state in ((date(2026, 9, 28), "running"), (date(2026, 9, 29), "today"), (date(2026, 9, 30), "overdue")):
        today(day)
        assert _state(_board(client, officer), "emergency", support.pk) == state, day
    # The rule is the district's: the other district keeps its own.
    assert not DeadlineRule.objects.filter(district=city.districts[1]).exists()


def test_the_follow_up_is_due_within_one_month_of_the_decision(client, city, today):
    officer = city.users["dong_officer"]
    support = _apply(city, today, date(2026, 1, 29))
    today(date(2026, 1, 31))
    record_check(user=officer, support_id=support.pk, on=date(2026, 1, 30), note="현장 확인")
    decide(user=officer, support_id=support.pk, on=date(2026, 1, 31), supported=True, reason="지원 결정")
    for day, state in ((date(2026, 2, 27), "running"), (date(2026, 2, 28), "today"), (date(2026, 3, 1), "overdue")):
        today(day)
        assert _state(_board(client, officer), "emergency", support.pk) == state, day


def _second_officer(city):
    user = get_user_model().objects.create_user(username="officer_b", password="x" * 12)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["dong0"], role=Role.DONG_OFFICER, display_name="박담당"
    )
    staff.areas.set([city.dongs[0]])
    return user


def test_each_officer_their_own_the_team_leader_the_district(client, city, today):
    mine = _apply(city, today, date(2026, 9, 1))
    in_dong1 = _apply(city, today, date(2026, 9, 1), user=city.users["district_manager"], household=city.households[1])
    assert mine.officer is not None and in_dong1.officer is None
    today(date(2026, 9, 10))
    html = _board(client, city.users["dong_officer"])
    assert _state(html, "emergency", mine.pk) == "overdue"
    assert _state(html, "emergency", in_dong1.pk) is None  # dong 1 is not the officer's
    assert _state(_board(client, _second_officer(city)), "emergency", mine.pk) is None  # another officer's
    lead = _board(client, city.users["district_manager"])
    assert _state(lead, "emergency", mine.pk) == "overdue" and _state(lead, "emergency", in_dong1.pk) == "overdue"
    row = re.search(rf'id="due-emergency-{mine.pk}">(.*?)</li>', lead, re.S).group(1)
    assert "officer" in row  # who has it: the team leader follows up with them
    assert "시군구 전체" in lead and _badge(lead) == 2


def test_nobodys_application_is_on_every_officers_board(client, city, today):
    support = _apply(city, today, date(2026, 9, 1), user=city.users["district_manager"])
    assert support.officer is None
    today(date(2026, 9, 2))
    assert _state(_board(client, city.users["dong_officer"]), "emergency", support.pk) == "running"
    assert _state(_board(client, _second_officer(city)), "emergency", support.pk) == "running"


# A private agency worker has a board: the linkages sent to its agency (tests/cases).
@pytest.mark.parametrize("role", ["district_admin", "safety_net", "analyst"])
def test_roles_without_a_board(client, city, today, role):
    _apply(city, today, date(2026, 9, 1))
    today(date(2026, 9, 10))
    html = _board(client, city.users[role])
    assert 'id="due-title"' not in html and _badge(html) == 0


def test_the_other_districts_clocks_stay_there(client, city, today):
    support = _apply(city, today, date(2026, 9, 1), user=city.users["district_manager"], household=city.households[1])
    today(date(2026, 9, 10))
    user = get_user_model().objects.create_user(username="officer_far", password="x" * 12)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["other"], role=Role.DONG_OFFICER, display_name="원거리"
    )
    staff.areas.set([city.dongs[2]])
    html = _board(client, user)
    assert _state(html, "emergency", support.pk) is None and _badge(html) == 0


def _opened_days_ago(item: WorkItem, days: int, on: date) -> None:
    moment = datetime.combine(on - timedelta(days=days), datetime.min.time(), tzinfo=KST) + timedelta(hours=10)
    WorkItem.objects.filter(pk=item.pk).update(opened_at=moment)


def test_retries_referrals_and_worklist_items(client, city, today):
    on = date(2026, 11, 20)
    today(on)
    officer = city.users["dong_officer"]
    staff = Staff.objects.get(user=officer)
    household = city.households[0]
    late_retry = WorkItem.objects.create(
        dong=household.dong, household=household, source=WorkSource.WALK_IN, assigned_to=staff,
        status=WorkStatus.ASSIGNED, next_try_on=on - timedelta(days=1),
    )  # fmt: skip
    retry_today = WorkItem.objects.create(
        dong=city.dongs[0], source=WorkSource.WALK_IN, assigned_to=staff, status=WorkStatus.ASSIGNED, next_try_on=on
    )
    stale = WorkItem.objects.create(dong=city.dongs[0], source=WorkSource.CAMPAIGN)  # nobody's yet
    stale_today = WorkItem.objects.create(dong=city.dongs[0], source=WorkSource.EVENT, assigned_to=staff)
    fresh = WorkItem.objects.create(dong=city.dongs[0], source=WorkSource.EVENT, assigned_to=staff)
    _opened_days_ago(stale, 15, on)
    _opened_days_ago(stale_today, 14, on)
    _opened_days_ago(fresh, 3, on)
    late_twice = WorkItem.objects.create(
        dong=city.dongs[0], source=WorkSource.WALK_IN, assigned_to=staff, status=WorkStatus.ASSIGNED,
        next_try_on=on - timedelta(days=2),
    )  # fmt: skip
    _opened_days_ago(late_twice, 20, on)  # late on two counts: listed once, by its earliest deadline
    referral = file_referral(
        user=city.users["safety_net"], dong=city.dongs[0], address_text="시청로 10", concern="며칠째 인기척이 없습니다"
    )
    Referral.objects.filter(pk=referral.pk).update(
        created_at=datetime.combine(on - timedelta(days=8), datetime.min.time(), tzinfo=KST)
    )
    referral_item = WorkItem.objects.get(referral=referral)
    _opened_days_ago(referral_item, 8, on)

    html = _board(client, officer)
    assert _state(html, "retry", late_retry.pk) == "overdue"
    assert _state(html, "retry", retry_today.pk) == "today"
    assert _state(html, "work", stale.pk) == "overdue"
    assert _state(html, "work", stale_today.pk) == "today"
    assert _state(html, "referral", referral_item.pk) == "overdue"
    assert _state(html, "work", fresh.pk) is None
    assert _state(html, "work", late_twice.pk) == "overdue" and _state(html, "retry", late_twice.pk) is None
    overdue = re.findall(r'<li class="due due-overdue"', html)
    assert len(overdue) == 4 == _badge(html)
    # Overdue first: every overdue row comes before the first row due today.
    assert html.rindex("due due-overdue") < html.index("due due-today")
    # The reading is audited with counts, never names.
    event = AuditEvent.objects.filter(action="intake.view_today", actor=officer).latest("seq")
    assert event.detail["overdue"] == 4 and "김" not in str(event.detail)


def test_a_consultation_without_a_decision_is_due_within_the_week(client, city, today):
    """Held on the 10th: due the 17th (seven calendar days by default), overdue after, off the board once decided
    — and back on it when the only decision is withdrawn."""
    from dolbom.intake.models import Consultation, Decision, DecisionKind, DecisionStatus

    on = date(2026, 11, 10)
    today(on)
    officer = city.users["dong_officer"]
    household = city.households[0]
    item = WorkItem.objects.create(
        dong=household.dong, household=household, source=WorkSource.WALK_IN, status=WorkStatus.CLOSED
    )
    consultation = Consultation.objects.create(household=household, work_item=item, opened_by=officer)
    Consultation.objects.filter(pk=consultation.pk).update(
        opened_at=datetime.combine(on, datetime.min.time(), tzinfo=KST) + timedelta(hours=14)
    )
    today(date(2026, 11, 16))
    assert _state(_board(client, officer), "consultation", consultation.pk) is None
    today(date(2026, 11, 17))
    assert _state(_board(client, officer), "consultation", consultation.pk) == "today"
    today(date(2026, 11, 18))
    html = _board(client, officer)
    assert _state(html, "consultation", consultation.pk) == "overdue" and _badge(html) == 1
    # the team leader sees it on the district's board
    assert _state(_board(client, city.users["district_manager"]), "consultation", consultation.pk) == "overdue"
    decision = Decision.objects.create(
        consultation=consultation, kind=DecisionKind.NO_NEED, status=DecisionStatus.DONE,
        decided_on=date(2026, 11, 18), decided_by=officer,
    )  # fmt: skip
    html = _board(client, officer)
    assert _state(html, "consultation", consultation.pk) is None and _badge(html) == 0
    Decision.objects.filter(pk=decision.pk).update(status=DecisionStatus.WITHDRAWN)
    assert _state(_board(client, officer), "consultation", consultation.pk) == "overdue"
