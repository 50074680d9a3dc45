"""Registering a household with its members through the page, as an officer does it: honest mistakes, dates and
phone numbers typed every usual way, a double submission, and every refusal, from the outside (test client)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.registry.models import Address, Household, Membership, Person
from tests.conftest import make_rrn
from tests.registry.posts import audit_texts, error_summary, household_form, member, value_of

URL = reverse("household_new")
HEAD = member("최다은", date(1990, 5, 6), "F", 11, phone="010-2222-3333")
CHILD = member("최하늘", date(2015, 8, 9), "M", 12, relationship="child")


def _counts() -> tuple[int, int, int, int]:
    return (Household.objects.count(), Person.objects.count(), Membership.objects.count(), Address.objects.count())


def _login(client, city, role="dong_officer"):
    client.force_login(city.users[role])
    return client


def test_the_page_offers_the_officers_own_dong_in_korean(client, city):
    html = _login(client, city).get(URL).content.decode()
    assert "가구 등록" in html and "주민등록번호" in html and "가구원 1" in html and "가구원 3" in html
    assert f'value="{city.dongs[0].code}"' in html
    assert city.dongs[1].code not in html and city.dongs[2].code not in html


def test_a_household_of_two_is_registered_in_one_go(client, city):
    before = _counts()
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD, CHILD]))
    household = Household.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("household_detail", args=[household.pk])
    assert _counts() == (before[0] + 1, before[1] + 2, before[2] + 2, before[3] + 1)
    assert household.dong == city.dongs[0] and household.registered_on == date(2025, 3, 2)
    assert (household.address.road_address, household.address.detail, household.address.tong) == (
        "한빛시 중앙구 새빛로 7",
        "2층",
        4,
    )
    members = {m.person.name: m for m in household.memberships.select_related("person")}
    assert members["최다은"].relationship == "head" and members["최하늘"].relationship == "child"
    # Birth date and sex were left empty: the resident number gave them.
    assert (members["최하늘"].person.birth_date, members["최하늘"].person.sex) == (date(2015, 8, 9), "M")
    assert members["최다은"].person.phone == "010-2222-3333"
    page = client.get(response["Location"]).content.decode()
    assert "가구를 등록했습니다" in page and "최*은" in page
    event = AuditEvent.objects.filter(action="registry.register_household").get()
    assert event.object_id == str(household.pk) and event.detail["members"] == 2
    assert not any(name in text for text in audit_texts() for name in ("최다은", "최하늘", HEAD["resident_number"]))


def test_a_wrong_resident_number_names_the_row_and_field_and_keeps_everything_typed(client, city):
    wrong = {**CHILD, "resident_number": "150809-1234567", "birth_date": "2015.08.10"}
    before = _counts()
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD, wrong]))
    html = response.content.decode()
    assert response.status_code == 422
    assert _counts() == before  # nothing half-written: not even the head, nor the address
    summary = error_summary(html)
    assert "가구원 2" in summary and "주민등록번호" in summary and "생년월일" in summary
    assert 'href="#id_members-1-resident_number"' in html
    assert 'aria-invalid="true"' in html
    # Everything typed is still there to correct.
    assert value_of(html, "members-0-name") == "최다은"
    assert value_of(html, "members-0-resident_number") == HEAD["resident_number"]
    assert value_of(html, "members-1-resident_number") == "150809-1234567"
    assert value_of(html, "members-1-birth_date") == "2015.08.10"
    assert value_of(html, "road_address") == "한빛시 중앙구 새빛로 7"
    assert value_of(html, "members-0-phone") == "010-2222-3333"


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("900506-123456", "주민등록번호"),  # a digit short
        ("901306-2000011", "주민등록번호"),  # month 13
        ("900506-1000011", "주민등록번호"),  # a man's digit for a woman
    ],
)
def test_each_kind_of_wrong_number_is_refused_on_its_row(client, city, typed, field):
    wrong = {**HEAD, "resident_number": typed, "sex": "F"}
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [wrong]))
    assert response.status_code == 422
    assert f"가구원 1 · {field}" in error_summary(response.content.decode())
    assert not Person.objects.filter(name="최다은").exists()


def test_every_mistake_is_named_at_once(client, city):
    members = [
        {**HEAD, "phone": "010-12"},
        {**CHILD, "name": "", "relationship": "child"},
        member("최바다", date(2018, 1, 2), "M", 13, relationship="head"),
    ]
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, members, on="2025.02.30"))
    summary = error_summary(response.content.decode())
    assert response.status_code == 422
    assert "등록일 (전입일)" in summary and "없는 날짜" in summary
    assert "가구원 1 · 전화번호" in summary and "가구원 2 · 이름" in summary
    assert Household.objects.count() == 3


def test_two_heads_are_refused(client, city):
    second_head = {**CHILD, "relationship": "head"}
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD, second_head]))
    assert response.status_code == 422 and "가구주를 한 명만" in error_summary(response.content.decode())


@pytest.mark.parametrize(
    "typed",
    [
        "2025.03.02",
        "2025-03-02",
        "20250302",
        "2025. 3. 2.",
        "2025/03/02",
        "2025년 3월 2일",
        "２０２５．０３．０２",
        "2025–03–02",
    ],
)
def test_dates_with_every_kind_of_separator(client, city, typed):
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD], on=typed))
    assert response.status_code == 302, error_summary(response.content.decode())
    assert Household.objects.latest("pk").registered_on == date(2025, 3, 2)


@pytest.mark.parametrize("typed", ["25.03.02", "2025.3", "어제", "2025-03-02-01"])
def test_a_date_that_cannot_be_read_says_how_to_type_it(client, city, typed):
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD], on=typed))
    assert response.status_code == 422
    assert "2026.11.30, 2026-11-30 또는 20261130" in error_summary(response.content.decode())


def test_a_date_in_the_future_is_refused(client, city):
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD], on="2999.01.01"))
    assert response.status_code == 422 and "오늘 이후의 날짜" in error_summary(response.content.decode())


@pytest.mark.parametrize(
    "typed",
    [
        "010-2222-3333",
        "01022223333",
        "010–2222–3333",
        "010.2222.3333",
        "010 2222 3333",
        "+82 10-2222-3333",
        "０１０－２２２２－３３３３",
    ],
)
def test_phone_numbers_typed_with_any_dash(client, city, typed):
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [{**HEAD, "phone": typed}]))
    assert response.status_code == 302, error_summary(response.content.decode())
    person = Person.objects.get(name="최다은")
    assert (person.phone, person.phone_last4) == ("010-2222-3333", "3333")


def test_a_double_submission_registers_once_and_shows_the_first(client, city):
    c = _login(client, city)
    data = household_form(city.dongs[0].code, [HEAD, CHILD], token="one-form")
    first = c.post(URL, data)
    second = c.post(URL, data)
    assert Household.objects.filter(memberships__person__name="최다은").distinct().count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert "이미 제출한 양식" in c.get(second["Location"]).content.decode()


def test_the_same_household_typed_again_is_refused_and_points_to_the_first(client, city):
    c = _login(client, city)
    first = c.post(URL, household_form(city.dongs[0].code, [HEAD, CHILD], token="form-a"))
    household = Household.objects.latest("pk")
    before = _counts()
    again = c.post(URL, household_form(city.dongs[0].code, [HEAD, CHILD], token="form-b"))
    html = again.content.decode()
    assert first.status_code == 302 and again.status_code == 422
    assert _counts() == before
    assert f'href="{reverse("household_detail", args=[household.pk])}"' in html
    assert "이미 등록된 주민등록번호" in error_summary(html) and "가구원 1 · 주민등록번호" in error_summary(html)


def test_a_number_registered_in_another_district_is_refused_without_saying_where(client, city):
    foreign = city.persons[2]  # lives in district 2
    typed = member(foreign.name, foreign.birth_date, foreign.sex, 102)
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [typed]))
    html = response.content.decode()
    assert response.status_code == 422
    assert "다른 지역 가구에 이미 등록된" in error_summary(html)
    assert f"/households/{city.household_in(2).pk}/" not in html and f"#{city.household_in(2).pk}" not in html


def test_the_same_number_twice_in_one_form(client, city):
    twin = {**HEAD, "name": "최다은", "relationship": "spouse"}
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [HEAD, twin]))
    assert response.status_code == 422 and "가구원 2 · 주민등록번호" in error_summary(response.content.decode())
    assert "두 번 입력" in error_summary(response.content.decode())


def test_someone_who_moved_away_and_back_is_taken_back_with_their_history(client, city):
    returning = city.persons[3]  # the spouse, moved out of the district in 2024
    Membership.objects.filter(person=returning).update(moved_out=date(2024, 6, 1), ended_by="moved_away")
    typed = member(returning.name, returning.birth_date, returning.sex, 200, phone="010 9999 0000")
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [typed]))
    assert response.status_code == 302, error_summary(response.content.decode())
    returning.refresh_from_db()
    assert returning.memberships.count() == 2 and returning.phone == "010-9999-0000"
    assert Person.objects.filter(name=returning.name).count() == 1


def test_a_returning_number_with_another_name_is_refused(client, city):
    returning = city.persons[3]
    Membership.objects.filter(person=returning).update(moved_out=date(2024, 6, 1))
    typed = member("다른이름", returning.birth_date, returning.sex, 200)
    response = _login(client, city).post(URL, household_form(city.dongs[0].code, [typed]))
    assert response.status_code == 422 and "가구원 1 · 이름" in error_summary(response.content.decode())


def test_adding_a_row_keeps_what_was_typed_and_writes_nothing(client, city):
    before = _counts()
    data = household_form(city.dongs[0].code, [HEAD, {**CHILD, "resident_number": "wrong"}], add_row="1")
    response = _login(client, city).post(URL, data)
    html = response.content.decode()
    assert response.status_code == 200 and _counts() == before
    assert value_of(html, "members-TOTAL_FORMS") == "4" and "가구원 4" in html
    assert value_of(html, "members-1-resident_number") == "wrong"
    assert value_of(html, "members-0-name") == "최다은" and value_of(html, "road_address") == "한빛시 중앙구 새빛로 7"
    assert "error-summary" not in html  # adding a row is not a submission: nothing is judged yet
    assert value_of(html, "form_token") == "token-1"
    # The fourth row then registers with the others.
    data = household_form(
        city.dongs[0].code, [HEAD, CHILD, {}, member("최바다", date(2018, 1, 2), "M", 13, relationship="child")], rows=4
    )
    assert client.post(URL, data).status_code == 302
    assert Household.objects.latest("pk").memberships.count() == 3


def test_an_address_already_recorded_at_that_door_is_reused(client, city):
    existing = city.household_in(0).address
    data = household_form(city.dongs[0].code, [HEAD], road=existing.road_address, detail=existing.detail)
    before = Address.objects.count()
    assert _login(client, city).post(URL, data).status_code == 302
    assert Address.objects.count() == before and Household.objects.latest("pk").address == existing


def test_a_foreign_national_needs_a_nationality(client, city):
    birth = date(1988, 2, 3)
    foreigner = {
        "relationship": "head",
        "name": "응우옌티마이",
        "resident_number": make_rrn(birth, "F", 21, foreign=True),
    }
    refused = _login(client, city).post(URL, household_form(city.dongs[0].code, [foreigner]))
    assert refused.status_code == 422 and "가구원 1 · 국적" in error_summary(refused.content.decode())
    accepted = client.post(URL, household_form(city.dongs[0].code, [{**foreigner, "nationality": "vn"}]))
    assert accepted.status_code == 302 and Person.objects.get(name="응우옌티마이").nationality == "VN"


# ---------------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("role", "dong_index"),
    [("dong_officer", 1), ("dong_officer", 2), ("district_manager", 2), ("district_admin", 2)],
    ids=["officer-other-dong", "officer-other-district", "manager-other-district", "admin-other-district"],
)
def test_a_hand_made_post_with_a_foreign_address_writes_nothing(client, city, role, dong_index):
    before = _counts()
    response = _login(client, city, role).post(URL, household_form(city.dongs[dong_index].code, [HEAD]))
    assert response.status_code in (403, 422)
    assert _counts() == before


def test_district_staff_register_in_any_dong_of_their_district(client, city):
    response = _login(client, city, "district_manager").post(URL, household_form(city.dongs[1].code, [HEAD]))
    assert response.status_code == 302 and Household.objects.latest("pk").dong == city.dongs[1]


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_other_roles_cannot_register(client, city, role):
    c = _login(client, city, role)
    before = _counts()
    assert c.get(URL).status_code == 403
    assert c.post(URL, household_form(city.dongs[0].code, [HEAD])).status_code == 403
    assert _counts() == before
