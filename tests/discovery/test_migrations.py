"""The discovery migrations of the screening settings: a district whose rounds use a model checked before the gate
measured the age-balanced cut keeps its lists cut by score, so that its next round is not refused after the upgrade
(0010); the balanced cut's setting keeps each district's answer when the strata add the head's sex (0011)."""

from __future__ import annotations

import pytest

from tests.conftest import migrate


@pytest.mark.django_db(transaction=True)
def test_a_district_using_a_model_checked_by_score_only_keeps_the_cut_by_score(city, back_to_latest):
    old = migrate("discovery", "0009_reserved_share_and_item_selection")
    ScoringModel, ModelChoice = old.get_model("discovery", "ScoringModel"), old.get_model("discovery", "ModelChoice")
    ScreeningSettings = old.get_model("discovery", "ScreeningSettings")
    admin = city.users["district_admin"].pk
    first, second = city.districts[0].pk, city.districts[1].pk
    model = ScoringModel.objects.create(district_id=first, city_id=city.sido.pk, algorithm="lightgbm", path="",
                                        gate={"passed": True}, gate_passed=True)  # fmt: skip
    ModelChoice.objects.create(district_id=first, scoring_model=model, chosen_by_id=admin)
    ScreeningSettings.objects.create(district_id=first, reserved_share=20)

    new = migrate("discovery", "0010_screening_settings_age_balanced")
    settings = new.get_model("discovery", "ScreeningSettings")
    kept = settings.objects.get(district_id=first)
    assert kept.age_balanced is False and kept.reserved_share == 20  # the share it had is left as it was
    assert not settings.objects.filter(district_id=second).exists()  # no model in use: the default, on

    # The cut now balances the head's age band and sex together: each district's answer is kept under the new name.
    settings.objects.filter(district_id=first).update(age_balanced=True)
    latest = migrate("discovery", "0011_screening_settings_balanced")
    renamed = latest.get_model("discovery", "ScreeningSettings").objects.get(district_id=first)
    assert renamed.balanced is True and renamed.reserved_share == 20
