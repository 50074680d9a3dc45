"""The registry snapshot: what the round sees of the database, as of a date, streamed to Parquet."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest
from django.db import connection

from dolbom.core.side_read import database_spec
from dolbom.discovery.models import ItemStatus, OutreachItem, ScreeningRound
from dolbom.discovery.screening import snapshot as snapshot_module
from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS
from dolbom.discovery.screening.snapshot import export_snapshot
from dolbom.registry.models import Address, Household, Membership, Person
from tests.conftest import make_person
from tests.discovery.screening.support import move

AS_OF = date(2026, 11, 1)


def read(snapshot, name: str) -> list[dict]:
    return [row for path in snapshot.paths(name) for row in pq.read_table(path).to_pylist()]


@pytest.fixture
def district(city):
    for dong, capacity in zip(city.dongs, (7, 3, 9), strict=True):
        dong.visit_capacity = capacity
        dong.save(update_fields=["visit_capacity"])
    return city.districts[0]


def test_the_snapshot_holds_the_districts_households_members_persons_and_dongs(city, district, tmp_path):
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    h0, h1 = city.households[0].pk, city.households[1].pk
    assert read(snapshot, "households") == [
        {"household_id": h0, "dong_code": city.dongs[0].code, "district_code": district.code},
        {"household_id": h1, "dong_code": city.dongs[1].code, "district_code": district.code},
    ]
    members = sorted((m["household_id"], m["relationship"]) for m in read(snapshot, "memberships"))
    assert members == [(h0, "head"), (h0, "spouse"), (h1, "head")]
    elder = next(p for p in read(snapshot, "persons") if p["person_id"] == city.persons[0].pk)
    assert elder == {
        "person_id": city.persons[0].pk, "birth_date": date(1950, 3, 4), "sex": "F", "disability": "",
        "nationality": "KR", "date_of_death": None,
    }  # fmt: skip
    assert read(snapshot, "dongs") == [
        {"dong_code": city.dongs[0].code, "visit_capacity": 7},
        {"dong_code": city.dongs[1].code, "visit_capacity": 3},
    ]
    assert read(snapshot, "excluded") == []
    counts = {"households": 2, "memberships": 3, "persons": 3, "excluded": 0, "dongs": 2, "late_matches": 0}
    assert snapshot.rows == counts
    for name, schema in SNAPSHOT_SCHEMAS.items():
        assert pq.read_schema(snapshot.path(name)).remove_metadata().equals(schema)


def test_memberships_are_those_in_force_on_the_date(city, district, tmp_path):
    worker = city.persons[1]
    address = Address.objects.create(dong=city.dongs[0], road_address="한빛시 중앙구 새길 2")
    new_home = Household.objects.create(address=address, dong=city.dongs[0], registered_on=date(2026, 10, 1))
    move(worker, new_home, on=date(2026, 10, 1))
    baby = make_person("김아기", date(2026, 10, 20), "F", serial=400)
    city.households[0].memberships.create(person=baby, relationship="grandchild", moved_in=date(2026, 10, 20))

    def where(on: date) -> dict[int, int]:
        folder = tmp_path / on.isoformat()
        snapshot = export_snapshot(district_code=district.code, as_of=on, cooldown_days=0, folder=folder)
        return {m["person_id"]: m["household_id"] for m in read(snapshot, "memberships")}

    before, after = where(date(2026, 9, 30)), where(AS_OF)
    assert before[worker.pk] == city.households[1].pk and baby.pk not in before
    assert after[worker.pk] == new_home.pk and after[baby.pk] == city.households[0].pk


def test_exclusions_name_their_reason(city, district, tmp_path):
    earlier = ScreeningRound.objects.create(district=district, period="2026-07", scorer="scorecard", status="done")
    contacted = OutreachItem.objects.create(
        round=earlier, household=city.households[0], dong=city.dongs[0], rank=1, score=30,
        status=ItemStatus.DONE, outcome="helped", outcome_on=AS_OF - timedelta(days=30),
    )  # fmt: skip
    OutreachItem.objects.create(
        round=earlier, household=city.households[1], dong=city.dongs[1], rank=1, score=20, status=ItemStatus.ASSIGNED
    )
    OutreachItem.objects.create(
        round=earlier, household=city.households[2], dong=city.dongs[2], rank=1, score=20, status=ItemStatus.ASSIGNED
    )  # another district: not this snapshot's business
    older = ScreeningRound.objects.create(district=district, period="2026-06", scorer="scorecard", status="done")
    OutreachItem.objects.create(
        round=older, household=city.households[2], dong=city.dongs[2], rank=1, score=20,
        status=ItemStatus.DONE, outcome="helped", outcome_on=AS_OF - timedelta(days=10),
    )  # fmt: skip
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "a")
    assert sorted((e["household_id"], e["reason"]) for e in read(snapshot, "excluded")) == [
        (city.households[0].pk, "cooldown"),
        (city.households[1].pk, "in_care"),
    ]
    # the cool-down counts days back from the round's date, that day included
    OutreachItem.objects.filter(pk=contacted.pk).update(outcome_on=AS_OF - timedelta(days=29))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=28, folder=tmp_path / "b")
    assert [e["reason"] for e in read(snapshot, "excluded")] == ["in_care"]
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=29, folder=tmp_path / "c")
    assert sorted(e["reason"] for e in read(snapshot, "excluded")) == ["cooldown", "in_care"]


def test_households_another_domain_has_in_care_are_left_out_those_of_the_district_only(city, district, tmp_path):
    from dolbom.discovery.signals import cared_for_households

    other_district = next(h for h in Household.objects.exclude(dong__parent_id=district.code))
    asked = []

    def answer(sender, district_code, **kwargs):
        asked.append(district_code)
        return [city.households[1].pk, other_district.pk, city.households[1].pk]

    cared_for_households.connect(answer, weak=False, dispatch_uid="test.cared_for")
    try:
        snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=90, folder=tmp_path / "s")
    finally:
        cared_for_households.disconnect(dispatch_uid="test.cared_for")
    assert asked == [district.code]
    assert read(snapshot, "excluded") == [{"household_id": city.households[1].pk, "reason": "in_care"}]


def test_text_with_commas_quotes_and_line_breaks_and_dates_arrive_as_written(city, district, tmp_path):
    """Rows travel as text a batch at a time (dates too): quoting, empty strings, NULLs and dates survive it."""
    awkward = 'x, "y"\n둘째'  # within the column's 12 characters
    member = city.households[1].memberships.get()
    Membership.objects.filter(pk=member.pk).update(relationship=awkward)
    Person.objects.filter(pk=member.person_id).update(disability="", nationality="", date_of_death=date(2026, 12, 31))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert {m["person_id"]: m["relationship"] for m in read(snapshot, "memberships")}[member.person_id] == awkward
    person = next(p for p in read(snapshot, "persons") if p["person_id"] == member.person_id)
    assert (person["disability"], person["nationality"], person["date_of_death"]) == ("", "", date(2026, 12, 31))


def test_rows_are_streamed_in_batches(city, district, tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_module, "BATCH_ROWS", 1)
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert pq.ParquetFile(snapshot.path("memberships")).metadata.num_row_groups == 3
    assert snapshot.rows["memberships"] == 3


def test_late_matches_are_the_districts_residents_among_the_rows_unmatched_at_import(city, district, tmp_path):
    import pyarrow as pa

    from dolbom.discovery.screening.inputs import SIGNAL_BASE_SCHEMA

    resident, other_district = city.persons[0], city.persons[2]
    rows = [  # unmatched at import: a resident now, a resident of the other district, nobody; and one matched row
        {"signal_file_id": 1, "record_id": "a", "kind": "x", "person_id": None, "rrn_hash": resident.rrn_hash},
        {"signal_file_id": 1, "record_id": "b", "kind": "x", "person_id": None, "rrn_hash": other_district.rrn_hash},
        {"signal_file_id": 1, "record_id": "c", "kind": "x", "person_id": None, "rrn_hash": "f" * 64},
        {"signal_file_id": 1, "record_id": "d", "kind": "x", "person_id": 5, "rrn_hash": city.persons[1].rrn_hash},
    ]
    path = tmp_path / "signals.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "observed_on": AS_OF} for r in rows], schema=SIGNAL_BASE_SCHEMA), path)
    snapshot = export_snapshot(
        district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s", signal_paths=[path]
    )
    assert read(snapshot, "late_matches") == [{"rrn_hash": resident.rrn_hash, "person_id": resident.pk}]


def test_a_person_with_two_memberships_in_force_is_one_person_with_both_memberships(city, district, tmp_path):
    """Overlapping moves (a registry error) keep both membership rows; the person is still one row."""
    person = city.persons[0]
    person.memberships.update(moved_out=date(2026, 12, 31))  # ends after the round's date...
    # ...and another began before it
    city.households[1].memberships.create(person=person, relationship="other", moved_in=date(2026, 1, 1))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    households = sorted(m["household_id"] for m in read(snapshot, "memberships") if m["person_id"] == person.pk)
    assert households == sorted([city.households[0].pk, city.households[1].pk])
    persons = [p["person_id"] for p in read(snapshot, "persons")]
    assert sorted(persons) == sorted(set(persons)) and person.pk in persons
    assert snapshot.rows["persons"] == len(persons) == 3
    assert pq.read_schema(snapshot.path("persons")).remove_metadata().equals(SNAPSHOT_SCHEMAS["persons"])


# ---------------------------------------------------------------------------------- a second process's part


def everything(snapshot) -> dict[str, list[tuple]]:
    return {name: sorted(tuple(row.values()) for row in read(snapshot, name)) for name in SNAPSHOT_SCHEMAS}


@pytest.fixture
def any_database(monkeypatch) -> None:
    """A second process for any district, on any database. In production only SQLite uses one
    (`SIDE_READ_DATABASES`, measured); the tests' SQLite is in memory, where no other process can read, so the
    mechanism is tried on PostgreSQL here, and the SQLite child on a file in tests/core/test_side_read.py."""
    monkeypatch.setattr(snapshot_module, "SIDE_READ_AT", 0)
    monkeypatch.setattr(snapshot_module, "SIDE_READ_DATABASES", {connection.vendor})


@pytest.fixture
def side_read(any_database) -> None:
    if database_spec(connection) is None:
        pytest.skip("another process cannot open this database (SQLite in memory, as in tests)")


@pytest.mark.django_db(transaction=True)
def test_a_second_process_reads_part_of_the_members_and_the_snapshot_is_the_same(
    city, district, tmp_path, monkeypatch, side_read
):
    with monkeypatch.context() as alone_sized:
        alone_sized.setattr(snapshot_module, "SIDE_READ_AT", 10**12)
        alone = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "one")
    shared = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "two")
    assert (alone.processes, shared.processes) == (1, 2)
    assert everything(shared) == everything(alone)
    assert shared.rows == alone.rows
    side_files = {name: (tmp_path / "two" / f"{name}-2.parquet",) for name in ("memberships", "persons")}
    assert shared.parts == side_files
    for name, (path,) in side_files.items():
        assert pq.read_schema(path).remove_metadata().equals(SNAPSHOT_SCHEMAS[name])
        assert 0 < pq.ParquetFile(path).metadata.num_rows < shared.rows[name]
    expected = sorted([f"{n}.parquet" for n in SNAPSHOT_SCHEMAS] + [p.name for (p,) in side_files.values()])
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == expected


@pytest.mark.django_db(transaction=True)
def test_a_registry_change_during_the_read_has_this_process_read_the_other_part_again(
    city, district, tmp_path, monkeypatch, side_read
):
    households = {dong.code: Household.objects.filter(dong=dong).count() for dong in city.dongs[:2]}
    _own, side_dongs = snapshot_module._split(households)
    person = Membership.objects.filter(household__dong_id__in=side_dongs).first().person
    real_revision = snapshot_module.registry_revision
    reads = []

    def revision_with_a_death_committed_before_the_second_read() -> int:
        reads.append(1)
        if len(reads) == 2:  # after this process's own part, while the second process may still be reading
            Person.objects.filter(pk=person.pk).update(date_of_death=date(2026, 10, 5))
        return real_revision()

    monkeypatch.setattr(snapshot_module, "registry_revision", revision_with_a_death_committed_before_the_second_read)
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert snapshot.processes == 1 and snapshot.parts == {}
    assert not list((tmp_path / "s").glob("*-2.parquet"))  # the second process's files, discarded
    died = {p["person_id"]: p["date_of_death"] for p in read(snapshot, "persons")}
    assert died[person.pk] == date(2026, 10, 5)
    assert snapshot.rows["memberships"] == 3 and snapshot.rows["households"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_second_process_that_fails_leaves_its_part_to_this_one(
    city, district, tmp_path, monkeypatch, caplog, any_database
):
    with monkeypatch.context() as alone_sized:
        alone_sized.setattr(snapshot_module, "SIDE_READ_AT", 10**12)
        alone = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "one")
    missing = {"vendor": "sqlite", "path": str(tmp_path / "no-such-database.sqlite3")}
    monkeypatch.setattr(snapshot_module, "database_spec", lambda _connection: missing)
    with caplog.at_level("WARNING", logger="dolbom.core.side_read"):
        failed = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert failed.processes == 1 and not list((tmp_path / "s").glob("*-2.parquet"))
    assert everything(failed) == everything(alone)
    assert "side read failed" in caplog.text and "unable to open database" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_person_in_both_processes_parts_is_still_one_person(city, district, tmp_path, side_read):
    """Overlapping moves between a dong of each process: both memberships kept, the person once."""
    person = city.persons[0]
    person.memberships.update(moved_out=date(2026, 12, 31))
    city.households[1].memberships.create(person=person, relationship="other", moved_in=date(2026, 1, 1))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert snapshot.processes == 2
    households = sorted(m["household_id"] for m in read(snapshot, "memberships") if m["person_id"] == person.pk)
    assert households == sorted([city.households[0].pk, city.households[1].pk])
    persons = [p["person_id"] for p in read(snapshot, "persons")]
    assert sorted(persons) == sorted(set(persons)) and person.pk in persons
    assert snapshot.rows["persons"] == len(persons) == 3


def test_inside_a_transaction_no_second_process_is_started(city, district, tmp_path, monkeypatch, any_database):
    """The caller's uncommitted writes would be invisible to it (tests run inside a transaction)."""
    monkeypatch.setattr(snapshot_module, "database_spec", lambda _connection: pytest.fail("asked for a database"))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert snapshot.processes == 1 and snapshot.rows["memberships"] == 3


@pytest.mark.django_db(transaction=True)
def test_postgresql_reads_a_large_district_in_one_process(city, district, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own choice")
    monkeypatch.setattr(snapshot_module, "SIDE_READ_AT", 0)
    monkeypatch.setattr(snapshot_module, "database_spec", lambda _connection: pytest.fail("asked for a database"))
    snapshot = export_snapshot(district_code=district.code, as_of=AS_OF, cooldown_days=180, folder=tmp_path / "s")
    assert snapshot.processes == 1


def test_the_dongs_are_split_by_their_households_each_to_one_side():
    own, side = snapshot_module._split({"a": 50, "b": 30, "c": 20, "d": 5, "e": 0})
    assert sorted(own + side) == ["a", "b", "c", "d", "e"]
    sizes = {"a": 50, "b": 30, "c": 20, "d": 5, "e": 0}
    assert abs(sum(sizes[d] for d in own) - sum(sizes[d] for d in side)) <= 50  # at most the largest dong
    assert (own, side) == (["a", "d"], ["b", "c", "e"])  # 55 and 50 households


# A snapshot taken both ways in a process of its own on a demo home's SQLite file (the tests' own SQLite database is
# in memory, where no second process can read).
BOTH_WAYS_ON_A_FILE = """
import json, tempfile
from datetime import date
from pathlib import Path
import pyarrow.parquet as pq
from dolbom.discovery.screening import snapshot

def rows(taken):
    names = ("households", "memberships", "persons", "dongs")
    return {n: sorted(str(r) for p in taken.paths(n) for r in pq.read_table(p).to_pylist()) for n in names}

taken = {}
for at in (10**12, 0):
    snapshot.SIDE_READ_AT = at
    folder = Path(tempfile.mkdtemp())
    taken[at] = snapshot.export_snapshot(district_code="9911000000", as_of=date(2026, 11, 1), cooldown_days=90,
                                         folder=folder)
alone, shared = taken[10**12], taken[0]
print(json.dumps({"processes": [alone.processes, shared.processes], "same": rows(alone) == rows(shared),
                  "rows": shared.rows, "alone_rows": alone.rows}))
"""


@pytest.mark.slow
def test_on_a_sqlite_file_a_second_process_reads_part_of_the_members(tmp_path):
    import json

    from tests.discovery.served import dolbom, prepare_home

    home = prepare_home(tmp_path / "home", households=200)
    result = dolbom(home, "manage", "shell", "-c", BOTH_WAYS_ON_A_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["processes"] == [1, 2]
    assert found["same"] and found["rows"] == found["alone_rows"]
    assert found["rows"]["memberships"] > 100


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans: PostgreSQL joins by hashes here")
def test_on_sqlite_the_members_and_the_exclusions_are_read_from_their_indexes(city, district):
    """The members in force from the memberships' index alone (not the table's rows), and the exclusions from the
    outreach items' side, whatever the district's size (migrations registry 0011, discovery 0012)."""
    queries = {
        "members": snapshot_module._members(AS_OF, household__dong__parent_id=district.code).query,
        "in care": snapshot_module.assigned_households().query,
        "contacted": snapshot_module.contacted_households(district.code, AS_OF, 90).query,
    }

    def plan(query) -> str:
        sql, params = query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(row[-1] for row in cursor.fetchall())

    assert "USING COVERING INDEX memberships_in_force" in plan(queries["members"])
    assert "SEARCH discovery_outreachitem USING COVERING INDEX outreach_status_households" in plan(queries["in care"])
    assert "SEARCH discovery_outreachitem USING COVERING INDEX outreach_outcomes_by_date" in plan(queries["contacted"])
