"""The worklist page's rows with their texts ready, so that its template only prints them.

A dong's worklist holds ~70 items and a district manager's up to 500. Written in the template, each row's phrases
(found by, priority, 통, days waiting, next try) were translated tags, each resolving and localising its values:
two thirds of the page's rendering. Here each phrase is made once per distinct value of a page (most rows of a
list share their period, their number of days and their labels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dolbom.core.choices import label_of
from dolbom.core.dates import KST
from dolbom.core.numbers import redact
from dolbom.discovery.selectors import reserved_share_label
from dolbom.intake.models import OutreachEvent, Referral, WorkItem
from dolbom.intake.selectors import WorklistEntry


@dataclass(frozen=True)
class WorklistRow:
    """One item as the worklist page shows it. When nobody is identified yet (no household, nobody met) the page
    says so instead of a name."""

    pk: int
    source: str
    detail: str  # what found it: the round and the priority, the referral's channel, the campaign, the event
    selection: str  # the reserved share the round selected it by, if any
    name: str
    identified: bool
    address: str
    waiting: str
    officer: str
    status: str
    next_try: str


class _Phrases:
    """Each phrase made once per value within one page."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, Any], str] = {}

    def get(self, kind: str, value: Any, make: Callable[[Any], str]) -> str:
        key = (kind, value)
        if key not in self._made:
            self._made[key] = make(value)
        return self._made[key]


def worklist_rows(entries: list[WorklistEntry], today: date) -> list[WorklistRow]:
    """The page's rows for the entries of `intake.selectors.worklist`."""
    phrases = _Phrases()
    return [_row(entry, today, phrases) for entry in entries]


def _row(entry: WorklistEntry, today: date, phrases: _Phrases) -> WorklistRow:
    if entry.household_id is not None:
        name, identified = entry.head_name or "—", True
    elif entry.event_kind is not None:
        name, identified = entry.contact_name or "—", True
    else:
        name, identified = "", False
    days = max((today - timezone.localtime(entry.opened_at, KST).date()).days, 0)
    status = label_of(WorkItem, "status", entry.status)
    if entry.outcome:
        status = f"{status}: {label_of(WorkItem, 'outcome', entry.outcome)}"
    return WorklistRow(
        pk=entry.pk,
        source=label_of(WorkItem, "source", entry.source),
        detail=_detail(entry, phrases),
        selection=reserved_share_label(entry.selection) if entry.outreach_item_id is not None else "",
        name=name,
        identified=identified,
        address=_address(entry, phrases),
        waiting=phrases.get("days", days, _days),
        officer=entry.officer or "—",
        status=status,
        next_try=phrases.get("next try", entry.next_try_on, _next_try) if entry.next_try_on else "",
    )


def _detail(entry: WorklistEntry, phrases: _Phrases) -> str:
    if entry.outreach_item_id is not None:
        return f"{entry.period} · {phrases.get('priority', entry.rank, _priority)}"
    if entry.referral_id is not None:
        return label_of(Referral, "channel", entry.channel)
    if entry.campaign is not None:
        return entry.campaign
    if entry.event_kind is not None:
        return f"{label_of(OutreachEvent, 'kind', entry.event_kind)} {entry.held_on:%Y-%m-%d}"
    return ""


def _address(entry: WorklistEntry, phrases: _Phrases) -> str:
    if entry.household_id is not None:
        if entry.tong:
            return f"{entry.road_address} · {phrases.get('tong', entry.tong, _tong)}"
        return entry.road_address or ""
    if entry.referral_id is not None and entry.reported_address:
        # What a reporter typed may hold a phone or resident number: masked, as everywhere it is listed.
        return redact(entry.reported_address, masked=True)
    return ""


def _days(days: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


def _priority(rank: int) -> str:
    return _("priority %(rank)s") % {"rank": rank}


def _tong(tong: int) -> str:
    return _("%(tong)s tong") % {"tong": tong}


def _next_try(on: date) -> str:
    return _("next try %(on)s") % {"on": f"{on:%Y-%m-%d}"}
