"""Signals into the tiny city through the real importer, for the service, snapshot and page tests."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from pathlib import Path

import pyarrow as pa

from dolbom.discovery.services.signals import import_signal_file
from dolbom.registry.models import Household, Membership, Person

PERIOD = "2026-09"
AS_OF = date(2026, 11, 1)
TELECOM_COLUMNS = [
    "record_id", "kind", "resident_number", "name", "observed_on", "months_overdue", "amount_overdue", "carrier",
]  # fmt: skip
_files = itertools.count(1)


def import_telecom(user: object, folder: Path, arrears: list[tuple[Person, int]], *, period: str = PERIOD) -> object:
    """Deliver telecom arrears (person, months) as the telecom association's CSV and import it."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TELECOM_COLUMNS)
    number = next(_files)
    for i, (person, months) in enumerate(arrears):
        writer.writerow(
            [
                f"KTOA-{number:03d}-{i:04d}",
                "telecom_arrears",
                person.resident_number(),
                person.name,
                f"{period}-15",  # in the period: a file of another period's dates is refused
                months,
                months * 65_000,
                "SKT",
            ]
        )
    path = folder / f"ktoa-{number}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return import_signal_file(user=user, path=path, period=period, agency_code="ktoa").signal_file


def move(person: Person, to: Household, *, on: date) -> None:
    """The person leaves their household and joins another one on `on`."""
    Membership.objects.filter(person=person, moved_out__isnull=True).update(moved_out=on)
    Membership.objects.create(household=to, person=person, relationship="head", moved_in=on)


def ready_for_a_round(city: object, folder: Path) -> object:
    """Room for five visits in every dong of the tiny city, and one imported telecom file for PERIOD (two residents
    of district 1 in arrears): what a round from the pages needs."""
    for dong in city.dongs:  # type: ignore[attr-defined]
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    people = [(city.persons[0], 12), (city.persons[1], 9)]  # type: ignore[attr-defined]
    import_telecom(city.users["district_manager"], folder, people)  # type: ignore[attr-defined]
    return city


REASON = pa.struct([("text", pa.string()), ("points", pa.int64()), ("code", pa.string())])


def stand_in_scores(features: pa.Table, score: list[float], *, text: str = "") -> pa.Table:
    """What a stand-in learned model returns for a feature table: the given scores, a probability of one half, and
    one reason per household from its months of telecom arrears (`text` before the number)."""
    months = [m or 0 for m in features.column("telecom_arrears__months").to_pylist()]
    reasons = [[{"text": f"{text}{m}", "points": m, "code": "telecom_arrears"}] for m in months]
    return pa.table(
        {
            "household_id": features.column("household_id"),
            "score": pa.array(score, pa.float64()),
            "probability": [0.5] * features.num_rows,
            "reasons": pa.array(reasons, pa.list_(REASON)),
        }
    )
