"""One step of a linkage, checked against `LINKAGE_MOVES`, with its row and audit event: the one way a linkage
changes state, used by the linkage services and by a case's closure (which withdraws its unanswered requests)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dolbom.cases.models import LINKAGE_MOVES, Linkage, LinkageMove, LinkageStep
from dolbom.core import audit


def step(linkage: Linkage, how: str, *, user: Any, on: date, won: int = 0, note: str = "") -> LinkageStep:
    target = LINKAGE_MOVES.get((linkage.state, how))
    if target is None:
        raise ValidationError(
            {"move": _("A linkage that is %(state)s cannot be %(move)s.")
             % {"state": linkage.get_state_display(), "move": str(LinkageMove(how).label).lower()}}
        )  # fmt: skip
    step = LinkageStep.objects.create(
        linkage=linkage, move=how, from_state=linkage.state, to_state=target, on=on, won=won, note=note, by=user
    )
    linkage.state = target
    linkage.version += 1
    linkage.save()
    audit.record(user, f"cases.linkage_{how}", linkage, detail={"step": step.pk, "won": won, "to": target})
    return step


def withdraw_request(linkage: Linkage, *, user: Any, on: date, note: str) -> LinkageStep:
    """A request withdrawn (locked by the caller): by its worker, or because its case was closed."""
    return step(linkage, LinkageMove.CANCEL, user=user, on=on, note=note)
