"""What intake tells the domains downstream of it, without importing them (see discovery/signals.py).

`consultation_shown`: a consultation's page is being read (`user`, `consultation`). A downstream domain that keeps
something about the household the officer should see beside the consultation (eligibility's latest calculation)
answers with a `Panel`, or None; it scopes and audits its own reading. The page shows the panels in the order of
the answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

consultation_shown = Signal()

# A worklist item's page is being read (`user`, `item`): a downstream campaign that put the household there (a
# re-guidance) answers with a `Panel` of `<dt>`/`<dd>` lines saying why, or None.
work_item_shown = Signal()


@dataclass(frozen=True)
class Panel:
    """A block of a downstream domain on an intake page: its template and what the template reads as `panel`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
