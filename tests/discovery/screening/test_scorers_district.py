"""A district's round uses only a model trained on that district's own outcomes."""

import pytest

from dolbom.discovery.models import ScoringModel
from dolbom.discovery.screening.scorers import ModelUnavailable, model_scorer


@pytest.mark.django_db
def test_a_model_of_another_district_is_never_used():
    ScoringModel.objects.create(algorithm="lightgbm", path="/nonexistent", metrics={"district": "9911000000"})
    with pytest.raises(ModelUnavailable, match="9912000000"):
        model_scorer(district_code="9912000000")
