"""Agencies, staff accounts and consents to share data: the organisations around the households.

Every agency kind of the registry is present (dong centres, district case-management units, the city office, 복지관,
a foundation, a food bank, self-sufficiency centres, a family centre for multicultural families, a public hospital,
a rental-housing office, health centres as 'other'), and staff exist for every role, including six fixed demo
accounts. Staff numbers scale with the expected size of each dong and district, so that they do not depend on how
the households happen to be drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dolbom.synth import names
from dolbom.synth.areas import AREA_PHONE_PREFIX, CITY_CODE, DISTRICTS, DONGS
from dolbom.synth.crisis import Truth
from dolbom.synth.people import ELDERLY_ALONE, REF_DAY, Population

CONSENT_PURPOSES: tuple[str, ...] = ("case_management", "service_linkage", "resource_support")
_PURPOSE_P = np.array([0.45, 0.35, 0.20])
CONSENTS_FROM = np.datetime64("2023-01-01", "D")
DEMO_AGENCY_MIN_CONSENTS = 8  # the demo's private-agency worker must have people to see


@dataclass(frozen=True)
class AgencySpec:
    agency_id: int
    code: str
    name: str
    sector: str
    kind: str
    area_code: str
    district: int | None  # index into DISTRICTS; None for city-wide agencies


def agency_specs() -> list[AgencySpec]:
    rows: list[tuple[str, str, str, str, str, int | None]] = [
        ("city", "한빛시청 복지정책과", "public", "city_office", CITY_CODE, None)
    ]
    for k, d in enumerate(DISTRICTS):
        rows.append((f"unit-{k + 1}", f"{d.name} 희망복지지원단", "public", "district_unit", d.code, k))
    for i, dong in enumerate(DONGS):
        rows.append(
            (f"dong-{i + 1:02d}", f"{dong.name} 행정복지센터", "public", "dong_centre", dong.code, dong.district)
        )
    d1, d2 = DISTRICTS
    rows += [
        ("health-1", f"{d1.name}보건소", "public", "other", d1.code, 0),
        ("health-2", f"{d2.name}보건소", "public", "other", d2.code, 1),
        ("housing", "한빛주택공사 주거복지센터", "public", "housing_office", CITY_CODE, None),
        ("hospital", "한빛시의료원 공공의료사업실", "public", "medical", d1.code, 0),
        # Private partners. The first one is the demo agency.
        ("welfare-1", "새솔종합사회복지관", "private", "welfare_centre", d1.code, 0),
        ("welfare-2", "한빛노인종합복지관", "private", "welfare_centre", d1.code, 0),
        ("welfare-3", "가람종합사회복지관", "private", "welfare_centre", d2.code, 1),
        ("welfare-4", "가람장애인종합복지관", "private", "welfare_centre", d2.code, 1),
        ("selfsuff-1", "새솔지역자활센터", "private", "self_sufficiency", d1.code, 0),
        ("selfsuff-2", "가람지역자활센터", "private", "self_sufficiency", d2.code, 1),
        ("foundation", "한빛희망나눔재단", "private", "foundation", CITY_CODE, None),
        ("foodbank", "한빛푸드뱅크", "private", "food_bank", CITY_CODE, None),
        ("family", "한빛시가족센터", "private", "multicultural", CITY_CODE, None),
    ]
    return [AgencySpec(i + 1, *row) for i, row in enumerate(rows)]


AGENCIES = agency_specs()
DEMO_AGENCY = next(a for a in AGENCIES if a.code == "welfare-1")
PRIVATE = [a for a in AGENCIES if a.sector == "private"]


def agencies_table() -> pa.Table:
    return pa.table(
        {
            "agency_id": pa.array([a.agency_id for a in AGENCIES], pa.int64()),
            "code": pa.array([a.code for a in AGENCIES], pa.string()),
            "name": pa.array([a.name for a in AGENCIES], pa.string()),
            "sector": pa.array([a.sector for a in AGENCIES], pa.string()),
            "kind": pa.array([a.kind for a in AGENCIES], pa.string()),
            "area_code": pa.array([a.area_code for a in AGENCIES], pa.string()),
            "phone": pa.array(
                [
                    f"{AREA_PHONE_PREFIX}-{700 + a.agency_id:03d}-{(1234 + 379 * a.agency_id) % 9000 + 1000:04d}"
                    for a in AGENCIES
                ],
                pa.string(),
            ),
        }
    )


# Staff ------------------------------------------------------------------------------------------------------

SAFETY_NET_OTHERS = ("명예사회복지공무원", "좋은이웃들", "관리사무소장", "집배원")


@dataclass
class StaffPlan:
    table: pa.Table
    officers_by_dong: list[np.ndarray]  # staff ids of each dong's officers (they record consents)


def staff_plan(rng: np.random.Generator, expected_by_dong: np.ndarray) -> StaffPlan:
    rows: list[dict[str, object]] = []

    def add(username: str, role: str, agency: AgencySpec, areas: list[str], title: str = "") -> int:
        rows.append(
            {"username": username, "role": role, "agency_id": agency.agency_id, "area_codes": areas, "title": title}
        )
        return len(rows)

    by_code = {a.code: a for a in AGENCIES}
    officers_by_dong: list[np.ndarray] = []
    for i, dong in enumerate(DONGS):
        centre = by_code[f"dong-{i + 1:02d}"]
        n_officers = int(np.clip(round(expected_by_dong[i] / 1500), 3, 40))
        ids = []
        for j in range(n_officers):
            username = "demo_dong" if (i, j) == (0, 0) else f"dong{i + 1:02d}_officer{j + 1:02d}"
            ids.append(add(username, "dong_officer", centre, [dong.code], "맞춤형복지팀"))
        officers_by_dong.append(np.array(ids, dtype=np.int64))
        n_heads = int(np.clip(round(expected_by_dong[i] / 250), 2, 60))
        for j in range(n_heads):
            username = "demo_safetynet" if (i, j) == (0, 0) else f"dong{i + 1:02d}_safety{j + 1:02d}"
            add(username, "safety_net", centre, [dong.code], f"통장 ({j + 1}통)")
        for j, title in enumerate(SAFETY_NET_OTHERS):
            add(f"dong{i + 1:02d}_safety{n_heads + j + 1:02d}", "safety_net", centre, [dong.code], title)
    for k, district in enumerate(DISTRICTS):
        unit = by_code[f"unit-{k + 1}"]
        expected = sum(expected_by_dong[i] for i, d in enumerate(DONGS) if d.district == k)
        for j in range(int(np.clip(round(expected / 5000), 3, 30))):
            username = "demo_district" if (k, j) == (0, 0) else f"gu{k + 1}_manager{j + 1:02d}"
            add(username, "district_manager", unit, [district.code], "통합사례관리사")
        add("demo_admin" if k == 0 else f"gu{k + 1}_admin01", "district_admin", unit, [district.code], "시스템 관리")
        add("demo_analyst" if k == 0 else f"gu{k + 1}_analyst01", "analyst", unit, [district.code], "통계 분석")
    add("city_analyst01", "analyst", by_code["city"], [d.code for d in DISTRICTS], "통계 분석")
    for agency in PRIVATE:
        count = 5 if agency.kind == "welfare_centre" else 3
        for j in range(count):
            username = (
                "demo_agency"
                if (agency is DEMO_AGENCY and j == 0)
                else f"{agency.code.replace('-', '')}_worker{j + 1:02d}"
            )
            add(username, "agency_worker", agency, [], "사회복지사")
    # Last, so that every other staff id stays what earlier cities had.
    add("demo_city", "city_officer", by_code["city"], [CITY_CODE], "복지정책과")

    display = names.korean_name_list(rng, len(rows))
    table = pa.table(
        {
            "staff_id": pa.array(np.arange(1, len(rows) + 1), pa.int64()),
            "username": pa.array([r["username"] for r in rows], pa.string()),
            "display_name": pa.array(display, pa.string()),
            "role": pa.array([r["role"] for r in rows], pa.string()),
            "agency_id": pa.array([r["agency_id"] for r in rows], pa.int64()),
            "area_codes": pa.array([r["area_codes"] for r in rows], pa.list_(pa.string())),
            "title": pa.array([r["title"] for r in rows], pa.string()),
            "demo": pa.array([str(r["username"]).startswith("demo_") for r in rows], pa.bool_()),
        }
    )
    return StaffPlan(table=table, officers_by_dong=officers_by_dong)


# Consents ---------------------------------------------------------------------------------------------------


@dataclass
class ConsentRows:
    person: np.ndarray  # chunk-local person index
    purpose: np.ndarray  # index into CONSENT_PURPOSES
    recipient: np.ndarray  # agency id
    given_on: np.ndarray  # datetime64[D]
    withdrawn_on: np.ndarray  # datetime64[D], NaT if in force
    recorded_by: np.ndarray  # staff id


def draw_consents(
    rng: np.random.Generator, pop: Population, truth: Truth, plan: StaffPlan, *, first_chunk: bool
) -> ConsentRows:
    """A few per cent of residents consented to share their data with a private partner — mostly people the
    partners already work with: households in crisis, on low income, elders alone, disabled or foreign residents."""
    hh = pop.hh
    weight = np.full(len(hh), 0.018)
    weight *= np.where(truth.in_crisis[hh], 5.0, 1.0)
    weight *= np.where(pop.low_income[hh], 2.5, 1.0)
    weight *= np.where(pop.hh_type[hh] == ELDERLY_ALONE, 2.0, 1.0)
    weight *= np.where(pop.disability > 0, 1.5, 1.0)
    weight *= np.where(pop.nationality > 0, 1.5, 1.0)
    weight *= np.where(pop.age < 14, 0.3, 1.0)  # children consent through a parent; rarer on their own record
    person = np.flatnonzero(rng.random(len(hh)) < weight)

    district = np.array([d.district for d in DONGS])[pop.dong[hh[person]]]
    foreign = pop.nationality[person] > 0
    recipient = np.zeros(len(person), dtype=np.int64)
    u = rng.random(len(person))
    for k in range(len(DISTRICTS)):
        for is_foreign in (False, True):
            w = np.array([_recipient_weight(a, k, is_foreign) for a in PRIVATE])
            mine = (district == k) & (foreign == is_foreign)
            cdf = np.cumsum(w / w.sum())
            recipient[mine] = np.array([a.agency_id for a in PRIVATE])[
                np.minimum(np.searchsorted(cdf, u[mine], side="right"), len(PRIVATE) - 1)
            ]
    purpose = rng.choice(len(CONSENT_PURPOSES), size=len(person), p=_PURPOSE_P)
    # Some people consented for a second purpose with the same agency on the same day.
    second = rng.random(len(person)) < 0.2
    person = np.concatenate([person, person[second]])
    recipient = np.concatenate([recipient, recipient[second]])
    purpose = np.concatenate([purpose, (purpose[second] + 1) % len(CONSENT_PURPOSES)])

    if first_chunk:
        person, recipient, purpose = _ensure_demo_consents(pop, person, recipient, purpose)

    span = int((REF_DAY - CONSENTS_FROM).astype(np.int64))
    given_day = rng.integers(0, span, len(person))
    given_on = CONSENTS_FROM + given_day[_first_of(person)].astype("timedelta64[D]")  # one visit, several forms
    withdraw = rng.random(len(person)) < 0.06
    withdrawn_on = given_on + rng.integers(14, 500, len(person)).astype("timedelta64[D]")
    withdrawn_on = np.where(withdraw & (withdrawn_on < REF_DAY), withdrawn_on, np.datetime64("NaT", "D"))
    # Recorded by one of the officers of the person's dong.
    dong = pop.dong[hh[person]]
    counts = np.array([len(o) for o in plan.officers_by_dong])
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    all_officers = np.concatenate(plan.officers_by_dong)
    recorded_by = all_officers[starts[dong] + (rng.random(len(person)) * counts[dong]).astype(np.int64)]
    order = np.lexsort((purpose, recipient, person))
    return ConsentRows(
        person=person[order],
        purpose=purpose[order],
        recipient=recipient[order],
        given_on=given_on[order],
        withdrawn_on=withdrawn_on[order],
        recorded_by=recorded_by[order],
    )


def _first_of(values: np.ndarray) -> np.ndarray:
    """For each element, the position of the first element with the same value (so duplicates share draws)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    first_in_run = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    run_start = order[np.maximum.accumulate(np.where(first_in_run, np.arange(len(values)), 0))]
    out = np.empty(len(values), dtype=np.int64)
    out[order] = run_start
    return out


def _recipient_weight(agency: AgencySpec, district: int, foreign: bool) -> float:
    if agency.kind == "multicultural":
        return 6.0 if foreign else 0.1
    if agency.district is None:
        return 1.0
    return 3.0 if agency.district == district else 0.2


def _ensure_demo_consents(
    pop: Population, person: np.ndarray, recipient: np.ndarray, purpose: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The demo agency's worker must see a few people of the first district, however small the city."""
    have = np.unique(person[recipient == DEMO_AGENCY.agency_id])
    missing = DEMO_AGENCY_MIN_CONSENTS - len(have)
    if missing <= 0:
        return person, recipient, purpose
    district = np.array([d.district for d in DONGS])[pop.dong[pop.hh]]
    candidates = np.flatnonzero((district == DEMO_AGENCY.district) & (pop.age >= 19))
    candidates = candidates[~np.isin(candidates, have)][:missing]
    return (
        np.concatenate([person, candidates]),
        np.concatenate([recipient, np.full(len(candidates), DEMO_AGENCY.agency_id)]),
        np.concatenate([purpose, np.zeros(len(candidates), dtype=purpose.dtype)]),
    )
