"""The round's SQL on DuckDB, over small hand-made districts: points, reasons, exclusions, capacities, ties."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dolbom.discovery.catalogue import load_catalogue
from dolbom.discovery.screening.engine import run_screening, screening_stats
from dolbom.discovery.screening.inputs import SignalSource
from dolbom.discovery.screening.scorecard import level_of, load_scorecard, render
from dolbom.discovery.screening.scorers import ScorecardScorer, Scorer, build_features
from dolbom.discovery.screening.sql import feature_columns
from tests.discovery.screening.world import ADULT, AS_OF, DONG_A, DONG_B, World, write_signal_file

HEALTH = {"kind": "health_insurance_arrears", "amount_overdue": 1_000_000, "insured_type": "지역가입자"}


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


def listed(table) -> list[tuple[int, str, int, float]]:
    return [(r["household_id"], r["dong_code"], r["rank"], r["score"]) for r in table.to_pylist()]


def everyone(inputs) -> dict[int, dict]:
    """Every household's scorecard score and reasons, with no cut."""
    return {r["household_id"]: r for r in ScorecardScorer(inputs).score().to_pylist()}


def health(world: World, person: int, months: int, **values) -> None:
    world.signal(person, **{**HEALTH, "months_overdue": months, **values})


# ------------------------------------------------------------------------------------------------- points


def test_twenty_two_months_outrank_seventeen(world):
    """docs/facts.md: the person 17 months in arrears was selected and the one 22 months in arrears was not."""
    world.capacities = {DONG_A: 1, DONG_B: 1}
    _h17, (p17,) = world.household(DONG_A, household_id=1)  # the lower id would win a tie
    h22, (p22,) = world.household(DONG_A, household_id=2)
    health(world, p17, 17)
    health(world, p22, 22)
    table = run_screening(world.inputs())
    assert listed(table) == [(h22, DONG_A, 1, 34.0)]
    assert table.column("reasons").to_pylist()[0][0] == {
        "text": "건강보험료 22개월 체납 (+34점)",
        "points": 34,
        "code": "health_insurance_arrears",
    }


def test_sql_points_equal_the_scorecards_own_arithmetic_for_every_kind(world):
    """One household per (kind, value): the engine's points are the Python reference's, to the point."""
    scorecard, catalogue = load_scorecard(), load_catalogue()
    expected = {}
    household_id = 100
    for rule in scorecard.kinds:
        kind = catalogue.kind(rule.code)
        ints = [f for f in kind.fields if f.type == "int" and f.required]
        probes = [f.min or 0 for f in ints]
        grid = [0, 1, 3, 5, 7, 12, 17, 22, 24, 25, 40, 99, 365, 999_999, 1_000_000, 4_999_999, 12_345_678, 10**9]
        rows = [dict(zip([f.name for f in ints], probes, strict=True))]
        for f in ints:
            for value in grid:
                if value >= (f.min or 0) and (f.max is None or value <= f.max):
                    rows.append({**rows[0], f.name: value})
        for values in rows:
            household_id += 1
            _, (person,) = world.household(DONG_A, household_id=household_id)
            text = {f.name: f.choices[0] if f.choices else "x" for f in kind.fields if f.type == "str" and f.required}
            dates = {f.name: AS_OF for f in kind.fields if f.type == "date" and f.required}
            world.signal(person, rule.code, **values, **text, **dates)
            level = level_of(kind.severity, values.get(kind.severity.field or ""))
            points = rule.points(level, values)
            expected[household_id] = (points, render(rule.reason, {**values, **text}, points))
    scores = everyone(world.inputs())
    got = {h: (int(r["score"]), r["reasons"][0]["text"] if r["reasons"] else None) for h, r in scores.items()}
    want = {h: (p, t if p > 0 else None) for h, (p, t) in expected.items()}
    assert got == want


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["health_insurance_arrears", "telecom_arrears", "financial_delinquency", "gas_arrears"]),
            st.integers(3, 60),
            st.integers(1_000_000, 19_000_000),
            st.integers(0, 30),
            st.integers(0, 1_000_000),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_more_months_or_a_larger_amount_never_lowers_a_households_score(tmp_path_factory, pairs):
    """Property: two households alike but for more months and/or more money: the second never scores less, and
    never ranks below the first within the dong."""
    world = World(tmp_path_factory.mktemp("mono"))
    world.capacities = {DONG_A: 1000, DONG_B: 1000}
    kinds = {k.code: k for k in load_catalogue().kinds}
    couples = []
    for kind, months, amount, more_months, more_amount, elderly in pairs:
        birth = date(1940, 1, 1) if elderly else ADULT
        ids = []
        for extra_months, extra_amount in ((0, 0), (more_months, more_amount)):
            household, (person,) = world.household(DONG_A, {"birth": birth})
            cap = kinds[kind].field("amount_overdue").max or 10**10
            world.signal(
                person,
                kind,
                months_overdue=months + extra_months,
                amount_overdue=min(amount + extra_amount, cap),
                insured_type="지역가입자",
            )
            ids.append(household)
        couples.append(ids)
    inputs = world.inputs(scorecard=dataclasses.replace(load_scorecard(), min_score=0))
    rank = {r["household_id"]: (r["rank"], r["score"]) for r in run_screening(inputs).to_pylist()}
    for base, grown in couples:
        assert rank[grown][1] >= rank[base][1]
        if rank[grown][1] > rank[base][1]:
            assert rank[grown][0] < rank[base][0]


def test_a_kind_counts_once_per_household_with_its_strongest_signal(world):
    """Repeated deliveries and several members with the same kind add nothing; the strongest one is shown."""
    household, (head, spouse) = world.household(DONG_A, {}, {"relationship": "spouse"})
    health(world, head, 7, file_id=1)
    health(world, head, 9, file_id=2)  # the same arrears delivered again, two months older
    health(world, spouse, 4)
    single, (alone,) = world.household(DONG_A)
    health(world, alone, 9)
    scores = everyone(world.inputs())
    assert scores[household]["score"] == scores[single]["score"]
    assert scores[household]["reasons"][0]["text"].startswith("건강보험료 9개월 체납")
    assert len(scores[household]["reasons"]) == 1


def test_signals_alike_in_points_and_shown_values_give_one_reason(world):
    """The same arrears delivered in two files, and by two members: one of them is the kind's reason, once."""
    household, (head, spouse) = world.household(DONG_A, {}, {"relationship": "spouse"})
    health(world, head, 7, file_id=1)
    health(world, head, 7, file_id=2)
    health(world, spouse, 7, file_id=2)
    alone, (person,) = world.household(DONG_A)
    health(world, person, 7)
    scores = everyone(world.inputs())
    table = run_screening(world.inputs())
    reasons = {r["household_id"]: r["reasons"] for r in table.to_pylist()}
    assert reasons[household] == reasons[alone] == scores[household]["reasons"]
    assert [r["text"] for r in reasons[household]] == [f"건강보험료 7개월 체납 (+{int(scores[alone]['score'])}점)"]


def test_reasons_are_the_three_largest_contributions_with_their_points(world):
    household, (head, spouse, child) = world.household(
        DONG_A,
        {"birth": date(1985, 1, 1), "disability": "severe"},
        {"birth": date(1987, 1, 1), "relationship": "spouse"},
        {"birth": date(2015, 3, 3)},
    )
    health(world, head, 7)
    world.signal(spouse, "suicide_risk", reported_on=AS_OF, channel="경찰")
    world.signal(child, "catastrophic_medical", out_of_pocket=3_000_000)
    reasons = everyone(world.inputs())[household]["reasons"]
    assert [r["code"] for r in reasons] == ["suicide_risk", "health_insurance_arrears", "catastrophic_medical"]
    assert [r["text"] for r in reasons] == [
        "자살 시도·고위험 통보 (+30점)",
        "건강보험료 7개월 체납 (+18점)",
        "재난적 의료비 300만원 (+8점)",
    ]
    # modifiers (disability 6 + severe 4 + children 6) count in the score though not among the top three
    assert everyone(world.inputs())[household]["score"] == 30 + 18 + 8 + 6 + 4 + 6


def test_household_modifiers_and_their_reasons(world):
    elder, (old,) = world.household(DONG_A, {"birth": date(1950, 6, 1)})
    parent, (mother, _kid) = world.household(DONG_A, {"birth": date(1990, 1, 1)}, {"birth": date(2016, 1, 1)})
    big, members = world.household(DONG_A, *({"birth": date(1980 + i, 1, 1)} for i in range(5)))
    turned, (birthday,) = world.household(DONG_A, {"birth": date(1961, 11, 2)})  # 65 tomorrow: not yet elderly
    for person in (old, mother, members[0], birthday):
        world.signal(person, "long_term_care_ineligible", decided_on=AS_OF)
    scores = everyone(world.inputs())
    texts = {h: [r["text"] for r in scores[h]["reasons"]] for h in (elder, parent, big, turned)}
    assert texts[elder] == ["65세 이상 1인 가구 (+10점)", "장기요양 등급외 판정 (+8점)"]
    assert texts[parent] == [
        "장기요양 등급외 판정 (+8점)",
        "한부모 가구 (자녀 1명) (+8점)",
        "18세 미만 아동 1명 (+6점)",
    ]
    assert texts[big] == ["장기요양 등급외 판정 (+8점)", "5인 가구 (+4점)"]
    assert texts[turned] == ["장기요양 등급외 판정 (+8점)"]


# ------------------------------------------------------------------------------------------------- who counts


def test_dead_persons_and_members_who_moved_out_do_not_count(world):
    widow, (wife, husband) = world.household(
        DONG_A,
        {"birth": date(1950, 1, 1)},
        {"birth": date(1948, 1, 1), "relationship": "spouse", "died": date(2026, 5, 1)},
    )
    health(world, husband, 20)  # the dead man's arrears are not the widow's crisis
    world.signal(wife, "long_term_care_ineligible", decided_on=AS_OF)
    family, (parent, moved) = world.household(DONG_A, {}, {"moved_out": True})
    health(world, moved, 20)  # a former member's arrears follow the person, not the old address
    world.signal(parent, "job_loss", lost_on=AS_OF, reason="계약 만료")
    _dead_alone, (ghost,) = world.household(DONG_A, {"died": date(2026, 10, 31)})
    health(world, ghost, 30)
    table = run_screening(world.inputs(scorecard=dataclasses.replace(load_scorecard(), min_score=0)))
    scores = {r["household_id"]: r for r in table.to_pylist()}
    assert set(scores) == {widow, family}
    # the widow now lives alone: elderly living alone, and her husband's arrears are gone
    assert [r["code"] for r in scores[widow]["reasons"]] == ["elderly_alone", "long_term_care_ineligible"]
    assert scores[family]["score"] == 10
    stats = screening_stats(table)
    assert stats["signals_deceased"] == 2 and stats["signals_of_residents"] == 2


def test_excluded_households_are_not_listed_and_are_counted_by_reason(world):
    world.capacities = {DONG_A: 2, DONG_B: 2}
    ids = []
    for months in (30, 20, 10, 6):
        household, (person,) = world.household(DONG_A)
        health(world, person, months)
        ids.append(household)
    world.excluded = [(ids[0], "cooldown"), (ids[1], "in_care"), (ids[1], "cooldown")]
    table = run_screening(world.inputs())
    assert [r[0] for r in listed(table)] == [ids[2], ids[3]]
    assert screening_stats(table)["excluded"] == {"cooldown": 2, "in_care": 1}


def test_only_matched_signals_of_committed_files_count(world):
    _household, (person,) = world.household(DONG_A)
    health(world, person, 6, file_id=1)
    world.signal(None, "suicide_risk", reported_on=AS_OF, channel="경찰")  # nobody in the registry
    health(world, person, 40, file_id=2)
    inputs = world.inputs(files=[1])
    # a file on disk without its committed SignalFile row: not among the inputs' ids, so never read
    stray = inputs.snapshot.folder / "signals" / "stray.parquet"
    write_signal_file(stray, world.signals[2])
    inputs = dataclasses.replace(inputs, signals=(*inputs.signals, SignalSource(1, stray)))
    table = run_screening(inputs)
    assert table.column("reasons").to_pylist()[0][0]["text"].startswith("건강보험료 6개월 체납")
    stats = screening_stats(table)
    assert (stats["signals_in_files"], stats["signals_unmatched"], stats["signals_of_residents"]) == (2, 1, 1)


def test_a_row_unmatched_at_import_counts_once_its_person_is_a_resident(world):
    newcomer_household, (newcomer,) = world.household(DONG_A)
    world.signal(None, "suicide_risk", rrn_hash="a" * 64, reported_on=AS_OF, channel="경찰")  # registered since
    world.signal(None, "suicide_risk", rrn_hash="b" * 64, reported_on=AS_OF, channel="경찰")  # still nobody
    world.late = [("a" * 64, newcomer)]
    table = run_screening(world.inputs())
    assert [r[0] for r in listed(table)] == [newcomer_household]
    stats = screening_stats(table)
    assert (stats["signals_in_files"], stats["signals_matched_late"], stats["signals_unmatched"]) == (2, 1, 1)
    assert stats["signals_of_residents"] == 1


def test_without_late_matches_unmatched_rows_stay_out(world):
    world.household(DONG_A)
    world.signal(None, "suicide_risk", rrn_hash="a" * 64, reported_on=AS_OF, channel="경찰")
    table = run_screening(world.inputs())
    stats = screening_stats(table)
    assert table.num_rows == 0 and (stats["signals_matched_late"], stats["signals_unmatched"]) == (0, 1)


def test_files_without_some_catalogue_columns_still_score(world):
    household, (person,) = world.household(DONG_A)
    inputs = world.inputs()
    narrow = inputs.snapshot.folder / "signals" / "narrow.parquet"
    narrow.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "signal_file_id": pa.array([7], pa.int64()),
                "record_id": ["N-1"],
                "kind": ["telecom_arrears"],
                "person_id": pa.array([person], pa.int64()),
                "rrn_hash": ["0" * 64],
                "observed_on": [AS_OF],
                "months_overdue": pa.array([12], pa.int64()),
                "amount_overdue": pa.array([600_000], pa.int64()),
            }
        ),
        narrow,
    )
    table = run_screening(dataclasses.replace(inputs, signals=(SignalSource(7, narrow),)))
    assert listed(table) == [(household, DONG_A, 1, 19.0)]


def test_no_signal_files_give_an_empty_list(world):
    world.household(DONG_A)
    table = run_screening(world.inputs())
    assert table.num_rows == 0 and screening_stats(table)["households_in_district"] == 1


def test_unscored_kinds_are_ignored_and_counted(world):
    _household, (person,) = world.household(DONG_A)
    health(world, person, 8)
    world.signal(person, "prison_release", released_on=AS_OF)
    scorecard = load_scorecard()
    without = dataclasses.replace(scorecard, kinds=tuple(k for k in scorecard.kinds if k.code != "prison_release"))
    table = run_screening(world.inputs(scorecard=without))
    assert [r["code"] for r in table.column("reasons").to_pylist()[0]] == ["health_insurance_arrears"]
    assert screening_stats(table)["signals_unscored_kind"] == 1


# ------------------------------------------------------------------------------------------------- the list


def test_each_dong_gets_its_capacity_and_ties_go_to_the_lower_household_id(world):
    world.capacities = {DONG_A: 3, DONG_B: 1}
    a = []
    for household_id in (57, 12, 33, 8):  # all alike: equal scores
        household, (person,) = world.household(DONG_A, household_id=household_id)
        health(world, person, 9)
        a.append(household)
    b = []
    for months in (5, 15):
        household, (person,) = world.household(DONG_B)
        health(world, person, months)
        b.append(household)
    table = run_screening(world.inputs())
    assert listed(table) == [
        (8, DONG_A, 1, 20.0),
        (12, DONG_A, 2, 20.0),
        (33, DONG_A, 3, 20.0),
        (b[1], DONG_B, 1, 30.0),
    ]
    stats = screening_stats(table)
    assert stats["listed_per_dong"] == {DONG_A: 3, DONG_B: 1} and stats["listed"] == 4
    again = run_screening(world.inputs())
    assert again.equals(table)  # deterministic, run after run


def test_households_below_the_minimum_score_are_not_listed(world):
    low, (person,) = world.household(DONG_A)
    world.signal(person, "electricity_arrears", months_overdue=1, amount_overdue=30_000)  # 4 points
    table = run_screening(world.inputs())
    assert table.num_rows == 0 and screening_stats(table)["below_min_score"] == 1
    table = run_screening(world.inputs(scorecard=dataclasses.replace(load_scorecard(), min_score=0)))
    assert listed(table) == [(low, DONG_A, 1, 4.0)]


# ------------------------------------------------------------------------------------------------- features


def test_the_feature_table_has_one_row_per_household_with_a_signal(world):
    elder, (old,) = world.household(DONG_A, {"birth": date(1950, 6, 1), "nationality": "VN", "disability": "mild"})
    family, (_mother, child) = world.household(DONG_B, {"birth": date(1990, 1, 1)}, {"birth": date(2016, 11, 2)})
    world.household(DONG_A)  # no signal: no row
    health(world, old, 7, file_id=1)
    health(world, old, 13, amount_overdue=2_000_000, file_id=2)
    world.signal(child, "catastrophic_medical", out_of_pocket=3_000_000)
    features = build_features(world.inputs())
    rows = {r["household_id"]: r for r in features.to_pylist()}
    assert set(rows) == {elder, family}
    e, f = rows[elder], rows[family]
    assert (e["members"], e["elderly"], e["elderly_alone"], e["foreign_members"], e["disabled"]) == (1, 1, 1, 1, 1)
    assert (e["oldest_age"], e["youngest_age"], e["signals"], e["kinds"], e["max_severity"]) == (76, 76, 2, 1, 3)
    assert (e["health_insurance_arrears__months"], e["health_insurance_arrears__amount"]) == (13, 2_000_000)
    assert (e["health_insurance_arrears__count"], e["health_insurance_arrears__severity"]) == (2, 3)
    assert (f["children"], f["single_parent"], f["youngest_age"], f["oldest_age"]) == (1, 1, 9, 36)
    assert (f["catastrophic_medical__amount"], f["catastrophic_medical__severity"], f["telecom_arrears__count"]) == (
        3_000_000,
        1,
        0,
    )
    expected = {f"{code}__{part}" for code, parts in feature_columns(load_catalogue()).items() for part in parts}
    assert expected <= set(features.column_names)
    numeric = [c for c in features.column_names if c != "dong_code"]
    assert all(str(features.schema.field(c).type) == "int64" for c in numeric)


def test_run_ids_are_stable_across_runs_of_the_same_inputs(world):
    for months, dong in itertools.product((6, 9, 12), (DONG_A, DONG_B)):
        _, (person,) = world.household(dong)
        health(world, person, months)
    inputs = world.inputs()
    assert run_screening(inputs).equals(run_screening(inputs))


# ------------------------------------------------------------------------------------------------- learned scorer


class Oracle:
    """A stand-in learned scorer: scores households by their age, gives one reason to some."""

    name = "model"
    version = "test"

    def score(self, features: pa.Table) -> pa.Table:
        rows = features.to_pylist()
        return pa.table(
            {
                "household_id": [r["household_id"] for r in rows],
                "score": [float(r["oldest_age"]) for r in rows],
                "probability": [r["oldest_age"] / 100 for r in rows],
                "reasons": pa.array(
                    [
                        [{"text": f"나이 {r['oldest_age']}세", "points": r["oldest_age"], "code": "age"}]
                        if r["oldest_age"] > 60
                        else None
                        for r in rows
                    ],
                    pa.list_(pa.struct([("text", pa.string()), ("points", pa.int64()), ("code", pa.string())])),
                ),
            }
        )


def test_a_learned_scorer_is_listed_by_the_same_selection(world):
    world.capacities = {DONG_A: 2, DONG_B: 2}
    ids = {}
    for year in (1940, 1950, 1960, 1990):
        household, (person,) = world.household(DONG_A, {"birth": date(year, 1, 1)})
        world.signal(person, "electricity_arrears", months_overdue=1, amount_overdue=10_000)  # 4 points: no matter
        ids[year] = household
    world.excluded = [(ids[1940], "in_care")]
    assert isinstance(Oracle(), Scorer)
    table = run_screening(world.inputs(), scorer=Oracle())
    assert listed(table) == [(ids[1950], DONG_A, 1, 76.0), (ids[1960], DONG_A, 2, 66.0)]
    assert table.column("probability").to_pylist() == [0.76, 0.66]
    assert table.column("reasons").to_pylist()[0] == [{"text": "나이 76세", "points": 76, "code": "age"}]
    assert screening_stats(table)["excluded"] == {"in_care": 1}
