"""The balanced cut of a learned model's lists: the engine's SQL against the NumPy rule
(tests/discovery/learning/test_balance.py), a round through the service, and what the gate's verdicts and the
settings let a district choose."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.learning.balance import age_band, balanced_priority, balanced_selection, strata
from dolbom.discovery.models import ModelChoice, OutreachItem, ScoringModel, ScreeningRound, ScreeningSettings
from dolbom.discovery.screening import sql
from dolbom.discovery.screening.engine import explain_unexplained
from dolbom.discovery.selectors import screening_settings_of
from dolbom.discovery.services import governance
from dolbom.discovery.services import rounds as service
from dolbom.discovery.services.screening_settings import set_screening_settings
from dolbom.registry.models import Address, Household
from tests.conftest import make_person
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom, stand_in_scores

# ---------------------------------------------------------------------------------------------- the engine


def test_the_engines_sql_cuts_as_the_rule_does():
    """The round's SQL (DuckDB) against the numpy rule, on households whose heads span every band and both sexes
    (some without a registered sex or head)."""
    rng = np.random.default_rng(5)
    n = 600
    ids = np.arange(1, n + 1)
    dong = rng.choice(["1101", "1102"], n)
    probability = np.round(rng.beta(1, 3, n), 6)
    score = np.round(probability * 100 + rng.normal(0, 3, n), 3)
    births = [date(1930 + int(y), 1 + int(m), 1) if y < 90 else None
              for y, m in zip(rng.integers(0, 95, n), rng.integers(0, 12, n), strict=True)]  # fmt: skip
    sexes = [None if b is None else str(rng.choice(["F", "M", "F", "M", ""])) for b in births]
    excluded = ids[rng.random(n) < 0.05]
    con = duckdb.connect()
    con.register("model_scores", pa.table({"household_id": ids, "dong_code": dong, "score": score,
                                           "probability": probability}))  # fmt: skip
    con.register("traits", pa.table({"household_id": ids, "head_birth": pa.array(births, pa.date32()),
                                     "head_sex": pa.array(sexes, pa.string())}))  # fmt: skip
    con.register("excluded", pa.table({"household_id": pa.array(excluded, pa.int64())}))
    con.register("dongs", pa.table({"dong_code": ["1101", "1102"], "visit_capacity": [40, 25]}))
    for statement in (sql.balanced_statement("model_scores", AS_OF),
                      sql.listed_statement("balanced_scores", order=sql.BY_BALANCE)):  # fmt: skip
        con.execute(f"CREATE TABLE {statement.name} AS {statement.sql}")
    listed = con.sql("SELECT household_id, dong_code, list_rank, score FROM listed").to_arrow_table()

    keep = ~np.isin(ids, excluded)
    bands = np.array([age_band(b, AS_OF) for b in births])
    groups = strata(bands, np.array(sexes, dtype=object))
    assert {"unknown/unknown", "65-79/F", "65-79/M", "40-64/unknown"} <= set(groups)
    chosen = balanced_selection(probability[keep], score[keep], groups[keep], dong[keep], {"1101": 40, "1102": 25},
                                tie_break=ids[keep])  # fmt: skip
    assert sorted(listed.column("household_id").to_pylist()) == sorted(ids[keep][chosen].tolist())
    assert set(bands[keep][chosen]) >= {"0-39", "40-64", "65-79", "80+"}
    # Within each dong the list is numbered by score, whatever order cut it.
    for code in ("1101", "1102"):
        rows = sorted((r for r in listed.to_pylist() if r["dong_code"] == code), key=lambda r: r["list_rank"])
        assert [r["list_rank"] for r in rows] == list(range(1, len(rows) + 1))
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    priorities = balanced_priority(probability[keep], score[keep], groups[keep], dong[keep], ids[keep])
    assert np.isfinite(priorities).all()


# ---------------------------------------------------------------------------------------------- the round


class ByMonths:
    """A stand-in learned model: scores by months of arrears, and expects need of one household in two."""

    name = "model"
    version = "test"
    scoring_model = None

    def score(self, features: pa.Table) -> pa.Table:
        return stand_in_scores(features, [m or 0 for m in features.column("telecom_arrears__months").to_pylist()])


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"


@pytest.fixture
def manager(city):
    return city.users["district_manager"]


@pytest.fixture
def world(city, manager, tmp_path, monkeypatch):
    """Room for ten visits in the first dong; twelve households whose heads are 70 with 20 to 31 months of arrears,
    eight whose heads are 30 with 5 to 12. Returns (older, younger) household ids, most months first."""
    monkeypatch.setattr(service, "_chosen_model", lambda district_code, balanced: None)
    monkeypatch.setattr(service, "model_scorer", lambda *args, **kwargs: ByMonths())
    dong = city.dongs[0]
    dong.visit_capacity = 10
    dong.save(update_fields=["visit_capacity"])
    arrears, older, younger = [], [], []
    for i, (born, months, into) in enumerate([(date(1956, 3, 1), 31 - j, older) for j in range(12)]
                                             + [(date(1996, 3, 1), 12 - j, younger) for j in range(8)]):  # fmt: skip
        address = Address.objects.create(dong=dong, road_address=f"한빛시 중앙구 나래로 {i}")
        household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
        person = make_person(f"주민{i}", born, "F", serial=600 + i)
        household.memberships.create(person=person, relationship="head", moved_in=date(2020, 1, 1))
        arrears.append((person, months))
        into.append(household.pk)
    import_telecom(manager, tmp_path, arrears)
    ScreeningSettings.objects.create(district=city.districts[0], reserved_share=0)
    return older, younger


def listed(screening_round, dong) -> list[int]:
    return list(OutreachItem.objects.filter(round=screening_round, dong=dong).order_by("rank")
                .values_list("household_id", flat=True))  # fmt: skip


def test_a_round_with_the_model_shares_each_dongs_list_across_age_bands(city, client, manager, world):
    older, younger = world
    screening_round = service.run_round(user=manager, district_code=city.districts[0].code, period=PERIOD,
                                        as_of=AS_OF, scorer="model")  # fmt: skip
    assert screening_round.status == "done", screening_round.error
    # Expected need 6 among the older heads, 4 among the younger: six places and four, each band's highest first,
    # and the list numbered by score.
    assert listed(screening_round, city.dongs[0]) == older[:6] + younger[:4]
    assert screening_round.params["balanced"] is True and screening_round.stats["balanced"] is True
    client.force_login(manager)
    page = client.get(reverse("round_detail", args=[screening_round.pk])).content.decode()
    assert "명단 배정 방식" in page and "연령대·성별 균형 배정" in page
    # A round run before the head's sex joined the strata says how it was cut.
    ScreeningRound.objects.filter(pk=screening_round.pk).update(params={"age_balanced": True})
    page = client.get(reverse("round_detail", args=[screening_round.pk])).content.decode()
    assert "가구주 연령대만으로 균형 배정(이전 방식)" in page and "연령대·성별 균형 배정" not in page


def test_with_the_setting_off_the_model_lists_its_top(city, manager, world):
    older, _younger = world
    ScreeningSettings.objects.filter(district=city.districts[0]).update(balanced=False)
    screening_round = service.run_round(user=manager, district_code=city.districts[0].code, period=PERIOD,
                                        as_of=AS_OF, scorer="model")  # fmt: skip
    assert listed(screening_round, city.dongs[0]) == older[:10]
    assert screening_round.params["balanced"] is False


def test_the_scorecards_rounds_are_never_balanced(city, manager, world):
    older, _younger = world
    screening_round = service.run_round(user=manager, district_code=city.districts[0].code, period=PERIOD,
                                        as_of=AS_OF, scorer="scorecard")  # fmt: skip
    assert listed(screening_round, city.dongs[0]) == older[:10]
    assert "balanced" not in screening_round.params and screening_round.stats["balanced"] is False


def test_the_reserved_share_draws_below_the_balanced_cut(city, manager, world):
    older, younger = world
    ScreeningSettings.objects.filter(district=city.districts[0]).update(reserved_share=10)
    screening_round = service.run_round(user=manager, district_code=city.districts[0].code, period=PERIOD,
                                        as_of=AS_OF, scorer="model", reserve_seed=1)  # fmt: skip
    rows = list(OutreachItem.objects.filter(round=screening_round, dong=city.dongs[0]).order_by("rank")
                .values_list("household_id", "selection"))  # fmt: skip
    ranked = [h for h, s in rows if s == "ranked"]
    # Nine places: the balanced order's first nine (its tenth, an older head's, gives way to the draw), by score.
    assert ranked == older[:5] + younger[:4]
    drawn = [h for h, s in rows if s != "ranked"]
    # The one drawn is below the cut of ten and on the scorecard's own list (the ten most months: older heads).
    assert len(drawn) == 1 and drawn[0] in older[6:10]


# ------------------------------------------------------------------------------------------------ the gate


PASSED = {
    "evaluated": True, "passed": True, "held_back": [], "rounds": [1], "labels": 200, "positives": 60, "k": 100,
    "precision": {"model": 0.45, "scorecard": 0.30}, "difference": 0.15, "interval": [0.05, 0.25],
    "parity": {"head_age_band": {"model": 1.2, "scorecard": 1.4, "compared": 3, "measured": True, "groups": {}}},
}  # fmt: skip
HELD_BACK = {**PASSED, "passed": False, "held_back": [{"code": "parity_worse", "attribute": "head_age_band"}],
             "parity": {"head_age_band": {"model": 2.9, "scorecard": 1.4, "compared": 3, "measured": True,
                                          "groups": {}}}}  # fmt: skip


def _model(city, *, by_score: bool, balanced: bool) -> ScoringModel:
    gate = {**(PASSED if by_score else HELD_BACK), "balanced": PASSED if balanced else HELD_BACK}
    return ScoringModel.objects.create(district=city.districts[0], city=city.sido, algorithm="lightgbm", path="",
                                       gate=gate, gate_passed=by_score or balanced)  # fmt: skip


def test_a_model_is_chosen_only_for_a_cut_it_passed_with(city):
    admin, district = city.users["district_admin"], city.districts[0].code
    only_by_score = _model(city, by_score=True, balanced=False)
    with pytest.raises(ValidationError, match="연령대·성별 균형"):
        governance.choose_model(user=admin, district_code=district, model_id=only_by_score.pk)
    assert not ModelChoice.objects.exists()
    set_screening_settings(user=admin, district_code=district, share=10, balanced=False)
    governance.choose_model(user=admin, district_code=district, model_id=only_by_score.pk)
    # The district cannot switch the cut back on while its rounds use a model that did not pass with it.
    with pytest.raises(ValidationError, match=f"{only_by_score.pk}"):
        set_screening_settings(user=admin, district_code=district, share=10, balanced=True)
    assert screening_settings_of(district).balanced is False
    both = _model(city, by_score=True, balanced=True)
    governance.choose_model(user=admin, district_code=district, model_id=both.pk)
    set_screening_settings(user=admin, district_code=district, share=10, balanced="on")
    events = AuditEvent.objects.filter(action="discovery.set_screening_settings").order_by("pk")
    assert [e.detail["balanced"] for e in events] == [{"before": True, "after": False},
                                                         {"before": False, "after": True}]  # fmt: skip


def test_a_round_refuses_a_chosen_model_that_did_not_pass_with_the_districts_cut(city, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    model = _model(city, by_score=True, balanced=False)
    ModelChoice.objects.create(district=city.districts[0], scoring_model=model, chosen_by=city.users["district_admin"])
    with pytest.raises(ValidationError) as caught:
        service.run_round(user=manager, district_code=city.districts[0].code, period=PERIOD, as_of=AS_OF,
                          scorer="model")  # fmt: skip
    assert f"모형 #{model.pk}" in " ".join(caught.value.message_dict["scorer"])


def test_the_pages_show_both_verdicts_and_offer_only_the_districts_cut(city, client):
    only_by_score = _model(city, by_score=True, balanced=False)
    both = _model(city, by_score=True, balanced=True)
    client.force_login(city.users["district_admin"])
    page = client.get(reverse("model_list")).content.decode()
    assert page.count("연령대·성별 균형") >= 2
    assert reverse("model_choose", args=[both.pk]) in page
    assert reverse("model_choose", args=[only_by_score.pk]) not in page

    url = reverse("screening_settings")
    client.force_login(city.users["district_manager"])
    assert client.post(url, {"district": city.districts[0].code, "reserved_share": "10"}).status_code == 302
    assert screening_settings_of(city.districts[0].code).balanced is False  # an unticked box
    response = client.post(url, {"district": city.districts[0].code, "reserved_share": "10", "balanced": "on"})
    assert response.status_code == 302 and screening_settings_of(city.districts[0].code).balanced is True


def test_households_listed_below_the_models_explained_top_get_their_reasons():
    """A learned model explains the top of each dong when it scores; the balanced cut lists further down, and the
    engine asks the model for the reasons of those it left without."""

    class Explains:
        asked: list[int] = []

        def reasons_for(self, features, household_ids):
            self.asked.extend(household_ids)
            return {h: [{"code": "telecom_arrears", "text": f"이유 {h}", "points": 3}] for h in household_ids}

    flat = {name: [None, None] for name in sql.reason_columns()}
    flat.update(
        {"reason1_code": ["telecom_arrears", None], "reason1_text": ["이미", None], "reason1_points": [5, None]}
    )
    listed = pa.table({"household_id": [1, 2], "dong_code": ["1101", "1101"], "list_rank": [1, 2], **flat})
    scorer = Explains()
    filled = explain_unexplained(listed, scorer, features=pa.table({"household_id": [1, 2]}))
    assert scorer.asked == [2]
    assert filled.column("reason1_text").to_pylist() == ["이미", "이유 2"]
    assert filled.column("reason1_points").to_pylist() == [5, 3]
