"""The visit lists taken out of the application: the worklist and the referral list as an Excel file, or as a page
to print on A4 and fill in by hand on the rounds.

Both are bulk reads of personal data, audited like the page they copy (`intake.export_*`, `intake.print_*`): how
many rows, with which filters and sort, never a name. An Excel file leaves the application's control, so PIPA's
safety measures (개인정보의 안전성 확보조치 기준) want a reason for the download: one of the usual ones, or typed;
it is kept in the audit event. The rows are exactly those the page shows under the same filters, scoped the same
way and cut at the same limit (and the sheet says when it was cut).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from dolbom.core import audit
from dolbom.core.dates import now_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.spreadsheet import Sheet, write_workbook
from dolbom.core.text import visible_length, visible_text
from dolbom.intake.selectors import (
    ListKind,
    ReferralFilter,
    VisitList,
    WorklistFilter,
    referrals_for_list,
    worklist_for_list,
)

# Why a list is downloaded, as an officer says it most often; "other" is typed.
EXPORT_PRESETS = {
    "visit_schedule": gettext_lazy("Planning visits"),
    "report": gettext_lazy("Report to the office"),
    "handover": gettext_lazy("Handover to a colleague"),
}
EXPORT_REASON_MIN = 4
EXPORT_REASON_MAX = 200


@dataclass
class PrintedList:
    """A list with who made it and when, for the print page."""

    visits: VisitList
    officer: str
    made_at: datetime


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    rows: int


def _officer_name(user: Any) -> str:
    staff = getattr(user, "staff", None)
    return staff.display_name if staff is not None else user.get_username()


def _visit_list(user: Any, kind: str, filters: WorklistFilter | ReferralFilter, sort: str) -> VisitList:
    today = now_kst().date()
    if kind == ListKind.REFERRALS and isinstance(filters, ReferralFilter):
        return referrals_for_list(user, filters, sort, today)
    if kind == ListKind.WORKLIST and isinstance(filters, WorklistFilter):
        return worklist_for_list(user, filters, sort, today)
    raise TypeError(f"{kind} list with {type(filters).__name__}")


def checked_reason(preset: str, typed: str) -> tuple[str, str]:
    """The reason as the audit log keeps it (the chosen reason's words, then what was typed) and the preset's code.
    Refused with a message saying what to do when neither a usual reason was chosen nor one typed."""
    typed = visible_text(typed or "")
    if len(typed) > EXPORT_REASON_MAX:
        raise ValidationError(
            {"reason": _("The reason is too long (at most %(n)s characters).") % {"n": EXPORT_REASON_MAX}}
        )
    if preset in EXPORT_PRESETS:
        label = str(EXPORT_PRESETS[preset])
        return (f"{label}: {typed}" if typed else label), preset
    if visible_length(typed) < EXPORT_REASON_MIN:
        message = _(
            "Say why you are downloading this list: choose a reason, or choose “other” and type it "
            "(at least %(n)s characters)."
        )
        raise ValidationError({"reason": message % {"n": EXPORT_REASON_MIN}})
    return typed, ""


def list_title(kind: str) -> str:
    return _("Referrals") if kind == ListKind.REFERRALS else pgettext("list", "Visit list")


def _columns(kind: str) -> list[tuple[str, int]]:
    columns = [
        (_("Found by"), 22),
        (_("Tong/ban"), 10),
        (_("Address (unit)"), 38),
        (_("Head of household"), 12),
        (_("Opened on"), 12),
        (_("Days waiting"), 9),
        (_("Status"), 10),
        (_("Officer"), 12),
        (_("Next try due"), 12),
        (_("Outcome"), 14),
    ]
    if kind == ListKind.REFERRALS:
        columns.append((_("What was noticed"), 50))
    return columns


def heading(visits: VisitList, officer: str, made_at: datetime) -> list[str]:
    """The lines above the table: what list of which dongs, with which filters, made by whom and when."""
    lines = [
        f"{list_title(visits.kind)} · {', '.join(visits.dong_names) or '-'}",
        _("Filters: %(filters)s") % {"filters": " · ".join(visits.filters)},
        _("Made by %(officer)s on %(when)s (Korea time)")
        % {"officer": officer, "when": made_at.strftime("%Y-%m-%d %H:%M")},
        ngettext("%(n)s household", "%(n)s households", len(visits.rows)) % {"n": f"{len(visits.rows):,}"},
    ]
    if visits.truncated:
        lines.append(cut_notice(visits))
    return lines


def cut_notice(visits: VisitList) -> str:
    return _(
        "Only the first %(n)s households are on this list, as on the page. Narrow the filters (tong, mine, not yet "
        "assigned) to get the rest."
    ) % {"n": f"{visits.limit:,}"}


def _row_values(kind: str, row: Any) -> list[Any]:
    values = [
        row.source,
        row.tong_ban,
        row.address,
        row.head_name,
        row.opened_on,
        row.days_waiting,
        row.status,
        row.officer,
        row.next_try_on,
        row.outcome,
    ]
    if kind == ListKind.REFERRALS:
        values.append(row.concern)
    return values


def export_list(
    *,
    user: Any,
    kind: str,
    filters: WorklistFilter | ReferralFilter,
    sort: str,
    preset: str,
    reason: str,
) -> Download:
    """The list as an .xlsx file, for a stated reason; the download is audited with the reason and its size."""
    ensure_can(user, "intake.view_worklist")
    reason, preset = checked_reason(preset, reason)
    visits = _visit_list(user, kind, filters, sort)
    made_at = now_kst()
    columns = _columns(kind)
    sheet = Sheet(
        title=list_title(kind),
        heading=heading(visits, _officer_name(user), made_at),
        header=[title for title, _width in columns],
        widths=[width for _title, width in columns],
        rows=[_row_values(kind, row) for row in visits.rows],
        footer=[cut_notice(visits)] if visits.truncated else [],
    )
    content = write_workbook(sheet)
    detail = {"rows": len(visits.rows), "truncated": visits.truncated, "filters": visits.audit_filters}
    if preset:
        detail["preset"] = preset
    # One literal action per list, so that the audit log's labels (core.audit_labels) can be checked by reading.
    if kind == ListKind.REFERRALS:
        audit.record(user, "intake.export_referrals", reason=reason, detail=detail)
    else:
        audit.record(user, "intake.export_worklist", reason=reason, detail=detail)
    stem = list_title(kind).replace(" ", "")
    places = "_".join(visits.dong_names[:1]) if len(visits.dong_names) == 1 else ""
    filename = "_".join(part for part in (stem, places, made_at.strftime("%Y-%m-%d")) if part) + ".xlsx"
    return Download(content=content, filename=filename, rows=len(visits.rows))


def print_list(*, user: Any, kind: str, filters: WorklistFilter | ReferralFilter, sort: str) -> PrintedList:
    """The list as a page to print; the reading is audited like the page it copies, with the count and filters."""
    ensure_can(user, "intake.view_worklist")
    visits = _visit_list(user, kind, filters, sort)
    detail = {"rows": len(visits.rows), "truncated": visits.truncated, "filters": visits.audit_filters}
    if kind == ListKind.REFERRALS:
        audit.record(user, "intake.print_referrals", detail=detail)
    else:
        audit.record(user, "intake.print_worklist", detail=detail)
    return PrintedList(visits=visits, officer=_officer_name(user), made_at=now_kst())
