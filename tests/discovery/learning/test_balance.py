"""The balanced cut's rule (Sainte-Laguë over strata of the head's age band and sex) in NumPy, as the gate
applies it: pure arrays, no database. The round's SQL is checked against it in
tests/discovery/screening/test_balanced_cut.py."""

from __future__ import annotations

from datetime import date

import numpy as np

from dolbom.discovery.learning.balance import age_band, balanced_selection, strata, stratum


def test_places_follow_the_expected_need_of_each_band():
    # Two bands in one dong: twelve households expecting 0.5 each (6 in all), eight expecting 0.5 each (4).
    probability = np.full(20, 0.5)
    score = np.arange(20, 0, -1, dtype=float)  # the first band's households all score higher
    band = np.array(["65-79"] * 12 + ["0-39"] * 8)
    dong = np.array(["d"] * 20)
    ids = np.arange(20)
    chosen = balanced_selection(probability, score, band, dong, {"d": 10}, tie_break=ids)
    # Sainte-Laguë: 6/0.5, 4/0.5, 6/1.5, 4/1.5, 6/2.5, 6/3.5, 4/2.5, 6/4.5, 4/3.5, 6/5.5 — six places and four.
    assert chosen[:12].sum() == 6 and chosen[12:].sum() == 4
    assert chosen[:6].all() and chosen[12:16].all()  # each band's places go to its highest scores
    by_score = balanced_selection(probability, score, np.array(["all"] * 20), dong, {"d": 10}, tie_break=ids)
    assert by_score[:10].all() and not by_score[10:].any()  # one band: the cut by score


def test_a_longer_list_keeps_every_household_of_a_shorter_one():
    rng = np.random.default_rng(3)
    n = 400
    probability = rng.beta(1, 4, n)
    score = probability + rng.normal(0, 0.05, n)
    band = rng.choice(["0-39", "40-64", "65-79", "80+", "unknown"], n, p=[0.3, 0.3, 0.2, 0.15, 0.05])
    dong = rng.choice(["a", "b", "c"], n)
    ids = np.arange(n)
    previous = np.zeros(n, dtype=bool)
    for k in range(0, 140):
        chosen = balanced_selection(probability, score, band, dong, {"a": k, "b": k, "c": k}, tie_break=ids)
        assert not (previous & ~chosen).any(), k
        assert chosen.sum() == sum(min(k, int((dong == d).sum())) for d in "abc")
        previous = chosen


def test_a_household_without_a_score_is_never_listed():
    score = np.array([np.nan, 0.9, 0.8])
    chosen = balanced_selection(np.array([0.9, 0.9, 0.8]), score, np.array(["x"] * 3), np.array(["d"] * 3),
                                {"d": 3}, tie_break=np.arange(3))  # fmt: skip
    assert chosen.tolist() == [False, True, True]


def test_age_bands_on_the_rounds_date():
    on = date(2026, 11, 1)
    assert age_band(None, on) == "unknown"
    assert age_band(date(1986, 11, 2), on) == "0-39"  # 39 until the next day
    assert age_band(date(1986, 11, 1), on) == "40-64"
    assert age_band(date(1961, 11, 2), on) == "40-64"
    assert age_band(date(1946, 11, 1), on) == "80+"


def test_the_strata_are_the_heads_age_band_and_sex_together():
    assert stratum("65-79", "F") == "65-79/F"
    assert stratum("unknown", None) == "unknown/unknown" and stratum("40-64", "") == "40-64/unknown"
    assert strata(np.array(["0-39", "80+"]), np.array(["M", None], dtype=object)).tolist() == ["0-39/M", "80+/unknown"]


def test_women_and_men_of_one_age_band_share_its_places_by_need():
    """The model's signals speak louder for the women-headed households of the band: cut by band alone they take
    every place; cut by stratum the men-headed get places in proportion to the need the model expects of them."""
    n = 40
    sex = np.array(["F"] * 20 + ["M"] * 20)
    probability = np.where(sex == "F", 0.6, 0.4)
    score = np.where(sex == "F", 2.0, 1.0) - np.arange(n) / 100
    band, dong, ids = np.array(["65-79"] * n), np.array(["d"] * n), np.arange(n)
    by_band = balanced_selection(probability, score, band, dong, {"d": 10}, tie_break=ids)
    assert by_band[:20].sum() == 10  # one band: all ten places to women-headed households
    by_stratum = balanced_selection(probability, score, strata(band, sex), dong, {"d": 10}, tie_break=ids)
    assert by_stratum[:20].sum() == 6 and by_stratum[20:].sum() == 4  # need 12 against 8
