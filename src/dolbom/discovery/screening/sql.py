"""The round, written once as SQL that DuckDB and Spark SQL both run.

The statements stick to the subset the two dialects share: CTEs and subqueries, window functions, CASE, COALESCE,
explicit CASTs to BIGINT/DOUBLE/STRING, `||`, `%` and `/` (always followed by a CAST: `/` gives a DOUBLE in both),
DATE literals, and `div(a, b)`. Integer arithmetic is exact in both engines: a floor is written `div(a, b)` — Spark's
integral division, which the DuckDB session defines as a macro for its `a // b` — never FLOOR() over a DOUBLE, so
both give the same points to the last digit. Identifiers are never quoted (the two quote differently)
and literals never contain an apostrophe or a backslash (the scorecard reader refuses them).

The scorecard's rules become CASE expressions here; nothing about points is written in SQL by hand.

Relations the engine registers before running the statements, from Parquet files: `signals_raw`, `households`,
`memberships`, `persons`, `excluded`, `dongs` (schemas in `inputs.py`) and `scored_kinds` (`scored_kinds_table`).
Statements then build, in order: `signals` (view), `residents`, `traits`, `kind_points`, `household_scores` for
every household (`scoring_statements`), or for the scorecard's own round the same relations for its contenders
only (`scoring_statements(…, contenders=True)`, see "the round" below); `listed_statement` cuts each dong's list
from a scores relation (the scorecard's or a learned model's, or a model's in the balanced order of
`balanced_statement`) and `reasons_sql` writes the reasons of the listed households only — the one part that
needs text, done on a few thousand rows rather than a million.
"""

# ruff: noqa: S608 -- this module writes SQL from the validated scorecard and catalogue; no user text reaches it
# except through lit(), which refuses quotes and backslashes.
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from dolbom.discovery.catalogue import Catalogue, SignalKind
from dolbom.discovery.learning.balance import AGE_BANDS, UNKNOWN_BAND, UNKNOWN_SEX
from dolbom.discovery.screening.scorecard import Increment, Modifier, Placeholder, Scorecard, Template

# Reason columns of a scores relation: reason1_code, reason1_text, reason1_points, … reason3_points.
REASONS = 3
DEFAULT_AGES = {"elderly": 65, "child": 18}


@dataclass(frozen=True)
class Statement:
    name: str
    sql: str
    materialize: bool = True  # False: a view the next statements inline (the engine decides how to keep the rest)


def lit(value: str) -> str:
    """A string literal both dialects read the same way."""
    if "'" in value or "\\" in value:
        raise ValueError(f"text for SQL must not contain an apostrophe or a backslash: {value!r}")
    return f"'{value}'"


def date_lit(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def in_list(values: Iterable[str | int]) -> str:
    items = [lit(v) if isinstance(v, str) else str(int(v)) for v in values]
    return f"({', '.join(items)})" if items else ""


def birth_cutoff(as_of: date, years: int) -> date:
    """The latest birth date of someone who is at least `years` old (만 나이) on `as_of`."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February in a year that has none
        return as_of.replace(year=as_of.year - years, day=28)


def floor_div(numerator: str, divisor: int) -> str:
    """⌊numerator / divisor⌋ for a non-negative BIGINT numerator, exact in both engines (integral division
    truncates, which is the floor when neither side is negative)."""
    return f"div({numerator}, {divisor})"


def col(field: str) -> str:
    """Signal fields are renamed with a prefix so that a catalogue field can never clash with a computed column."""
    return f"f_{field}"


# ---------------------------------------------------------------------------------------------------- signals


def signal_fields(catalogue: Catalogue, scorecard: Scorecard) -> dict[str, str]:
    """Signal columns the statements read: every int field of the catalogue (severity, features) and the fields
    the scorecard's reasons show."""
    fields = {f.name: f.type for kind in catalogue.kinds for f in kind.fields if f.type == "int"}
    fields.update(scorecard.fields_used(catalogue))
    return dict(sorted(fields.items()))


def signals_statement(
    catalogue: Catalogue,
    scorecard: Scorecard,
    *,
    signal_file_ids: Iterable[int],
    available: Iterable[str],
    late_matches: bool = False,
) -> Statement:
    """The period's committed signals with the fields the round needs; a field no file carries is NULL.

    Rows that matched nobody at import stay as they were (person_id NULL, counted as unmatched); those whose number
    belongs to a resident now (`late_matches`) appear a second time with that person and `matched_late` = 1. The
    second part is written only when the snapshot has late matches: usually it has none, and the statement is
    read several times."""
    present = set(available)
    fields = []
    for name, type_ in signal_fields(catalogue, scorecard).items():
        sql_type = "BIGINT" if type_ == "int" else "STRING"
        source = f"s.{name}" if name in present else "NULL"
        fields.append(f"CAST({source} AS {sql_type}) AS {col(name)}")

    def select(person: str, matched_late: int) -> str:
        columns = ["CAST(s.signal_file_id AS BIGINT) AS signal_file_id", "s.record_id", "s.kind"]
        columns += [f"CAST({person} AS BIGINT) AS person_id", *fields, f"{matched_late} AS matched_late"]
        return f"SELECT {', '.join(columns)}"

    ids = in_list(signal_file_ids)
    where = f"s.signal_file_id IN {ids}" if ids else "1 = 0"
    sql = f"{select('s.person_id', 0)} FROM signals_raw s WHERE {where}"
    if late_matches:
        sql += f"""
UNION ALL
{select("m.person_id", 1)} FROM signals_raw s JOIN late_matches m ON m.rrn_hash = s.rrn_hash
WHERE {where} AND s.person_id IS NULL"""
    return Statement("signals", sql, materialize=False)


# ---------------------------------------------------------------------------------------------------- registry


def residents_statement(as_of: date, *, of: str | None = None) -> Statement:
    """Living members of the district's households on the round's date (the snapshot holds the memberships in
    force on that date only, so members who moved out are not there), with who they are. The dong is looked up
    per household later, for the far fewer households that have a signal. `of` names a relation of household ids
    to keep only their members (the round's contenders), with what the modifiers read only."""
    # As IN, not a join: DuckDB then filters the memberships first and reads only their persons.
    only = f"m.household_id IN (SELECT household_id FROM {of}) AND " if of else ""
    who = "p.birth_date, p.disability" if of else "p.birth_date, p.sex, p.disability, p.nationality"
    sql = f"""
SELECT m.household_id, m.person_id, m.relationship, {who}
FROM memberships m
JOIN persons p ON p.person_id = m.person_id
WHERE {only}(p.date_of_death IS NULL OR p.date_of_death > {date_lit(as_of)})"""
    return Statement("residents", sql)


def living_statement(as_of: date) -> Statement:
    """Living members as (household_id, person_id) only: what a round joins the signals to. The snapshot writes a
    person row for every membership (snapshot.py), so leaving the dead out is an anti-join with the few who died,
    not a join with every person's row."""
    sql = f"""
SELECT m.household_id, m.person_id
FROM memberships m
LEFT JOIN (SELECT person_id FROM persons WHERE date_of_death <= {date_lit(as_of)}) d ON d.person_id = m.person_id
WHERE d.person_id IS NULL"""
    return Statement("living", sql, materialize=False)


def modifier_ages(scorecard: Scorecard) -> dict[str, int]:
    ages = dict(DEFAULT_AGES)
    if (m := scorecard.modifier("elderly_alone")) is not None:
        ages["elderly"] = m.params["age"]
    if (m := scorecard.modifier("children")) is not None:
        ages["child"] = m.params["age"]
    sp = scorecard.modifier("single_parent")
    ages["single_parent_child"] = sp.params["age"] if sp is not None else ages["child"]
    return ages


def traits_statement(scorecard: Scorecard, as_of: date, *, modifiers_only: bool = False) -> Statement:
    """Per household: who lives there, as counts (the modifiers and the feature table read these). The scorecard's
    round reads the counts its modifiers and their reasons use only (`modifiers_only`: a quarter less time for
    its contenders' members at a million households)."""
    ages = modifier_ages(scorecard)
    elderly = date_lit(birth_cutoff(as_of, ages["elderly"]))
    child = date_lit(birth_cutoff(as_of, ages["child"]))
    own_child = date_lit(birth_cutoff(as_of, ages["single_parent_child"]))
    counts = [
        "COUNT(*) AS members",
        f"SUM(CASE WHEN birth_date <= {elderly} THEN 1 ELSE 0 END) AS elderly",
        f"SUM(CASE WHEN birth_date > {child} THEN 1 ELSE 0 END) AS children",
        f"SUM(CASE WHEN relationship = 'child' AND birth_date > {own_child} THEN 1 ELSE 0 END) AS own_children",
        "SUM(CASE WHEN relationship = 'spouse' THEN 1 ELSE 0 END) AS spouses",
        "SUM(CASE WHEN disability IN ('mild', 'severe') THEN 1 ELSE 0 END) AS disabled",
        "SUM(CASE WHEN disability = 'severe' THEN 1 ELSE 0 END) AS severe",
    ]
    if not modifiers_only:
        counts += [
            "SUM(CASE WHEN nationality <> 'KR' THEN 1 ELSE 0 END) AS foreign_members",
            "MIN(birth_date) AS oldest_birth",
            "MAX(birth_date) AS youngest_birth",
            "MIN(CASE WHEN relationship = 'head' THEN birth_date END) AS head_birth",
            "MIN(CASE WHEN relationship = 'head' THEN sex END) AS head_sex",
        ]
    columns = ",\n  ".join(counts)
    sql = f"""
SELECT household_id,
  {columns}
FROM residents
GROUP BY household_id"""
    return Statement("traits", sql)


# ---------------------------------------------------------------------------------------------------- scoring


def level_sql(kind: SignalKind) -> str:
    """The catalogue's severity level of a signal: the last ladder step its value reaches."""
    severity = kind.severity
    if severity.fixed is not None:
        return str(severity.fixed)
    column = col(severity.field or "")
    steps = severity.steps
    whens = " ".join(f"WHEN {column} >= {s.from_value} THEN {s.level}" for s in reversed(steps[1:]))
    return f"CASE {whens} ELSE {steps[0].level} END" if whens else str(steps[0].level)


def level_points_sql(kind: SignalKind, points: tuple[int, int, int]) -> str:
    severity = kind.severity
    if severity.fixed is not None:
        return str(points[severity.fixed - 1])
    column = col(severity.field or "")
    steps = severity.steps
    whens = " ".join(f"WHEN {column} >= {s.from_value} THEN {points[s.level - 1]}" for s in reversed(steps[1:]))
    first = points[steps[0].level - 1]
    return f"CASE {whens} ELSE {first} END" if whens else str(first)


def increment_sql(increment: Increment) -> str:
    """The piecewise-linear increment, floored, as `Increment.points` computes it."""
    column = col(increment.field)
    (x0, p0), (_, pn) = increment.knots[0], increment.knots[-1]
    parts = [f"WHEN {column} IS NULL OR {column} <= {x0} THEN {p0}"]
    for (xa, ya), (xb, yb) in zip(increment.knots, increment.knots[1:], strict=False):
        value = str(ya) if yb == ya else f"{ya} + {floor_div(f'({column} - {xa}) * {yb - ya}', xb - xa)}"
        parts.append(f"WHEN {column} < {xb} THEN {value}")
    return f"CASE {' '.join(parts)} ELSE {pn} END"


# Reasons are data, not messages, so their words (원, 만원, 억, 점) are not msgids: the batch engine writes them
# for every listed household from the Korean labels and reason templates of the signal catalogue and the
# scorecard, they are stored with the round and shown as stored, and a translation of the few words around the
# values would not translate the labels they complete. `scorecard.render` and `learning.features` write them the
# same way.
def won_sql(column: str) -> str:
    """An amount as `format_won` writes it: 5000원, 38만원, 1억 2000만원."""
    eok = floor_div(column, 100_000_000)
    man = floor_div(f"{column} % 100000000", 10_000)
    return (
        f"CASE WHEN {column} IS NULL THEN '?' "
        f"WHEN {column} >= 100000000 THEN CAST({eok} AS STRING) || '억' || "
        f"CASE WHEN {column} % 100000000 >= 10000 THEN ' ' || CAST({man} AS STRING) || '만원' ELSE '원' END "
        f"WHEN {column} >= 10000 THEN CAST({floor_div(column, 10_000)} AS STRING) || '만원' "
        f"ELSE CAST({column} AS STRING) || '원' END"
    )


def template_sql(template: Template, value: Callable[[Placeholder], str]) -> str:
    parts = [lit(part) if isinstance(part, str) else value(part) for part in template]
    return " || ".join(parts) if parts else "''"


def with_points(text_sql: str, points_column: str) -> str:
    return f"{text_sql} || ' (+' || CAST({points_column} AS STRING) || '점)'"


def code_numbers(scorecard: Scorecard) -> dict[str, int]:
    """Contribution codes as numbers: kinds 1…N in scorecard order, modifiers from 1001. The heavy statements
    compare and group these instead of text (about a third less work at a million households), and equal
    contributions are ordered by them."""
    numbers = {rule.code: i + 1 for i, rule in enumerate(scorecard.kinds)}
    numbers.update({m.code: 1001 + i for i, m in enumerate(scorecard.modifiers)})
    return numbers


def scored_kinds_table(scorecard: Scorecard) -> pa.Table:
    """The `scored_kinds` relation (kind, kind_no) the engine registers next to the inputs."""
    kinds = [rule.code for rule in scorecard.kinds]
    return pa.table({"kind": pa.array(kinds, pa.string()), "kind_no": pa.array(range(1, len(kinds) + 1), pa.int64())})


# A CASE tests its branches in turn, so a flat CASE over thirty kinds compares each signal's kind about fifteen
# times; split in halves by kind number, about five (0.07 s less of a round's 1.3 s at a million households).
POINTS_CASE_LEAF = 4


def _points_case(branches: list[tuple[int, str]]) -> str:
    if len(branches) <= POINTS_CASE_LEAF:
        return f"CASE k.kind_no {' '.join(f'WHEN {no} THEN {points}' for no, points in branches)} END"
    half = len(branches) // 2
    low, high = branches[:half], branches[half:]
    return f"CASE WHEN k.kind_no <= {low[-1][0]} THEN {_points_case(low)} ELSE {_points_case(high)} END"


def _points_sql(catalogue: Catalogue, scorecard: Scorecard) -> str:
    """Points of one signal: a CASE over the kind's number (kind_no of `scored_kinds` k), each branch the level's
    points plus the increments. A signal of a kind the scorecard does not score (kind_no NULL) has none."""
    numbers = code_numbers(scorecard)
    branches = []
    for rule in scorecard.kinds:
        kind = catalogue.kind(rule.code)
        terms = [level_points_sql(kind, rule.level_points), *(increment_sql(inc) for inc in rule.increments)]
        branches.append((numbers[rule.code], " + ".join(f"({t})" for t in terms)))
    return f"CAST({_points_case(sorted(branches))} AS BIGINT)" if branches else "CAST(NULL AS BIGINT)"


def kind_points_statement(catalogue: Catalogue, scorecard: Scorecard, *, members: str = "residents") -> Statement:
    """Per household and kind, the points of its strongest signal: a kind counts once, however many deliveries or
    members report it. Signals of kinds the scorecard does not score form one row per household with a null
    kind_no (counted in the statistics). Which signal was the strongest matters only for the reason's text, so
    it is looked up for listed households only (`reasons_sql`). `members` is the relation of living members the
    signals are joined to (`residents`, or `living` in a round)."""
    sql = f"""
SELECT household_id, kind_no, MAX(points) AS points, COUNT(*) AS deliveries
FROM (
  SELECT r.household_id, k.kind_no, {_points_sql(catalogue, scorecard)} AS points
  FROM signals s
  JOIN {members} r ON r.person_id = s.person_id
  LEFT JOIN scored_kinds k ON k.kind = s.kind
) x
GROUP BY household_id, kind_no"""
    return Statement("kind_points", sql)


MODIFIER_CONDITIONS = {
    "elderly_alone": "t.members = 1 AND t.elderly = 1",
    "disability": "t.disabled >= 1",
    "severe_disability": "t.severe >= 1",
    "children": "t.children >= 1",
    "single_parent": "t.own_children >= 1 AND t.spouses = 0",
    "large_household": "t.members >= {min_members}",
}


def _modifier_condition(modifier: Modifier) -> str:
    return MODIFIER_CONDITIONS[modifier.code].format(**modifier.params)


def _modifiers_sql(scorecard: Scorecard) -> str:
    """The points of the modifiers that apply to the household of `traits` t, as terms to add."""
    return "".join(
        f" + CASE WHEN {_modifier_condition(m)} THEN {m.points} ELSE 0 END" for m in scorecard.modifiers if m.points
    )


def household_scores_statement(scorecard: Scorecard) -> Statement:
    """Per household with at least one scored signal: its dong and score (the sum of its kinds' points and of the
    modifiers that apply)."""
    modifiers = _modifiers_sql(scorecard)
    sql = f"""
SELECT t.household_id, h.dong_code, CAST(k.points{modifiers} AS DOUBLE) AS score, CAST(NULL AS DOUBLE) AS probability
FROM (SELECT household_id, SUM(points) AS points FROM kind_points WHERE kind_no IS NOT NULL GROUP BY household_id) k
JOIN traits t ON t.household_id = k.household_id
JOIN households h ON h.household_id = k.household_id"""
    return Statement("household_scores", sql)


# ---------------------------------------------------------------------------------------------------- the round
#
# The scorecard's own round lists each dong's top households; most households cannot reach a dong's list, and
# the household modifiers are the only part of a score that needs who lives in a household. The modifiers add at
# most `modifier_bound` points and never take any away, so a household's score lies between its kinds' points
# and those points plus the bound. Once the kinds' points are summed, each dong's floor is its capacity-th
# highest sum among the households not excluded: the capacity households at or above the floor all score at
# least that, so a household whose sum plus the bound stays below the floor has at least the capacity
# households strictly ahead of it and cannot be listed, nor change the rank of one that is. Only the
# contenders — the rest, and the households whose sum is below the minimum score by less than the bound (whether
# the modifiers lift them over it is counted in the statistics) — have their members read and their modifiers
# applied. At a million households that is about one in five of those with a signal.


def modifier_bound(scorecard: Scorecard) -> int:
    """The most the household modifiers can add to a score (every modifier applying at once). The round's
    pruning holds only if no modifier takes points away, which the scorecard reader already refuses."""
    if any(m.points < 0 for m in scorecard.modifiers):
        raise ValueError("a household modifier with negative points would make the round's contenders wrong")
    return sum(m.points for m in scorecard.modifiers)


def kind_scores_statement() -> Statement:
    """Per household with at least one scored signal: its dong, the sum of its kinds' points (its score before the
    household modifiers) and whether it is excluded (1) or not (0)."""
    sql = """
SELECT k.household_id, h.dong_code, k.points, CASE WHEN e.household_id IS NULL THEN 0 ELSE 1 END AS excluded
FROM (SELECT household_id, SUM(points) AS points FROM kind_points WHERE kind_no IS NOT NULL GROUP BY household_id) k
JOIN households h ON h.household_id = k.household_id
LEFT JOIN (SELECT DISTINCT household_id FROM excluded) e ON e.household_id = k.household_id"""
    return Statement("kind_scores", sql)


def contenders_statement(scorecard: Scorecard) -> Statement:
    """The households not excluded that can reach their dong's list, or whose place against the minimum score
    depends on their modifiers (see above). A dong with fewer such households than its capacity has no floor. The
    floor is read from how many households have each sum — a few hundred rows per dong — rather than by ranking the
    households one by one: the largest sum that at least capacity households reach."""
    bound, least = modifier_bound(scorecard), float(scorecard.min_score)
    sql = f"""
SELECT c.household_id, c.dong_code, c.points
FROM kind_scores c
LEFT JOIN (
  SELECT r.dong_code, MAX(r.points) AS floor
  FROM (
    SELECT dong_code, points, SUM(households) OVER (PARTITION BY dong_code ORDER BY points DESC) AS reaching
    FROM (
      SELECT dong_code, points, COUNT(*) AS households FROM kind_scores WHERE excluded = 0 GROUP BY dong_code, points
    ) g
  ) r
  JOIN dongs d ON d.dong_code = r.dong_code
  WHERE d.visit_capacity > 0 AND r.reaching >= d.visit_capacity
  GROUP BY r.dong_code
) f ON f.dong_code = c.dong_code
WHERE c.excluded = 0 AND (
  f.floor IS NULL OR c.points + {bound} >= f.floor OR (c.points < {least!r} AND c.points + {bound} >= {least!r})
)"""
    return Statement("contenders", sql)


def contender_scores_statement(scorecard: Scorecard) -> Statement:
    """The contenders' scores, as `household_scores` writes them: the kinds' points plus the modifiers."""
    sql = f"""
SELECT k.household_id, k.dong_code, CAST(k.points{_modifiers_sql(scorecard)} AS DOUBLE) AS score,
  CAST(NULL AS DOUBLE) AS probability
FROM contenders k
JOIN traits t ON t.household_id = k.household_id"""
    return Statement("household_scores", sql)


def scoring_statements(
    catalogue: Catalogue,
    scorecard: Scorecard,
    *,
    as_of: date,
    signal_file_ids: Iterable[int],
    available: Iterable[str],
    late_matches: bool = False,
    contenders: bool = False,
) -> list[Statement]:
    """Every statement of the scorecard's round up to `household_scores`, in order: for every household (what a
    learned model's features and the scorecard's score of everyone read), or with `contenders` for the
    contenders only — the listing (`listed_statement`), the reasons and `stats_sql(…, contenders=True)` then give
    what they give after the statements for every household."""
    signals = signals_statement(
        catalogue, scorecard, signal_file_ids=signal_file_ids, available=available, late_matches=late_matches
    )
    if not contenders:
        return [
            signals,
            residents_statement(as_of),
            traits_statement(scorecard, as_of),
            kind_points_statement(catalogue, scorecard),
            household_scores_statement(scorecard),
        ]
    return [
        signals,
        living_statement(as_of),
        kind_points_statement(catalogue, scorecard, members="living"),
        kind_scores_statement(),
        contenders_statement(scorecard),
        residents_statement(as_of, of="contenders"),
        traits_statement(scorecard, as_of, modifiers_only=True),
        contender_scores_statement(scorecard),
    ]


# ---------------------------------------------------------------------------------------------------- selection


# The orders a dong's households are cut in: by score (ties to the lower household id), or the balanced order
# of `balanced_statement` (learning/balance.py).
BY_SCORE = "c.score DESC, c.household_id ASC"
BY_BALANCE = "c.priority DESC, c.score DESC, c.household_id ASC"


def _at_least(column: str, min_score: float | None) -> str:
    return "1 = 1" if min_score is None else f"{column} >= {min_score!r}"


def age_band_sql(birth: str, as_of: date) -> str:
    """The age band (balance.AGE_BANDS) of a birth date column on the round's date; "unknown" when NULL."""
    age = _age_sql(birth, as_of)
    bands = " ".join(f"WHEN {age} >= {bound} THEN {lit(label)}" for bound, label in reversed(AGE_BANDS))
    return f"CASE WHEN {birth} IS NULL THEN {lit(UNKNOWN_BAND)} {bands} END"


def stratum_sql(as_of: date) -> str:
    """A household's stratum in the balanced cut (balance.stratum), from `traits` as `t`: "65-79/F"."""
    sex = f"COALESCE(NULLIF(t.head_sex, ''), {lit(UNKNOWN_SEX)})"
    return f"concat({age_band_sql('t.head_birth', as_of)}, '/', {sex})"


def balanced_statement(scores: str, as_of: date) -> Statement:
    """The households of a scores relation that are not excluded, each with its stratum (the head's age band and
    sex) and its priority in the dong's balanced order: the stratum's expected need (Σ probability in the dong) ÷
    (its position in the stratum by score − ½). See learning/balance.py."""
    sql = f"""
SELECT b.*,
  CAST(SUM(b.probability) OVER (PARTITION BY b.dong_code, b.stratum) AS DOUBLE)
    / (ROW_NUMBER() OVER (PARTITION BY b.dong_code, b.stratum ORDER BY b.score DESC, b.household_id ASC) - 0.5)
    AS priority
FROM (
  SELECT c.*, {stratum_sql(as_of)} AS stratum
  FROM {scores} c
  LEFT JOIN traits t ON t.household_id = c.household_id
  LEFT JOIN (SELECT DISTINCT household_id FROM excluded) e ON e.household_id = c.household_id
  WHERE e.household_id IS NULL
) b"""
    return Statement("balanced_scores", sql)


def listed_statement(
    scores: str = "household_scores",
    *,
    min_score: float | None = None,
    carry: Iterable[str] = (),
    name: str = "listed",
    order: str = BY_SCORE,
) -> Statement:
    """The outreach lists: per dong, households not excluded and at least at the minimum score, in `order` (by
    score, or the balanced order), cut at the dong's visit capacity, and numbered by score within the cut.
    `carry` names further columns of the scores relation to keep (a learned scorer's reasons)."""
    extra = "".join(f", s.{name}" for name in carry)
    sql = f"""
SELECT s.household_id, s.dong_code,
  CAST(ROW_NUMBER() OVER (PARTITION BY s.dong_code ORDER BY s.score DESC, s.household_id ASC) AS BIGINT) AS list_rank,
  CAST(s.score AS DOUBLE) AS score, CAST(s.probability AS DOUBLE) AS probability{extra}
FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.dong_code ORDER BY {order}) AS list_rank
  FROM {scores} c
  LEFT JOIN (SELECT DISTINCT household_id FROM excluded) e ON e.household_id = c.household_id
  WHERE e.household_id IS NULL AND {_at_least("c.score", min_score)}
) s
JOIN dongs d ON d.dong_code = s.dong_code
WHERE s.list_rank <= d.visit_capacity"""
    return Statement(name, sql)


def ranked_statement(scores: str, *, carry: Iterable[str] = (), order: str = BY_SCORE) -> Statement:
    """Every household of a scores relation that is not excluded, ranked in its dong in `order` as
    `listed_statement` ranks them before the cut, with the dong's visit capacity, uncut: where the reserved share
    looks below the cut."""
    extra = "".join(f", s.{name}" for name in carry)
    sql = f"""
SELECT s.household_id, s.dong_code, CAST(s.list_rank AS BIGINT) AS list_rank, CAST(s.score AS DOUBLE) AS score,
  CAST(s.probability AS DOUBLE) AS probability{extra}, CAST(d.visit_capacity AS BIGINT) AS capacity
FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.dong_code ORDER BY {order}) AS list_rank
  FROM {scores} c
  LEFT JOIN (SELECT DISTINCT household_id FROM excluded) e ON e.household_id = c.household_id
  WHERE e.household_id IS NULL
) s
JOIN dongs d ON d.dong_code = s.dong_code"""
    return Statement("ranked", sql)


def reserve_pool_sql(carry: Iterable[str] = ()) -> str:
    """From `ranked`: the households within their dong's capacity, and those below it that the scorecard's own list
    (`scorecard_listed`) or an open referral (`referred`) marks, with the two marks as 0/1."""
    columns = ", ".join(
        f"r.{name}" for name in ["household_id", "dong_code", "list_rank", "score", "probability", *carry, "capacity"]
    )
    return f"""
SELECT {columns},
  CASE WHEN s.household_id IS NULL THEN 0 ELSE 1 END AS scorecard_mark,
  CASE WHEN f.household_id IS NULL THEN 0 ELSE 1 END AS referral_mark
FROM ranked r
LEFT JOIN scorecard_listed s ON s.household_id = r.household_id
LEFT JOIN (SELECT DISTINCT household_id FROM referred) f ON f.household_id = r.household_id
WHERE r.list_rank <= r.capacity OR s.household_id IS NOT NULL OR f.household_id IS NOT NULL
ORDER BY r.dong_code, r.list_rank"""


def listed_sql() -> str:
    """The listed rows of a learned scorer, whose reasons came with its scores."""
    columns = ", ".join(["household_id", "dong_code", "list_rank", "score", "probability", *reason_columns()])
    return f"SELECT {columns} FROM listed ORDER BY dong_code, list_rank"


def _kind_placeholder(alias: str) -> Callable[[Placeholder], str]:
    def value(part: Placeholder) -> str:
        column = f"{alias}.{col(part.name)}"
        if part.format == "won":
            return f"({won_sql(column)})"
        return f"COALESCE(CAST({column} AS STRING), '?')"

    return value


def _modifier_placeholder(modifier: Modifier) -> Callable[[Placeholder], str]:
    counts = {
        "disabled": "t.disabled",
        "severe": "t.severe",
        "members": "t.members",
        "children": "t.own_children" if modifier.code == "single_parent" else "t.children",
    }

    def value(part: Placeholder) -> str:
        if part.name in modifier.params:
            return lit(str(modifier.params[part.name]))
        return f"CAST({counts[part.name]} AS STRING)"

    return value


def _tie_keys(catalogue: Catalogue, scorecard: Scorecard) -> list[str]:
    """Sort keys that order a kind's signals of equal points by the values its reason shows, then by its
    increments' fields: slot i holds, for each kind, its i-th such field (int and text fields in separate slots,
    so each key has one type). A few keys instead of one per field keep the sort narrow."""
    numbers = code_numbers(scorecard)
    slots: dict[str, list[dict[int, str]]] = {"int": [], "str": []}
    for rule in scorecard.kinds:
        kind = catalogue.kind(rule.code)
        names = [p.name for p in rule.reason if isinstance(p, Placeholder)] + [i.field for i in rule.increments]
        seen: dict[str, int] = {"int": 0, "str": 0}
        for name in dict.fromkeys(names):
            type_ = kind.field(name).type
            if len(slots[type_]) <= seen[type_]:
                slots[type_].append({})
            slots[type_][seen[type_]][numbers[rule.code]] = col(name)
            seen[type_] += 1
    keys = []
    for type_ in ("int", "str"):
        for slot in slots[type_]:
            whens = " ".join(f"WHEN {no} THEN {column}" for no, column in slot.items())
            keys.append(f"CASE kind_no {whens} END")
    return keys


def reason_statements(catalogue: Catalogue, scorecard: Scorecard) -> list[Statement]:
    """What the reasons of the listed households are made of, kept as relations of their own (Spark would
    otherwise compute a shared subquery once per use):

    * `reason_top`: each listed household's three largest contributions (equal ones in scorecard order), one row
      per contribution with its slot 1–3;
    * `reason_strongest`: for each of those kinds, its strongest signal — between signals of equal points the
      larger values shown win. Signals equal in those values too read the same, so which of them an engine picks
      changes no reason; not ordering further spares reading the record ids (nearly half the time it takes to
      read the signal files).
    """
    numbers = code_numbers(scorecard)
    modifier_rows = "".join(
        f"\n  UNION ALL SELECT t.household_id, {numbers[m.code]} AS code_no, CAST({m.points} AS BIGINT) AS points "
        f"FROM traits t JOIN listed l ON l.household_id = t.household_id WHERE {_modifier_condition(m)}"
        for m in scorecard.modifiers
        if m.points > 0
    )
    top = f"""
SELECT household_id, slot, code_no, points
FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY points DESC, code_no ASC) AS slot
  FROM (
    SELECT c.household_id, c.kind_no AS code_no, c.points
    FROM kind_points c JOIN listed l ON l.household_id = c.household_id
    WHERE c.kind_no IS NOT NULL AND c.points > 0{modifier_rows}
  ) c
) ranked
WHERE slot <= {REASONS}"""
    ties = ", ".join(f"{key} DESC NULLS LAST" for key in _tie_keys(catalogue, scorecard)) or "points"
    fields = "".join(f"s.{col(name)}, " for name in scorecard.fields_used(catalogue))
    strongest = f"""
SELECT * FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY household_id, kind_no ORDER BY {ties}) AS strength
  FROM (
    SELECT r.household_id, k.kind_no, {fields}{_points_sql(catalogue, scorecard)} AS points, top.points AS kind_points
    FROM signals s
    JOIN scored_kinds k ON k.kind = s.kind
    JOIN (SELECT r.household_id, r.person_id FROM residents r JOIN listed l ON l.household_id = r.household_id) r
      ON r.person_id = s.person_id
    JOIN reason_top top ON top.household_id = r.household_id AND top.code_no = k.kind_no
  ) c
  WHERE points = kind_points
) ranked
WHERE strength = 1"""
    return [Statement("reason_top", top), Statement("reason_strongest", strongest)]


def reasons_sql(catalogue: Catalogue, scorecard: Scorecard) -> str:
    """The listed households with their reasons written out, e.g. '건강보험료 7개월 체납 (+18점)' (after
    `reason_statements`). A kind's text shows the values of its strongest signal, a modifier's the household's."""
    numbers = code_numbers(scorecard)
    codes = " ".join(f"WHEN {no} THEN {lit(code)}" for code, no in numbers.items())
    texts = [
        f"WHEN {numbers[r.code]} THEN {with_points(template_sql(r.reason, _kind_placeholder('k')), 'top.points')}"
        for r in scorecard.kinds
    ] + [
        f"WHEN {numbers[m.code]} THEN {with_points(template_sql(m.reason, _modifier_placeholder(m)), 'top.points')}"
        for m in scorecard.modifiers
    ]
    code_sql = f"CASE top.code_no {codes} END" if codes else "CAST(NULL AS STRING)"
    text_sql = f"CASE top.code_no {' '.join(texts)} END" if texts else "CAST(NULL AS STRING)"
    pivot = []
    for n in range(1, REASONS + 1):
        pivot += [
            f"MAX(CASE WHEN r.slot = {n} THEN r.code END) AS reason{n}_code",
            f"MAX(CASE WHEN r.slot = {n} THEN r.label END) AS reason{n}_text",
            f"MAX(CASE WHEN r.slot = {n} THEN r.points END) AS reason{n}_points",
        ]
    return f"""
SELECT l.household_id, l.dong_code, l.list_rank, l.score, l.probability,
  {", ".join(pivot)}
FROM listed l
LEFT JOIN (
  SELECT top.household_id, top.slot, CAST(top.points AS BIGINT) AS points, {code_sql} AS code, {text_sql} AS label
  FROM reason_top top
  LEFT JOIN reason_strongest k ON k.household_id = top.household_id AND k.kind_no = top.code_no
  LEFT JOIN traits t ON t.household_id = top.household_id
) r ON r.household_id = l.household_id
GROUP BY l.household_id, l.dong_code, l.list_rank, l.score, l.probability
ORDER BY l.dong_code, l.list_rank"""


# ---------------------------------------------------------------------------------------------------- statistics


def stats_sql(
    as_of: date, *, scores: str = "household_scores", min_score: float | None = None, contenders: bool = False
) -> str:
    """One row of counts for the round's statistics. The signals are counted in one pass; a resident-number hash
    belongs to one person at most, so each row unmatched at import has at most one late match. With `contenders`
    (after `scoring_statements(…, contenders=True)`) `household_scores` holds the contenders only: the households
    are counted from `living` and `kind_scores`, and a household that is no contender is below the minimum score
    exactly when its kinds' points are (it would be a contender if its modifiers could lift it over)."""
    if contenders:
        screened = "(SELECT COUNT(DISTINCT household_id) FROM living)"
        with_signals = "(SELECT COUNT(*) FROM kind_scores)"
        below = f"""(SELECT COUNT(*) FROM kind_scores k LEFT JOIN household_scores c ON c.household_id = k.household_id
     WHERE k.excluded = 0 AND NOT ({_at_least("COALESCE(c.score, k.points)", min_score)}))"""
    else:
        screened, with_signals = "(SELECT COUNT(*) FROM traits)", f"(SELECT COUNT(*) FROM {scores})"
        below = f"""(SELECT COUNT(*) FROM {scores} c LEFT JOIN (SELECT DISTINCT household_id FROM excluded) e
     ON e.household_id = c.household_id
     WHERE e.household_id IS NULL AND NOT ({_at_least("c.score", min_score)}))"""
    return f"""
SELECT
  (SELECT COUNT(*) FROM households) AS households_in_district,
  {screened} AS households_screened,
  f.signals_in_files, f.signals_matched_late, f.unmatched_at_import - f.signals_matched_late AS signals_unmatched,
  (SELECT COALESCE(SUM(deliveries), 0) FROM kind_points) AS signals_of_residents,
  (SELECT COALESCE(SUM(deliveries), 0) FROM kind_points WHERE kind_no IS NULL) AS signals_unscored_kind,
  (SELECT COUNT(*) FROM signals s JOIN (
     SELECT m.person_id FROM memberships m JOIN persons p ON p.person_id = m.person_id
     WHERE p.date_of_death <= {date_lit(as_of)}) d ON d.person_id = s.person_id) AS signals_deceased,
  {with_signals} AS households_with_signals,
  {below} AS below_min_score
FROM (
  SELECT CAST(SUM(1 - matched_late) AS BIGINT) AS signals_in_files,
    CAST(SUM(matched_late) AS BIGINT) AS signals_matched_late,
    CAST(SUM(CASE WHEN person_id IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS unmatched_at_import
  FROM signals
) f"""


def exclusions_sql(scores: str = "household_scores") -> str:
    """Households that would have been candidates, by the reason they were left out (a household can have two)."""
    return f"""
SELECT e.reason, COUNT(*) AS households
FROM (SELECT DISTINCT household_id, reason FROM excluded) e
JOIN {scores} c ON c.household_id = e.household_id
GROUP BY e.reason"""


# ---------------------------------------------------------------------------------------------------- features


def _first_field(kind: SignalKind, unit: str) -> str | None:
    return next((f.name for f in kind.fields if f.type == "int" and f.unit == unit), None)


def feature_columns(catalogue: Catalogue) -> dict[str, list[str]]:
    """Per kind, which of months / amount / days the feature table carries (the kind must have such a field)."""
    out: dict[str, list[str]] = {}
    for kind in catalogue.kinds:
        names = {f.name for f in kind.fields}
        parts = ["severity", "count"]
        if "months_overdue" in names:
            parts.append("months")
        if _first_field(kind, "won"):
            parts.append("amount")
        if _first_field(kind, "days"):
            parts.append("days")
        out[kind.code] = parts
    return out


def _age_sql(column: str, as_of: date) -> str:
    m, d = as_of.month, as_of.day
    later = f"month({column}) > {m} OR (month({column}) = {m} AND dayofmonth({column}) > {d})"
    return f"CAST({as_of.year} - year({column}) - CASE WHEN {later} THEN 1 ELSE 0 END AS BIGINT)"


def features_sql(catalogue: Catalogue, as_of: date) -> str:
    """The feature table: one row per household with at least one signal of a catalogue kind (docs/screening.md)."""
    kinds = catalogue.kinds
    level = " ".join(f"WHEN {lit(k.code)} THEN {level_sql(k)}" for k in kinds)
    amount = " ".join(f"WHEN {lit(k.code)} THEN {col(f)}" for k in kinds if (f := _first_field(k, "won")))
    days = " ".join(f"WHEN {lit(k.code)} THEN {col(f)}" for k in kinds if (f := _first_field(k, "days")))
    pivots, names = [], []
    for code, parts in feature_columns(catalogue).items():
        for part in parts:
            names.append(f"k.{code}__{part}")
            if part == "count":
                pivots.append(f"CAST(SUM(CASE WHEN kind = {lit(code)} THEN n ELSE 0 END) AS BIGINT) AS {code}__count")
            else:
                value = f"MAX(CASE WHEN kind = {lit(code)} THEN {part} END)"
                pivots.append(f"CAST(COALESCE({value}, 0) AS BIGINT) AS {code}__{part}")
    return f"""
SELECT t.household_id, h.dong_code,
  CAST(t.members AS BIGINT) AS members,
  CAST(t.elderly AS BIGINT) AS elderly,
  CAST(CASE WHEN t.members = 1 AND t.elderly = 1 THEN 1 ELSE 0 END AS BIGINT) AS elderly_alone,
  CAST(t.children AS BIGINT) AS children,
  CAST(CASE WHEN t.own_children >= 1 AND t.spouses = 0 THEN 1 ELSE 0 END AS BIGINT) AS single_parent,
  CAST(t.disabled AS BIGINT) AS disabled,
  CAST(t.severe AS BIGINT) AS severe_disabled,
  CAST(t.foreign_members AS BIGINT) AS foreign_members,
  {_age_sql("t.oldest_birth", as_of)} AS oldest_age,
  {_age_sql("t.youngest_birth", as_of)} AS youngest_age,
  k.signals, k.kinds, k.max_severity,
  {", ".join(names)}
FROM (
  SELECT household_id AS signal_household_id,
    CAST(SUM(n) AS BIGINT) AS signals, CAST(COUNT(*) AS BIGINT) AS kinds, CAST(MAX(severity) AS BIGINT) AS max_severity,
    {", ".join(pivots)}
  FROM (
    SELECT r.household_id, s.kind, MAX(CASE s.kind {level} END) AS severity, MAX({col("months_overdue")}) AS months,
      MAX(CASE s.kind {amount} END) AS amount, MAX(CASE s.kind {days} END) AS days, COUNT(*) AS n
    FROM signals s
    JOIN residents r ON r.person_id = s.person_id
    WHERE s.kind IN {in_list(k.code for k in kinds)}
    GROUP BY r.household_id, s.kind
  ) per_kind
  GROUP BY household_id
) k
JOIN traits t ON t.household_id = k.signal_household_id
JOIN households h ON h.household_id = k.signal_household_id
ORDER BY t.household_id"""


def reason_columns() -> list[str]:
    return [f"reason{n}_{c}" for n in range(1, REASONS + 1) for c in ("code", "text", "points")]
