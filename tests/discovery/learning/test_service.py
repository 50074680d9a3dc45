"""train_model: who may train, what it refuses, and what it records (file, sha256, row, audit event)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied

from dolbom.core.models import AuditEvent
from dolbom.discovery.learning.scorer import ModelScorer
from dolbom.discovery.learning.train import ModelFileError, TrainingRefused
from dolbom.discovery.models import OutreachItem, ScoringModel, ScreeningRound
from dolbom.discovery.services.learning import train_model
from dolbom.registry.models import Address, Household

from .conftest import as_table, make_data

OUTCOMES = {1: "helped", 0: "not_eligible"}


@pytest.fixture
def labelled_round(city, settings, tmp_path, monkeypatch):
    """A done round of the first district with 300 recorded outcomes (and some that are not labels), whose
    features the screening engine would rebuild; here they come from the small synthetic data."""
    settings.HOME = tmp_path
    dong = city.dongs[0]
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-07", scorer="scorecard", status="done"
    )
    x, y = make_data(330, seed=11)
    address = Address.objects.create(dong=dong, road_address="한빛시 중앙구 시청로 1")
    households = Household.objects.bulk_create(
        Household(address=address, dong=dong, registered_on=date(2020, 1, 1)) for _ in range(len(y))
    )
    ids = np.array([h.pk for h in households])
    outcomes = [OUTCOMES[int(label)] for label in y[:300]] + ["unreachable"] * 20 + ["moved"] * 10
    OutreachItem.objects.bulk_create(
        OutreachItem(
            round=screening_round, household_id=int(h), dong=dong, rank=i + 1, score=1.0, status="done",
            outcome=outcome, outcome_on=date(2026, 9, 10),
        )
        for i, (h, outcome) in enumerate(zip(ids, outcomes, strict=True))
    )  # fmt: skip
    features = as_table(x, household_ids=ids)
    calls = []

    def features_for_round(r, *, workdir):
        calls.append(r.pk)
        return features

    monkeypatch.setattr("dolbom.discovery.services.learning.features_for_round", features_for_round)
    return screening_round, calls


def test_a_district_manager_trains_and_everything_is_recorded(city, labelled_round):
    screening_round, calls = labelled_round
    manager = city.users["district_manager"]
    row = train_model(user=manager, district_code=city.districts[0].code)
    assert calls == [screening_round.pk]
    assert row.labels == 300 and row.training_rounds == [screening_round.pk]
    assert row.metrics["dropped"] == {"unreachable": 20, "moved": 10}
    assert row.metrics["district"] == city.districts[0].code
    assert row.algorithm.startswith("lightgbm")
    event = AuditEvent.objects.get(action="discovery.train_model")
    assert event.actor_id == manager.pk and event.object_id == str(row.pk)
    assert event.detail["sha256"] == row.metrics["model_sha256"]
    scorer = ModelScorer(district_code=city.districts[0].code)
    assert scorer.scoring_model == row and scorer.version == f"model #{row.pk}"


def test_a_tampered_model_file_is_refused_when_scoring(city, labelled_round, settings):
    row = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    path = Path(settings.HOME) / ScoringModel.objects.get(pk=row.pk).path
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n")
    with pytest.raises(ModelFileError, match="altered"):
        ModelScorer()


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "safety_net", "analyst"])
def test_other_roles_cannot_train(city, labelled_round, role):
    with pytest.raises(PermissionDenied):
        train_model(user=city.users[role], district_code=city.districts[0].code)
    assert not ScoringModel.objects.exists()


def test_district_staff_cannot_train_on_another_district(city, labelled_round):
    with pytest.raises(PermissionDenied):
        train_model(user=city.users["district_manager"], district_code=city.districts[1].code)


def test_refuses_without_labels_and_says_how_many(city, settings, tmp_path):
    settings.HOME = tmp_path
    with pytest.raises(TrainingRefused, match=r"긍정 0건.*부정 0건"):
        train_model(user=city.users["district_manager"], district_code=city.districts[0].code)
    assert not ScoringModel.objects.exists() and not AuditEvent.objects.filter(action="discovery.train_model")


def test_a_model_is_found_in_a_restored_home(city, labelled_round, settings, tmp_path):
    """A backup restored into another DOLBOM_HOME (`dolbom restore`): the row names its file relative to the home."""
    import shutil

    row = train_model(user=city.users["district_admin"], district_code=city.districts[0].code)
    old = Path(settings.HOME)
    restored = tmp_path / "restored-home"
    shutil.copytree(old / "models", restored / "models")
    shutil.rmtree(old / "models")
    settings.HOME = restored
    assert ModelScorer(district_code=city.districts[0].code).scoring_model == row


def test_each_label_keeps_why_its_household_was_listed(city, labelled_round, tmp_path):
    from dolbom.discovery.learning.features import feature_columns
    from dolbom.discovery.services.learning import collect_labels

    screening_round, _calls = labelled_round
    items = OutreachItem.objects.filter(round=screening_round, outcome__in=["helped", "not_eligible"])
    reserved = sorted(items.values_list("household_id", flat=True))[:30]
    OutreachItem.objects.filter(round=screening_round, household_id__in=reserved).update(selection="reserved_referral")

    table = collect_labels(city.districts[0].code, workdir=tmp_path).features
    selection = dict(zip(table.column("household_id").to_pylist(), table.column("selection").to_pylist(), strict=True))
    assert table.num_rows == 300 and sum(s == "reserved_referral" for s in selection.values()) == 30
    assert {selection[h] for h in reserved} == {"reserved_referral"}
    assert set(selection.values()) == {"ranked", "reserved_referral"}
    assert "selection" not in feature_columns(table)  # kept for the model card, never learned from
