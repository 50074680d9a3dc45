"""The household page's registry record, read once (members, moves, consents), answers what each part's own query
answers: the members the user may see in the same order, their consents in force, the consents list of the page,
and the moves and consents of the history, for each role, with former members and withdrawn consents among them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dolbom.core.dates import today_kst
from dolbom.core.scope import scope_for
from dolbom.registry.models import Consent, Membership, consent_active_on
from dolbom.registry.selectors import consents_visible_to, household_record, visible_members
from tests.conftest import make_person


@pytest.fixture
def household(city):
    """Household 0 with a head, her spouse, a child (born between them, moved in later), a lodger who moved out,
    and consents: the head's to the welfare centre (from the city), the child's withdrawn one, the spouse's
    given after today, and the lodger's."""
    household = city.household_in(0)
    child = make_person("김하늘", date(1975, 5, 5), "F", serial=300)
    Membership.objects.create(household=household, person=child, relationship="child", moved_in=date(2021, 3, 1))
    lodger = make_person("최동거", date(1960, 1, 1), "M", serial=301)
    Membership.objects.create(
        household=household, person=lodger, relationship="cohabitant", moved_in=date(2020, 6, 1),
        moved_out=date(2023, 6, 1), ended_by="moved_away",
    )  # fmt: skip
    welfare, district = city.agencies["welfare"], city.agencies["district"]
    Consent.objects.create(person=child, recipient=welfare, purpose="service_linkage", given_on=date(2022, 1, 1),
                           withdrawn_on=date(2024, 1, 1))  # fmt: skip
    Consent.objects.create(person=child, recipient=district, purpose="case_management", given_on=date(2024, 2, 1))
    Consent.objects.create(person=city.persons[3], recipient=district, purpose="case_management",
                           given_on=date(2099, 1, 1))  # fmt: skip
    Consent.objects.create(person=lodger, recipient=welfare, purpose="service_linkage", given_on=date(2021, 1, 1))
    return household


@pytest.mark.parametrize("role", ["dong_officer", "district_manager", "agency_worker"])
def test_the_record_answers_what_each_part_asked_on_its_own(city, household, role):
    user = city.users[role]
    scope_for(user)  # read once per request before the page
    with CaptureQueriesContext(connection) as captured:
        record = household_record(user, household)
    assert len(captured) == 3  # memberships, which persons the user may see, their consents

    members = visible_members(user, household)
    assert [m.pk for m in record.members] == [m.pk for m in members]
    member_ids = [m.person_id for m in members]
    # Each member's consents in force today, oldest first (the members table).
    active = Consent.objects.filter(consent_active_on(today_kst()), person_id__in=member_ids).order_by("given_on", "pk")
    assert {k: [c.pk for c in v] for k, v in record.active_consents.items()} == {
        pk: [c.pk for c in active if c.person_id == pk] for pk in member_ids
    }
    # The page's consents list: the current members' consents the user may see, withdrawn ones included.
    current = Membership.objects.filter(household=household, moved_out__isnull=True).values("person_id")
    listed = consents_visible_to(user).filter(person_id__in=current).order_by("person__name", "-given_on", "-pk")
    assert [c.pk for c in record.consents] == [c.pk for c in listed]


def test_the_history_holds_what_the_user_may_see_of_present_and_former_members(city, household):
    record = household_record(city.users["dong_officer"], household)
    entries = [(entry.on, entry.kind) for entry in record.timeline]
    assert entries == sorted(entries, reverse=True)  # newest first
    assert [m.relationship for m in record.members] == ["head", "spouse", "child"]  # the lodger moved out
    # The lodger lives elsewhere now: not a person of the officer's dong, so neither the moves nor the consent.
    assert (date(2023, 6, 1), "moved_out") not in entries and (date(2021, 1, 1), "consent") not in entries
    assert {(date(2024, 1, 1), "consent_withdrawn"), (date(2099, 1, 1), "consent")} <= set(entries)
    # The welfare centre sees the head and the lodger, who consented to share with it, past member as he is.
    seen = household_record(city.users["agency_worker"], household)
    assert [m.person_id for m in seen.members] == [city.persons[0].pk]
    assert {c.person_id for c in seen.consents} == {city.persons[0].pk}
    assert sorted((entry.on, entry.kind) for entry in seen.timeline) == [
        (date(2020, 1, 1), "moved_in"),
        (date(2020, 6, 1), "moved_in"),
        (date(2021, 1, 1), "consent"),
        (date(2023, 6, 1), "moved_out"),
        (date(2025, 1, 1), "consent"),
    ]
