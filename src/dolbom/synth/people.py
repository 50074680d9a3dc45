"""Households and the people in them, drawn as whole household compositions so that ages, sexes, surnames and
relationships agree within each household.

Each household type (a single elder, a couple with two children, three generations, …) has a share and a builder
that draws all its members at once as (households × members) arrays. The shares reproduce the 2023 census
household-size distribution; the age rules within types were calibrated so that the resulting age pyramid matches
an ageing society (≈ 20 % aged 65+). Targets and sources: `targets.toml` and docs/data-formats.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dolbom.core.rrn import seventh_digit
from dolbom.synth import names
from dolbom.synth.areas import DETACHED, DONGS, GOSIWON, MULTI_UNIT, OFFICETEL, RENTAL, dong_weights

REFERENCE_DATE = date(2026, 11, 1)  # the city is drawn as of this day; ages and tenures count to it
REF_DAY = np.datetime64(REFERENCE_DATE.isoformat(), "D")
DAYS_PER_YEAR = 365.2425
_ONE_DAY = 1 / DAYS_PER_YEAR

# Relationship codes (registry.models.Relationship values) and the order members are listed in.
RELATIONSHIPS: tuple[str, ...] = (
    "head",
    "spouse",
    "child",
    "parent",
    "grandchild",
    "sibling",
    "relative",
    "cohabitant",
)
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, SIBLING, RELATIVE, COHABITANT = range(8)
# Listing rank by relationship code: head, spouse, child, the child's spouse, grandchild, parent, sibling, other.
_LIST_ORDER = np.array([0, 1, 2, 5, 4, 6, 3, 7])

# 2026 standard median income by household size, monthly won (docs/facts.md). Income draws are relative to it.
MEDIAN_INCOME_2026 = np.array([0, 2_564_238, 4_199_292, 5_359_036, 6_494_738, 7_556_719, 8_555_952])

NATIONALITIES: tuple[str, ...] = ("KR", *names.FOREIGN_CODES)
# Registered foreign residents by nationality (Ministry of Justice statistics, 2023, rounded; China includes
# Korean-Chinese): workers and students, and marriage migrants.
_WORKER_MIX = {"CN": 33, "VN": 15, "TH": 10, "UZ": 8, "NP": 6, "KH": 6, "ID": 6, "PH": 4, "MM": 4, "LK": 3,
               "MN": 3, "RU": 2, "KZ": 2, "US": 2, "JP": 1}  # fmt: skip
_MARRIAGE_MIX = {"VN": 35, "CN": 30, "PH": 8, "KH": 6, "JP": 6, "TH": 5, "US": 3, "UZ": 3, "MN": 2, "RU": 2}
KOREAN_CHINESE_SHARE = 0.5  # Chinese nationals registered under a Korean name (조선족)

# Registered disability by age (Ministry of Health and Welfare registered-disabled statistics, 2023: 2.63 M
# people, 5.1 % of the population, 53.9 % of them aged 65+; severe ≈ 37 %, more among the young).
_DISABILITY_AGES = np.array([0, 20, 40, 50, 65, 75])
_DISABILITY_RATE = np.array([0.012, 0.022, 0.033, 0.058, 0.105, 0.160])
_SEVERE_SHARE = np.array([0.80, 0.42, 0.42, 0.40, 0.30, 0.30])


@dataclass
class Members:
    """One household type's members as (households × size) arrays."""

    age: np.ndarray  # float years at the reference date
    male: np.ndarray
    rel: np.ndarray
    surname_from: np.ndarray  # -1: own surname; k: copies member k's (k always earlier in the row)
    joined_late: np.ndarray  # moved in after the household was registered (an elder parent joining)


@dataclass(frozen=True)
class HouseholdType:
    code: str
    share: float  # per cent of households
    size: int
    group: str  # which dong attraction applies: elderly, family, young, or "" (size only)
    income_mu: float  # log of income relative to the size's median
    build: Callable[[np.random.Generator, int], Members]


def _bands(rng: np.random.Generator, n: int, bands: tuple[tuple[int, int, float], ...]) -> np.ndarray:
    """Ages drawn from (first age, last age, weight) bands, uniform within a band, as float years."""
    lo = np.array([b[0] for b in bands], dtype=float)
    hi = np.array([b[1] + 1 for b in bands], dtype=float)
    w = np.array([b[2] for b in bands], dtype=float)
    pick = rng.choice(len(bands), size=n, p=w / w.sum())
    return lo[pick] + rng.random(n) * (hi[pick] - lo[pick])


def _members(n: int, size: int) -> Members:
    return Members(
        age=np.zeros((n, size)),
        male=np.zeros((n, size), dtype=bool),
        rel=np.zeros((n, size), dtype=np.int8),
        surname_from=np.full((n, size), -1, dtype=np.int8),
        joined_late=np.zeros((n, size), dtype=bool),
    )


def _single(bands: tuple[tuple[int, int, float], ...], p_male: float) -> Callable[[np.random.Generator, int], Members]:
    def build(rng: np.random.Generator, n: int) -> Members:
        m = _members(n, 1)
        m.age[:, 0] = _bands(rng, n, bands)
        m.male[:, 0] = rng.random(n) < p_male
        return m

    return build


def _parents(rng: np.random.Generator, m: Members, mother_age: np.ndarray, p_male_head: float = 0.82) -> None:
    """Fill slots 0 (head) and 1 (spouse) of a couple: the husband is usually registered as the head."""
    n = len(mother_age)
    father_age = np.clip(mother_age + rng.normal(2.5, 2.5, n), 19, 99)
    mother_age = np.clip(mother_age, 19, 99)
    male_head = rng.random(n) < p_male_head
    m.age[:, 0] = np.where(male_head, father_age, mother_age)
    m.age[:, 1] = np.where(male_head, mother_age, father_age)
    m.male[:, 0] = male_head
    m.male[:, 1] = ~male_head
    m.rel[:, 1] = SPOUSE


def _children(rng: np.random.Generator, m: Members, first: int, ages: list[np.ndarray]) -> None:
    """Children in slots first…; they carry the father's surname (slot 0 if the head is male, else slot 1)."""
    father = np.where(m.male[:, 0], 0, 1).astype(np.int8)
    for k, age in enumerate(ages):
        slot = first + k
        m.age[:, slot] = np.maximum(age, _ONE_DAY)
        m.male[:, slot] = rng.random(len(age)) < 0.512  # 105 boys per 100 girls at birth
        m.rel[:, slot] = CHILD
        m.surname_from[:, slot] = father


def _elder(rng: np.random.Generator, m: Members, slot: int, head_age: np.ndarray, p_female: float = 0.75) -> None:
    """A parent of the head who lives with the family; a father shares the head's surname."""
    n = len(head_age)
    m.age[:, slot] = np.minimum(head_age + rng.uniform(24, 36, n), 98 + rng.random(n))
    m.male[:, slot] = rng.random(n) >= p_female
    m.rel[:, slot] = PARENT
    m.surname_from[:, slot] = np.where(m.male[:, slot], 0, -1)
    m.joined_late[:, slot] = rng.random(n) < 0.6


def _child_ages(
    rng: np.random.Generator, n: int, bands: tuple[tuple[int, int, float], ...], count: int
) -> list[np.ndarray]:
    """Ages of `count` siblings, eldest first: the youngest is drawn from the bands, the elder ones 1–5 years
    apart above it (drawing the eldest first would squeeze younger siblings into a pile of newborns)."""
    ages = [_bands(rng, n, bands)]
    for _ in range(count - 1):
        ages.append(ages[-1] + rng.uniform(1, 5, n))
    return ages[::-1]


def _mother_for(rng: np.random.Generator, oldest: np.ndarray) -> np.ndarray:
    # Mean age at first birth ≈ 31–33 in the 2020s, younger for older cohorts.
    return oldest + np.clip(rng.normal(30.5, 4.0, len(oldest)), 20, 45)


# Age of the only child, or of the youngest of several (their elder siblings are then older still).
_KID_BANDS = ((0, 6, 0.13), (7, 12, 0.18), (13, 18, 0.24), (19, 24, 0.21), (25, 34, 0.24))
_YOUNGEST_BANDS = ((0, 6, 0.25), (7, 12, 0.23), (13, 18, 0.22), (19, 24, 0.16), (25, 31, 0.14))


def _couple_with_children(count: int, elders: int = 0) -> Callable[[np.random.Generator, int], Members]:
    def build(rng: np.random.Generator, n: int) -> Members:
        m = _members(n, 2 + count + elders)
        kids = _child_ages(rng, n, _KID_BANDS if count == 1 else _YOUNGEST_BANDS, count)
        _parents(rng, m, _mother_for(rng, kids[0]))
        _children(rng, m, 2, kids)
        for e in range(elders):
            _elder(rng, m, 2 + count + e, m.age[:, 0])
        if elders == 2:  # two elders are the head's parents, a couple
            a, b = 2 + count, 3 + count
            m.male[:, a], m.male[:, b] = True, False
            m.surname_from[:, a], m.surname_from[:, b] = 0, -1
            m.age[:, b] = np.maximum(m.age[:, a] - rng.uniform(0, 5, n), m.age[:, 0] + 20)
        return m

    return build


def _couple(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 2)
    _parents(rng, m, _bands(rng, n, ((25, 34, 0.26), (35, 49, 0.16), (50, 59, 0.32), (60, 66, 0.26))))
    return m


def _elderly_couple(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 2)
    wife = _bands(rng, n, ((62, 66, 0.32), (67, 71, 0.28), (72, 76, 0.19), (77, 81, 0.13), (82, 93, 0.08)))
    _parents(rng, m, wife, p_male_head=0.9)
    return m


def _single_parent(count: int) -> Callable[[np.random.Generator, int], Members]:
    def build(rng: np.random.Generator, n: int) -> Members:
        m = _members(n, 1 + count)
        bands = ((0, 6, 0.10), (7, 12, 0.22), (13, 18, 0.30), (19, 28, 0.38))
        if count > 1:
            bands = ((0, 6, 0.18), (7, 12, 0.28), (13, 18, 0.30), (19, 25, 0.24))
        kids = _child_ages(rng, n, bands, count)
        m.age[:, 0] = _mother_for(rng, kids[0])
        m.male[:, 0] = rng.random(n) < 0.24
        _children(rng, m, 1, kids)
        # A single mother's children usually carry their father's surname: their own, shared among siblings.
        m.surname_from[:, 1] = np.where(m.male[:, 0], 0, -1)
        for k in range(2, 1 + count):
            m.surname_from[:, k] = np.where(m.male[:, 0], 0, 1)
        return m

    return build


def _parent_adult_child(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 2)
    elder_head = rng.random(n) < 0.6
    # An elderly parent heading the household with a middle-aged child …
    elder = _bands(rng, n, ((68, 79, 0.65), (80, 95, 0.35)))
    child = elder - rng.uniform(25, 38, n)
    # … or a middle-aged head caring for a parent who moved in.
    head = _bands(rng, n, ((40, 54, 0.5), (55, 66, 0.5)))
    parent = np.minimum(head + rng.uniform(24, 34, n), 98 + rng.random(n))
    m.age[:, 0] = np.where(elder_head, elder, head)
    m.age[:, 1] = np.where(elder_head, child, parent)
    m.male[:, 0] = np.where(elder_head, rng.random(n) < 0.3, rng.random(n) < 0.55)
    m.male[:, 1] = np.where(elder_head, rng.random(n) < 0.55, rng.random(n) < 0.25)
    m.rel[:, 1] = np.where(elder_head, CHILD, PARENT)
    child_of_father = elder_head & m.male[:, 0]
    parent_is_father = ~elder_head & m.male[:, 1]
    m.surname_from[:, 1] = np.where(child_of_father | parent_is_father, 0, -1)
    m.joined_late[:, 1] = ~elder_head
    return m


def _other_two(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 2)
    siblings = rng.random(n) < 0.5
    m.age[:, 0] = _bands(rng, n, ((20, 29, 0.45), (30, 44, 0.35), (45, 64, 0.20)))
    m.age[:, 1] = np.maximum(m.age[:, 0] + rng.uniform(-8, 8, n), 18 + rng.random(n))
    m.male[:, 0] = rng.random(n) < 0.5
    m.male[:, 1] = rng.random(n) < 0.5
    m.rel[:, 1] = np.where(siblings, SIBLING, COHABITANT)
    m.surname_from[:, 1] = np.where(siblings, 0, -1)
    return m


def _elderly_couple_adult_child(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 3)
    child = _bands(rng, n, ((25, 34, 0.45), (35, 44, 0.35), (45, 55, 0.20)))
    _parents(rng, m, _mother_for(rng, child), p_male_head=0.9)
    _children(rng, m, 2, [child])
    return m


def _couple_parent(rng: np.random.Generator, n: int) -> Members:
    m = _members(n, 3)
    _parents(rng, m, _bands(rng, n, ((38, 49, 0.4), (50, 64, 0.6))))
    _elder(rng, m, 2, m.age[:, 0])
    return m


HOUSEHOLD_TYPES: tuple[HouseholdType, ...] = (
    HouseholdType("young_single", 12.0, 1, "young", 0.15,
                  _single(((20, 24, 0.19), (25, 29, 0.34), (30, 34, 0.27), (35, 39, 0.20)), 0.60)),
    HouseholdType("middle_single", 14.0, 1, "", -0.05,
                  _single(((40, 49, 0.38), (50, 59, 0.42), (60, 64, 0.20)), 0.62)),
    HouseholdType("elderly_alone", 9.5, 1, "elderly", -0.70,
                  _single(((65, 69, 0.28), (70, 74, 0.24), (75, 79, 0.20), (80, 84, 0.16), (85, 89, 0.09),
                           (90, 99, 0.03)), 0.30)),
    HouseholdType("couple", 10.0, 2, "young", 0.25, _couple),
    HouseholdType("elderly_couple", 9.5, 2, "elderly", -0.35, _elderly_couple),
    HouseholdType("single_parent_1", 4.0, 2, "family", -0.35, _single_parent(1)),
    HouseholdType("parent_adult_child", 3.5, 2, "", -0.25, _parent_adult_child),
    HouseholdType("other_two", 1.8, 2, "young", 0.10, _other_two),
    HouseholdType("couple_1child", 12.0, 3, "family", 0.25, _couple_with_children(1)),
    HouseholdType("single_parent_2", 2.0, 3, "family", -0.35, _single_parent(2)),
    HouseholdType("elderly_couple_adult_child", 3.5, 3, "elderly", -0.10, _elderly_couple_adult_child),
    HouseholdType("couple_parent", 1.7, 3, "family", 0.10, _couple_parent),
    HouseholdType("couple_2children", 12.3, 4, "family", 0.25, _couple_with_children(2)),
    HouseholdType("three_gen_4", 1.5, 4, "family", 0.10, _couple_with_children(1, elders=1)),
    HouseholdType("couple_3children", 1.5, 5, "family", 0.20, _couple_with_children(3)),
    HouseholdType("three_gen_5", 0.9, 5, "family", 0.10, _couple_with_children(2, elders=1)),
    HouseholdType("three_gen_6", 0.3, 6, "family", 0.10, _couple_with_children(2, elders=2)),
)  # fmt: skip
TYPE_CODES: tuple[str, ...] = tuple(t.code for t in HOUSEHOLD_TYPES)
_TYPE_P = np.array([t.share for t in HOUSEHOLD_TYPES]) / sum(t.share for t in HOUSEHOLD_TYPES)
_T = {code: i for i, code in enumerate(TYPE_CODES)}
SINGLE_TYPES = np.array([_T["young_single"], _T["middle_single"], _T["elderly_alone"]])
SINGLE_PARENT_TYPES = np.array([_T["single_parent_1"], _T["single_parent_2"]])
COUPLE_TYPES = np.array([_T[c] for c in ("couple", "couple_1child", "couple_2children", "couple_3children")])
THREE_GEN_TYPES = np.array([_T[c] for c in ("three_gen_4", "three_gen_5", "three_gen_6")])
ELDERLY_ALONE = _T["elderly_alone"]
MIDDLE_SINGLE = _T["middle_single"]
YOUNG_SINGLE = _T["young_single"]
OTHER_TWO = _T["other_two"]


def expected_dong_shares() -> np.ndarray:
    """P(dong) for a household: the mixture over types of P(dong | type's group)."""
    shares = np.zeros(len(DONGS))
    for t, p in zip(HOUSEHOLD_TYPES, _TYPE_P, strict=True):
        w = dong_weights(t.group) if t.group else np.array([d.weight for d in DONGS])
        shares += p * w / w.sum()
    return shares


@dataclass
class Population:
    """One chunk of households and persons. Household-level arrays have length H, person-level arrays P."""

    # households
    hh_type: np.ndarray
    dong: np.ndarray
    building: np.ndarray
    registered_on: np.ndarray  # datetime64[D]
    size: np.ndarray
    head_age: np.ndarray
    income: np.ndarray  # latent monthly income, won
    low_income: np.ndarray
    disabled_member: np.ndarray
    foreign_household: np.ndarray
    # persons, ordered by household then listing order
    hh: np.ndarray  # local household index
    rel: np.ndarray
    age: np.ndarray
    male: np.ndarray
    birth: np.ndarray  # datetime64[D]
    nationality: np.ndarray  # index into NATIONALITIES
    disability: np.ndarray  # 0 none, 1 mild, 2 severe
    moved_in: np.ndarray  # datetime64[D]
    name: pa.Array
    name_hangul: pa.Array  # as agencies that write foreign names in Hangul have it
    resident_number: pa.Array
    rrn_key: np.ndarray  # int64 form of the number, for the uniqueness check
    phone: pa.Array
    head_index: np.ndarray  # per household: person index of the head


def draw_population(rng: np.random.Generator, n: int, first_person: int, phone_offset: int) -> Population:
    """Draw n households and their members. `first_person` is the city-wide index of the chunk's first person
    (phone numbers are a bijection of it, hence unique city-wide)."""
    hh_type = rng.choice(len(HOUSEHOLD_TYPES), size=n, p=_TYPE_P).astype(np.int8)
    keys = ("hh", "rank", "age", "male", "rel", "late", "surname", "surname_u")
    cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for t, spec in enumerate(HOUSEHOLD_TYPES):
        idx = np.flatnonzero(hh_type == t)
        if len(idx) == 0:
            continue
        m = spec.build(rng, len(idx))
        if t in THREE_GEN_TYPES:
            _elder_heads(rng, m)
        size = spec.size
        # Surnames are settled while members still sit in their template positions: a member copies the
        # surname (and, for foreigners, the surname draw) of an earlier position.
        surname = names.draw_surnames(rng, len(idx) * size).reshape(len(idx), size)
        surname_u = rng.random((len(idx), size))
        rows = np.arange(len(idx))
        for k in range(size):
            src = m.surname_from[:, k]
            copy = src >= 0
            surname[copy, k] = surname[rows[copy], src[copy]]
            surname_u[copy, k] = surname_u[rows[copy], src[copy]]
        cols["hh"].append(np.repeat(idx, size))
        cols["rank"].append((_LIST_ORDER[m.rel] * 8 + np.arange(size)[None, :]).ravel())
        cols["age"].append(m.age.ravel())
        cols["male"].append(m.male.ravel())
        cols["rel"].append(m.rel.ravel())
        cols["late"].append(m.joined_late.ravel())
        cols["surname"].append(surname.ravel())
        cols["surname_u"].append(surname_u.ravel())
    flat = {k: np.concatenate(v) for k, v in cols.items()}
    # Members listed head first, then by relationship, then by position in the template.
    order = np.lexsort((flat["rank"], flat["hh"]))
    hh = flat["hh"][order]
    age = np.clip(flat["age"][order], _ONE_DAY, 99.9)
    male = flat["male"][order]
    rel = flat["rel"][order].astype(np.int8)
    late = flat["late"][order]
    surname = flat["surname"][order]
    surname_u = flat["surname_u"][order]
    size = np.bincount(hh, minlength=n)
    start = np.r_[0, np.cumsum(size)[:-1]]
    if not (rel[start] == HEAD).all():
        raise RuntimeError("a household does not list its head first")  # a bug in a type builder
    head_age = age[start]

    # Dong: each type's group is drawn to the dongs that attract it (old towns draw elders, new towns families).
    dong = np.zeros(n, dtype=np.int16)
    for t, spec in enumerate(HOUSEHOLD_TYPES):
        mine = hh_type == t
        w = dong_weights(spec.group) if spec.group else np.array([d.weight for d in DONGS])
        dong[mine] = rng.choice(len(DONGS), size=int(mine.sum()), p=w / w.sum())

    # Nationality and disability, then the household facts that income and housing depend on.
    nationality = _nationalities(rng, hh_type, hh, rel, male)
    disability = _disability(rng, age)
    disabled_member = np.bincount(hh, weights=disability > 0, minlength=n) > 0
    foreign_household = np.bincount(hh, weights=nationality > 0, minlength=n) > 0
    mu = np.array([t.income_mu for t in HOUSEHOLD_TYPES])[hh_type] - 0.15 * disabled_member
    mu = mu - 0.2 * (foreign_household & np.isin(hh_type, SINGLE_TYPES))
    median = MEDIAN_INCOME_2026[np.minimum(size, 6)]
    income = np.round(median * np.exp(rng.normal(mu, 0.6)), -3).astype(np.int64)
    low_income = income < median * 0.5
    building = _buildings(rng, dong, hh_type, size, low_income)

    # Dates: birth from age; the household registered at its address some years ago; members who were born
    # later, or joined later, moved in later.
    birth = REF_DAY - np.floor(age * DAYS_PER_YEAR).astype(np.int64).astype("timedelta64[D]")
    tenure = np.minimum(rng.exponential(8.0, n), np.maximum(head_age - 19, 0.1))
    tenure = np.minimum(tenure, 45.0)
    registered_on = REF_DAY - np.floor(tenure * DAYS_PER_YEAR).astype(np.int64).astype("timedelta64[D]")
    reg_p = registered_on[hh]
    lag = np.floor(rng.random(len(hh)) * (REF_DAY - reg_p).astype(np.int64)).astype("timedelta64[D]")
    moved_in = np.where(late, reg_p + lag, reg_p)
    moved_in = np.maximum(moved_in, birth)

    given = names.draw_given(rng, birth.astype("datetime64[Y]").astype(np.int64) + 1970, male)
    korean = names.korean_names(surname, given)
    foreign = nationality > 0
    name, name_hangul = korean, korean
    if foreign.any():
        roman, hangul = names.foreign_names(rng, np.array(NATIONALITIES)[nationality], male, surname_u)
        # Many Chinese nationals are Korean-Chinese registered under a Korean name.
        cn = nationality == NATIONALITIES.index("CN")
        korean_style = cn & (surname_u < KOREAN_CHINESE_SHARE)  # per family: the surname draw is shared
        romanised = pa.array(foreign & ~korean_style)
        name = pc.if_else(romanised, roman, korean)
        name_hangul = pc.if_else(romanised, hangul, korean)

    resident_number, rrn_key = resident_numbers(rng, birth, male, foreign)
    phone = _phones(rng, age, first_person, phone_offset)
    return Population(
        hh_type=hh_type,
        dong=dong,
        building=building,
        registered_on=registered_on,
        size=size,
        head_age=head_age,
        income=income,
        low_income=low_income,
        disabled_member=disabled_member,
        foreign_household=foreign_household,
        hh=hh,
        rel=rel,
        age=age,
        male=male,
        birth=birth,
        nationality=nationality,
        disability=disability,
        moved_in=moved_in,
        name=name,
        name_hangul=name_hangul,
        resident_number=resident_number,
        rrn_key=rrn_key,
        phone=phone,
        head_index=start,
    )


def _elder_heads(rng: np.random.Generator, m: Members) -> None:
    """In some three-generation homes the grandparent is the registered head: relabel the generations. Positions
    stay as drawn (surname sources point to them); the listing order is decided from the relationships later."""
    n = m.age.shape[0]
    flip = rng.random(n) < 0.3
    elders = np.flatnonzero(m.rel[0] == PARENT)  # templates are the same in every row of a type
    kids = np.flatnonzero(m.rel[0] == CHILD)
    relabelled = m.rel.copy()
    relabelled[:, 0] = CHILD
    relabelled[:, 1] = RELATIVE  # the child's spouse (며느리·사위) has no code of its own
    relabelled[:, kids] = GRANDCHILD
    relabelled[:, elders[0]] = HEAD
    if len(elders) > 1:
        relabelled[:, elders[1]] = SPOUSE
    m.rel = np.where(flip[:, None], relabelled, m.rel)
    m.joined_late[flip] = False  # the elder head was there first


def _nationalities(
    rng: np.random.Generator, hh_type: np.ndarray, hh: np.ndarray, rel: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Foreign residents: migrant workers and students living alone or together, marriage migrants married to a
    Korean, and whole foreign families. Targets ≈ 3.5 % of persons (registered foreigners ≈ 1.9 M, 2023).
    Lone migrant workers are mostly men: their sex is redrawn in place."""
    n = len(hh_type)
    worker_codes = list(_WORKER_MIX)
    worker_p = np.array(list(_WORKER_MIX.values()), dtype=float)
    marriage_codes = list(_MARRIAGE_MIX)
    marriage_p = np.array(list(_MARRIAGE_MIX.values()), dtype=float)
    to_index = {c: NATIONALITIES.index(c) for c in NATIONALITIES}
    worker_nat = np.array([to_index[c] for c in worker_codes])[
        rng.choice(len(worker_codes), n, p=worker_p / worker_p.sum())
    ]
    marriage_nat = np.array([to_index[c] for c in marriage_codes])[
        rng.choice(len(marriage_codes), n, p=marriage_p / marriage_p.sum())
    ]
    u = rng.random(n)
    whole = np.zeros(n, dtype=bool)
    whole |= (hh_type == YOUNG_SINGLE) & (u < 0.18)
    whole |= (hh_type == MIDDLE_SINGLE) & (u < 0.05)
    whole |= (hh_type == OTHER_TWO) & (u < 0.30)
    whole |= np.isin(hh_type, COUPLE_TYPES) & (u < 0.02)
    marriage = np.isin(hh_type, COUPLE_TYPES) & (u >= 0.02) & (u < 0.065)
    nat = np.zeros(len(hh), dtype=np.int16)
    person_whole = whole[hh]
    nat[person_whole] = worker_nat[hh[person_whole]]
    # The marriage migrant is the wife in most international marriages (≈ 70 %); in this model always the spouse
    # of a male head, or the female head of a couple, i.e. the woman of the couple.
    migrant = marriage[hh] & (rel <= 1) & ~male
    nat[migrant] = marriage_nat[hh[migrant]]
    # Migrant workers living alone are mostly men.
    lone_worker = person_whole & np.isin(hh_type[hh], SINGLE_TYPES)
    male[lone_worker] = rng.random(int(lone_worker.sum())) < 0.7
    return nat


def _disability(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    band = np.searchsorted(_DISABILITY_AGES, age, side="right") - 1
    disabled = rng.random(len(age)) < _DISABILITY_RATE[band]
    severe = rng.random(len(age)) < _SEVERE_SHARE[band]
    return np.where(disabled, np.where(severe, 2, 1), 0).astype(np.int8)


def _buildings(
    rng: np.random.Generator, dong: np.ndarray, hh_type: np.ndarray, size: np.ndarray, low_income: np.ndarray
) -> np.ndarray:
    """Building type from the dong's housing mix, the household's size and its means (2023 census: about half of
    households live in apartments; public rental ≈ 8 % of homes; gosiwon and similar non-homes ≈ 2 %)."""
    n = len(dong)
    mix = np.array([d.character.housing for d in DONGS])[dong].copy()
    mix[size >= 3, 3] = 0.0  # officetels house singles and couples
    mix[hh_type == ELDERLY_ALONE, 0] *= 0.7
    mix[hh_type == ELDERLY_ALONE, 1:3] *= 1.4
    cdf = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    pick = (rng.random(n)[:, None] > cdf).sum(axis=1)
    building = np.array([0, MULTI_UNIT, DETACHED, OFFICETEL])[np.minimum(pick, 3)]
    rental_share = np.array([d.character.rental for d in DONGS])[dong]
    rental = rng.random(n) < rental_share * np.where(low_income, 3.0, 0.5)
    building = np.where(rental, RENTAL, building)
    single = np.isin(hh_type, SINGLE_TYPES)
    p_gosiwon = np.where(single & low_income, np.where(hh_type == ELDERLY_ALONE, 0.03, 0.07), 0.0)
    p_gosiwon = np.where(single & ~low_income, 0.004, p_gosiwon)
    building = np.where(rng.random(n) < p_gosiwon, GOSIWON, building)
    return building.astype(np.int8)


# Resident numbers ------------------------------------------------------------------------------------------

_CHECK_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])
_NEW_FORMAT_FROM = np.datetime64("2020-10-01", "D")  # random back digits, no region code or check digit


def _seventh_table() -> np.ndarray:
    """[century (0: 1900s, 1: 2000s), male, foreign] → seventh digit, straight from core.rrn."""
    table = np.zeros((2, 2, 2), dtype=np.int64)
    for c, year in enumerate((1950, 2005)):
        for m, sex in enumerate(("F", "M")):
            for f, foreign in enumerate((False, True)):
                table[c, m, f] = int(seventh_digit(birth_year=year, sex=sex, foreign=foreign))
    return table


_SEVENTH = _seventh_table()


def resident_numbers(
    rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, foreign: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """Numbers that agree with birth date and sex (core.rrn), foreigners' seventh digit 5–8. Numbers issued
    before October 2020 carry a region code, a serial digit and the old check digit; later ones six random
    digits. Returns the formatted numbers and their int64 keys (uniqueness is checked by the caller)."""
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    if (year < 1900).any():
        raise ValueError("persons born before 1900 are outside the model")
    front = (year % 100) * 10000 + month * 100 + day
    seventh = _SEVENTH[(year >= 2000).astype(int), male.astype(int), foreign.astype(int)]
    back = draw_back_digits(rng, front, seventh, foreign, birth >= _NEW_FORMAT_FROM)
    key = (front * 10 + seventh) * 1_000_000 + back
    return format_numbers(key), key


def draw_back_digits(
    rng: np.random.Generator, front: np.ndarray, seventh: np.ndarray, foreign: np.ndarray, new_format: np.ndarray
) -> np.ndarray:
    n = len(front)
    region = rng.integers(0, 9600, n)
    serial = rng.choice(np.arange(1, 6), size=n, p=[0.6, 0.25, 0.09, 0.04, 0.02])
    twelve = ((front * 10 + seventh) * 10000 + region) * 10 + serial
    digits = (twelve[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    total = digits @ _CHECK_WEIGHTS
    check = np.where(foreign, (13 - total % 11) % 10, (11 - total % 11) % 10)
    old = (region * 10 + serial) * 10 + check
    return np.where(new_format, rng.integers(0, 1_000_000, n), old)


def format_numbers(key: np.ndarray) -> pa.Array:
    """int64 keys (13 digits) → 'YYMMDD-SNNNNNN'."""
    front = pc.utf8_lpad(pc.cast(pa.array(key // 10_000_000), pa.string()), 6, "0")
    back = pc.utf8_lpad(pc.cast(pa.array(key % 10_000_000), pa.string()), 7, "0")
    return pc.binary_join_element_wise(front, back, "-")


# Phones ----------------------------------------------------------------------------------------------------

_PHONE_SPACE = 80_000_000  # 010-2000-0000 … 010-9999-9999
_PHONE_MULTIPLIER = 48_271_117  # coprime with the space: index → number is a bijection


def _phones(rng: np.random.Generator, age: np.ndarray, first_person: int, offset: int) -> pa.Array:
    """Mobile numbers, unique city-wide; children under ten and some of the oldest have none."""
    n = len(age)
    own = np.select([age < 10, age < 14, age < 70, age < 80], [0.0, 0.7, 0.97, 0.9], 0.7)
    has = rng.random(n) < own
    index = first_person + np.arange(n, dtype=np.int64)
    number = 20_000_000 + (index * _PHONE_MULTIPLIER + offset) % _PHONE_SPACE
    text = pc.cast(pa.array(number), pa.string())
    formatted = pc.binary_join_element_wise(
        "010", pc.utf8_slice_codeunits(text, 0, 4), pc.utf8_slice_codeunits(text, 4, 8), "-"
    )
    return pc.if_else(pa.array(has), formatted, "")


# Past memberships -------------------------------------------------------------------------------------------


@dataclass
class PastMemberships:
    person: np.ndarray  # chunk-local person index
    household: np.ndarray  # chunk-local household index of the earlier home
    moved_in: np.ndarray
    moved_out: np.ndarray


MOVER_SHARE = 0.35


def past_memberships(rng: np.random.Generator, pop: Population) -> PastMemberships:
    """Adults who now live alone or as a couple often grew up in another household of the city: give them a
    closed membership there, as a child, ending the day their own household was registered. Membership is
    time-versioned in the registry, and 'as of' questions need such history to be meaningful."""
    n = len(pop.hh_type)
    heads = pop.head_index
    movers_hh = np.flatnonzero(
        np.isin(pop.hh_type, [YOUNG_SINGLE, MIDDLE_SINGLE, _T["couple"]])
        & (pop.nationality[heads] == 0)
        & (rng.random(n) < MOVER_SHARE)
    )
    family_hh = np.flatnonzero(pop.size >= 2)
    if len(movers_hh) == 0 or len(family_hh) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return PastMemberships(empty, empty, empty.astype("datetime64[D]"), empty.astype("datetime64[D]"))
    mover = heads[movers_hh]
    by_age = family_hh[np.argsort(pop.head_age[family_hh], kind="stable")]
    target = pop.age[mover] + rng.uniform(24, 34, len(mover))
    pos = np.searchsorted(pop.head_age[by_age], target) + rng.integers(-20, 21, len(mover))
    home = by_age[np.clip(pos, 0, len(by_age) - 1)]
    moved_in = np.maximum(pop.registered_on[home], pop.birth[mover])
    moved_out = pop.registered_on[movers_hh]
    ok = (
        (np.abs(pop.head_age[home] - target) < 6)
        & (home != movers_hh)
        & (moved_out - moved_in >= np.timedelta64(365, "D"))
    )
    return PastMemberships(mover[ok], home[ok], moved_in[ok], moved_out[ok])
