"""The reserved share of a learned model's lists (docs/screening.md, "Reserved share").

A learned model learns only from the households earlier lists chose, so the outcomes officers record next would
be only of its own choices: the households it ranks low are never visited and never teach it otherwise. In a round
screened with the model, a share of each dong's list is therefore kept for households the model ranks below the
dong's cut but that the scorecard's own list for the dong (within its capacity) or an open referral marks. The
slots are filled by a seeded random draw among those households, so that the outcomes recorded for them are an
unbiased sample of that group and the round can be run again to the same list (the seed is in its params). When a
dong has fewer such households than reserved slots, the slots left go back to the model's ranking.

The ranking, the marks and the cut are SQL on the round's engine (`sql.ranked_statement`, `sql.reserve_pool_sql`);
the draw is here, in Python, over the few households within or marked below each dong's cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from dolbom.discovery.screening import sql

RANKED = "ranked"
RESERVED_SCORECARD = "reserved_scorecard"
RESERVED_REFERRAL = "reserved_referral"


@dataclass(frozen=True)
class Reserve:
    """What a round keeps in reserve: `share` percent of each dong's capacity, drawn with `seed` among the
    households below the model's cut that the scorecard or an open referral (`referred`, household ids) marks."""

    share: int
    seed: int
    referred: frozenset[int] = field(default_factory=frozenset)


def reserved_slots(capacity: int, share: int) -> int:
    """The slots a dong keeps in reserve: the share of its capacity, rounded down (a reserved slot is never more
    than the share; a dong with room for fewer than 100/share visits keeps none)."""
    return max(0, int(capacity) * int(share) // 100)


def referred_table(household_ids: Iterable[int]) -> pa.Table:
    return pa.table({"household_id": pa.array(sorted({int(h) for h in household_ids}), pa.int64())})


def draw(candidates: list[int], slots: int, *, seed: int, dong_code: str) -> list[int]:
    """`slots` households drawn without replacement among `candidates`, by a generator seeded with the round's seed
    and the dong's code: a dong's draw depends on its own candidates only, and the same seed draws the same."""
    if slots <= 0 or not candidates:
        return []
    ordered = sorted(candidates)
    rng = np.random.default_rng([int(seed), *dong_code.encode()])
    picked = rng.choice(len(ordered), size=min(slots, len(ordered)), replace=False)
    return [ordered[i] for i in sorted(int(i) for i in picked)]


def _by_score(row: dict[str, Any]) -> tuple[float, int]:
    return (-row["score"], row["household_id"])


def select(pool: pa.Table, reserve: Reserve) -> tuple[pa.Table, dict[str, Any]]:
    """Each dong's list from the pool (`sql.reserve_pool_sql`): the model's top up to its capacity less the slots
    filled by the draw, then the drawn households, each row with its `selection`. Returns the rows in the pool's
    columns (less capacity and marks) and the counts for the round's statistics."""
    rows = pool.to_pylist()
    by_dong: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_dong.setdefault(row["dong_code"], []).append(row)
    chosen: list[dict[str, Any]] = []
    reserved: dict[str, int] = {}
    candidates_per_dong: dict[str, int] = {}
    for dong_code in sorted(by_dong):
        dong_rows = sorted(by_dong[dong_code], key=lambda r: r["list_rank"])
        capacity = int(dong_rows[0]["capacity"])
        below = [r for r in dong_rows if r["list_rank"] > capacity and (r["scorecard_mark"] or r["referral_mark"])]
        candidates_per_dong[dong_code] = len(below)
        drawn = set(draw([r["household_id"] for r in below], reserved_slots(capacity, reserve.share),
                         seed=reserve.seed, dong_code=dong_code))  # fmt: skip
        reserved[dong_code] = len(drawn)
        # The cut's households by score (the balanced order may differ from it), then the drawn ones.
        ranked = sorted((r for r in dong_rows if r["list_rank"] <= capacity - len(drawn)), key=_by_score)
        extra = sorted((r for r in below if r["household_id"] in drawn), key=_by_score)
        for position, row in enumerate([*ranked, *extra], start=1):
            if row["household_id"] in drawn:
                # An open referral is the more particular reason: someone saw the household in trouble.
                selection = RESERVED_REFERRAL if row["referral_mark"] else RESERVED_SCORECARD
            else:
                selection = RANKED
            chosen.append({**row, "list_rank": position, "selection": selection})
    names = [n for n in pool.column_names if n not in ("capacity", "scorecard_mark", "referral_mark")]
    schema = pa.schema([pool.schema.field(n) for n in names] + [pa.field("selection", pa.string())])
    table = pa.Table.from_pylist([{n: r[n] for n in [*names, "selection"]} for r in chosen], schema=schema)
    stats = {
        "reserved": sum(reserved.values()),
        "reserved_per_dong": {k: v for k, v in reserved.items() if v},
        "reserve_candidates_per_dong": {k: v for k, v in candidates_per_dong.items() if v},
    }
    return table, stats


def reserved_listing(
    session: Any, inputs: Any, reserve: Reserve, *, scores: str, order: str = sql.BY_SCORE
) -> tuple[pa.Table, dict[str, Any]]:
    """Run the ranking (in `order`: by score or balanced), the scorecard's own list and the marks on the
    round's session, and draw (see `select`)."""
    carry = sql.reason_columns()
    session.register_table("referred", referred_table(reserve.referred))
    session.run(sql.ranked_statement(scores, carry=carry, order=order))
    session.run(
        sql.listed_statement("household_scores", min_score=float(inputs.scorecard.min_score), name="scorecard_listed")
    )
    pool = session.query(sql.reserve_pool_sql(carry))
    table, stats = select(pool, reserve)
    return table, {**stats, "reserve_share": reserve.share}
