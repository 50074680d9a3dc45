"""The deadline rules are each district's reference data: its administrator sets them in the admin, for their own
district only, every change audited; a district without rules counts with the defaults."""

from __future__ import annotations

from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.core.workdays import Counting, Period, PeriodUnit
from dolbom.intake.models import Clock, DeadlineRule
from dolbom.intake.selectors import deadline_periods


def _rule(district, **changes):
    data = {"district": district.code, "clock": Clock.ON_SITE_CHECK, "length": "2", "unit": "days",
            "counting": "working", "source": "구 긴급지원 처리 지침 2026"}  # fmt: skip
    return {**data, **changes}


def test_the_defaults_until_a_district_sets_its_own(city):
    periods = deadline_periods(city.districts[0].code)
    assert periods[Clock.ON_SITE_CHECK] == Period(3)  # the Songsan promise
    assert periods[Clock.FOLLOW_UP] == Period(1, PeriodUnit.MONTHS)
    assert all(p.counting == Counting.CALENDAR for p in periods.values())


def test_the_administrator_sets_their_districts_rule(client, city):
    client.force_login(city.users["district_admin"])
    response = client.post(reverse("admin:intake_deadlinerule_add"), _rule(city.districts[0]))
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert deadline_periods(city.districts[0].code)[Clock.ON_SITE_CHECK] == Period(2, counting=Counting.WORKING)
    assert deadline_periods(city.districts[1].code)[Clock.ON_SITE_CHECK] == Period(3)
    rule = DeadlineRule.objects.get()
    event = AuditEvent.objects.get(action="registry.add_reference_data", object_id=str(rule.pk))
    assert event.detail["changes"]["counting"] == [None, "working"]


def test_not_for_another_district(client, city):
    DeadlineRule.objects.create(district=city.districts[1], clock=Clock.DECISION, length=1)
    client.force_login(city.users["district_admin"])
    response = client.post(reverse("admin:intake_deadlinerule_add"), _rule(city.districts[1]))
    assert response.status_code == 200  # the form again, refused
    assert DeadlineRule.objects.count() == 1
    listing = client.get(reverse("admin:intake_deadlinerule_changelist")).content.decode()
    assert city.districts[1].name not in listing
    other = DeadlineRule.objects.get()
    assert client.get(reverse("admin:intake_deadlinerule_change", args=[other.pk])).status_code in (302, 404)


def test_only_administrators(client, city):
    client.force_login(city.users["dong_officer"])
    assert client.post(reverse("admin:intake_deadlinerule_add"), _rule(city.districts[0])).status_code == 403
    assert not DeadlineRule.objects.exists()
