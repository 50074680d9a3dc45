"""Every role's view of the registry, asked from the outside through URLs, as a curious user would."""

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.registry.selectors import households_visible_to, persons_visible_to
from tests.conftest import PASSWORD


def _client(client, city, role):
    client.force_login(city.users[role])
    return client


def _household_url(household):
    return reverse("household_detail", args=[household.pk])


@pytest.mark.parametrize(
    ("role", "visible_dongs"),
    [("dong_officer", {0}), ("district_manager", {0, 1}), ("district_admin", {0, 1})],
)
def test_area_roles_open_households_of_their_area_only(client, city, role, visible_dongs):
    c = _client(client, city, role)
    for index in range(3):
        response = c.get(_household_url(city.household_in(index)))
        assert response.status_code == (200 if index in visible_dongs else 404), (role, index)


def test_dong_officer_cannot_reach_another_dong_by_guessing_ids(client, city):
    c = _client(client, city, "dong_officer")
    foreign = city.household_in(2)
    for pk in (foreign.pk, foreign.pk + 1000, 0):
        assert c.get(reverse("household_detail", args=[pk])).status_code == 404
    # nor by query tampering on the search
    response = c.get(reverse("household_search"), {"q": "박민지", "dong": city.dongs[2].code})
    assert "박*지" not in response.content.decode()


def test_private_agency_worker_sees_only_consenting_persons(client, city):
    c = _client(client, city, "agency_worker")
    response = c.get(_household_url(city.household_in(0)))
    html = response.content.decode()
    assert response.status_code == 200
    assert "김*희" in html  # the head consented to share with the welfare centre
    assert "김*수" not in html  # the spouse did not
    assert c.get(_household_url(city.household_in(1))).status_code == 404
    spouse = city.persons[3]
    reveal = c.post(reverse("reveal_person", args=[spouse.pk]), {"reason": "상담 준비"})
    assert reveal.status_code == 404


def test_withdrawn_consent_ends_the_agency_view(client, city):
    from dolbom.registry.services import withdraw_consent

    consent = city.persons[0].consents.get()
    withdraw_consent(user=city.users["dong_officer"], consent=consent, reason="본인 요청")
    c = _client(client, city, "agency_worker")
    assert c.get(_household_url(city.household_in(0))).status_code == 404


@pytest.mark.parametrize("role", ["safety_net", "analyst"])
def test_roles_without_person_access_are_refused_everywhere(client, city, role):
    c = _client(client, city, role)
    assert c.get(reverse("household_search")).status_code == 403  # not even the empty search page
    assert c.get(reverse("household_search"), {"q": "김영희"}).status_code == 403
    assert c.get(_household_url(city.household_in(0))).status_code == 403
    assert c.post(reverse("reveal_person", args=[city.persons[0].pk]), {"reason": "궁금"}).status_code == 403
    assert not households_visible_to(city.users[role]).exists()
    assert not persons_visible_to(city.users[role]).exists()


def test_safety_net_member_sees_only_own_referrals(client, city):
    from dolbom.intake.services.referrals import file_referral

    file_referral(
        user=city.users["safety_net"],
        dong=city.dongs[0],
        address_text="시청로 10",
        concern="며칠째 불이 꺼져 있음",
    )
    file_referral(
        user=city.users["dong_officer"],
        dong=city.dongs[0],
        address_text="시청로 11",
        concern="우편물이 쌓여 있음",
    )
    c = _client(client, city, "safety_net")
    html = c.get(reverse("referrals")).content.decode()
    assert "며칠째 불이 꺼져 있음" in html
    assert "우편물이 쌓여 있음" not in html


def test_analyst_sees_aggregates_only(client, city):
    c = _client(client, city, "analyst")
    response = c.get(reverse("statistics"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "가온동" in html and "&lt;5" in html  # a dong with 1 household: suppressed, not shown as 1
    assert "김*희" not in html and "김영희" not in html
    assert c.get(reverse("referrals")).status_code == 403


def test_anonymous_users_are_sent_to_login(client, city):
    for url in (
        reverse("today"),
        reverse("household_search"),
        _household_url(city.household_in(0)),
        reverse("statistics"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_user_without_staff_record_sees_nothing(client, city, django_user_model):
    user = django_user_model.objects.create_user("stranger", password=PASSWORD)
    client.force_login(user)
    assert client.get(reverse("household_search"), {"q": "김"}).status_code == 403
    assert client.get(_household_url(city.household_in(0))).status_code == 403


def test_every_household_view_and_search_is_audited(client, city):
    c = _client(client, city, "dong_officer")
    before = AuditEvent.objects.count()
    c.get(_household_url(city.household_in(0)))
    c.get(reverse("household_search"), {"q": "800101-1"})
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in events] == ["registry.view_household", "registry.search"]
    assert events[0].object_id == str(city.household_in(0).pk) and events[0].actor_name == "officer"
    assert events[1].detail["query"] == "800101-1******"


def test_reference_data_admin_is_for_district_administrators_only(client, city):
    for role, expected in [("district_admin", 200), ("district_manager", 403), ("dong_officer", 403)]:
        client.force_login(city.users[role])
        assert client.get("/admin/registry/agency/").status_code == expected, role
    client.force_login(city.users["district_admin"])
    assert client.get("/admin/registry/person/").status_code == 404  # persons are not in the admin
    client.logout()
    response = client.get("/admin/login/", {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "role", ["dong_officer", "district_manager", "district_admin", "agency_worker", "safety_net", "analyst"]
)
def test_visible_person_ids_says_what_persons_visible_to_says(city, role):
    """The household page asks about a few persons at a time; its answer must be the scope's, for every role and
    for persons who moved out, whose consent was withdrawn, or who live elsewhere."""
    from datetime import date

    from dolbom.registry.models import Consent, Membership, Person
    from dolbom.registry.selectors import visible_person_ids
    from tests.conftest import make_person

    moved = make_person("정이사", date(1970, 5, 5), "M", serial=301)
    Membership.objects.create(
        household=city.household_in(0), person=moved, relationship="child", moved_in=date(2020, 1, 1),
        moved_out=date(2024, 6, 1),
    )  # fmt: skip
    Consent.objects.create(
        person=moved, recipient=city.agencies["welfare"], purpose="case_management", given_on=date(2023, 1, 1),
        withdrawn_on=date(2024, 1, 1),
    )  # fmt: skip
    user = city.users[role]
    everyone = list(Person.objects.values_list("pk", flat=True))
    assert visible_person_ids(user, everyone) == set(persons_visible_to(user).values_list("pk", flat=True))
