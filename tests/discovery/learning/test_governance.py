"""Learning across districts: the held-out round and the gate, which model a district's rounds use, agreements to
share outcomes and the pooled model trained only on the outcomes of districts that agreed."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dolbom.core.models import AuditEvent
from dolbom.discovery import cli
from dolbom.discovery.learning.explain import explain_gate
from dolbom.discovery.models import LabelSharingAgreement, ModelChoice, OutreachItem, ScoringModel, ScreeningRound
from dolbom.discovery.selectors import chosen_model
from dolbom.discovery.services import governance, learning
from dolbom.discovery.services.learning import RoundEvidence, train_model, train_pooled_model
from dolbom.registry.models import Address, Household

from .conftest import as_table, make_data

OUTCOMES = {1: "helped", 0: "not_eligible"}
KST = ZoneInfo("Asia/Seoul")
# A verdict that let a model through with both cuts of the lists (the gate's own figures are tested in test_gate).
PASSED_BOTH_CUTS = {"passed": True, "balanced": {"passed": True}}


class Rounds:
    """Labelled rounds of both districts, each with its own households and features."""

    def __init__(self, city):
        self.city = city
        self.features: dict[int, object] = {}
        self.feature_calls: list[int] = []

    def add(self, district_index: int, started: date, *, n: int = 300, seed: int = 11) -> ScreeningRound:
        district = self.city.districts[district_index]
        dong = next(d for d in self.city.dongs if d.parent_id == district.code)
        screening_round = ScreeningRound.objects.create(district=district, period="2026-07", scorer="scorecard",
                                                        status="done")  # fmt: skip
        ScreeningRound.objects.filter(pk=screening_round.pk).update(
            started_at=datetime(started.year, started.month, started.day, 10, tzinfo=KST)
        )
        x, y = make_data(n, seed=seed)
        address = Address.objects.create(dong=dong, road_address=f"한빛시 시청로 {seed}")
        households = Household.objects.bulk_create(
            Household(address=address, dong=dong, registered_on=date(2020, 1, 1)) for _ in range(n)
        )
        ids = np.array([h.pk for h in households])
        OutreachItem.objects.bulk_create(
            OutreachItem(round=screening_round, household_id=int(h), dong=dong, rank=i + 1, score=1.0, status="done",
                         outcome=OUTCOMES[int(label)], outcome_on=started + timedelta(days=20))
            for i, (h, label) in enumerate(zip(ids, y, strict=True))
        )  # fmt: skip
        self.features[screening_round.pk] = as_table(x, household_ids=ids)
        return ScreeningRound.objects.get(pk=screening_round.pk)


@pytest.fixture
def rounds(city, settings, tmp_path, monkeypatch) -> Rounds:
    settings.HOME = tmp_path
    made = Rounds(city)

    def features_for_round(r, *, workdir):
        made.feature_calls.append(r.pk)
        return made.features[r.pk]

    def round_evidence(r, *, workdir):
        features = made.features[r.pk]
        ids = features.column("household_id").to_pylist()
        rng = np.random.default_rng(r.pk)
        dong = features.column("dong_code").to_pylist()
        return RoundEvidence(
            features=features,
            scorecard={h: float(s) for h, s in zip(ids, rng.random(len(ids)), strict=True)},  # orders at random
            min_score=0.0,
            groups={h: {"head_age_band": "40-64", "head_sex": "FM"[h % 2], "disability": "no", "dong": d}
                    for h, d in zip(ids, dong, strict=True)},
            excluded=set(),
            capacities=dict.fromkeys(dong, 30),
        )  # fmt: skip

    monkeypatch.setattr("dolbom.discovery.services.learning.features_for_round", features_for_round)
    monkeypatch.setattr("dolbom.discovery.services.learning.round_evidence", round_evidence)
    return made


# ---------------------------------------------------------------------------------------------- held-out rounds


def test_the_latest_round_is_held_out_and_the_gate_measures_the_model(city, rounds):
    first = rounds.add(0, date(2026, 9, 1), seed=11)
    second = rounds.add(0, date(2026, 11, 1), seed=12)
    model = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    assert model.training_rounds == [first.pk] and model.heldout_rounds == [second.pk]
    assert rounds.feature_calls == [first.pk]  # the held-out round never trains
    assert model.label_sources == [
        {"district": city.districts[0].code, "rounds": [first.pk], "heldout_rounds": [second.pk], "labels": 300,
         "positives": model.metrics["positives"], "agreement": None}
    ]  # fmt: skip
    assert model.gate["evaluated"] and model.gate["rounds"] == [second.pk]
    assert model.gate_passed, model.gate["held_back"]
    assert model.gate["precision"]["model"] > model.gate["precision"]["scorecard"]
    # The whole list is cut from every household the held-out round could list, at its visit capacities.
    assert model.gate["candidates"] == 300 and model.gate["expected_parity"]["head_sex"]["measured"]
    event = AuditEvent.objects.get(action="discovery.train_model")
    assert event.detail["gate_passed"] is True and event.detail["sources"] == model.label_sources


def test_households_the_held_out_round_excluded_are_no_candidates(city, rounds, monkeypatch):
    rounds.add(0, date(2026, 9, 1), seed=11)
    second = rounds.add(0, date(2026, 11, 1), seed=12)
    stub = learning.round_evidence
    excluded = set(rounds.features[second.pk].column("household_id").to_pylist()[:40])

    def round_evidence(r, *, workdir):
        return dataclasses.replace(stub(r, workdir=workdir), excluded=excluded)

    monkeypatch.setattr("dolbom.discovery.services.learning.round_evidence", round_evidence)
    model = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    assert model.gate["candidates"] == 260 and model.gate["balanced"]["candidates"] == 260


def test_one_labelled_round_gives_a_model_that_waits_for_the_next(city, rounds):
    rounds.add(0, date(2026, 9, 1))
    model = train_model(user=city.users["district_manager"], district_code=city.districts[0].code)
    assert not model.gate_passed and model.heldout_rounds == []
    assert model.gate["held_back"] == [{"code": "no_heldout_round"}]


def test_training_from_the_command_line_prints_the_gates_verdict(city, rounds, capsys):
    rounds.add(0, date(2026, 9, 1))
    args = argparse.Namespace(acting_user=city.users["district_admin"].username, district=city.districts[0].code)
    assert cli.cmd_train(args) == 0
    out = capsys.readouterr().out
    model = ScoringModel.objects.get()
    assert f"#{model.pk}" in out
    # A verdict for each cut of the lists, with the reason as the models page words it.
    assert out.splitlines()[1] == "검증(점수순 배정): 보류."
    assert "검증(연령대·성별 균형 배정): 보류." in out.splitlines()
    assert explain_gate(model.gate)[0] in out


def test_a_latest_round_that_would_leave_too_little_to_learn_from_is_not_held_out(city, rounds):
    """A round run to try the system (one outcome recorded), then a real one: holding the real one out would leave
    one label to learn from. The model learns from both and waits for a later round, saying why."""
    trial = rounds.add(0, date(2026, 8, 1), n=1, seed=3)
    real = rounds.add(0, date(2026, 9, 1))
    model = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    assert model.training_rounds == [trial.pk, real.pk] and model.heldout_rounds == []
    assert model.labels == 301 and not model.gate_passed
    assert model.gate["held_back"] == [{"code": "heldout_leaves_too_few"}]
    assert "다음 차수의 결과를 기록한 뒤 다시 학습하세요" in " ".join(explain_gate(model.gate))


# ------------------------------------------------------------------------------------------------ model choice


def test_a_model_held_back_cannot_be_chosen_and_the_refusal_says_why(city, rounds):
    rounds.add(0, date(2026, 9, 1))
    model = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    with pytest.raises(ValidationError) as refused:
        governance.choose_model(user=city.users["district_admin"], district_code=city.districts[0].code,
                                model_id=model.pk)  # fmt: skip
    assert "보류" in str(refused.value) and "다음 차수" in str(refused.value)
    assert not ModelChoice.objects.exists()


def test_a_passing_model_is_chosen_by_the_administrator_only(city, rounds):
    rounds.add(0, date(2026, 9, 1))
    rounds.add(0, date(2026, 11, 1), seed=12)
    district = city.districts[0].code
    model = train_model(user=city.users["district_admin"], district_code=district)
    assert model.gate_passed
    with pytest.raises(PermissionDenied):
        governance.choose_model(user=city.users["district_manager"], district_code=district, model_id=model.pk)
    with pytest.raises(PermissionDenied):  # the administrator of one district chooses for that district only
        governance.choose_model(user=city.users["district_admin"], district_code=city.districts[1].code,
                                model_id=model.pk)  # fmt: skip
    governance.choose_model(user=city.users["district_admin"], district_code=district, model_id=model.pk)
    assert chosen_model(district) == model
    event = AuditEvent.objects.get(action="discovery.choose_model")
    assert event.detail == {"district": district, "model": model.pk, "kind": "district", "previous": None}
    governance.stop_using_model(user=city.users["district_admin"], district_code=district)
    assert chosen_model(district) is None
    assert AuditEvent.objects.filter(action="discovery.stop_using_model").count() == 1


def test_another_districts_model_is_never_usable(city, rounds):
    rounds.add(1, date(2026, 9, 1), seed=21)
    rounds.add(1, date(2026, 11, 1), seed=22)
    other = ScoringModel.objects.create(district=city.districts[1], city=city.sido, algorithm="lightgbm", path="",
                                        gate=PASSED_BOTH_CUTS, gate_passed=True)  # fmt: skip
    with pytest.raises(PermissionDenied):
        governance.choose_model(user=city.users["district_admin"], district_code=city.districts[0].code,
                                model_id=other.pk)  # fmt: skip


# ------------------------------------------------------------------------------------------------- agreements


def _agree(city, *, since=date(2026, 1, 1)) -> LabelSharingAgreement:
    return governance.record_agreement(
        user=city.users["district_admin"], district_code=city.districts[0].code, shares_from=since,
        approved_by="중앙구청장", approved_on=date(2026, 8, 1), document="복지정책과-1234",
    )  # fmt: skip


def test_an_agreement_is_recorded_by_the_districts_administrator_only(city):
    for role in ("district_manager", "city_officer", "dong_officer", "analyst"):
        with pytest.raises(PermissionDenied):
            governance.record_agreement(user=city.users[role], district_code=city.districts[0].code,
                                        shares_from=date(2026, 1, 1), approved_by="구청장",
                                        approved_on=date(2026, 8, 1), document="문서-1")  # fmt: skip
    with pytest.raises(PermissionDenied):  # not for another district
        governance.record_agreement(user=city.users["district_admin"], district_code=city.districts[1].code,
                                    shares_from=date(2026, 1, 1), approved_by="구청장",
                                    approved_on=date(2026, 8, 1), document="문서-1")  # fmt: skip
    agreement = _agree(city)
    assert agreement.city_id == city.sido.code and agreement.recorded_by == city.users["district_admin"]
    assert AuditEvent.objects.get(action="discovery.share_labels").detail["document"] == "복지정책과-1234"
    with pytest.raises(ValidationError, match="이미 유효한 협약"):
        _agree(city)


def test_an_agreement_refuses_blanks_and_a_future_approval(city):
    with pytest.raises(ValidationError) as refused:
        governance.record_agreement(user=city.users["district_admin"], district_code=city.districts[0].code,
                                    shares_from=date(2026, 1, 1), approved_by="  \u200b ",
                                    approved_on=date(2999, 1, 1), document="")  # fmt: skip
    assert set(refused.value.message_dict) == {"approved_by", "approved_on", "document"}
    assert not LabelSharingAgreement.objects.exists()


def test_ending_an_agreement_needs_a_reason_and_happens_once(city):
    agreement = _agree(city)
    with pytest.raises(ValidationError):
        governance.end_agreement(user=city.users["district_admin"], agreement_id=agreement.pk, reason="끝")
    governance.end_agreement(user=city.users["district_admin"], agreement_id=agreement.pk, reason="협약 기간 만료")
    with pytest.raises(ValidationError, match="이미 종료"):
        governance.end_agreement(user=city.users["district_admin"], agreement_id=agreement.pk, reason="협약 기간 만료")
    _agree(city)  # a new one may follow


# ----------------------------------------------------------------------------------------------- pooled model


def test_a_district_without_an_agreement_contributes_no_label(city, rounds):
    own = [rounds.add(0, date(2026, 9, 1), seed=11), rounds.add(0, date(2026, 11, 1), seed=12)]
    other = [rounds.add(1, date(2026, 9, 1), seed=21), rounds.add(1, date(2026, 11, 1), seed=22)]
    agreement = _agree(city)
    model = train_pooled_model(user=city.users["city_officer"], city_code=city.sido.code)
    assert model.kind == "pooled" and model.district_id is None and model.city_id == city.sido.code
    assert [s["district"] for s in model.label_sources] == [city.districts[0].code]
    assert model.label_sources[0]["agreement"] == agreement.pk
    assert model.training_rounds == [own[0].pk] and model.heldout_rounds == [own[1].pk]
    assert not {r.pk for r in other} & set(rounds.feature_calls)  # its features were not even read
    assert model.labels == 300
    assert AuditEvent.objects.get(action="discovery.train_pooled_model").detail["sources"] == model.label_sources


def test_an_agreement_counts_from_its_date_and_not_after_it_ends(city, rounds):
    rounds.add(0, date(2026, 3, 1), seed=11)
    later = [rounds.add(0, date(2026, 9, 1), seed=12), rounds.add(0, date(2026, 11, 1), seed=13)]
    agreement = _agree(city, since=date(2026, 6, 1))
    model = train_pooled_model(user=city.users["city_officer"], city_code=city.sido.code)
    assert model.training_rounds == [later[0].pk] and model.heldout_rounds == [later[1].pk]
    governance.end_agreement(user=city.users["district_admin"], agreement_id=agreement.pk, reason="협약 기간 만료")
    with pytest.raises(ValueError, match="동의한 구가 없어"):
        train_pooled_model(user=city.users["city_officer"], city_code=city.sido.code)


def test_only_the_citys_officer_trains_a_pooled_model(city, rounds):
    _agree(city)
    for role in ("district_admin", "district_manager", "analyst"):
        with pytest.raises(PermissionDenied):
            train_pooled_model(user=city.users[role], city_code=city.sido.code)
    with pytest.raises(PermissionDenied):
        train_pooled_model(user=city.users["city_officer"], city_code="9800000000")


def test_a_pooled_model_that_passed_is_usable_by_every_district_of_the_city(city, rounds):
    rounds.add(0, date(2026, 9, 1), seed=11)
    rounds.add(0, date(2026, 11, 1), seed=12)
    _agree(city)
    model = train_pooled_model(user=city.users["city_officer"], city_code=city.sido.code)
    assert model.gate_passed, model.gate
    assert model.usable_by(city.districts[0].code) and model.usable_by(city.districts[1].code)
    assert not model.usable_by("9811000000")
    governance.choose_model(user=city.users["district_admin"], district_code=city.districts[0].code,
                            model_id=model.pk)  # fmt: skip
    assert chosen_model(city.districts[0].code) == model
