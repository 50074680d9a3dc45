"""`dolbom model-card`: evaluate both scorers on a synthetic city and write docs/model-card.md from the figures.

The experiment (experiment.py) runs in a child process with its own throwaway DOLBOM_HOME and SQLite database, so
the operator's data is never touched: migrate, load the city, import its signal files, screen period 1 with the
scorecard, record simulated outcomes, train, screen period 2 with both scorers, measure against the hidden truth.
The child writes its figures as JSON; this module turns them into Markdown. Every sentence that states a result is
computed from those figures, including whether the model beats the scorecard.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dolbom.discovery.learning.train import MIN_LABELS, MIN_PER_CLASS
from dolbom.lab.comparison import PARITY_ATTRIBUTES

OUTCOME_LABELS = {
    "helped": "helped (지원)",
    "referred": "referred (서비스 연계)",
    "not_eligible": "not in need / not eligible (비해당)",
    "refused": "refused (거부)",
    "unreachable": "unreachable (연락 두절)",
    "moved": "moved (전출)",
    "deceased": "deceased (사망)",
}
POSITIVE = ("helped", "referred")
NEGATIVE = ("not_eligible", "refused")


def write_model_card(city: Path, *, out: Path, seed: int = 0, keep: Path | None = None) -> Path:
    """Run the experiment on `city` in a throwaway home and write the card to `out` (replacing it whole)."""
    city = Path(city).resolve()
    if not (city / "manifest.json").is_file():
        raise SystemExit(f"{city} is not a generated city (no manifest.json): run `dolbom generate` first")
    with tempfile.TemporaryDirectory(prefix="dolbom-model-card-") as tmp:
        home = Path(keep) if keep else Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        (home / "model-card.sqlite3").unlink(missing_ok=True)  # a kept home is reused: start from an empty database
        result_file = home / "result.json"
        env = {
            **os.environ,
            "DOLBOM_HOME": str(home),
            "DOLBOM_DATABASE_URL": f"sqlite:///{home / 'model-card.sqlite3'}",
            "DOLBOM_ENV": "development",
            "DJANGO_SETTINGS_MODULE": "dolbom.settings",
        }
        command = [
            sys.executable,
            "-m",
            "dolbom.lab",
            "--city",
            str(city),
            "--result",
            str(result_file),
            "--seed",
            str(seed),
        ]
        subprocess.run(command, env=env, check=True)  # noqa: S603 - our own module, arguments are paths
        result = json.loads(result_file.read_text(encoding="utf-8"))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result), encoding="utf-8")
    return out


# formatting --------------------------------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f} %"


def num(value: float | str | None, digits: int = 3) -> str:
    if isinstance(value, str):  # JSON has no infinity: the experiment writes "inf" (a group with recall 0)
        value = float(value)
    if value is None or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}f}"


def points(value: float) -> str:
    return f"{100 * value:+.1f} percentage points"


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# the card ----------------------------------------------------------------------------------------------------------


SCORERS: tuple[tuple[str, str], ...] = (
    ("scorecard", "scorecard"),
    ("model", "learned model (per district)"),
    ("pooled", "learned model (both districts' labels)"),
)


def _scorers(evaluation: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, label) for name, label in SCORERS if name in evaluation["scorers"]]


def verdict(evaluation: dict[str, Any], name: str = "model") -> str:
    """Whether a learned model beats the scorecard on precision@k, by how much, with the bootstrap interval."""
    card, model = evaluation["scorers"]["scorecard"], evaluation["scorers"][name]
    difference = evaluation["differences"][name]
    diff = difference["difference"]
    low, high = difference["interval"]
    label = dict(SCORERS)[name]
    figures = (
        f"precision@k {pct(model['precision'])} against {pct(card['precision'])} for the scorecard "
        f"({model['found']:,} and {card['found']:,} households in crisis among {model['listed']:,} and "
        f"{card['listed']:,} listed); difference {points(diff)}, 95 % bootstrap interval "
        f"[{100 * low:+.1f}, {100 * high:+.1f}]"
    )
    if low > 0:
        return f"**The {label} beats the scorecard on precision@k by {points(diff)}**: {figures}."
    if high < 0:
        return f"**The {label} does not beat the scorecard: it is worse on precision@k**: {figures}."
    return (
        f"**The {label} does not clearly beat the scorecard on precision@k**: {figures}. The interval includes "
        "zero: this evaluation cannot tell the two apart."
    )


def _metrics_table(evaluation: dict[str, Any]) -> str:
    scorers = _scorers(evaluation)
    reports = [evaluation["scorers"][name] for name, _ in scorers]

    def row(title: str, key: str, fmt: Any, *, scorecard: str | None = None) -> list[str]:
        cells = [fmt(r.get(key)) for r in reports]
        if scorecard is not None:
            cells[0] = scorecard
        return [title, *cells]

    def interval(r: dict[str, Any]) -> str:
        low, high = r["precision_interval"]
        return f"{pct(low)} – {pct(high)}"

    def count(value: Any) -> str:
        return f"{value:,}"

    rows = [
        row("households listed (k)", "listed", count),
        row("of them in crisis", "found", count),
        row("**precision@k**", "precision", pct),
        ["precision@k, 95 % Wilson interval", *(interval(r) for r in reports)],
        ["difference from the scorecard (95 % bootstrap)", "",
         *(f"{points(evaluation['differences'][n]['difference']).split(' ')[0]} "
           f"[{100 * evaluation['differences'][n]['interval'][0]:+.1f}, "
           f"{100 * evaluation['differences'][n]['interval'][1]:+.1f}]" for n, _ in scorers[1:])],
        ["households also on the scorecard's list", "", *(count(evaluation["differences"][n]["overlap"])
                                                         for n, _ in scorers[1:])],
        row("**recall@k** (all households in crisis)", "recall", pct),
        row("recall@k (crises that show in agency data)", "recall_detectable", pct),
        row("AUC (households with a signal)", "auc", num),
        row("Brier score (households with a signal)", "brier", lambda v: num(v, 4), scorecard="– (no probability)"),
        row("Brier score of the base rate, for reference", "base_rate_brier", lambda v: num(v, 4), scorecard=""),
        row("Brier score among the listed", "listed_brier", lambda v: num(v, 4), scorecard=""),
        row("mean probability among the listed", "listed_mean_probability", pct, scorecard=""),
    ]  # fmt: skip
    return _table(["measure (held-out round 2)", *(label for _, label in scorers)], rows)


def _reliability_tables(evaluation: dict[str, Any]) -> str:
    parts = []
    for name, label in _scorers(evaluation)[1:]:
        rows = [
            [str(b["decile"]), f"{b['households']:,}", f"{pct(b['low'])} – {pct(b['high'])}",
             pct(b["mean_probability"]), pct(b["observed_rate"])]
            for b in evaluation["scorers"][name]["reliability"]
        ]  # fmt: skip
        parts.append(
            f"{label[0].upper()}{label[1:]} — households with a signal in deciles of predicted probability:\n\n"
            + _table(["decile", "households", "probability range", "mean predicted", "observed in crisis"], rows)
        )
    card_rows = [
        [str(b["decile"]), f"{b['households']:,}", f"{b['low']:.0f} – {b['high']:.0f}", pct(b["observed_rate"])]
        for b in evaluation["scorers"]["scorecard"]["reliability"]
    ]
    parts.append(
        "Scorecard — the same households in deciles of points (the scorecard gives no probability; the observed "
        "share shows how need rises with the points):\n\n"
        + _table(["decile", "households", "points range", "observed in crisis"], card_rows)
    )
    return "\n\n".join(parts)


def _parity_tables(evaluation: dict[str, Any]) -> str:
    scorers = _scorers(evaluation)
    short = {"scorecard": "scorecard", "model": "model", "pooled": "pooled model"}
    parts = []
    for attribute, label in PARITY_ATTRIBUTES:
        parity = [evaluation["scorers"][name]["parity"][attribute] for name, _ in scorers]
        rows = []
        for i, group in enumerate(parity[0]["groups"]):
            cells = [group["group"], f"{group['in_crisis']:,}"]
            for p in parity:
                g = p["groups"][i]
                cells += [f"{g['found']:,}", pct(g["recall"])]
            rows.append(cells)
        ratio = ["**max / min recall**", ""]
        for p in parity:
            ratio += ["", f"**{num(p['ratio'], 2)}**"]
        rows.append(ratio)
        header = ["group", "in crisis"]
        for name, _ in scorers:
            header += [f"found ({short[name]})", "recall"]
        parts.append(f"**{label}**\n\n" + _table(header, rows))
    return "\n\n".join(parts)


def _reach_ratio(groups: list[dict[str, Any]]) -> tuple[float, dict[str, Any], dict[str, Any]]:
    hard = next(g for g in groups if g["group"].startswith("어려움"))
    other = next(g for g in groups if g["group"].startswith("보통"))
    ratio = hard["recall"] / other["recall"] if other["recall"] else float("nan")
    return ratio, hard, other


def _hard_to_reach(result: dict[str, Any]) -> str:
    first = result["round1"]
    hard, other = first["hard_to_reach"], first["others"]
    evaluation = result["evaluation"]
    card_ratio, hard_card, other_card = _reach_ratio(
        evaluation["scorers"]["scorecard"]["parity"]["hard_to_reach_label"]["groups"]
    )
    findings = []
    for name, label in _scorers(evaluation)[1:]:
        ratio, hard_m, other_m = _reach_ratio(evaluation["scorers"][name]["parity"]["hard_to_reach_label"]["groups"])
        verb = "**under-ranks them relative to the scorecard**" if ratio < card_ratio else "does not under-rank them"
        findings.append(
            f"- The {label} {verb}: the recall of hard-to-reach households is {num(ratio, 2)} times that of the "
            f"others ({pct(hard_m['recall'])} against {pct(other_m['recall'])}), against {num(card_ratio, 2)} under "
            f"the scorecard ({pct(hard_card['recall'])} against {pct(other_card['recall'])})."
        )
    finding = "\n".join(findings)
    return f"""Unreachable, moved and deceased are **not labels**: they say nothing about need, and learning from them
would teach the model to find households that are easy to reach. Dropping them has its own bias: households that
are hard to reach — people of working age living alone, gosiwon and officetel residents, and people whose crisis
(isolation, mental health, housing) makes them avoid contact — end unreachable more often, so fewer of them become
labels, and those who do are a skewed sample. In round 1, **{pct(hard["unreachable_or_moved_share"])} of the
hard-to-reach households listed ended unreachable or moved, against {pct(other["unreachable_or_moved_share"])} of
the others**; {hard["labelled"]:,} of {hard["listed"]:,} listed hard-to-reach households became labels
({pct(hard["positive_rate"])} of them positive), against {other["labelled"]:,} of {other["listed"]:,} others
({pct(other["positive_rate"])} positive).

In round 2:

{finding}

The mechanism is there whatever this round shows; keep measuring it. The "hard to reach" group here is the
synthetic city's reachability model (docs/data-formats.md and
`dolbom.synth.outcomes`); in a real district it is whatever makes people hard to find, and it can only be
measured by visiting some households the list did not select."""


def _training_table(result: dict[str, Any]) -> str:
    rows = []
    for t in result["training"]:
        m = t["metrics"]
        rows.append(
            [t["district_name"], f"{m['labels']:,}", f"{m['positives']:,}", f"{m['negatives']:,}",
             f"{sum(m.get('dropped', {}).values()):,}", num(m["oof_auc"]), num(m["oof_brier"]), str(m["rounds"]),
             m["calibration"]]
        )  # fmt: skip
    return _table(
        ["district", "labels", "positive", "negative", "not labels", "AUC (out of fold)", "Brier (out of fold)",
         "trees", "calibration"],
        rows,
    )  # fmt: skip


def _outcomes_table(result: dict[str, Any]) -> str:
    outcomes = result["round1"]["outcomes"]
    total = sum(outcomes.values()) or 1
    rows = []
    for code, label in OUTCOME_LABELS.items():
        n = outcomes.get(code, 0)
        use = "positive label" if code in POSITIVE else "negative label" if code in NEGATIVE else "not a label"
        rows.append([label, f"{n:,}", pct(n / total), use])
    return _table(["outcome recorded", "households", "share", "used as"], rows, "lrrl")


# The card's prose, with a {placeholder} for each figure: edited as text, filled by `render`.
TEMPLATE = (Path(__file__).with_name("model_card.md")).read_text(encoding="utf-8")


def render(result: dict[str, Any]) -> str:
    """The whole card, from the experiment's figures."""
    return TEMPLATE.format_map(card_values(result))


def card_values(result: dict[str, Any]) -> dict[str, str]:
    """Every figure and table the template names, formatted."""
    g, city, ev = result["generated"], result["city"], result["evaluation"]
    return {
        "households": f"{city['households']:,}",
        "households_plain": str(city["households"]),
        "seed": str(city["seed"]),
        "simulation_seed": str(result["simulation"]["seed"]),
        "dolbom": g["dolbom"],
        "lightgbm": g["lightgbm"],
        "catalogue": g["catalogue"],
        "scorecard": g["scorecard"],
        "seconds": f"{g['seconds']:.0f}",
        "period1": city["periods"][0],
        "period2": city["periods"][1],
        "capacity": f"{ev['capacity']:,}",
        "summary": summary(result),
        "min_labels": str(MIN_LABELS),
        "min_per_class": str(MIN_PER_CLASS),
        "population": f"{ev['population']:,}",
        "with_signal": f"{ev['with_signal']:,}",
        "in_crisis": f"{ev['in_crisis']:,}",
        "in_crisis_detectable": f"{ev['in_crisis_detectable']:,}",
        "round1_listed": f"{result['round1']['listed']:,}",
        "round1_recorded": f"{result['round1']['recorded']:,}",
        "outcomes_table": _outcomes_table(result),
        "hard_to_reach": _hard_to_reach(result),
        "training_table": _training_table(result),
        "metrics_table": _metrics_table(ev),
        "model_listed_without_reasons": f"{ev['model_listed_without_reasons']:,}",
        "gate_table": _gate_table(result),
        "reliability_tables": _reliability_tables(ev),
        "parity_tables": _parity_tables(ev),
    }


def _gate_table(result: dict[str, Any]) -> str:
    rows = ["| district | held-out outcomes | model / scorecard in need among those put first | verdict |",
            "| --- | ---: | ---: | --- |"]  # fmt: skip
    for entry in result.get("gate", []):
        gate = entry["gate"]
        figures = "—"
        if gate.get("evaluated"):
            figures = f"{100 * gate['precision']['model']:.1f} % / {100 * gate['precision']['scorecard']:.1f} %"
        verdict = ("**passed**. " if entry["passed"] else "**held back**. ") + " ".join(entry["verdict"])
        rows.append(f"| {entry['district_name']} | {gate.get('labels', 0):,} | {figures} | {verdict} |")
    return "\n".join(rows)


def summary(result: dict[str, Any]) -> str:
    """The card's summary: each model against the scorecard on precision, recall, AUC and calibration."""
    ev = result["evaluation"]
    card, model = ev["scorers"]["scorecard"], ev["scorers"]["model"]
    pooled = ev["scorers"].get("pooled")
    labels_per_district = ", ".join(
        f"{t['district_name']} {t['metrics']['labels']:,}" for t in result["training"] if t["district"] != "pooled"
    )

    def compared(name: str, key: str, fmt: Any) -> str:
        r = ev["scorers"][name]
        word = "higher" if r[key] > card[key] else "lower" if r[key] < card[key] else "the same"
        return f"{fmt(r[key])} ({word} than the scorecard's {fmt(card[key])})"

    lines = [
        f"- **Per district**, as `dolbom train --district` trains today ({labels_per_district} labels). "
        + verdict(ev, "model"),
    ]
    if pooled is not None:
        lines.append(
            "- **Both districts' labels pooled** into one model (a what-if: more outcomes than one district records "
            "in a round). " + verdict(ev, "pooled")
        )
    lines.append(
        f"- Recall@k, of all {ev['in_crisis']:,} households in crisis: scorecard {pct(card['recall'])}, per-district "
        f"model {pct(model['recall'])}"
        + (f", pooled model {pct(pooled['recall'])}" if pooled else "")
        + ". About 1 % of households are visited per round, so most households in crisis are on no list, and "
        f"{pct(1 - ev['in_crisis_detectable'] / ev['in_crisis'])} of them leave no trace in agency data at all."
    )
    lines.append(
        f"- AUC over the {model['ranked']:,} households with a signal: per-district model "
        f"{compared('model', 'auc', num)}"
        + (f"; pooled model {compared('pooled', 'auc', num)}" if pooled else "")
        + "."
    )
    lines.append(
        f"- Brier score over households with a signal: per-district model {num(model['brier'], 4)}"
        + (f", pooled model {num(pooled['brier'], 4)}" if pooled else "")
        + f" (a constant base rate scores {num(model['base_rate_brier'], 4)}). The probabilities are calibrated for "
        "households like those visited — among the listed, the mean predicted probability is "
        f"{pct(model['listed_mean_probability'])} against {pct(model['precision'])} found in crisis (per district)"
        + (f", {pct(pooled['listed_mean_probability'])} against {pct(pooled['precision'])} (pooled)" if pooled else "")
        + " — and overstate the risk of everyone further down (see Calibration)."
    )
    return "\n".join(lines)
