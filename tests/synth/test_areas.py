"""The city's geography: two districts, a dozen dongs with codes, capacities, roads and unique addresses."""

from __future__ import annotations

import re
from collections import Counter

from .conftest import read


def test_two_districts_and_at_least_twelve_dongs_with_ten_digit_codes(big_city):
    areas = read(big_city, "areas").to_pylist()
    by_level = Counter(a["level"] for a in areas)
    assert by_level == {"sido": 1, "sigungu": 2, "eupmyeondong": by_level["eupmyeondong"]}
    assert by_level["eupmyeondong"] >= 12
    codes = {a["code"]: a for a in areas}
    for area in areas:
        assert re.fullmatch(r"\d{10}", area["code"]) and area["code"].endswith("00")
        if area["level"] == "eupmyeondong":
            parent = codes[area["parent_code"]]
            assert parent["level"] == "sigungu"
            assert area["code"][:5] == parent["code"][:5]
        if area["level"] == "sigungu":
            assert area["code"].endswith("00000") and codes[area["parent_code"]]["level"] == "sido"
    assert len({a["name"] for a in areas}) == len(areas)


def test_visit_capacity_scales_with_the_dong(big_city):
    dongs = [a for a in read(big_city, "areas").to_pylist() if a["level"] == "eupmyeondong"]
    assert sum(d["households"] for d in dongs) == 20_000
    for dong in dongs:
        assert dong["visit_capacity"] == max(10, round(dong["households"] * 0.01))  # 1 % a round, at least ten
    biggest = max(dongs, key=lambda d: d["households"])
    smallest = min(dongs, key=lambda d: d["households"])
    assert biggest["visit_capacity"] > smallest["visit_capacity"]


def test_addresses_are_unique_and_well_formed(big_city):
    addresses = read(big_city, "addresses").to_pydict()
    keys = list(zip(addresses["road_address"], addresses["detail"], strict=True))
    assert len(set(keys)) == len(keys)
    dong_codes = {a["code"] for a in read(big_city, "areas").to_pylist() if a["level"] == "eupmyeondong"}
    assert set(addresses["dong_code"]) == dong_codes
    pattern = re.compile(r"한빛시 (새솔구|가람구) [가-힣]+(로|길|로\d+번길|\d+길) \d+")
    assert all(pattern.fullmatch(a) for a in addresses["road_address"])
    assert all(re.fullmatch(r"6\d{4}", p) for p in addresses["postal_code"])
    assert all(t >= 1 for t in addresses["tong"]) and all(1 <= b <= 99 for b in addresses["ban"])
    apartments = [d for d in addresses["detail"] if re.fullmatch(r"1\d\d동 \d{3,4}호", d)]
    assert len(apartments) > 0.4 * len(keys)  # about half of Korean households live in apartments
    assert Counter(addresses["building_type"]).keys() == {
        "apartment", "public_rental", "multi_unit", "detached", "officetel", "gosiwon"
    }  # fmt: skip


def test_households_live_at_their_address_in_their_dong(big_city):
    households = read(big_city, "households").to_pydict()
    addresses = read(big_city, "addresses").to_pydict()
    dong_of_address = dict(zip(addresses["address_id"], addresses["dong_code"], strict=True))
    for address, dong in zip(households["address_id"], households["dong_code"], strict=True):
        assert dong_of_address[address] == dong
