"""The release gate's verdict in words (`ScoringModel.gate` → sentences for the learned models page and for a
refused choice). The verdict is stored as codes and figures so that it reads in the language of whoever looks."""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dolbom.discovery.learning.gate import EVEN_ENOUGH

ATTRIBUTE_LABELS = {
    "head_age_band": gettext_lazy("the head's age band"),
    "head_sex": gettext_lazy("the head's sex"),
    "disability": gettext_lazy("disability in the household"),
    "dong": gettext_lazy("dong"),
}


def _points(value: Any) -> float:
    return 100 * float(value) if value is not None else float("nan")


def _ratio(value: Any) -> str:
    if value is None:
        return "—"
    if value == "inf":
        return "∞"
    return f"{float(value):.2f}"


def _held_back(reason: dict[str, Any], gate: dict[str, Any]) -> str:
    code = reason.get("code")
    if code == "no_heldout_round":
        return _(
            "No round it did not learn from has recorded outcomes: the gate checks a model on the outcomes of a "
            "later round. Record the outcomes of the next round and train again."
        )
    if code == "heldout_leaves_too_few":
        return _(
            "The rounds before the latest have too few outcomes to learn from while the latest is kept for the "
            "check, so the model learned from every round and nothing is left to check it on. Record the outcomes "
            "of the next round and train again."
        )
    if code == "too_few_labels":
        return _(
            "The held-out round has %(labels)d outcomes that say need or no need (%(positives)d in need, "
            "%(negatives)d not): the gate needs at least 50, and 10 of each."
        ) % {key: reason.get(key, 0) for key in ("labels", "positives", "negatives")}
    if code == "precision_not_above":
        return _(
            "It did not find more households in need than the scorecard with confidence: %(model).1f %% against "
            "%(scorecard).1f %%, a difference of %(difference)+.1f points whose 95 %% interval "
            "[%(low)+.1f, %(high)+.1f] does not lie above zero."
        ) % {
            "model": _points(gate["precision"]["model"]),
            "scorecard": _points(gate["precision"]["scorecard"]),
            "difference": _points(gate["difference"]),
            "low": _points(reason.get("low")),
            "high": _points(reason.get("high")),
        }
    if code == "parity_worse":
        attribute = reason.get("attribute", "")
        figures = gate.get("parity", {}).get(attribute, {})
        facts = {
            "attribute": ATTRIBUTE_LABELS.get(attribute, attribute),
            "model": _ratio(figures.get("model")),
            "scorecard": _ratio(figures.get("scorecard")),
            "even": _ratio(gate.get("even_enough")),
        }
        if "even_enough" not in gate:  # checked before a ratio could be even enough whatever the scorecard's
            message = _(
                "Its recall is less even than the scorecard's across %(attribute)s: highest over lowest %(model)s "
                "against %(scorecard)s."
            )
        else:
            message = _(
                "Its recall is less even than the scorecard's across %(attribute)s: highest over lowest %(model)s "
                "against %(scorecard)s, above the %(even)s accepted whatever the scorecard's."
            )
        return message % facts
    if code == "expected_parity_worse":
        attribute = reason.get("attribute", "")
        figures = (gate.get("expected_parity") or {}).get(attribute, {})
        return _(
            "Its whole list, cut at the visit capacity from every household the held-out round could list, leans "
            "across %(attribute)s: by its own probabilities it would find highest over lowest %(model)s of each "
            "group's expected need, against %(scorecard)s for the scorecard's list, above the %(even)s accepted "
            "whatever the scorecard's."
        ) % {
            "attribute": ATTRIBUTE_LABELS.get(attribute, attribute),
            "model": _ratio(figures.get("model")),
            "scorecard": _ratio(figures.get("scorecard")),
            "even": _ratio(gate.get("even_enough")),
        }
    if code == "balanced_not_evaluated":
        return _(
            "It was checked before the gate measured the balanced cut of the lists: train a new one to have it checked."
        )
    if code == "trained_before_gate":
        return _("It was trained before models were checked at the gate: train a new one to have it checked.")
    return str(code)


def cut_name(*, balanced: bool) -> str:
    """The cut of a learned model's lists, as the settings and the gate's verdicts name it."""
    return _("the balanced cut") if balanced else _("the cut by score")


def explain_gate(gate: dict[str, Any]) -> list[str]:
    """Why a model was held back, a sentence a reason; or, for a model that passed, what it passed on."""
    if not gate:
        return [_held_back({"code": "trained_before_gate"}, gate)]
    if gate.get("passed"):
        unmeasured = [
            str(ATTRIBUTE_LABELS.get(name, name))
            for name, figures in gate.get("parity", {}).items()
            if not figures.get("measured")
        ]
        lines = [
            _(
                "Passed on %(labels)d outcomes of held-out rounds: %(model).1f %% in need among the households it "
                "put first, against %(scorecard).1f %% for the scorecard (%(difference)+.1f points, 95 %% interval "
                "[%(low)+.1f, %(high)+.1f]); across the groups compared, its recall is no less even than the "
                "scorecard's, or highest over lowest at most %(even)s."
            )
            % {
                "labels": gate["labels"],
                "model": _points(gate["precision"]["model"]),
                "scorecard": _points(gate["precision"]["scorecard"]),
                "difference": _points(gate["difference"]),
                "low": _points(gate["interval"][0]),
                "high": _points(gate["interval"][1]),
                "even": _ratio(gate.get("even_enough", EVEN_ENOUGH)),
            }
        ]
        if gate.get("expected_parity"):
            lines.append(
                _(
                    "Cut at the visit capacity from the %(candidates)s households the held-out round could list, its "
                    "whole list would find, by its own probabilities, no less even a share of each group's expected "
                    "need than the scorecard's list, or highest over lowest at most %(even)s."
                )
                % {
                    "candidates": number_format(gate.get("candidates", 0), force_grouping=True),
                    "even": _ratio(gate.get("even_enough", EVEN_ENOUGH)),
                }
            )
        if unmeasured:
            lines.append(
                _("Too few households in need to compare recall across: %(groups)s.")
                % {"groups": ", ".join(unmeasured)}
            )
        return lines
    return [_held_back(reason, gate) for reason in gate.get("held_back", [])]
