"""The one way a case changes state: `move` checks the move against `MOVES`, writes the `Transition` row and the
audit event in the caller's transaction. Every service that moves a case goes through it, so "every transition
has a row and an audit event" holds by construction, and an illegal move is refused with the reason before
anything is written."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dolbom.cases.models import MOVES, OPEN_STATES, Case, CaseState, Move, Transition
from dolbom.cases.selectors import case_rules, next_due
from dolbom.core import audit
from dolbom.core.dates import today_kst


def illegal_move_message(case: Case, move: str) -> str:
    return _("A case that is %(state)s cannot be %(move)s.") % {
        "state": case.get_state_display(),
        "move": str(Move(move).label).lower(),
    }


def ensure_move(case: Case, move: str) -> str:
    """The state the move leads to; a `ValidationError` naming the case's state when the move is not allowed."""
    target = MOVES.get((case.state, move))
    if target is None:
        raise ValidationError({"move": illegal_move_message(case, move)})
    return target


def move(
    case: Case,
    how: str,
    *,
    user: Any,
    on: date,
    reason: str = "",
    agenda_item: Any = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Transition:
    """Move a case (already locked by the caller, inside its transaction): the transition row, the new state and
    its dates, the audit event. `to_state` overrides the table's target only where the table allows a choice
    (a closure with nothing to follow up goes straight to closed)."""
    target = ensure_move(case, how)
    if to_state is not None:
        if not (how == Move.CLOSE and to_state == CaseState.CLOSED):
            raise ValueError(f"{how} cannot lead to {to_state}")
        target = to_state
    from_state = case.state
    case.state = target
    if target in OPEN_STATES:
        case.closed_on, case.closure_reason = None, ""
    elif from_state in OPEN_STATES:
        case.closed_on = on
    case.version += 1
    try:
        with transaction.atomic():  # a savepoint: the partial unique index may refuse a reopening
            case.save()
    except IntegrityError as clash:
        raise ValidationError(
            {"move": _("This household already has an open case in this district: work in that one.")}
        ) from clash
    transition = Transition.objects.create(
        case=case,
        move=how,
        from_state=from_state,
        to_state=target,
        on=on,
        reason=reason,
        agenda_item=agenda_item,
        detail=detail or {},
        by=user,
    )
    refresh_due(case)
    audit.record(
        user,
        f"cases.{how}",
        case,
        reason=reason,
        detail={"from": from_state, "to": target, "transition": transition.pk, **(detail or {})},
    )
    return transition


def refresh_due(case: Case) -> None:
    """Keep the case's next due date after a change of anything it depends on (its state, plans, monitoring,
    conferences, follow-up checks, the district's rules)."""
    due_on, clock = next_due(case, case_rules(case.district_id), today_kst())
    if (due_on, clock) != (case.next_due_on, case.next_due_clock):
        case.next_due_on, case.next_due_clock = due_on, clock
        Case.objects.filter(pk=case.pk).update(next_due_on=due_on, next_due_clock=clock)
