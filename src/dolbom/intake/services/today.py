"""오늘 할 일: the reading of what is due and overdue for a user, audited (it names households in crisis)."""

from __future__ import annotations

from typing import Any

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.intake.selectors import TodayBoard, today_board


def open_today(*, user: Any) -> TodayBoard:
    """The user's board for today. Roles without one get an empty board, and nothing is recorded for them."""
    board = today_board(user, today_kst())
    if board.overdue or board.due_today or board.coming:
        audit.record(
            user,
            "intake.view_today",
            detail={
                "on": board.on.isoformat(),
                "team": board.team,
                "overdue": len(board.overdue),
                "today": len(board.due_today),
                "coming": len(board.coming),
            },
        )
    return board
