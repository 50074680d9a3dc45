"""Agencies of every kind, staff for every role with the demo accounts, consents to private partners."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from dolbom.core.roles import Role
from dolbom.registry.models import AgencyKind, ConsentPurpose, Sector
from dolbom.synth.people import REFERENCE_DATE

from .conftest import read


def test_agencies_of_every_kind_and_both_sectors(small_city):
    agencies = read(small_city, "agencies").to_pylist()
    assert {a["kind"] for a in agencies} == set(AgencyKind.values)
    assert {a["sector"] for a in agencies} == set(Sector.values)
    assert len({a["name"] for a in agencies}) == len(agencies)
    areas = {a["code"]: a for a in read(small_city, "areas").to_pylist()}
    dongs = [code for code, a in areas.items() if a["level"] == "eupmyeondong"]
    centres = [a for a in agencies if a["kind"] == "dong_centre"]
    assert sorted(a["area_code"] for a in centres) == sorted(dongs)
    units = [a for a in agencies if a["kind"] == "district_unit"]
    assert {areas[a["area_code"]]["level"] for a in units} == {"sigungu"} and len(units) == 2
    assert all(a["area_code"] in areas for a in agencies)


def test_staff_for_every_role_with_their_areas(small_city):
    staff = read(small_city, "staff").to_pylist()
    assert {s["role"] for s in staff} == set(Role.values)
    assert len({s["username"] for s in staff}) == len(staff)
    levels = {a["code"]: a["level"] for a in read(small_city, "areas").to_pylist()}
    for s in staff:
        area_levels = {levels[c] for c in s["area_codes"]}
        if s["role"] in ("dong_officer", "safety_net"):
            assert area_levels == {"eupmyeondong"}
        elif s["role"] in ("district_manager", "district_admin", "analyst"):
            assert area_levels == {"sigungu"}
    per_dong = Counter(s["area_codes"][0] for s in staff if s["role"] == "dong_officer")
    assert len(per_dong) == sum(1 for v in levels.values() if v == "eupmyeondong")
    assert min(per_dong.values()) >= 3


def test_demo_staff(small_city):
    staff = {s["username"]: s for s in read(small_city, "staff").to_pylist()}
    agencies = {a["agency_id"]: a for a in read(small_city, "agencies").to_pylist()}
    areas = read(small_city, "areas").to_pylist()
    first_district = next(a["code"] for a in areas if a["level"] == "sigungu")
    first_dong = next(a["code"] for a in areas if a["level"] == "eupmyeondong")
    expected = {
        "demo_dong": ("dong_officer", [first_dong]),
        "demo_district": ("district_manager", [first_district]),
        "demo_admin": ("district_admin", [first_district]),
        "demo_agency": ("agency_worker", []),
        "demo_safetynet": ("safety_net", [first_dong]),
        "demo_analyst": ("analyst", [first_district]),
        "demo_city": ("city_officer", [next(a["code"] for a in areas if a["level"] == "sido")]),
    }
    for username, (role, area_codes) in expected.items():
        assert (staff[username]["role"], staff[username]["area_codes"]) == (role, area_codes), username
        assert staff[username]["demo"]
    agency = agencies[staff["demo_agency"]["agency_id"]]
    assert (agency["sector"], agency["kind"], agency["area_code"]) == ("private", "welfare_centre", first_district)
    assert agencies[staff["demo_dong"]["agency_id"]]["area_code"] == first_dong
    assert sum(s["demo"] for s in staff.values()) == 7


def test_consents_to_private_partners(big_city, targets):
    consents = read(big_city, "consents").to_pylist()
    persons = read(big_city, "persons").num_rows
    t = targets["consents"]
    assert len({c["person_id"] for c in consents}) / persons * 100 == pytest.approx(
        t["share_of_persons"], abs=t["tolerance"]
    )
    agencies = {a["agency_id"]: a for a in read(big_city, "agencies").to_pylist()}
    assert {agencies[c["recipient_agency_id"]]["sector"] for c in consents} == {"private"}
    assert {c["purpose"] for c in consents} == set(ConsentPurpose.values)
    withdrawn = [c for c in consents if c["withdrawn_on"] is not None]
    assert 0 < len(withdrawn) < 0.15 * len(consents)
    assert all(c["given_on"] <= c["withdrawn_on"] < REFERENCE_DATE for c in withdrawn)
    assert all(date(2023, 1, 1) <= c["given_on"] < REFERENCE_DATE for c in consents)
    staff = {s["staff_id"]: s for s in read(big_city, "staff").to_pylist()}
    assert {staff[c["recorded_by_staff_id"]]["role"] for c in consents} == {"dong_officer"}


def test_the_demo_agency_sees_people_of_the_first_district(small_city):
    staff = {s["username"]: s for s in read(small_city, "staff").to_pylist()}
    agency_id = staff["demo_agency"]["agency_id"]
    first_district = next(a["code"] for a in read(small_city, "areas").to_pylist() if a["level"] == "sigungu")
    dong_of_household = dict(
        zip(*read(small_city, "households").select(["household_id", "dong_code"]).to_pydict().values(), strict=True)
    )
    household_of_person = dict(
        zip(*read(small_city, "persons").select(["person_id", "household_id"]).to_pydict().values(), strict=True)
    )
    active = [
        c
        for c in read(small_city, "consents").to_pylist()
        if c["recipient_agency_id"] == agency_id and c["withdrawn_on"] is None
    ]
    in_district = {
        c["person_id"]
        for c in active
        if dong_of_household[household_of_person[c["person_id"]]][:5] == first_district[:5]
    }
    assert len(in_district) >= 5
