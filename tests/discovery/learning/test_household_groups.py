"""The groups the release gate compares recall across, read from a round's own snapshot: the head's age band on
the round's date and sex, any registered disability among the members, and the dong."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from dolbom.discovery.screening.inputs import SNAPSHOT_SCHEMAS, Snapshot
from dolbom.discovery.services.learning import household_groups

AS_OF = date(2026, 11, 1)


def _write(folder, name, rows, *, file: str = ""):
    schema = SNAPSHOT_SCHEMAS[name]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    arrays = [pa.array(list(values), field.type) for values, field in zip(columns, schema, strict=True)]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), folder / (file or f"{name}.parquet"))


def _snapshot(folder, parts=None) -> Snapshot:
    return Snapshot(folder=folder, as_of=AS_OF, district_code="9911000000", cooldown_days=0, parts=parts or {})


def test_groups_come_from_the_head_and_every_member(tmp_path):
    _write(tmp_path, "households", [(1, "9911051000", "9911000000"), (2, "9911052000", "9911000000"),
                                    (3, "9911052000", "9911000000")])  # fmt: skip
    _write(tmp_path, "memberships", [(10, 1, "head"), (11, 1, "child"), (20, 2, "spouse"), (21, 2, "head"),
                                     (30, 3, "member")])  # fmt: skip
    _write(tmp_path, "persons", [
        (10, date(1986, 11, 2), "F", "", "KR", None),   # 39 the day before her 40th birthday
        (11, date(2015, 1, 1), "M", "mild", "KR", None),
        (20, date(1950, 1, 1), "F", "", "KR", None),
        (21, date(1946, 11, 1), "M", "", "KR", None),   # 80 on the round's date
        (30, date(1990, 1, 1), "M", "severe", "KR", None),
    ])  # fmt: skip
    groups = household_groups(_snapshot(tmp_path))
    assert groups[1] == {"head_age_band": "0-39", "head_sex": "F", "disability": "yes", "dong": "9911051000"}
    assert groups[2] == {"head_age_band": "80+", "head_sex": "M", "disability": "no", "dong": "9911052000"}
    # No head recorded (a registry gap): the head's groups are unknown, the household's own are still known.
    assert groups[3] == {"head_age_band": "unknown", "head_sex": "unknown", "disability": "yes", "dong": "9911052000"}


def test_members_and_persons_read_by_a_second_process_count_as_the_others(tmp_path):
    """A large district's snapshot holds the members of some dongs in a second file (screening/snapshot.py)."""
    _write(tmp_path, "households", [(1, "9911051000", "9911000000"), (2, "9911052000", "9911000000")])
    _write(tmp_path, "memberships", [(10, 1, "head")])
    _write(tmp_path, "persons", [(10, date(1986, 11, 2), "F", "", "KR", None)])
    _write(tmp_path, "memberships", [(20, 2, "head"), (21, 2, "child")], file="memberships-2.parquet")
    persons = [(20, date(1946, 11, 1), "M", "", "KR", None), (21, date(2015, 1, 1), "M", "mild", "KR", None)]
    _write(tmp_path, "persons", persons, file="persons-2.parquet")
    parts = {name: (tmp_path / f"{name}-2.parquet",) for name in ("memberships", "persons")}
    groups = household_groups(_snapshot(tmp_path, parts))
    assert groups[1] == {"head_age_band": "0-39", "head_sex": "F", "disability": "no", "dong": "9911051000"}
    assert groups[2] == {"head_age_band": "80+", "head_sex": "M", "disability": "yes", "dong": "9911052000"}
