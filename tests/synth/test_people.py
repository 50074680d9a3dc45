"""A 20,000-household city looks like Korea: household sizes, age pyramid, sex ratio, disability, foreign
residents, names — within the tolerances stated, with their sources, in synth/targets.toml."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import numpy as np
import pyarrow.compute as pc
import pytest

from dolbom.core.rrn import parse_rrn
from dolbom.synth.people import REFERENCE_DATE

from .conftest import DISTRIBUTION_SIZE, read


@pytest.fixture(scope="module")
def persons(big_city):
    return read(big_city, "persons").to_pydict()


@pytest.fixture(scope="module")
def households(big_city):
    return read(big_city, "households").to_pydict()


def _ages(birth_dates: list[date]) -> np.ndarray:
    on = REFERENCE_DATE
    return np.array([on.year - b.year - ((on.month, on.day) < (b.month, b.day)) for b in birth_dates])


def _pct(mask) -> float:
    return float(np.mean(mask)) * 100


def test_household_sizes_follow_the_census(households, targets):
    t = targets["household_size"]
    members = np.array(households["members"])
    assert len(members) == DISTRIBUTION_SIZE
    for size, share in t["shares"].items():
        observed = _pct(members >= 5) if size == "5+" else _pct(members == int(size))
        assert observed == pytest.approx(share, abs=t["tolerance"]), size
    assert members.mean() == pytest.approx(t["mean_size"], abs=t["mean_tolerance"])


def test_an_ageing_society(persons, targets):
    t = targets["age"]
    ages = _ages(persons["birth_date"])
    assert _pct(ages >= 65) == pytest.approx(t["aged_65_plus"], abs=t["tolerance"])
    for band, share in t["bands"].items():
        lo, _, hi = band.partition("-")
        mask = ages >= int(lo.rstrip("+")) if band.endswith("+") else (ages >= int(lo)) & (ages <= int(hi))
        assert _pct(mask) == pytest.approx(share, abs=t["band_tolerance"]), band
    assert ages.min() >= 0
    assert ages.max() <= 100


def test_elderly_living_alone(big_city, persons, targets):
    t = targets["elderly_alone"]
    members = read(big_city, "memberships").to_pydict()
    head_birth = {}
    birth = dict(zip(persons["person_id"], persons["birth_date"], strict=True))
    for person, household, rel, out in zip(
        members["person_id"], members["household_id"], members["relationship"], members["moved_out"], strict=True
    ):
        if rel == "head" and out is None:
            head_birth[household] = birth[person]
    hh = read(big_city, "households").to_pydict()
    alone = [m == 1 and _ages([head_birth[h]])[0] >= 65 for h, m in zip(hh["household_id"], hh["members"], strict=True)]
    assert _pct(alone) == pytest.approx(t["share_of_households"], abs=t["tolerance"])


def test_sex_disability_and_foreign_shares(persons, targets):
    assert _pct(np.array(persons["sex"]) == "M") == pytest.approx(
        targets["sex"]["male_share"], abs=targets["sex"]["tolerance"]
    )
    disability = np.array(persons["disability"])
    d = targets["disability"]
    assert _pct(disability != "") == pytest.approx(d["registered_share"], abs=d["tolerance"])
    assert _pct(disability == "severe") == pytest.approx(d["severe_share"], abs=d["severe_tolerance"])
    assert set(disability) == {"", "mild", "severe"}
    nationality = np.array(persons["nationality"])
    f = targets["foreign"]
    assert _pct(nationality != "KR") == pytest.approx(f["share_of_persons"], abs=f["tolerance"])
    assert {"CN", "VN", "TH", "PH", "UZ"} <= set(nationality)


def test_resident_numbers_agree_with_birth_and_sex_and_are_unique(persons):
    numbers = persons["resident_number"]
    assert len(set(numbers)) == len(numbers)
    for number, birth, sex, nationality in zip(
        numbers, persons["birth_date"], persons["sex"], persons["nationality"], strict=True
    ):
        parsed = parse_rrn(number)
        assert (parsed.birth_date, parsed.sex, parsed.foreign) == (birth, sex, nationality != "KR"), number
        assert re.fullmatch(r"\d{6}-\d{7}", number)
    sevenths = Counter(n[7] for n in numbers)
    assert set(sevenths) <= set("12345678")
    assert {"5", "6"} <= set(sevenths)  # foreign nationals born in the 1900s


def test_old_format_numbers_carry_a_valid_check_digit(persons):
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    checked = 0
    for number, birth, nationality in zip(
        persons["resident_number"], persons["birth_date"], persons["nationality"], strict=True
    ):
        if birth >= date(2020, 10, 1) or nationality != "KR":
            continue
        digits = [int(c) for c in number.replace("-", "")]
        total = sum(w * d for w, d in zip(weights, digits, strict=False))
        assert (11 - total % 11) % 10 == digits[12], number
        checked += 1
    assert checked > 40_000


def test_phones_are_mobile_and_unique(persons):
    phones = [p for p in persons["phone"] if p]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"010-[2-9]\d{3}-\d{4}", p) for p in phones)
    assert 0.8 < len(phones) / len(persons["phone"]) < 0.95  # young children have none


def test_names_collide_as_korean_names_do(persons, targets):
    names = np.array(persons["name"], dtype=object)
    korean = np.array([n for n in names if re.fullmatch(r"[가-힣]{2,4}", n)], dtype=object)
    sample = np.random.default_rng(0).choice(korean, 5000, replace=False)
    t = targets["names"]
    assert t["low"] <= len(set(sample)) <= t["high"]
    surnames = Counter(n[0] for n in korean)
    for surname, share in targets["surnames"]["shares"].items():
        assert surnames[surname] / len(korean) * 100 == pytest.approx(share, abs=targets["surnames"]["tolerance"])


def test_foreign_names_are_romanised_or_korean_written(persons):
    foreign = [n for n, nat in zip(persons["name"], persons["nationality"], strict=True) if nat != "KR"]
    romanised = [n for n in foreign if re.fullmatch(r"[A-Z]+( [A-Z]+)+", n)]
    korean_written = [n for n in foreign if re.fullmatch(r"[가-힣]{2,4}", n)]
    assert len(romanised) + len(korean_written) == len(foreign)
    assert romanised and korean_written  # Korean-Chinese residents are registered under Korean names


def test_every_household_has_one_head_listed_first_and_consistent_memberships(big_city, persons):
    members = read(big_city, "memberships")
    current = members.filter(pc.is_null(members["moved_out"])).to_pydict()
    heads = Counter(h for h, r in zip(current["household_id"], current["relationship"], strict=True) if r == "head")
    assert len(heads) == DISTRIBUTION_SIZE
    assert set(heads.values()) == {1}
    assert len(set(current["person_id"])) == len(current["person_id"]) == len(persons["person_id"])
    assert set(current["relationship"]) >= {"head", "spouse", "child", "parent", "grandchild", "sibling"}
    past = members.filter(pc.is_valid(members["moved_out"])).to_pydict()
    assert len(past["person_id"]) > 0
    assert all(o > i for i, o in zip(past["moved_in"], past["moved_out"], strict=True))
    birth = dict(zip(persons["person_id"], persons["birth_date"], strict=True))
    everyone = members.to_pydict()
    assert all(i >= birth[p] for p, i in zip(everyone["person_id"], everyone["moved_in"], strict=True)), (
        "nobody moves in before being born"
    )


def test_children_are_younger_than_their_parents(big_city, persons):
    members = read(big_city, "memberships")
    current = members.filter(pc.is_null(members["moved_out"])).to_pydict()
    birth = dict(zip(persons["person_id"], persons["birth_date"], strict=True))
    head_birth = {
        h: birth[p]
        for h, p, r in zip(current["household_id"], current["person_id"], current["relationship"], strict=True)
        if r == "head"
    }
    gaps = [
        (birth[p] - head_birth[h]).days / 365.25
        for h, p, r in zip(current["household_id"], current["person_id"], current["relationship"], strict=True)
        if r == "child"
    ]
    assert min(gaps) > 12
    assert 24 < float(np.median(gaps)) < 38
