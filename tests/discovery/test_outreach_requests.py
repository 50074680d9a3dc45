"""The outreach list's requests as a hurried or hostile user sends them: a hand-edited address, two officers
assigning the same household at once, a double click."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.roles import Role
from dolbom.discovery.models import ItemStatus, OutreachEvent, OutreachItem, RoundStatus, ScreeningRound
from dolbom.registry.models import Staff


@pytest.fixture
def item(city):
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-09", scorer="scorecard", status=RoundStatus.DONE
    )
    return OutreachItem.objects.create(
        round=screening_round, household=city.household_in(0), dong=city.dongs[0], rank=1, score=30.0
    )


@pytest.fixture
def colleague(city):
    """A second officer of the same dong."""
    user = get_user_model().objects.create_user(username="officer_b", password="x" * 12)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["dong0"], role=Role.DONG_OFFICER, display_name="박담당"
    )
    staff.areas.set([city.dongs[0]])
    return user


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1e3", ""])
def test_a_malformed_round_is_a_400_in_korean_not_a_500(client, city, item, value):
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("outreach_list"), {"round": value})
    if value == "":  # an empty parameter is no parameter: the latest round
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "요청을 처리할 수 없습니다" in response.content.decode()


def test_a_round_number_beyond_any_id_is_simply_not_found(client, city, item):
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("outreach_list"), {"round": "9" * 40}).status_code == 404


@pytest.mark.parametrize("value", ["abc", "99110510001", "'; drop table"])
def test_a_malformed_dong_is_a_400(client, city, item, value):
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("outreach_list"), {"dong": value}).status_code == 400


def test_another_districts_round_by_id_is_not_found(client, city, item):
    other = ScreeningRound.objects.create(
        district=city.districts[1], period="2026-09", scorer="scorecard", status=RoundStatus.DONE
    )
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("outreach_list"), {"round": other.pk}).status_code == 404


def _assign(client, user, item, visitor, seen=""):
    client.force_login(user)
    return client.post(
        reverse("outreach_assign", args=[item.pk]),
        {"visitor": visitor.pk, "seen": seen},
        HTTP_HX_REQUEST="true",
    )


def test_two_officers_assigning_at_once_see_the_conflict_instead_of_overwriting(client, city, item, colleague):
    first = Staff.objects.get(user=city.users["dong_officer"])
    second = Staff.objects.get(user=colleague)
    # Both opened the list while nobody was assigned (seen=""); the first one's choice lands first.
    assert _assign(client, city.users["dong_officer"], item, first).status_code == 200
    refused = _assign(client, colleague, item, second)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert first.display_name in html  # says who was assigned in the meantime
    item.refresh_from_db()
    assert item.assigned_to == first and item.status == ItemStatus.ASSIGNED
    # Having seen the conflict, the second officer may still reassign, knowingly.
    assert _assign(client, colleague, item, second, seen=str(first.pk)).status_code == 200
    item.refresh_from_db()
    assert item.assigned_to == second


def test_a_double_click_assigns_once(client, city, item):
    officer = Staff.objects.get(user=city.users["dong_officer"])
    assert _assign(client, city.users["dong_officer"], item, officer).status_code == 200
    assert _assign(client, city.users["dong_officer"], item, officer).status_code == 200
    assert OutreachEvent.objects.filter(item=item).count() == 1
