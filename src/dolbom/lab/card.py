"""`dolbom model-card`: evaluate the scorers on one or more synthetic cities and write docs/model-card.md from the
figures.

The experiment (experiment.py) runs for each city in a child process with its own throwaway DOLBOM_HOME and SQLite
database, so the operator's data is never touched: migrate, load the city, import its signal files, screen period 1
with the scorecard, record simulated outcomes, train per district and pooled, screen period 2, measure against the
hidden truth, then let the release gate decide what each district may deploy. The child writes its figures as JSON;
this module turns them into Markdown. Every sentence that states a result is computed from those figures, including
whether a model beats the scorecard and whether the deployed configuration meets the targets.
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
from dolbom.lab.comparison import BALANCED, PARITY_ATTRIBUTES

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


# The targets for the deployed configuration (besides precision@k above the scorecard's with the interval
# above zero): the recall ratio across the head's age band, highest over lowest. The scorecard's was 1.66 on the
# 50,000-household city when they were set.
TARGET_AGE_RATIO = 1.5


def write_model_card(cities: Path | list[Path], *, out: Path, seed: int = 0, keep: Path | None = None) -> Path:
    """Run the experiment on each city, each in a throwaway home of its own, and write one card to `out` (replacing
    it whole)."""
    cities = [Path(cities)] if isinstance(cities, str | Path) else [Path(c) for c in cities]
    if not cities:
        raise SystemExit("name at least one generated city")
    for city in cities:  # every city checked before the first one's experiment runs for minutes
        _ensure_city(city)
    results = []
    for i, city in enumerate(cities):
        results.append(run_experiment(city, seed=seed, keep=Path(keep) / f"city-{i + 1}" if keep else None))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results), encoding="utf-8")
    return out


def _ensure_city(city: Path) -> Path:
    city = Path(city).resolve()
    if not (city / "manifest.json").is_file():
        raise SystemExit(f"{city} is not a generated city (no manifest.json): run `dolbom generate` first")
    return city


def run_experiment(city: Path, *, seed: int = 0, keep: Path | None = None) -> dict[str, Any]:
    """The experiment's figures for one city, from a child process with a throwaway home and database."""
    city = _ensure_city(city)
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
        return json.loads(result_file.read_text(encoding="utf-8"))


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
    ("pooled", "learned model (pooled)"),
    ("model_balanced", "learned model (per district), balanced cut"),
    ("pooled_balanced", "learned model (pooled), balanced cut"),
)
DEPLOYED = {"pooled": "the pooled model", "model": "its own model", "scorecard": "the scorecard"}
CUTS = {"by_score": "cut by score", "balanced": "balanced cut"}


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
        if name.endswith(BALANCED):  # the same probabilities as the model's: the same deciles
            continue
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
    short = {"scorecard": "scorecard", "model": "model", "pooled": "pooled model", "model_balanced": "model, balanced",
             "pooled_balanced": "pooled, balanced"}  # fmt: skip
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


def _reach_figures(result: dict[str, Any]) -> str:
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
    return f"""Hard-to-reach households: in round 1, **{pct(hard["unreachable_or_moved_share"])} of the hard-to-reach
households listed ended unreachable or moved, against {pct(other["unreachable_or_moved_share"])} of the others**;
{hard["labelled"]:,} of {hard["listed"]:,} listed hard-to-reach households became labels
({pct(hard["positive_rate"])} of them positive), against {other["labelled"]:,} of {other["listed"]:,} others
({pct(other["positive_rate"])} positive). In round 2:

{finding}"""


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


# The card's prose, with a {placeholder} for each figure: edited as text, filled by `render`; one section per city.
TEMPLATE = (Path(__file__).with_name("model_card.md")).read_text(encoding="utf-8")
CITY_TEMPLATE = (Path(__file__).with_name("model_card_city.md")).read_text(encoding="utf-8")


def render(results: dict[str, Any] | list[dict[str, Any]]) -> str:
    """The whole card, from the experiment's figures for each city."""
    results = [results] if isinstance(results, dict) else results
    first = results[0]["generated"]
    cities = [r["city"] for r in results]
    # The cities are generated again from their size and seed, into folders named as the ones measured.
    commands = [
        f"dolbom generate --households {c['households']} --seed {c['seed']} --out var/{c['name']}" for c in cities
    ]
    commands.append(
        "dolbom model-card " + " ".join(f"--city var/{c['name']}" for c in cities) + " --out docs/model-card.md"
    )
    values = {
        "cities": ("one synthetic city" if len(results) == 1 else f"{len(results)} synthetic cities")
        + " — "
        + "; ".join(f"{c['households']:,} households (seed {c['seed']})" for c in cities)
        + " —",
        "simulation_seed": str(results[0]["simulation"]["seed"]),
        "dolbom": first["dolbom"],
        "lightgbm": first["lightgbm"],
        "catalogue": first["catalogue"],
        "scorecard": first["scorecard"],
        "seconds": f"{sum(r['generated']['seconds'] for r in results):.0f}",
        "target_ratio": num(TARGET_AGE_RATIO, 1),
        "targets": "\n".join(f"- {targets_sentence(r)}" for r in results),
        "cross_city": cross_city(results),
        "min_labels": str(MIN_LABELS),
        "min_per_class": str(MIN_PER_CLASS),
        "city_sections": "\n\n".join(CITY_TEMPLATE.format_map(card_values(r)).rstrip() for r in results),
        "regenerate": "\n".join(commands),
    }
    return TEMPLATE.format_map(values)


def city_title(result: dict[str, Any]) -> str:
    city = result["city"]
    return f"City of {city['households']:,} households, seed {city['seed']}"


def card_values(result: dict[str, Any]) -> dict[str, str]:
    """Every figure and table of a city's section, formatted."""
    g, city, ev = result["generated"], result["city"], result["evaluation"]
    return {
        "title": city_title(result),
        "name": city["name"],
        "households": f"{city['households']:,}",
        "seed": str(city["seed"]),
        "districts": ", ".join(city["districts"]),
        "seconds": f"{g['seconds']:.0f}",
        "period1": city["periods"][0],
        "period2": city["periods"][1],
        "capacity": f"{ev['capacity']:,}",
        "summary": summary(result),
        "deployed_sentence": targets_sentence(result, with_city=False),
        "deployment_table": _deployment_table(result),
        "population": f"{ev['population']:,}",
        "with_signal": f"{ev['with_signal']:,}",
        "in_crisis": f"{ev['in_crisis']:,}",
        "in_crisis_detectable": f"{ev['in_crisis_detectable']:,}",
        "round1_listed": f"{result['round1']['listed']:,}",
        "round1_recorded": f"{result['round1']['recorded']:,}",
        "outcomes_table": _outcomes_table(result),
        "hard_to_reach": _reach_figures(result),
        "training_table": _training_table(result),
        "metrics_table": _metrics_table(ev),
        "model_listed_without_reasons": f"{ev['model_listed_without_reasons']:,}",
        "gate_table": _gate_table(result),
        "reliability_tables": _reliability_tables(ev),
        "parity_tables": _parity_tables(ev),
    }


# targets and the cross-city summary ------------------------------------------------------------------------------


def _ratio(value: Any) -> float:
    return float("nan") if value is None else float(value)  # "inf" from JSON included


def age_ratio(evaluation: dict[str, Any], name: str) -> float:
    return _ratio(evaluation["scorers"][name]["parity"]["head_age_band"]["ratio"])


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """The deployed configuration against the issue's targets, from the figures."""
    ev = result["evaluation"]
    difference = ev["differences"]["deployed"]
    ratio = age_ratio(ev, "deployed")
    deployed = [d["deployed"] for d in result["deployment"]]
    return {
        "deployed": deployed,
        "difference": difference["difference"],
        "interval": difference["interval"],
        "precision_met": difference["interval"][0] > 0,
        "ratio": ratio,
        "ratio_met": math.isfinite(ratio) and ratio <= TARGET_AGE_RATIO,
        "held_back": all(d == "scorecard" for d in deployed),
    }


def _deployed_cut(entry: dict[str, Any]) -> str:
    """A district's deployed scorer in words, with the cut of a learned model's lists."""
    if entry["deployed"] == "scorecard":
        return DEPLOYED["scorecard"]
    return f"{DEPLOYED[entry['deployed']]}, {CUTS['balanced' if entry.get('balanced') else 'by_score']}"


def deployed_name(result: dict[str, Any]) -> str:
    """The deployed configuration in words: one for the whole city, or per district when they differ."""
    named = {_deployed_cut(d) for d in result["deployment"]}
    if len(named) == 1:
        return named.pop().replace("its own model", "each district's own model")
    return "; ".join(f"{d['district_name']}: {_deployed_cut(d)}" for d in result["deployment"])


def _gate_in_words(entry: dict[str, Any]) -> str:
    """Which cuts a model passed the gate with."""
    cuts = entry.get("cuts") or {"by_score": {"passed": entry["passed"]}}
    passed = [CUTS[key] for key, cut in cuts.items() if cut["passed"]]
    return f"passed ({', '.join(passed)})" if passed else "held back"


def _gates_in_words(result: dict[str, Any]) -> str:
    return ", ".join(
        f"{'pooled' if g['district'] == 'pooled' else g['district_name']} {_gate_in_words(g)}" for g in result["gate"]
    )


def _interval(interval: list[float]) -> str:
    return f"[{100 * interval[0]:+.1f}, {100 * interval[1]:+.1f}]"


def targets_sentence(result: dict[str, Any], *, with_city: bool = True) -> str:
    """Whether the deployed configuration meets each target, said plainly where it does not."""
    t = targets(result)
    head = f"**{city_title(result)}**: deployed {deployed_name(result)} (release gate: {_gates_in_words(result)}). "
    precision = (
        f"precision@k against the scorecard {points(t['difference'])}, 95 % interval {_interval(t['interval'])}: "
        + ("**met**" if t["precision_met"] else "**not met**")
    )
    ratio = f"age-band recall ratio {num(t['ratio'], 2)}: " + ("**met**" if t["ratio_met"] else "**not met**")
    text = (head if with_city else f"{deployed_name(result)} (release gate: {_gates_in_words(result)}). ") + (
        f"{precision[0].upper()}{precision[1:]}; {ratio}."
    )
    if t["precision_met"] and t["ratio_met"]:
        return text + " Both targets are met."
    missed = " and ".join(
        name for name, met in (("precision@k", t["precision_met"]), ("age-band recall", t["ratio_met"])) if not met
    )
    if t["held_back"]:
        return text + (
            f" **Target not met ({missed})**: the gate held every learned model back, so the districts' rounds keep "
            "the scorecard, whose lists cannot find more than its own."
        )
    return text + (
        f" **Target not met ({missed})** on the city's hidden truth, although the gate, which sees only one held-out "
        "round's recorded outcomes, let the model through."
    )


def _precision_cell(report: dict[str, Any]) -> str:
    low, high = report["precision_interval"]
    return f"{pct(report['precision'])} ({pct(low)} – {pct(high)})"


CROSS_CITY_HEADS = {"model": "per district", "pooled": "pooled", "model_balanced": "per district, balanced",
                    "pooled_balanced": "pooled, balanced"}  # fmt: skip


def cross_city(results: list[dict[str, Any]]) -> str:
    """Three tables over the cities: precision@k, recall and age-band parity, and the deployed configuration."""
    precision_rows, recall_rows, deployed_rows = [], [], []
    for r in results:
        ev, city = r["evaluation"], f"{r['city']['households']:,} (seed {r['city']['seed']})"
        s, d = ev["scorers"], ev["differences"]
        learned = [n for n in ("model", "pooled", "model_balanced", "pooled_balanced") if n in s]
        precision_rows.append(
            [city, f"{ev['capacity']:,}", _precision_cell(s["scorecard"])]
            + [cell for n in learned for cell in (_precision_cell(s[n]),
               f"{points(d[n]['difference']).split(' ')[0]} {_interval(d[n]['interval'])}")]
        )  # fmt: skip
        recall_rows.append(
            [city, pct(s["scorecard"]["recall"]), *(pct(s[n]["recall"]) for n in learned),
             num(age_ratio(ev, "scorecard"), 2), *(num(age_ratio(ev, n), 2) for n in learned)]
        )  # fmt: skip
        t = targets(r)
        deployed_rows.append(
            [city, _gates_in_words(r), deployed_name(r),
             f"{points(t['difference']).split(' ')[0]} {_interval(t['interval'])}",
             "met" if t["precision_met"] else "**not met**", num(t["ratio"], 2),
             "met" if t["ratio_met"] else "**not met**"]
        )  # fmt: skip
    heads = [CROSS_CITY_HEADS[n] for n in learned]
    return "\n\n".join(
        [
            "Precision@k (95 % Wilson interval) and the difference from the scorecard in percentage points (95 % "
            "bootstrap interval); *balanced*: the model's lists in the balanced cut:\n\n"
            + _table(["city (households)", "k", "scorecard",
                      *(cell for head in heads for cell in (head, "difference"))], precision_rows),
            "Recall@k of all households in crisis, and the recall ratio across the head's age band (max / min):\n\n"
            + _table(["city (households)", "recall: scorecard", *heads, "age-band ratio: scorecard", *heads],
                     recall_rows),
            "The deployed configuration against the targets:\n\n"
            + _table(["city (households)", "release gate", "deployed", "precision@k vs scorecard",
                      "interval above 0", "age-band recall ratio", f"≤ {num(TARGET_AGE_RATIO, 1)}"],
                     deployed_rows, "lllrlrl"),
        ]
    )  # fmt: skip


def _deployment_table(result: dict[str, Any]) -> str:
    rows = [
        [d["district_name"], _deployed_cut(d),
         ", ".join(f"{'the pooled model' if n == 'pooled' else 'its own model'}" for n in d["refused"]) or "—"]
        for d in result["deployment"]
    ]  # fmt: skip
    return _table(["district", "deployed", "refused by the application (held back by the gate)"], rows, "lll")


def _gate_table(result: dict[str, Any]) -> str:
    rows = ["| district | cut | held-out outcomes | model / scorecard in need among those put first | verdict |",
            "| --- | --- | ---: | ---: | --- |"]  # fmt: skip
    for entry in result.get("gate", []):
        for key, cut in entry["cuts"].items():
            gate = cut["gate"]
            figures = "—"
            if gate.get("evaluated"):
                figures = f"{100 * gate['precision']['model']:.1f} % / {100 * gate['precision']['scorecard']:.1f} %"
            verdict = ("**passed**. " if cut["passed"] else "**held back**. ") + " ".join(cut["verdict"])
            if entry.get("same_as_measured") is False:  # older figures do not say; False is worth saying loudly
                verdict += " **Not the model measured above**: trained again on the same labels, it came out different."
            rows.append(
                f"| {entry['district_name']} | {CUTS[key]} | {gate.get('labels', 0):,} | {figures} | {verdict} |"
            )
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
            "- **Pooled**: one model on every district's outcomes, trained by the city's officer under the districts' "
            "sharing agreements. " + verdict(ev, "pooled")
        )
    for name in ("model_balanced", "pooled_balanced"):
        if name in ev["scorers"]:
            lines.append(
                "- **Balanced cut** (each dong's list shared across the head's age band and sex). " + verdict(ev, name)
            )
    ratios = "; ".join(
        f"{label} {num(age_ratio(ev, name), 2)}" for name, label in _scorers(ev) if name in ev["scorers"]
    )
    lines.append(f"- Recall ratio across the head's age band (highest over lowest): {ratios}.")
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
