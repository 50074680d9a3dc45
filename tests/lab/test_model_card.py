"""`dolbom model-card` end to end on two small generated cities: a throwaway home and database for each, the real
importer, rounds, outreach service, sharing agreements, training (per district and pooled), the release gate and
the districts' choice of model, and one card with every scorer's figures per city and across cities."""

from __future__ import annotations

import re

import pytest

from dolbom.lab.card import write_model_card
from dolbom.synth.generate import generate_city


def _table_rows(card: str, header_start: str) -> list[str]:
    lines = card.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.mark.slow
def test_model_card_pipeline_on_two_small_cities(tmp_path):
    cities = [generate_city(tmp_path / f"city-{seed}", households=3_000, seed=seed) for seed in (5, 6)]
    out = write_model_card([c.path for c in cities], out=tmp_path / "docs" / "model-card.md")
    card = out.read_text(encoding="utf-8")
    header = next(line for line in card.splitlines() if line.startswith("| measure (held-out round 2)"))
    assert "scorecard" in header and "learned model (per district)" in header and "learned model (pooled)" in header
    assert "learned model (pooled), balanced cut" in header
    precision = next(line for line in card.splitlines() if line.startswith("| **precision@k**"))
    # The scorecard, the per-district and pooled models, each also in the balanced cut.
    assert len(re.findall(r"\d+\.\d %", precision)) == 5
    for section in ("## Intended use", "## Labels and their bias", "#### Calibration", "#### Recall parity",
                    "## Limitations", "PIPA art. 37-2", "## How to regenerate", "### Targets, for the deployed",
                    "### Across cities", "## The cities"):  # fmt: skip
        assert section in card
    # One section per city, and one row per city in each cross-city table.
    assert card.count("### City of 3,000 households, seed 5") == 1
    assert card.count("### City of 3,000 households, seed 6") == 1
    for table in ("| city (households) | k |", "| city (households) | recall", "| city (households) | release gate"):
        rows = _table_rows(card, table)
        assert [row.split(" | ")[0] for row in rows] == ["| 3,000 (seed 5)", "| 3,000 (seed 6)"], rows
    # Each city's deployed configuration is stated against both targets, met or not, from the figures.
    targets = card[card.index("### Targets, for the deployed") : card.index("### Across cities")]
    verdicts = re.findall(r"- \*\*City of 3,000 households, seed \d\*\*: deployed (.+?) \(release gate: ", targets)
    assert len(verdicts) == 2, targets
    assert len(re.findall(r"precision@k against the scorecard .*?: \*\*(met|not met)\*\*", targets, re.I)) == 2
    assert len(re.findall(r"age-band recall ratio [\d.∞–]+: \*\*(met|not met)\*\*", targets)) == 2
    for row in _table_rows(card, "| city (households) | release gate"):
        cells = [c.strip() for c in row.strip("|").split("|")]
        ratio, met = cells[5], cells[6]
        assert (met == "met") == (ratio not in ("–", "∞") and float(ratio) <= 1.5), row
        if cells[2] == "scorecard":  # held back: the deployed lists are the scorecard's, so no gain
            assert cells[4] == "**not met**", row
    assert "0 model-listed households had\nnone" in card
    gate = card[card.index("#### The release gate") :]
    for cut in ("cut by score", "balanced cut"):
        assert re.search(rf"\| \S+구 \| {cut} \| [\d,]+ \| .* \| \*\*(passed|held back)\*\*\. ", gate), gate[:1500]
        assert re.search(
            rf"\| \(all districts, pooled\) \| {cut} \| [\d,]+ \| .* \| \*\*(passed|held back)\*\*\. ", gate
        )
    assert "Not the model measured above" not in card  # the gate measured the models the card measured
    assert "max / min recall" in card and "head's age band" in card
