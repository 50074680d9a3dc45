"""Prepared querysets (core.prepared): the rows are the ORM's own, a bound value reaches its place, the SQL is built
once per key, and in checked mode a key that leaves out an input fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext

from dolbom.core.prepared import (
    PreparedQueryError,
    _kept,
    prepared_count,
    prepared_list,
    prepared_value,
    prepared_values,
    viewer_key,
)
from dolbom.registry.models import Household, Membership
from dolbom.registry.selectors import households_visible_to


def _members(household_id: int):
    return Membership.objects.filter(household_id=household_id).select_related("person", "household__dong")


def test_rows_are_the_orms_own_with_their_related_objects(city):
    household = city.households[0]
    expected = list(_members(household.pk).order_by("pk"))
    rows = prepared_list("members", lambda household_id: _members(household_id).order_by("pk"), key="k",
                         household_id=household.pk)  # fmt: skip
    assert [m.pk for m in rows] == [m.pk for m in expected]
    assert [(m.relationship, m.moved_in, m.moved_out) for m in rows] == [
        (m.relationship, m.moved_in, m.moved_out) for m in expected
    ]
    with CaptureQueriesContext(connection) as queries:  # select_related objects came with the rows
        assert [m.person.name for m in rows] == [m.person.name for m in expected]
        assert {m.household.dong.name for m in rows} == {household.dong.name}
    assert len(queries) == 0
    assert rows[0]._state.db == "default" and not rows[0]._state.adding  # saved instances, as from the ORM


def test_a_bound_value_reaches_its_place_and_the_sql_is_built_once(city):
    built = []

    def build(household_id):
        built.append(household_id)
        return _members(household_id).order_by("pk")

    first = prepared_list("members", build, key="k", household_id=city.households[0].pk)
    second = prepared_list("members", build, key="k", household_id=city.households[1].pk)
    assert {m.household_id for m in first} == {city.households[0].pk}
    assert {m.household_id for m in second} == {city.households[1].pk}
    assert len(built) == 2  # checked mode (tests) builds again to compare; the rows came from the kept SQL


def test_the_sql_is_kept_when_not_checked(city, settings):
    settings.PREPARED_QUERIES_CHECKED = False
    built = []

    def build(household_id):
        built.append(household_id)
        return _members(household_id)

    for household in city.households:
        prepared_list("members", build, key="k", household_id=household.pk)
    assert len(built) == 1  # the placeholder once, never a household's own id
    assert built[0] < 0


def test_annotations_come_with_the_rows(city):
    rows = prepared_list(
        "annotated",
        lambda household_id: Household.objects.filter(pk=household_id).annotate(members=Count("memberships")),
        key="k",
        household_id=city.households[0].pk,
    )
    assert [h.members for h in rows] == [2]


def test_a_key_that_leaves_out_an_input_fails_in_checked_mode(city):
    """The build reads the user, but the key names no user: the second user's question differs and is refused
    instead of being answered with the first user's SQL."""
    officer, manager = city.users["dong_officer"], city.users["district_manager"]
    user = officer

    def build():
        return households_visible_to(user)

    assert {h.pk for h in prepared_list("households", build, key="no user")} == {city.household_in(0).pk}
    user = manager
    with pytest.raises(PreparedQueryError, match="key leaves out"):
        prepared_list("households", build, key="no user")


def test_each_users_scope_is_its_own_key(city):
    """With the viewer's key, each user gets the rows of their own scope."""
    seen = {}
    for name in ("dong_officer", "district_manager", "agency_worker"):
        user = city.users[name]
        rows = prepared_list("households", lambda user=user: households_visible_to(user), key=viewer_key(user))
        seen[name] = {h.pk for h in rows}
    assert seen["dong_officer"] == {city.household_in(0).pk}
    assert seen["district_manager"] == {city.household_in(0).pk, city.household_in(1).pk}
    assert seen["dong_officer"] == {h.pk for h in households_visible_to(city.users["dong_officer"])}
    assert seen["agency_worker"] == {h.pk for h in households_visible_to(city.users["agency_worker"])}


def test_a_query_that_can_match_nothing_asks_nothing(city):
    with CaptureQueriesContext(connection) as queries:
        assert prepared_list("none", lambda: Household.objects.filter(pk__in=[]), key="k") == []
        assert prepared_count("none", lambda: Household.objects.filter(pk__in=[]), key="k") == 0
    assert len(queries) == 0


def test_counts_and_values(city):
    count = prepared_count(
        "members", lambda household_id: Membership.objects.filter(household_id=household_id), key="k",
        household_id=city.households[0].pk,
    )  # fmt: skip
    assert count == 2
    sql, params = Household.objects.filter(dong=city.dongs[0]).values("pk").query.sql_with_params()
    value = prepared_value("value", lambda: (f"SELECT COUNT(*) FROM ({sql}) h", params), key="k")
    assert value == 1


def _members_per_household():
    """An aggregate as the figures ask them: a field, then annotations whose values go through converters (dates)."""
    return (
        Membership.objects.values("household_id")
        .annotate(n=Count("pk"), first=Min("moved_in"), last=Max("moved_in"))
        .order_by("household_id")
    )


def test_values_rows_are_the_orms_own_dicts(city):
    expected = list(_members_per_household())
    assert prepared_values("per household", _members_per_household, key="k") == expected
    assert expected and all(type(row["first"]) is type(city.households[0].memberships.first().moved_in)
                            for row in expected)  # fmt: skip
    assert list(expected[0]) == ["household_id", "n", "first", "last"]


def test_values_of_a_query_that_can_match_nothing_ask_nothing(city):
    with CaptureQueriesContext(connection) as queries:
        assert prepared_values("none", lambda: Household.objects.filter(pk__in=[]).values("pk"), key="k") == []
    assert len(queries) == 0


def test_values_and_instances_are_read_by_their_own_function(city):
    with pytest.raises(PreparedQueryError, match="prepared_values"):
        prepared_values("instances", lambda: Household.objects.all(), key="k")
    with pytest.raises(PreparedQueryError, match="prepared_values"):
        prepared_list("dicts", lambda: Household.objects.values("pk"), key="k")


def test_values_with_a_key_that_leaves_out_an_input_fail_in_checked_mode(city):
    dong = city.dongs[0]

    def build():
        return Household.objects.filter(dong=dong).values("dong_id").annotate(n=Count("pk")).order_by()

    assert prepared_values("per dong", build, key="no dong") == [{"dong_id": dong.pk, "n": 1}]
    dong = city.dongs[1]
    with pytest.raises(PreparedQueryError, match="key leaves out"):
        prepared_values("per dong", build, key="no dong")


@pytest.mark.parametrize(
    ("build", "bound", "message"),
    [
        (lambda household_id: Household.objects.all(), {"household_id": 1}, "do not reach the SQL"),
        (lambda household_id: Household.objects.filter(pk=household_id), {"household_id": "1"}, "whole numbers"),
        (lambda: Household.objects.prefetch_related("memberships"), {}, "prefetch_related"),
    ],
    ids=["bound value unused", "text bound", "prefetch"],
)
def test_what_cannot_be_prepared_is_refused(city, build, bound, message):
    with pytest.raises(PreparedQueryError, match=message):
        prepared_list("refused", build, key="k", **bound)


def test_ids_beyond_the_stored_integers_find_nothing(city):
    """Django answers a lookup by an id no 64-bit column can hold with no rows; so does a prepared query, instead
    of the driver's overflow error."""
    for huge in (2**63, 10**20, -(2**63) - 1):
        assert Household.objects.filter(pk=huge).count() == 0
        assert prepared_list("one", lambda pk: Household.objects.filter(pk=pk), key="k", pk=huge) == []
        assert prepared_count("one", lambda pk: Household.objects.filter(pk=pk), key="k", pk=huge) == 0
    pk = city.households[0].pk
    assert [h.pk for h in prepared_list("one", lambda pk: Household.objects.filter(pk=pk), key="k", pk=pk)] == [pk]


def test_a_placeholder_a_small_column_cannot_hold_is_asked_through_the_orm(city):
    """The 통 is a small integer column: Django answers a lookup by the placeholder (far outside its range) with no
    rows at all, so the question is not kept as empty but asked through the ORM with each call's value."""
    tong = city.households[0].address.tong

    def build(tong):
        return Household.objects.filter(address__tong=tong).order_by("pk")

    rows = prepared_list("by tong", build, key="k", tong=tong)
    assert [h.pk for h in rows] == [h.pk for h in build(tong)] and rows
    assert prepared_count("by tong", build, key="k", tong=tong) == build(tong).count()
    assert prepared_list("by tong", build, key="k", tong=tong + 1) == []
    assert [kept.through_orm for key, kept in _kept().items() if key[0] == "by tong"] == [True, True]
