"""The outreach list's requests as a hostile or careless user sends them: a hand-edited address. (Assigning and
recording, with their conflicts and double clicks, are the worklist's: tests/intake/test_worklist.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from dolbom.discovery.models import OutreachItem, RoundStatus, ScreeningRound


@pytest.fixture
def item(city):
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-09", scorer="scorecard", status=RoundStatus.DONE
    )
    return OutreachItem.objects.create(
        round=screening_round, household=city.household_in(0), dong=city.dongs[0], rank=1, score=30.0
    )


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "1e3", ""])
def test_a_malformed_round_is_a_400_in_korean_not_a_500(client, city, item, value):
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("outreach_list"), {"round": value})
    if value == "":  # an empty parameter is no parameter: the latest round
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "요청을 처리할 수 없습니다" in response.content.decode()


def test_a_round_number_no_database_can_hold_is_a_400_and_one_that_names_no_round_a_404(client, city, item):
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("outreach_list"), {"round": "9" * 40}).status_code == 400
    assert client.get(reverse("outreach_list"), {"round": str(2**63 - 1)}).status_code == 404


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
