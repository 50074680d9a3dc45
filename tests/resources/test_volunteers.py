"""Matching volunteers to a need: the database picks those whose skills answer it (VolunteerSkill rows, through
their index) and orders them nearest first, so that a caller gets a bounded list in a fixed number of queries, and
the registry's page is paged."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dolbom.core.scope import scope_for
from dolbom.resources.models import Volunteer, VolunteerSkill
from dolbom.resources.services.volunteers import MATCH_LIMIT, PAGE_SIZE, match_volunteers, register_volunteer


def _volunteer(city, name: str, dong: int, skills: list[str], *, active: bool = True) -> Volunteer:
    volunteer = register_volunteer(
        user=city.users["district_admin"],
        name=name,
        dong_code=city.dongs[dong].code,
        skills=skills,
        consent_on=date(2026, 1, 1),
    )
    if not active:
        Volunteer.objects.filter(pk=volunteer.pk).update(active=False)
    return volunteer


@pytest.fixture
def volunteers(city) -> dict[str, Volunteer]:
    return {
        "repairs_dong1": _volunteer(city, "가수리", 1, ["repairs"]),
        "cleaning_dong0": _volunteer(city, "나청소", 0, ["cleaning", "cooking"]),
        "repairs_dong0": _volunteer(city, "다수리", 0, ["repairs", "driving"]),
        "tutor_dong0": _volunteer(city, "라공부", 0, ["tutoring"]),
        "inactive_repairs_dong0": _volunteer(city, "마쉼", 0, ["repairs"], active=False),
        "repairs_district2": Volunteer.objects.create(
            district=city.districts[1],
            dong=city.dongs[2],
            name="바강변",
            consent_on=date(2026, 1, 1),
            created_by=city.users["district_admin"],
        ),
    }


def _names(found: list[Volunteer]) -> list[str]:
    return [v.name for v in found]


def test_a_need_finds_the_volunteers_whose_skills_answer_it_nearest_first(city, volunteers):
    VolunteerSkill.objects.create(volunteer=volunteers["repairs_district2"], skill="repairs")
    manager = city.users["district_manager"]
    dong0 = city.dongs[0].code
    # living_environment: repairs or cleaning; those of dong 0 first, then the district's others, by name.
    assert _names(match_volunteers(manager, need="living_environment", dong=dong0)) == ["나청소", "다수리", "가수리"]
    assert _names(match_volunteers(manager, need="living_environment")) == ["가수리", "나청소", "다수리"]
    assert _names(match_volunteers(manager, skill="tutoring", dong=dong0)) == ["라공부"]
    assert _names(match_volunteers(manager, skill="legal")) == []
    # A skill asked for wins over the need; nothing asked lists every active volunteer.
    assert _names(match_volunteers(manager, need="education", skill="driving")) == ["다수리"]
    assert _names(match_volunteers(manager)) == ["가수리", "나청소", "다수리", "라공부"]
    # The officer of dong 0 sees only dong 0's.
    officer = city.users["dong_officer"]
    assert _names(match_volunteers(officer, need="living_environment", dong=dong0)) == ["나청소", "다수리"]
    [found] = match_volunteers(manager, skill="driving")
    assert (found.skill_codes, found.skill_names) == (["driving", "repairs"], ["이동 지원(운전)", "집수리"])


def test_matching_is_one_bounded_query_whatever_the_registry_holds(city, volunteers):
    manager = city.users["district_manager"]
    for n in range(MATCH_LIMIT + 5):
        _volunteer(city, f"수리{n:02d}", 1, ["repairs", "cleaning"])
    scope_for(manager)  # the user's scope is read once per request, before
    with CaptureQueriesContext(connection) as queries:
        found = match_volunteers(manager, need="living_environment", dong=city.dongs[0].code)
        names = [v.skill_names for v in found]
    assert len(found) == MATCH_LIMIT and len(names) == MATCH_LIMIT
    assert _names(found)[:2] == ["나청소", "다수리"]
    # One query picks and orders the volunteers (the skills filtered in SQL, the limit too), one fetches their
    # skills.
    assert len(queries) == 2, [q["sql"] for q in queries]
    picking = queries[0]["sql"]
    assert "resources_volunteerskill" in picking and "LIMIT" in picking.upper()
    assert len(match_volunteers(manager, need="living_environment", limit=3)) == 3


def test_the_registry_is_paged(client, city, volunteers):
    for n in range(PAGE_SIZE + 3):
        _volunteer(city, f"수리{n:02d}", 0, ["repairs"])
    client.force_login(city.users["dong_officer"])
    first = client.get(reverse("resources_volunteers"), {"skill": "repairs"}).content.decode()
    assert first.count('id="volunteer-') == PAGE_SIZE and "자원봉사자 54명" in first
    assert "page=2" in first and "skill=repairs" in first.split("page=2")[0].rsplit('href="', 1)[1]
    second = client.get(reverse("resources_volunteers"), {"skill": "repairs", "page": 2}).content.decode()
    assert second.count('id="volunteer-') == 4
    assert client.get(reverse("resources_volunteers"), {"page": "x"}).status_code == 400
