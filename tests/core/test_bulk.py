"""bulk_insert writes the rows bulk_create writes: through COPY on PostgreSQL, through a prepared INSERT run per row
on SQLite; insert_rows writes rows given as tuples of values the same way. Run on both databases
(DOLBOM_DATABASE_URL selects PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dolbom.core.bulk import AS_IS, bulk_insert, insert_rows
from dolbom.discovery.models import OutreachItem, ScreeningRound
from dolbom.intake.models import WorkItem, WorkSource
from dolbom.registry.models import Membership, Staff
from dolbom.resources.models import Organization

pytestmark = pytest.mark.django_db

# What COPY's text format escapes (tab, newline, carriage return, backslash) and what JSON escapes (quotes,
# backslashes, control characters), with Korean text that psycopg and Django's encoder must both carry through.
AWKWARD = "tab\there, line\nbreak\r\n, back\\slash \\N, \"quoted\", 'single', 체납 \\u00e9 é \x01 end"
REASONS = [
    [{"text": "건강보험료 7개월 체납 (+18점)", "points": 18, "code": "health_insurance_arrears"}],
    [{"text": AWKWARD, "points": -2.5, "code": None, "nested": {"list": [1, "둘", None, True]}}],
    [],
    ["plain string", 3, None],
]


def _items(screening_round: ScreeningRound, city, visitor: Staff) -> list[OutreachItem]:
    items = []
    for rank, household in enumerate(city.households, start=1):
        given = {"reasons": REASONS[rank % len(REASONS)]} if rank < 3 else {}  # the last: the model's defaults
        items.append(
            OutreachItem(
                round=screening_round,
                household=household,
                dong_id=household.dong_id,
                rank=rank,
                score=41.75 + rank,
                probability=None if rank == 2 else 0.125 * rank,
                assigned_to=visitor if rank == 1 else None,
                outcome="helped" if rank == 1 else "",
                outcome_note=AWKWARD if rank == 1 else "",
                outcome_on=date(2026, 2, 28) if rank == 1 else None,
                **given,
            )
        )
    return items


def _stored(table: str, columns: list[str], where: str, value: object) -> list[tuple[object, ...]]:
    """The rows as the database holds them, without Django's conversions on the way back."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where} = %s ORDER BY rank", [value])
        return cursor.fetchall()


def _round(city, period: str) -> ScreeningRound:
    return ScreeningRound.objects.create(district=city.districts[0], period=period, scorer="scorecard", status="done")


def test_outreach_items_are_written_as_bulk_create_writes_them(city) -> None:
    visitor = Staff.objects.get(user=city.users["dong_officer"])
    by_django, by_helper = _round(city, "2026-01"), _round(city, "2026-02")
    created = _items(by_django, city, visitor)
    OutreachItem.objects.bulk_create(created, batch_size=2)
    bulk_insert(OutreachItem, _items(by_helper, city, visitor), batch_size=2)

    columns = [f.column for f in OutreachItem._meta.concrete_fields if f.column not in ("id", "round_id")]
    table = OutreachItem._meta.db_table
    expected = _stored(table, columns, "round_id", by_django.pk)
    assert len(expected) == len(created) == 3
    assert _stored(table, columns, "round_id", by_helper.pk) == expected
    # Read back through the model: the JSON, the dates and the NULLs are the values that were given.
    got = {i.rank: i for i in OutreachItem.objects.filter(round=by_helper)}
    assert [got[1].reasons, got[2].reasons] == [REASONS[1], REASONS[2]]
    assert got[1].outcome_note == AWKWARD and got[1].outcome_on == date(2026, 2, 28) and got[1].assigned_to == visitor
    assert got[2].probability is None and got[2].outcome_on is None and got[2].assigned_to_id is None
    assert (got[3].reasons, got[3].selection, got[3].status) == ([], "ranked", "pending")


def test_json_objects_dates_and_auto_now_add_are_written_as_bulk_create_writes_them(city) -> None:
    finished = datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=UTC)
    params = {"note": AWKWARD, "동": ["가온동", "나래동"], "cooldown_days": 90, "empty": {}, "none": None}

    def rounds(period: str) -> list[ScreeningRound]:
        return [
            ScreeningRound(district=district, period=period, scorer="scorecard", status="done", params=params)
            for district in city.districts
        ] + [
            ScreeningRound(
                district=city.districts[0], period=period, scorer="model", status="failed", finished_at=finished
            )
        ]

    before = timezone.now()
    ScreeningRound.objects.bulk_create(rounds("2026-01"), batch_size=10)
    bulk_insert(ScreeningRound, rounds("2026-02"), batch_size=10)
    after = timezone.now()

    fields = [f.attname for f in ScreeningRound._meta.concrete_fields if f.name not in ("id", "period", "started_at")]
    order = ["scorer", "district_id"]
    written = {
        period: list(ScreeningRound.objects.filter(period=period).order_by(*order).values_list(*fields))
        for period in ("2026-01", "2026-02")
    }
    assert len(written["2026-01"]) == 3 and written["2026-02"] == written["2026-01"]
    # auto_now_add: the time of the write, as bulk_create sets it.
    started = ScreeningRound.objects.filter(period="2026-02").values_list("started_at", flat=True)
    assert all(before <= at <= after for at in started)
    assert ScreeningRound.objects.get(period="2026-02", scorer="model").finished_at == finished


def test_work_items_are_written_with_their_defaults_and_opening_time(city) -> None:
    visitor = Staff.objects.get(user=city.users["dong_officer"])
    screening_round = _round(city, "2026-01")
    listings = _items(screening_round, city, visitor)[:3]
    OutreachItem.objects.bulk_create(listings)
    listings = list(OutreachItem.objects.filter(round=screening_round).order_by("rank"))
    before = timezone.now()
    bulk_insert(
        WorkItem,
        [
            WorkItem(dong_id=item.dong_id, household_id=item.household_id, source=WorkSource.ROUND, outreach_item=item)
            for item in listings
        ],
        batch_size=2,
    )
    after = timezone.now()
    rows = WorkItem.objects.order_by("outreach_item__rank").values(
        "outreach_item_id", "status", "version", "outcome", "closed_at", "assigned_to_id", "opened_at"
    )
    assert [(r["outreach_item_id"], r["status"], r["version"], r["outcome"]) for r in rows] == [
        (item.pk, "open", 0, "") for item in listings
    ]
    assert all(r["closed_at"] is None and r["assigned_to_id"] is None for r in rows)
    assert all(before <= r["opened_at"] <= after for r in rows)


def test_a_refused_row_writes_nothing_and_raises_djangos_error(city) -> None:
    screening_round = _round(city, "2026-01")
    household = city.households[0]
    twice = [
        OutreachItem(round=screening_round, household=household, dong_id=household.dong_id, rank=rank, score=1.0)
        for rank in (1, 2)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(OutreachItem, twice, batch_size=10)
    assert not OutreachItem.objects.filter(round=screening_round).exists()


def test_an_expression_is_written_by_an_insert(city) -> None:
    """COPY takes values only: a set with an SQL expression in it goes through bulk_create, on every database."""
    screening_round = _round(city, "2026-01")
    household = city.households[0]
    item = OutreachItem(round=screening_round, household=household, dong_id=household.dong_id, rank=Value(7), score=2)
    bulk_insert(OutreachItem, [item], batch_size=10)
    assert OutreachItem.objects.get(round=screening_round).rank == 7


def test_an_unsaved_related_object_is_refused_as_bulk_create_refuses_it(city) -> None:
    unsaved = ScreeningRound(district=city.districts[0], period="2026-01", scorer="scorecard")
    household = city.households[0]
    item = OutreachItem(round=unsaved, household=household, dong_id=household.dong_id, rank=1, score=1.0)
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk_insert(OutreachItem, [item], batch_size=10)


ITEM_FIELDS = ("round", "household", "dong", "rank", "score", "probability", "reasons", "selection", "assigned_to")
ITEM_FIELDS += ("outcome", "outcome_note", "outcome_on")


def test_rows_given_as_values_are_written_as_bulk_create_writes_the_instances(city) -> None:
    visitor = Staff.objects.get(user=city.users["dong_officer"])
    by_django, by_rows = _round(city, "2026-01"), _round(city, "2026-02")
    created = _items(by_django, city, visitor)
    OutreachItem.objects.bulk_create(created, batch_size=2)
    given = [[getattr(item, OutreachItem._meta.get_field(f).attname) for f in ITEM_FIELDS] for item in created]
    for row in given:
        row[0] = by_rows.pk
    given[2] = given[2][:6]  # the last: the model's defaults for reasons, selection, status and the rest
    assert insert_rows(OutreachItem, ITEM_FIELDS[:6], [given[2]], batch_size=2) == 1
    assert insert_rows(OutreachItem, ITEM_FIELDS, given[:2], batch_size=2) == 2

    columns = [f.column for f in OutreachItem._meta.concrete_fields if f.column not in ("id", "round_id")]
    table = OutreachItem._meta.db_table
    assert _stored(table, columns, "round_id", by_rows.pk) == _stored(table, columns, "round_id", by_django.pk)
    assert insert_rows(OutreachItem, ITEM_FIELDS, [], batch_size=2) == 0


def test_rows_take_the_defaults_of_a_new_instance(city) -> None:
    """auto_now_add is the time of the write; a callable default is called for each row (a unique token); a
    database default is left to the database."""
    names = ["푸드뱅크 가온", "나래 복지관"]
    insert_rows(Organization, ["name"], [[name] for name in names], batch_size=10)
    written = Organization.objects.filter(name__in=names)
    assert len({o.hsds_id for o in written}) == 2 and {o.sector for o in written} == {"private"}

    listing = _items(_round(city, "2026-01"), city, Staff.objects.get(user=city.users["dong_officer"]))[0]
    listing.save()
    before = timezone.now()
    insert_rows(
        WorkItem,
        ["dong", "household", "source", "outreach_item"],
        [[listing.dong_id, listing.household_id, WorkSource.ROUND.value, listing.pk]],
        batch_size=10,
    )
    after = timezone.now()
    row = WorkItem.objects.values("status", "version", "outcome", "closed_at", "opened_at").get(outreach_item=listing)
    assert (row["status"], row["version"], row["outcome"], row["closed_at"]) == ("open", 0, "", None)
    assert before <= row["opened_at"] <= after

    person, household = city.persons[0], city.households[1]
    ended = [person.pk, household.pk, "head", date(2010, 1, 1), date(2015, 1, 1)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(Membership, ["person", "household", "relationship", "moved_in", "moved_out"], [ended], batch_size=9)
    written = [q["sql"] for q in queries.captured_queries if "registry_membership" in q["sql"]]
    assert written and not any("ended_by" in sql for sql in written)  # the database's default
    assert Membership.objects.get(person=person, moved_out=date(2015, 1, 1)).ended_by == ""


def test_rows_refuse_an_expression(city) -> None:
    screening_round = _round(city, "2026-01")
    household = city.households[0]
    row = [screening_round.pk, household.pk, household.dong_id, Value(7), 2.0]
    with pytest.raises(ValueError, match="rank: an SQL expression"):
        insert_rows(OutreachItem, ["round", "household", "dong", "rank", "score"], [row], batch_size=10)
    assert not OutreachItem.objects.filter(round=screening_round).exists()


def test_a_refused_row_among_rows_writes_none_of_them(city) -> None:
    screening_round = _round(city, "2026-01")
    household = city.households[0]
    twice = [[screening_round.pk, household.pk, household.dong_id, rank, 1.0] for rank in (1, 2)]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(OutreachItem, ["round", "household", "dong", "rank", "score"], twice, batch_size=10)
    assert not OutreachItem.objects.filter(round=screening_round).exists()


SAMPLES = {int: [0, -7, 2**40], float: [0.1, -2.5, 1e300], bool: [True, False], str: ["", "0", AWKWARD]}


@pytest.mark.parametrize("field_class", list(AS_IS), ids=lambda c: c.__name__)
def test_the_fields_written_as_they_are_are_those_django_writes_unchanged(field_class: type[models.Field]) -> None:
    """bulk_insert skips Django's preparation of these fields' values when they have the column's type: Django's
    own preparation must give the same value on either database (an int may come back as psycopg's Int4, written as
    the same digits)."""
    field, as_is = field_class(), AS_IS[field_class]
    assert field.get_db_prep_save(None, connection) is None
    for value in SAMPLES[as_is]:
        prepared = field.get_db_prep_save(value, connection)
        assert isinstance(prepared, as_is) and prepared == value and str(prepared) == str(value)
