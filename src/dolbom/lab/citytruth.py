"""The hidden truth of a generated city, with the groups the model card compares recall across: the head's age
band and sex, disability in the household, the dong, and how hard the household is to reach.

Evaluation tooling only: it reads `truth.parquet` and the city's registry files directly, never the database, and
nothing in the application's scoring imports it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from dolbom.synth.outcomes import HARD_TO_REACH_BUILDINGS, HARD_TO_REACH_TYPES

AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "39세 이하"), (40, "40–64세"), (65, "65–79세"), (80, "80세 이상"))
SEX_LABELS = {"M": "남성", "F": "여성"}


def age_band(age: np.ndarray) -> np.ndarray:
    bounds = np.array([b for b, _ in AGE_BANDS])
    labels = np.array([label for _, label in AGE_BANDS], dtype=object)
    return labels[np.searchsorted(bounds, age, side="right") - 1]


def city_truth(city: Path, *, as_of: date) -> pa.Table:
    """One row per household: truth (in_crisis, detectable, crisis_kind), dong_code and the comparison groups."""
    city = Path(city)
    con = duckdb.connect()
    try:
        for name in ("households", "truth", "persons", "memberships", "areas"):
            con.read_parquet(str(city / f"{name}.parquet")).create_view(name)
        table = con.sql(
            """
            WITH current AS (
                SELECT m.household_id, m.relationship, p.sex, p.birth_date, p.disability
                FROM memberships m JOIN persons p ON p.person_id = m.person_id
                WHERE m.moved_in <= $as_of AND (m.moved_out IS NULL OR m.moved_out > $as_of)
            ), per_household AS (
                SELECT household_id,
                    max(CASE WHEN relationship = 'head' THEN sex END) AS head_sex,
                    max(CASE WHEN relationship = 'head' THEN birth_date END) AS head_birth,
                    bool_or(disability IN ('mild', 'severe')) AS disabled
                FROM current GROUP BY household_id
            )
            SELECT h.household_id, h.dong_code, a.name AS dong_name, t.in_crisis, t.detectable, t.crisis_kind,
                t.household_type, t.building_type, g.head_sex, g.disabled,
                date_diff('year', g.head_birth, $as_of)
                    - CASE WHEN strftime(g.head_birth, '%m%d') > strftime($as_of, '%m%d') THEN 1 ELSE 0 END AS head_age
            FROM households h
            JOIN truth t ON t.household_id = h.household_id
            JOIN areas a ON a.code = h.dong_code
            LEFT JOIN per_household g ON g.household_id = h.household_id
            ORDER BY h.household_id
            """,
            params={"as_of": as_of},
        ).to_arrow_table()
    finally:
        con.close()
    age = np.nan_to_num(table.column("head_age").to_numpy(zero_copy_only=False).astype(float), nan=0)
    household_type = np.asarray(table.column("household_type").to_pylist(), dtype=object)
    building = np.asarray(table.column("building_type").to_pylist(), dtype=object)
    hard = np.isin(household_type, list(HARD_TO_REACH_TYPES)) | np.isin(building, list(HARD_TO_REACH_BUILDINGS))
    sex = [SEX_LABELS.get(s, "미상") for s in table.column("head_sex").to_pylist()]
    disabled = ["장애인 가구원 있음" if d else "없음" for d in table.column("disabled").to_pylist()]
    return (
        table.append_column("head_age_band", pa.array(age_band(age).tolist(), pa.string()))
        .append_column("head_sex_label", pa.array(sex, pa.string()))
        .append_column("disability_label", pa.array(disabled, pa.string()))
        .append_column("hard_to_reach", pa.array(hard.tolist(), pa.bool_()))
    )
