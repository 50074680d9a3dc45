"""Members moving in and out with dates, a household splitting (분가) and a death, through the pages, with every
refusal tried from the outside: another dong, another district, another role, hand-made posts about a foreign
household or person."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.registry.models import Address, Household, Membership, Person
from tests.conftest import make_person
from tests.registry.posts import error_summary, member

WRITERS = ["dong_officer", "district_manager", "district_admin"]
OTHERS = ["agency_worker", "safety_net", "analyst"]


@pytest.fixture
def neighbour(city) -> Household:
    """A second household of dong 0, headed by 정소연, with a child."""
    address = Address.objects.create(dong=city.dongs[0], road_address="한빛시 중앙구 시청로 99")
    household = Household.objects.create(address=address, dong=city.dongs[0], registered_on=date(2021, 4, 1))
    head = make_person("정소연", date(1975, 9, 9), "F", serial=500)
    child = make_person("정우진", date(2005, 2, 2), "M", serial=501)
    Membership.objects.create(household=household, person=head, relationship="head", moved_in=date(2021, 4, 1))
    Membership.objects.create(household=household, person=child, relationship="child", moved_in=date(2021, 4, 1))
    return household


def _login(client, city, role="dong_officer"):
    client.force_login(city.users[role])
    return client


def _current(person: Person) -> Membership | None:
    return person.memberships.filter(moved_out__isnull=True).first()


# -------------------------------------------------------------------------------------------------- 세대 이동


def test_a_member_moves_to_another_household_of_the_dong(client, city, neighbour):
    spouse = city.persons[3]
    url = reverse("person_move", args=[spouse.pk])
    page = _login(client, city).get(url).content.decode()
    assert "세대 이동" in page and "김*수" in page and "새 가구주" not in page  # not the head: no successor asked
    response = client.post(
        url, {"household": neighbour.pk, "relationship": "cohabitant", "on": "2026-01-15", "form_token": "m1"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("household_detail", args=[neighbour.pk])
    old = spouse.memberships.get(household=city.household_in(0))
    assert (old.moved_out, old.ended_by) == (date(2026, 1, 15), "moved_within")
    new = _current(spouse)
    assert (new.household, new.relationship, new.moved_in) == (neighbour, "cohabitant", date(2026, 1, 15))
    event = AuditEvent.objects.get(action="registry.move_member")
    assert event.detail == {"from": city.household_in(0).pk, "to": neighbour.pk, "on": "2026-01-15"}


def test_the_head_leaving_needs_a_new_head(client, city, neighbour):
    head, spouse = city.persons[0], city.persons[3]
    url = reverse("person_move", args=[head.pk])
    c = _login(client, city)
    assert "새 가구주" in c.get(url).content.decode()
    data = {"household": neighbour.pk, "relationship": "parent", "on": "20260115"}
    refused = c.post(url, data)
    assert refused.status_code == 422 and "새 가구주" in error_summary(refused.content.decode())
    assert _current(head).household == city.household_in(0)
    assert c.post(url, {**data, "new_head": spouse.pk}).status_code == 302
    assert _current(spouse).relationship == "head" and _current(head).household == neighbour


@pytest.mark.parametrize(
    ("target", "why"),
    [("other_dong", "another dong of the district"), ("other_district", "another district"), ("none", "no such")],
)
def test_a_move_into_a_foreign_household_is_refused(client, city, target, why):
    spouse = city.persons[3]
    number = {"other_dong": city.household_in(1).pk, "other_district": city.household_in(2).pk, "none": 99999}[target]
    response = _login(client, city).post(
        reverse("person_move", args=[spouse.pk]), {"household": number, "relationship": "spouse", "on": "2026.01.15"}
    )
    assert response.status_code == 422, why
    assert "담당 지역에 이 번호의 가구가 없습니다" in error_summary(response.content.decode())
    assert _current(spouse).household == city.household_in(0)


def test_a_move_cannot_predate_the_membership_nor_make_a_second_head(client, city, neighbour):
    spouse = city.persons[3]
    url = reverse("person_move", args=[spouse.pk])
    c = _login(client, city)
    early = c.post(url, {"household": neighbour.pk, "relationship": "cohabitant", "on": "2019.12.31"})
    assert early.status_code == 422 and "전입한 날(2020.01.01)" in error_summary(early.content.decode())
    second_head = c.post(url, {"household": neighbour.pk, "relationship": "head", "on": "2026.01.15"})
    assert second_head.status_code == 422 and "이미 가구주가 있습니다" in error_summary(second_head.content.decode())
    assert _current(spouse).household == city.household_in(0)


# ------------------------------------------------------------------------------------------------------- 전출


def test_moving_out_of_the_district_ends_the_membership_and_keeps_history(client, city):
    spouse = city.persons[3]
    url = reverse("person_move_out", args=[spouse.pk])
    response = _login(client, city).post(url, {"on": "2026.06.30", "reason": "요양원 입소 010-1234-5678"})
    assert response.status_code == 302
    ended = spouse.memberships.get()
    assert (ended.moved_out, ended.ended_by) == (date(2026, 6, 30), "moved_away")
    event = AuditEvent.objects.get(action="registry.move_out")
    assert event.reason.startswith("요양원 입소") and "1234-5678" not in event.reason  # no number in clear
    # The person left the dong: their pages are gone for the officer, and the household shows the head alone.
    assert client.get(url).status_code == 404
    html = client.get(reverse("household_detail", args=[city.household_in(0).pk])).content.decode()
    assert f'id="person-{spouse.pk}"' not in html and f'id="actions-{spouse.pk}"' not in html


def test_the_last_member_moving_out_needs_no_successor(client, city):
    alone = city.persons[1]  # head of the dong-1 household, alone
    response = _login(client, city, "district_manager").post(
        reverse("person_move_out", args=[alone.pk]), {"on": "2026.01.01"}
    )
    assert response.status_code == 302 and _current(alone) is None


# ------------------------------------------------------------------------------------------------------- 분가


def test_a_split_creates_a_household_with_the_members_who_go_along(client, city, neighbour):
    head = neighbour.memberships.get(relationship="head").person
    child = neighbour.memberships.get(relationship="child").person
    spouse_in = make_person("한지민", date(2004, 3, 3), "F", serial=502)
    Membership.objects.create(household=neighbour, person=spouse_in, relationship="relative", moved_in=date(2024, 1, 1))
    url = reverse("person_split", args=[child.pk])
    c = _login(client, city)
    page = c.get(url).content.decode()
    assert "분가" in page and "함께 분가" in page and "정*연" in page
    response = c.post(
        url,
        {
            "dong": city.dongs[0].code,
            "road_address": "한빛시 중앙구 별빛로 3",
            "detail": "101호",
            "on": "2026.03.01",
            f"with_{spouse_in.pk}": "on",
            f"relationship_{spouse_in.pk}": "spouse",
        },
    )
    assert response.status_code == 302, error_summary(response.content.decode())
    new = Household.objects.latest("pk")
    assert response["Location"] == reverse("household_detail", args=[new.pk])
    assert {(m.person, m.relationship) for m in new.memberships.all()} == {(child, "head"), (spouse_in, "spouse")}
    assert new.address.road_address == "한빛시 중앙구 별빛로 3" and new.registered_on == date(2026, 3, 1)
    assert set(neighbour.memberships.filter(moved_out__isnull=True).values_list("person", flat=True)) == {head.pk}
    assert set(neighbour.memberships.filter(ended_by="split").values_list("person", flat=True)) == {
        child.pk,
        spouse_in.pk,
    }


def test_a_split_into_another_dong_is_refused(client, city, neighbour):
    child = neighbour.memberships.get(relationship="child").person
    before = Household.objects.count()
    for dong in (city.dongs[1], city.dongs[2]):
        response = _login(client, city).post(
            reverse("person_split", args=[child.pk]),
            {"dong": dong.code, "road_address": "한빛시 강변구 강변로 5", "on": "2026.03.01"},
        )
        assert response.status_code in (403, 422)
    assert Household.objects.count() == before and _current(child).household == neighbour


def test_a_split_cannot_take_along_someone_of_another_household(client, city, neighbour):
    child = neighbour.memberships.get(relationship="child").person
    stranger = city.persons[3]
    response = _login(client, city).post(
        reverse("person_split", args=[child.pk]),
        {
            "dong": city.dongs[0].code,
            "road_address": "한빛시 중앙구 별빛로 3",
            "on": "2026.03.01",
            f"with_{stranger.pk}": "on",
            f"relationship_{stranger.pk}": "spouse",
        },
    )
    # The form knows only the household's own members: the foreign field is ignored, the split goes alone.
    assert response.status_code == 302
    assert _current(stranger).household == city.household_in(0)


# ------------------------------------------------------------------------------------------------------- 사망


def test_a_death_ends_the_membership_that_day(client, city):
    head, spouse = city.persons[0], city.persons[3]
    url = reverse("person_death", args=[head.pk])
    c = _login(client, city)
    refused = c.post(url, {"on": "2026.02.01"})
    assert refused.status_code == 422 and "새 가구주" in error_summary(refused.content.decode())
    assert c.post(url, {"on": "2026.02.01", "new_head": spouse.pk, "form_token": "d1"}).status_code == 302
    head.refresh_from_db()
    membership = head.memberships.get()
    assert head.date_of_death == date(2026, 2, 1)
    assert (membership.moved_out, membership.ended_by) == (date(2026, 2, 1), "death")
    assert _current(spouse).relationship == "head"
    assert AuditEvent.objects.filter(action="registry.record_death", object_id=str(head.pk)).count() == 1
    # A second submission of the same form shows the household again; nothing is written twice.
    again = c.post(url, {"on": "2026.02.01", "new_head": spouse.pk, "form_token": "d1"})
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="registry.record_death").count() == 1


def test_a_death_before_birth_or_in_the_future_is_refused(client, city):
    spouse = city.persons[3]
    url = reverse("person_death", args=[spouse.pk])
    c = _login(client, city)
    for typed, message in (("1940.01.01", "전입한 날"), ("2999.01.01", "오늘 이후")):
        response = c.post(url, {"on": typed})
        assert response.status_code == 422 and message in error_summary(response.content.decode())
    spouse.refresh_from_db()
    assert spouse.date_of_death is None


# ----------------------------------------------------------------------------------------------- 전입 (추가)


def test_a_person_moves_in_from_outside(client, city):
    household = city.household_in(0)
    url = reverse("member_add", args=[household.pk])
    typed = member("오세린", date(1999, 9, 9), "F", 30, relationship="child", phone="010.3333.4444")
    c = _login(client, city)
    assert "가구원 추가" in c.get(url).content.decode()
    response = c.post(url, {**typed, "on": "2026년 1월 5일", "nationality": "KR", "form_token": "a1"})
    assert response.status_code == 302
    person = Person.objects.get(name="오세린")
    assert (_current(person).household, _current(person).moved_in) == (household, date(2026, 1, 5))
    assert c.post(url, {**typed, "on": "2026.01.05", "nationality": "KR", "form_token": "a1"}).status_code == 302
    again = c.post(url, {**typed, "on": "2026.01.05", "nationality": "KR", "form_token": "a2"})
    assert again.status_code == 422 and "이미 이 가구의 가구원" in error_summary(again.content.decode())
    assert person.memberships.count() == 1


def test_a_current_resident_of_another_household_is_pointed_there(client, city, neighbour):
    head = neighbour.memberships.get(relationship="head").person
    typed = member(head.name, head.birth_date, head.sex, 500, relationship="parent")
    response = _login(client, city).post(
        reverse("member_add", args=[city.household_in(0).pk]), {**typed, "on": "2026.01.05"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert f'href="{reverse("household_detail", args=[neighbour.pk])}"' in html
    assert _current(head).household == neighbour


# ----------------------------------------------------------------------------------------------- who may


@pytest.mark.parametrize("name", ["person_move", "person_move_out", "person_split", "person_death", "consent_new"])
def test_pages_about_a_person_of_another_dong_or_district_answer_404(client, city, name):
    for role, foreign in (("dong_officer", city.persons[1]), ("dong_officer", city.persons[2])):
        before = list(Membership.objects.values_list("pk", "moved_out"))
        url = reverse(name, args=[foreign.pk])
        c = _login(client, city, role)
        assert c.get(url).status_code == 404
        hand_made = {"household": city.household_in(0).pk, "relationship": "child", "on": "2026.01.01"}
        assert (
            c.post(
                url, {**hand_made, "recipient": city.agencies["welfare"].pk, "purpose": "case_management"}
            ).status_code
            == 404
        )
        assert list(Membership.objects.values_list("pk", "moved_out")) == before


def test_a_hand_made_post_into_a_foreign_household_adds_nobody(client, city):
    for household in (city.household_in(1), city.household_in(2)):
        typed = member("침입자", date(1990, 1, 1), "M", 40, relationship="child")
        response = _login(client, city).post(reverse("member_add", args=[household.pk]), {**typed, "on": "2026.01.01"})
        assert response.status_code == 404
    assert not Person.objects.filter(name="침입자").exists()


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_cannot_move_or_record_deaths(client, city, role):
    spouse = city.persons[0]  # consented to the welfare centre, so the agency worker sees this person
    c = _login(client, city, role)
    for name in ("person_move", "person_move_out", "person_split", "person_death"):
        url = reverse(name, args=[spouse.pk])
        assert c.get(url).status_code == 403
        assert c.post(url, {"on": "2026.01.01", "new_head": city.persons[3].pk}).status_code == 403
    add = reverse("member_add", args=[city.household_in(0).pk])
    assert (
        c.post(
            add, {**member("침입자", date(1990, 1, 1), "M", 40, relationship="child"), "on": "2026.01.01"}
        ).status_code
        == 403
    )
    assert _current(spouse).moved_out is None and spouse.date_of_death is None
    assert not Person.objects.filter(name="침입자").exists()


@pytest.mark.parametrize("role", WRITERS)
def test_area_staff_see_the_actions_and_agencies_do_not(client, city, role):
    html = _login(client, city, role).get(reverse("household_detail", args=[city.household_in(0).pk])).content.decode()
    assert "변동 신고" in html and reverse("person_death", args=[city.persons[0].pk]) in html
    agency = _login(client, city, "agency_worker").get(reverse("household_detail", args=[city.household_in(0).pk]))
    assert "변동 신고" not in agency.content.decode() and "/death/" not in agency.content.decode()
