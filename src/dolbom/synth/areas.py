"""The fictional city of 한빛시: its districts and dongs, their character, and road-name addresses.

Administrative codes follow the 10-digit national scheme (시도 2, 시군구 3, 읍면동 3, 리 2). The sido code 99 is not
used by any real province, so a synthetic record can never be mistaken for a real area; postal codes are likewise
taken from the unused 64xxx range (real ones end at 63xxx, Jeju).

Addresses are allocated, not drawn: each (dong, building type) has a running slot counter, and a slot maps to one
unit of one building on one road. That makes every address unique and the allocation identical whatever the chunk
boundaries are, while the mix of building types still follows each dong's character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CITY_NAME = "한빛시"
SIDO_CODE = "99"
CITY_CODE = SIDO_CODE + "00000000"
AREA_PHONE_PREFIX = "039"  # an unassigned area code: agency phone numbers cannot reach anyone real


@dataclass(frozen=True)
class Character:
    """How a dong differs from the city average: who lives there and in which buildings."""

    elderly: float  # relative attraction for households headed by someone 65+
    family: float  # … for couples with children and three-generation households
    young: float  # … for young single and couple households
    housing: tuple[float, float, float, float]  # apartment, multi-unit, detached, officetel (before rental/gosiwon)
    rental: float  # share of public rental apartments among apartment-eligible households


OLD_TOWN = Character(elderly=1.6, family=0.7, young=1.0, housing=(0.25, 0.40, 0.30, 0.05), rental=0.10)
MIXED = Character(elderly=1.0, family=1.0, young=1.2, housing=(0.50, 0.28, 0.12, 0.10), rental=0.07)
NEW_TOWN = Character(elderly=0.6, family=1.3, young=0.9, housing=(0.80, 0.08, 0.04, 0.08), rental=0.06)


@dataclass(frozen=True)
class Dong:
    code: str
    name: str
    district: int  # index into DISTRICTS
    weight: float  # relative number of households
    character: Character
    stems: tuple[str, str]  # road-name stems unique to the dong


@dataclass(frozen=True)
class District:
    code: str
    name: str


DISTRICTS: tuple[District, ...] = (
    District(code="9911000000", name="새솔구"),
    District(code="9914000000", name="가람구"),
)

DONGS: tuple[Dong, ...] = (
    Dong("9911051000", "새솔1동", 0, 1.0, OLD_TOWN, ("새솔", "솔숲")),
    Dong("9911052000", "새솔2동", 0, 0.8, OLD_TOWN, ("새솔중앙", "봄내")),
    Dong("9911053000", "한빛동", 0, 1.2, MIXED, ("한빛", "빛고을")),
    Dong("9911054000", "은행동", 0, 0.7, OLD_TOWN, ("은행나무", "우물")),
    Dong("9911055000", "솔빛동", 0, 1.4, NEW_TOWN, ("솔빛", "누리")),
    Dong("9911056000", "다온동", 0, 0.9, MIXED, ("다온", "꽃뫼")),
    Dong("9911057000", "꽃내동", 0, 1.1, NEW_TOWN, ("꽃내", "들빛")),
    Dong("9914051000", "가람1동", 1, 1.0, MIXED, ("가람", "강변")),
    Dong("9914052000", "가람2동", 1, 1.3, NEW_TOWN, ("가람중앙", "물결")),
    Dong("9914053000", "너른동", 1, 1.5, NEW_TOWN, ("너른들", "한마음")),
    Dong("9914054000", "물빛동", 1, 0.9, MIXED, ("물빛", "나루")),
    Dong("9914055000", "별빛동", 1, 1.2, NEW_TOWN, ("별빛", "은하수")),
    Dong("9914056000", "미리내동", 1, 0.6, OLD_TOWN, ("미리내", "옛골")),
    Dong("9914057000", "푸른동", 1, 0.8, MIXED, ("푸른숲", "산마루")),
)

# Building types. Public rental and gosiwon are assigned from the household's circumstances, the others from the
# dong's housing mix.
APARTMENT, RENTAL, MULTI_UNIT, DETACHED, OFFICETEL, GOSIWON = range(6)
BUILDING_TYPES: tuple[str, ...] = (
    "apartment",
    "public_rental",
    "multi_unit",
    "detached",
    "officetel",
    "gosiwon",
)

# Units per building (or per complex), and how a slot becomes a unit label.
_COMPLEX_UNITS = 8 * 20 * 4  # 8 buildings (101동–108동) × 20 floors × 4 units
_MULTI_UNITS = ("B01호", "101호", "102호", "201호", "202호", "301호", "302호", "401호")
_OFFICETEL_UNITS = 15 * 10  # floors 2–16 × 10 units
_GOSIWON_ROOMS = 24
_BUILDINGS_PER_BRANCH = 40  # buildings along one branch road (…번길, …길)
_HOUSEHOLDS_PER_TONG = 250  # a 통 groups a few hundred households, a 반 a few dozen


def area_rows(households_by_dong: np.ndarray, visit_rate: float) -> pa.Table:
    """The areas table: city, districts, dongs; dongs carry their household count and visit capacity."""
    codes = [CITY_CODE] + [d.code for d in DISTRICTS] + [d.code for d in DONGS]
    names = [CITY_NAME] + [d.name for d in DISTRICTS] + [d.name for d in DONGS]
    levels = ["sido"] + ["sigungu"] * len(DISTRICTS) + ["eupmyeondong"] * len(DONGS)
    parents = [None] + [CITY_CODE] * len(DISTRICTS) + [DISTRICTS[d.district].code for d in DONGS]
    district_counts = [
        int(sum(households_by_dong[i] for i, d in enumerate(DONGS) if d.district == k)) for k in range(len(DISTRICTS))
    ]
    counts = [int(households_by_dong.sum()), *district_counts, *(int(c) for c in households_by_dong)]
    # Outreach capacity per round: the national rounds list about 1 % of households (≈ 200,000 people of ≈ 22 M
    # households); a dong can visit about that share of its own households, and never fewer than ten.
    capacity = [0] * (1 + len(DISTRICTS)) + [max(10, round(int(c) * visit_rate)) for c in households_by_dong]
    return pa.table(
        {
            "code": pa.array(codes, pa.string()),
            "name": pa.array(names, pa.string()),
            "level": pa.array(levels, pa.string()),
            "parent_code": pa.array(parents, pa.string()),
            "visit_capacity": pa.array(capacity, pa.int32()),
            "households": pa.array(counts, pa.int64()),
        }
    )


def dong_weights(group_tilt: str) -> np.ndarray:
    """P(dong | household group) before normalisation: the dong's size times its attraction for the group."""
    return np.array([d.weight * getattr(d.character, group_tilt) for d in DONGS])


class AddressAllocator:
    """Hands out unique addresses, chunk after chunk, deterministically."""

    def __init__(self, expected_households: np.ndarray) -> None:
        self._next = np.zeros((len(DONGS), len(BUILDING_TYPES)), dtype=np.int64)
        # 통 count fixed from the expected size, so that it does not depend on chunking.
        self._tongs = np.maximum(3, np.round(expected_households / _HOUSEHOLDS_PER_TONG)).astype(np.int64)
        self._dong_code = pa.array([d.code for d in DONGS])

    def allocate(self, dong: np.ndarray, building: np.ndarray) -> pa.Table:
        """Addresses for households given their dong index and building type (one address per household)."""
        n = len(dong)
        slot = np.empty(n, dtype=np.int64)
        key = dong.astype(np.int64) * len(BUILDING_TYPES) + building
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        counts = np.diff(np.r_[starts, n])
        for start, count in zip(starts, counts, strict=True):
            k = sorted_key[start]
            d, b = divmod(int(k), len(BUILDING_TYPES))
            base = self._next[d, b]
            slot[order[start : start + count]] = base + np.arange(count)
            self._next[d, b] = base + count
        return self._build(dong, building, slot)

    def _build(self, dong: np.ndarray, building: np.ndarray, slot: np.ndarray) -> pa.Table:
        n = len(dong)
        stem_index = np.zeros(n, dtype=np.int64)  # which of the dong's two stems
        road_kind = np.zeros(n, dtype=np.int64)  # 0 main road (…로), 1 numbered branch (…로N번길), 2 lane (…N길)
        road_no = np.zeros(n, dtype=np.int64)  # N of the branch or lane
        number = np.zeros(n, dtype=np.int64)  # building main number
        label = np.zeros(n, dtype=np.int64)  # index into _UNIT_LABELS; 0 is "" (a detached house)
        ban = np.zeros(n, dtype=np.int64)

        # Apartments, public rental complexes, officetels and gosiwons stand on the two main roads; each type keeps
        # its own residue of the building number modulo 12, so they never share a number.
        def on_main_road(mask: np.ndarray, per_building: int, residue: int) -> np.ndarray:
            b = slot[mask] // per_building
            stem_index[mask] = b % 2
            number[mask] = residue + 12 * (b // 2)
            return slot[mask] % per_building

        for btype, residue in ((APARTMENT, 10), (RENTAL, 11)):
            mask = building == btype
            # A fixed stride (coprime with the complex size) spreads consecutive households over buildings and
            # floors, like real occupancy, instead of filling 101동 floor by floor.
            within = (on_main_road(mask, _COMPLEX_UNITS, residue) * 277) % _COMPLEX_UNITS
            label[mask] = _APARTMENT_LABELS + within
            ban[mask] = 1 + within // 80
        mask = building == OFFICETEL
        within = (on_main_road(mask, _OFFICETEL_UNITS, 4) * 37) % _OFFICETEL_UNITS
        label[mask] = _OFFICETEL_LABELS + within
        ban[mask] = 1 + within // 40
        mask = building == GOSIWON
        label[mask] = _GOSIWON_LABELS + on_main_road(mask, _GOSIWON_ROOMS, 5)
        ban[mask] = 1

        # Multi-unit houses line numbered branches of the main road, detached houses the lanes.
        for btype, kind, per_building in ((MULTI_UNIT, 1, len(_MULTI_UNITS)), (DETACHED, 2, 1)):
            mask = building == btype
            b = slot[mask] // per_building
            road = b // _BUILDINGS_PER_BRANCH
            stem_index[mask] = road % 2
            road_kind[mask] = kind
            road_no[mask] = (road // 2 + 1) * (4 if kind == 1 else 1)
            number[mask] = 1 + b % _BUILDINGS_PER_BRANCH
            ban[mask] = 1 + (b % _BUILDINGS_PER_BRANCH) // 8
            if per_building > 1:
                label[mask] = _MULTI_LABELS + slot[mask] % per_building

        # Few distinct roads: name each once, then look the names up.
        road_key = ((dong.astype(np.int64) * 2 + stem_index) * 3 + road_kind) * 100_000 + road_no
        unique_roads, road_index = np.unique(road_key, return_inverse=True)
        road_names = []
        for key in unique_roads.tolist():
            rest, no = divmod(key, 100_000)
            rest, kind = divmod(rest, 3)
            d, si = divmod(rest, 2)
            dd = DONGS[d]
            stem = dd.stems[si]
            name = f"{stem}로" if kind == 0 else (f"{stem}로{no}번길" if kind == 1 else f"{stem}{no}길")
            road_names.append(f"{CITY_NAME} {DISTRICTS[dd.district].name} {name} ")
        road_address = pc.binary_join_element_wise(
            pa.array(road_names, pa.string()).take(pa.array(road_index)),
            pc.cast(pa.array(number), pa.string()),
            "",
        )
        # One 통 per block of the dong: hash the road and building block so that neighbours share it.
        block = (road_key * 1000 + number // 24) * 2654435761
        tong = 1 + (block % self._tongs[dong])
        postal = 64000 + dong.astype(np.int64) * 40 + (stem_index * 20 + road_kind * 6 + road_no) % 40
        return pa.table(
            {
                "dong_code": self._dong_code.take(pa.array(dong)),
                "road_address": road_address,
                "detail": _UNIT_LABELS.take(pa.array(label)),
                "postal_code": pc.cast(pa.array(postal), pa.string()),
                "tong": pa.array(tong, pa.int16()),
                "ban": pa.array(np.minimum(ban, 99), pa.int16()),
                "building_type": _BUILDING_TYPE_TEXT.take(pa.array(building)),
            }
        )


# Every unit label once: "" (detached), apartments "101동 1203호", officetels "1203호", gosiwon rooms, multi-unit.
_labels = [""]
_APARTMENT_LABELS = len(_labels)
_labels += [f"{101 + w // 80}동 {1 + (w % 80) // 4}{1 + w % 4:02d}호" for w in range(_COMPLEX_UNITS)]
_OFFICETEL_LABELS = len(_labels)
_labels += [f"{2 + w // 10}{1 + w % 10:02d}호" for w in range(_OFFICETEL_UNITS)]
_GOSIWON_LABELS = len(_labels)
_labels += [f"{1 + w}호" for w in range(_GOSIWON_ROOMS)]
_MULTI_LABELS = len(_labels)
_labels += list(_MULTI_UNITS)
_UNIT_LABELS = pa.array(_labels, pa.string())
_BUILDING_TYPE_TEXT = pa.array(BUILDING_TYPES, pa.string())
