"""`dolbom model-card` end to end on a small generated city: a throwaway home and database, the real importer,
rounds, outreach service and training, and a card with both scorers' figures."""

from __future__ import annotations

import re

import pytest

from dolbom.lab.card import write_model_card
from dolbom.synth.generate import generate_city


@pytest.mark.slow
def test_model_card_pipeline_on_a_small_city(tmp_path):
    city = generate_city(tmp_path / "city", households=3_000, seed=5)
    out = write_model_card(city.path, out=tmp_path / "docs" / "model-card.md")
    card = out.read_text(encoding="utf-8")
    header = next(line for line in card.splitlines() if line.startswith("| measure (held-out round 2)"))
    assert "scorecard" in header and "learned model (per district)" in header
    precision = next(line for line in card.splitlines() if line.startswith("| **precision@k**"))
    assert len(re.findall(r"\d+\.\d %", precision)) == 3  # scorecard, per-district model, pooled model
    for section in ("## Intended use", "## Labels and their bias", "## Calibration", "## Recall parity",
                    "## Limitations", "PIPA art. 37-2", "## How to regenerate"):  # fmt: skip
        assert section in card
    assert re.search(r"\*\*The learned model \(per district\) (beats|does not)", card)
    assert "0 model-listed households had\nnone" in card
    gate = card[card.index("## The release gate") :]
    assert re.search(r"\| \S+구 \| [\d,]+ \| .* \| \*\*(passed|held back)\*\*\. ", gate), gate[:1500]
    assert "max / min recall" in card and "head's age band" in card
