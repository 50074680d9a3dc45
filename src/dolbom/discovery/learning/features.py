"""What each column of the screening feature table means to the learned model: which signal kind and statistic it
is, whether it must act monotonically, and how to say its value in Korean in a household's reasons.

The feature table (`screening.sql.features_sql`, documented in docs/screening.md) has one row per household with
a signal: `household_id`, `dong_code`, per signal kind `<kind>__severity`, `__count` and, where the kind has such a
field, `__months`, `__amount`, `__days` (the largest value of the period), the totals `signals`, `kinds` and
`max_severity`, and the household's composition (`members`, `elderly_alone`, `disabled`, …). Columns are read by
their kind code and statistic, so a kind added to the catalogue becomes a feature — with its constraint and its
wording — without a code change here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dolbom.discovery.catalogue import Catalogue, SignalKind, load_catalogue

ID_COLUMNS = frozenset({"household_id", "dong_code", "dong", "district_code"})
MONTHS, AMOUNT, DAYS, SEVERITY, COUNT, OTHER, MODIFIER = (
    "months",
    "amount",
    "days",
    "severity",
    "count",
    "other",
    "modifier",
)
# The statistic is the part after the kind code (`health_insurance_arrears__months`); these keywords read it.
_STAT_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (MONTHS, ("month",)),
    (AMOUNT, ("amount", "won")),
    (DAYS, ("days",)),
    (SEVERITY, ("sever", "level")),
    (COUNT, ("count",)),
)

# Household columns that are not per kind: (Korean label, unit). Totals over all kinds are arrears too and are
# constrained like them.
TOTALS: dict[str, tuple[str, str]] = {
    "signals": ("위기정보", "건"),
    "kinds": ("위기정보 종류", "가지"),
    "max_severity": ("최고 위기 수준", ""),
}
# Household circumstances: only those the scorecard recognises as raising need (its modifiers), and like the
# scorecard's points they may only raise the risk. Ages (`oldest_age`, `youngest_age`), the number of elders and
# nationality (`foreign_members`) are not used, nor is any column not listed here: no district has decided that age
# or nationality as such should move a household up or down, and a model free to use them learns demographic
# patterns from the few households earlier rounds listed and applies them to everyone (docs/model-card.md).
MODIFIER_LABELS: dict[str, tuple[str, str]] = {
    "members": ("가구원", "명"),
    "elderly_alone": ("65세 이상 1인 가구", "flag"),
    "children": ("아동 가구원", "명"),
    "single_parent": ("한부모 가구", "flag"),
    "disabled": ("장애인 가구원", "명"),
    "severe_disabled": ("중증 장애인 가구원", "명"),
}


@dataclass(frozen=True)
class FeatureInfo:
    """One feature column: its kind (None for a household modifier), statistic, Korean label and constraint."""

    name: str
    kind: str | None
    stat: str
    label: str
    monotone: int  # +1: a larger value never lowers the risk; 0: unconstrained
    field_label: str = ""
    unit: str = ""  # for household columns: 명, 건 …, or "flag" for a yes/no column
    used: bool = True  # False: a column the model does not learn from (any household column not listed above)

    # The wording of reasons is data in the catalogue's language, not msgids: see the comment above `sql.won_sql`.
    def reason(self, value: float, contribution: float) -> str:
        """The Korean reason for a household, e.g. `건강보험료 7개월 체납 (모형 기여 +0.21)`."""
        return f"{self.describe(value)} (모형 기여 {contribution:+.2f})"

    def describe(self, value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.label} (값 없음)"
        if self.stat == MONTHS:
            months = round(float(value))
            for suffix in ("체납", "연체"):
                if self.label.endswith(suffix):
                    return f"{self.label[: -len(suffix)].rstrip()} {months}개월 {suffix}"
            return f"{self.label} (체납 {months}개월)"  # a cut-off: the months are those of the arrears behind it
        if self.stat == AMOUNT:
            return f"{self.label} ({self.field_label or '금액'} {round(float(value)):,}원)"
        if self.stat == SEVERITY:
            return f"{self.label} (위기 수준 {round(float(value))})"
        if self.stat == DAYS:
            return f"{self.label} {round(float(value)):,}일"
        if self.stat == COUNT:
            return f"{self.label} {round(float(value))}건"
        if self.unit == "flag":
            return self.label if value else f"{self.label} 아님"
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{self.label} {shown}{self.unit}"


def _kind_for(name: str, kinds: tuple[SignalKind, ...]) -> SignalKind | None:
    if "__" in name:
        code = name.split("__", 1)[0]
        return next((k for k in kinds if k.code == code), None)
    # Other spellings: the longest code the name contains (`electricity_cutoff`, not a shorter code inside it).
    matches = [k for k in kinds if k.code in name]
    return max(matches, key=lambda k: len(k.code)) if matches else None


def _stat_of(rest: str) -> str:
    for stat, words in _STAT_KEYWORDS:
        if any(w in rest for w in words):
            return stat
    return OTHER


def describe_feature(name: str, catalogue: Catalogue | None = None) -> FeatureInfo:
    """Read a feature column's name: which kind, which statistic, its label and its monotone constraint."""
    catalogue = catalogue or load_catalogue()
    kind = _kind_for(name, catalogue.kinds)
    if kind is None:
        if name in TOTALS:
            label, unit = TOTALS[name]
            return FeatureInfo(name=name, kind=None, stat=MODIFIER, label=label, monotone=1, unit=unit)
        if name in MODIFIER_LABELS:
            label, unit = MODIFIER_LABELS[name]
            return FeatureInfo(name=name, kind=None, stat=MODIFIER, label=label, monotone=1, unit=unit)
        return FeatureInfo(name=name, kind=None, stat=MODIFIER, label=name, monotone=0, used=False)
    stat = _stat_of(name.replace(kind.code, ""))
    field_label = ""
    if stat == AMOUNT:
        field_label = next((f.label for f in kind.fields if f.unit == "won"), "")
    # Every per-kind statistic (months, amount, days, severity, count) is "more arrears": it may only raise the risk.
    return FeatureInfo(
        name=name, kind=kind.code, stat=stat, label=kind.label, monotone=1 if stat != OTHER else 0,
        field_label=field_label,
    )  # fmt: skip


@cache
def _describe_cached(names: tuple[str, ...]) -> tuple[FeatureInfo, ...]:
    catalogue = load_catalogue()
    return tuple(describe_feature(n, catalogue) for n in names)


def describe_features(names: list[str] | tuple[str, ...]) -> tuple[FeatureInfo, ...]:
    return _describe_cached(tuple(names))


def feature_columns(table: pa.Table) -> list[str]:
    """The numeric columns of a feature table the model learns from, in table order (identifiers, text and the
    columns it does not use are left out)."""
    catalogue = load_catalogue()
    columns = []
    for f in table.schema:
        if f.name in ID_COLUMNS or not describe_feature(f.name, catalogue).used:
            continue
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type):
            columns.append(f.name)
    return columns


def to_matrix(table: pa.Table, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """The features as a float64 matrix in the given column order. A missing signal statistic is 0 (no arrears
    of that kind) so that the monotone constraint also orders "none" below "some"; a missing modifier stays NaN."""
    infos = describe_features(names)
    out = np.empty((table.num_rows, len(names)), dtype=np.float64)
    for j, (name, info) in enumerate(zip(names, infos, strict=True)):
        if name not in table.column_names:
            raise KeyError(f"the feature table has no column '{name}' that the model was trained on")
        column = table.column(name)
        if pa.types.is_boolean(column.type):
            column = pc.cast(column, pa.int8())
        fill = 0.0 if info.kind is not None or info.monotone else np.nan
        out[:, j] = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        if column.null_count:
            out[pc.is_null(column).to_numpy(zero_copy_only=False), j] = fill
    return out
