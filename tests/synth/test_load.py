"""Loading a generated city into the database: complete, encrypted, scoped, audited, all or nothing."""

from __future__ import annotations

import shutil

import pyarrow.parquet as pq
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import connection
from django.db.models import F

from dolbom.core.crypto import rrn_hash
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.core.rrn import RRN_LIKE
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    Agency,
    Consent,
    Household,
    Membership,
    Person,
    Staff,
)
from dolbom.registry.selectors import households_visible_to, persons_visible_to
from dolbom.synth import load as load_module
from dolbom.synth.accounts import DEMO_PASSWORD, ensure_demo_accounts
from dolbom.synth.load import LoadError, load_city

from .conftest import SMALL, read

pytestmark = pytest.mark.django_db


def test_loads_every_table_with_the_right_counts(small_city):
    summary = load_city(small_city.path)
    assert summary.households == Household.objects.count() == SMALL
    assert summary.persons == Person.objects.count() == small_city.persons
    assert Address.objects.count() == SMALL
    assert Membership.objects.count() == small_city.memberships
    assert Membership.objects.filter(moved_out__isnull=True).count() == small_city.persons
    assert Consent.objects.count() == small_city.consents
    assert Agency.objects.count() == small_city.agencies
    assert Staff.objects.count() == small_city.staff == get_user_model().objects.count()
    assert AdministrativeArea.objects.filter(level="eupmyeondong").count() >= 12
    assert {s.role for s in Staff.objects.all()} == set(Role.values)
    assert "households" in str(summary)
    # A household's dong is its address's dong, for scoping.
    assert not Household.objects.exclude(dong=F("address__dong")).exists()


def test_resident_numbers_are_never_stored_in_clear(small_city):
    load_city(small_city.path)
    numbers = read(small_city, "persons").column("resident_number").to_pylist()
    clear = {n.replace("-", "") for n in numbers}
    scanned = 0
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("latin-1")
                    if isinstance(value, str):
                        scanned += 1
                        found = {m.replace("-", "") for m in RRN_LIKE.findall(value)}
                        assert not (found & clear), f"a resident number in clear in {table}"
    assert scanned > 10 * SMALL
    # What is stored decrypts to the number and hashes to it.
    for person, number in zip(Person.objects.order_by("pk")[:20], numbers[:20], strict=True):
        assert person.resident_number() == number
        assert person.rrn_hash == rrn_hash(number.replace("-", ""))
        assert person.rrn_seventh == number[7]
        assert person.masked_rrn == f"{number[:6]}-{number[7]}******"
        if person.phone:
            assert person.phone_last4 == person.phone[-4:]


def test_loading_twice_is_refused(small_city):
    load_city(small_city.path)
    with pytest.raises(LoadError, match="already has households"):
        load_city(small_city.path)
    assert Household.objects.count() == SMALL


def test_one_audit_event_records_the_load(small_city):
    summary = load_city(small_city.path)
    events = list(AuditEvent.objects.filter(action="registry.bulk_load"))
    assert len(events) == 1
    detail = events[0].detail
    assert detail["households"] == SMALL
    assert detail["persons"] == summary.persons
    assert detail["manifest_sha256"] == summary.manifest_sha256
    assert events[0].actor is None


def test_a_failure_midway_leaves_nothing(small_city, monkeypatch):
    def broken(self):
        raise RuntimeError("power cut")

    monkeypatch.setattr(load_module._Loader, "_consents", broken)
    with pytest.raises(RuntimeError, match="power cut"):
        load_city(small_city.path)
    assert Household.objects.count() == 0
    assert Person.objects.count() == 0
    assert Staff.objects.count() == 0


def test_a_corrupt_or_incomplete_city_is_refused(small_city, tmp_path):
    copy = tmp_path / "city"
    shutil.copytree(small_city.path, copy)
    data = bytearray((copy / "consents.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "consents.parquet").write_bytes(bytes(data))
    with pytest.raises(LoadError, match="does not match its hash"):
        load_city(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(LoadError, match=r"no manifest\.json"):
        load_city(copy)
    assert Household.objects.count() == 0


def test_loads_beside_existing_accounts_and_agencies(small_city):
    get_user_model().objects.create_user(username="root", password="x" * 12)
    sido = AdministrativeArea.objects.create(code="9900000000", name="한빛시", level="sido")
    Agency.objects.create(name="기존 기관", sector="private", kind="other", area=sido)
    load_city(small_city.path)
    assert Household.objects.count() == SMALL
    assert get_user_model().objects.count() == small_city.staff + 1
    assert Agency.objects.count() == small_city.agencies + 1
    demo = Staff.objects.get(user__username="demo_agency")
    assert demo.agency.name == "새솔종합사회복지관"


def test_demo_accounts_log_in_and_see_what_their_role_allows(small_city):
    load_city(small_city.path)
    accounts = ensure_demo_accounts()
    assert [a.username for a in accounts] == [
        "demo_dong", "demo_district", "demo_admin", "demo_agency", "demo_safetynet", "demo_analyst", "demo_city"
    ]  # fmt: skip
    assert all(a.role_label and not a.role_label.isascii() for a in accounts)
    assert accounts[0].where.endswith("행정복지센터")
    before = {u.username: u.password for u in get_user_model().objects.filter(username__startswith="demo_")}
    assert ensure_demo_accounts() == accounts  # idempotent: nothing changes the second time
    after = {u.username: u.password for u in get_user_model().objects.filter(username__startswith="demo_")}
    assert before == after
    users = {a.username: authenticate(username=a.username, password=DEMO_PASSWORD) for a in accounts}
    assert all(users.values())
    assert authenticate(username="dong01_officer02", password=DEMO_PASSWORD) is None  # others stay unusable

    dong = users["demo_dong"].staff.areas.get()
    assert households_visible_to(users["demo_dong"]).count() == Household.objects.filter(dong=dong).count() > 0
    district = users["demo_district"].staff.areas.get()
    assert (
        households_visible_to(users["demo_district"]).count() == Household.objects.filter(dong__parent=district).count()
    )
    consenting = persons_visible_to(users["demo_agency"])
    assert consenting.count() >= 5
    assert households_visible_to(users["demo_safetynet"]).count() == 0
    assert persons_visible_to(users["demo_analyst"]).count() == 0
    assert persons_visible_to(users["demo_city"]).count() == households_visible_to(users["demo_city"]).count() == 0


def test_ensure_demo_accounts_needs_a_loaded_city():
    with pytest.raises(LookupError, match="load a generated city first"):
        ensure_demo_accounts()


def test_truth_never_reaches_the_database(small_city):
    load_city(small_city.path)
    truth_columns = set(pq.read_schema(small_city.path / "truth.parquet").names) - {"household_id", "members"}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            assert not (columns & truth_columns), table
