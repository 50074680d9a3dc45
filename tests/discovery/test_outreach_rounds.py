"""The outreach list across rounds, from the outside: a new round never hides a visit assigned from an earlier
round's list until its outcome is in, and the page has a round picker."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import OutreachItem, RoundStatus, ScreeningRound
from dolbom.discovery.services.outreach import assign_visit
from dolbom.discovery.services.rounds import run_round
from dolbom.registry.models import Address, Household, Membership
from tests.conftest import PASSWORD, make_person
from tests.discovery.screening.support import PERIOD, import_telecom

LATER = "2026-11"


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def two_rounds(city, home, tmp_path):
    """Round 1 lists the two households of district 1; a visit is assigned to the one in dong 0; round 2, for a
    later period, leaves that household out (its visit is open) and lists the others, among them a newcomer of
    dong 0."""
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    manager = city.users["district_manager"]
    import_telecom(manager, tmp_path / "a", [(city.persons[0], 12), (city.persons[1], 9)])
    first = run_round(user=manager, district_code="9911000000", period=PERIOD)
    visited = OutreachItem.objects.get(round=first, dong=city.dongs[0])
    officer = city.users["dong_officer"]
    assign_visit(user=officer, item_id=visited.pk, visitor_id=officer.staff.pk)
    address = Address.objects.create(dong=city.dongs[0], road_address="한빛시 중앙구 시청로 30")
    household = Household.objects.create(address=address, dong=city.dongs[0], registered_on=date(2020, 1, 1))
    newcomer = make_person("정새봄", date(1960, 2, 2), "F", serial=400)
    Membership.objects.create(household=household, person=newcomer, relationship="head", moved_in=date(2020, 1, 1))
    later = [(city.persons[0], 14), (city.persons[1], 11), (newcomer, 10)]
    import_telecom(manager, tmp_path / "b", later, period=LATER)
    second = run_round(user=manager, district_code="9911000000", period=LATER)
    assert not OutreachItem.objects.filter(round=second, household=visited.household).exists()  # in care
    assert OutreachItem.objects.filter(round=second, household=household).exists()
    return first, second, visited


def login(client: Client, username: str = "officer") -> Client:
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_open_visit_of_the_first_round_stays_on_the_list_of_the_second(city, two_rounds, client):
    first, second, visited = two_rounds
    html = login(client).get(reverse("outreach_list")).content.decode()  # the latest round: the second
    assert f'<option value="{second.pk}" selected>' in html
    earlier = html.split('id="earlier-title"')[1]
    assert f'id="item-{visited.pk}"' in earlier
    assert f"{PERIOD} 차수 #{first.pk}" in earlier  # marked with its round
    assert city.users["dong_officer"].staff.display_name in earlier  # who is visiting
    event = AuditEvent.objects.filter(action="discovery.view_outreach_list").latest("pk")
    assert event.detail["earlier_open_visits"] == 1 and event.object_id == str(second.pk)


def test_once_the_outcome_is_in_the_visit_leaves_the_later_list(city, two_rounds, client):
    first, second, visited = two_rounds
    login(client)
    response = client.post(
        reverse("outreach_outcome", args=[visited.pk]),
        {f"i{visited.pk}-outcome": "helped", "list": str(second.pk)},
        HTTP_HX_REQUEST="true",
    )
    row = response.content.decode()
    assert response.status_code == 200 and f"{PERIOD} 차수 #{first.pk}" in row  # still marked where it was shown
    html = client.get(reverse("outreach_list"), {"round": second.pk}).content.decode()
    assert 'id="earlier-title"' not in html and f'id="item-{visited.pk}"' not in html


def test_a_plain_form_post_goes_back_to_the_list_it_came_from(city, two_rounds, client):
    _first, second, visited = two_rounds
    login(client)
    response = client.post(
        reverse("outreach_outcome", args=[visited.pk]), {f"i{visited.pk}-outcome": "helped", "list": str(second.pk)}
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('outreach_list')}?round={second.pk}&dong={city.dongs[0].code}#item-{visited.pk}"


def test_the_earlier_round_itself_shows_its_list_without_repeating_it(city, two_rounds, client):
    first, _second, visited = two_rounds
    html = login(client).get(reverse("outreach_list"), {"round": first.pk}).content.decode()
    assert 'id="earlier-title"' not in html and html.count(f'id="item-{visited.pk}"') == 1


def test_the_round_picker_offers_the_users_rounds_newest_first(city, two_rounds, client):
    first, second, _ = two_rounds
    failed = ScreeningRound.objects.create(
        district=city.districts[0], period=LATER, scorer="scorecard", status=RoundStatus.FAILED
    )
    other = ScreeningRound.objects.create(
        district=city.districts[1], period=LATER, scorer="scorecard", status=RoundStatus.DONE
    )
    html = login(client, "manager").get(reverse("outreach_list")).content.decode()
    picker = re.search(r'<select id="round" name="round">(.*?)</select>', html, re.S).group(1)
    offered = [int(v) for v in re.findall(r'<option value="(\d+)"', picker)]
    assert offered == [second.pk, first.pk]
    assert failed.pk not in offered and other.pk not in offered
    assert '<label for="round">' in html


def test_another_dongs_officer_does_not_see_the_open_visit(city, two_rounds, client, django_user_model):
    from dolbom.core.roles import Role
    from dolbom.registry.models import Staff

    _first, second, visited = two_rounds
    user = django_user_model.objects.create_user(username="officer1", password=PASSWORD)
    staff = Staff.objects.create(user=user, agency=city.agencies["dong0"], role=Role.DONG_OFFICER, display_name="o1")
    staff.areas.set([city.dongs[1]])
    html = login(client, "officer1").get(reverse("outreach_list"), {"round": second.pk}).content.decode()
    html += client.get(reverse("outreach_list"), {"round": second.pk, "dong": city.dongs[0].code}).content.decode()
    assert f'id="item-{visited.pk}"' not in html
