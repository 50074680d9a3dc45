"""Volunteers' writes and audited reads: registering a volunteer (with their consent), recording the hours they
gave, matching volunteers to a need, and the hours as the CSV the 1365 volunteer portal takes for certificates."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of, scope_for
from dolbom.core.spreadsheet import csv_text
from dolbom.resources.models import Skill, Volunteer, VolunteerHours, VolunteerSkill
from dolbom.resources.selectors import volunteer_hours_visible_to, volunteers_matching, volunteers_visible_to
from dolbom.resources.services.donations import _text

MATCH_LIMIT = 20  # the nearest matches a linkage form offers; more would not be read
PAGE_SIZE = 50  # volunteers per page of the registry

PORTAL_COLUMNS = ["1365 ID", "name", "date", "hours", "minutes", "activity", "dong"]


def register_volunteer(
    *,
    user: Any,
    name: str,
    dong_code: str,
    skills: Iterable[str],
    consent_on: date | None,
    phone: str = "",
    portal_id: str = "",
    availability: str = "",
) -> Volunteer:
    """A volunteer of a dong in the user's area, kept only with their consent to keeping their data."""
    ensure_can(user, "resources.manage_volunteers")
    errors: dict[str, str] = {}
    values = {
        "name": _text(name, field="name", label=_("the name"), limit=60, required=True, errors=errors),
        "phone": _text(phone, field="phone", label=_("Phone"), limit=20, required=False, errors=errors),
        "portal_id": _text(
            portal_id, field="portal_id", label=_("1365 member ID"), limit=30, required=False, errors=errors
        ),
        "availability": _text(
            availability, field="availability", label=_("When they can help"), limit=200, required=False, errors=errors
        ),
    }
    chosen = sorted(set(skills))
    if not chosen or any(s not in Skill.values for s in chosen):
        errors["skills"] = _("Choose at least one skill from the list.")
    if consent_on is None:
        errors["consent_on"] = _(
            "A volunteer's data is kept only with their consent: enter the date they consented, such as 2026-11-30."
        )
    if not dong_code:
        errors["dong"] = _("Choose the dong where they help.")
    elif not scope_for(user).covers_area(dong_code):
        raise PermissionDenied("resources.manage_volunteers: a dong outside the user's area")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            district_id=district_of(dong_code),
            dong_id=dong_code,
            consent_on=consent_on,
            created_by=user,
            **values,
        )
        VolunteerSkill.objects.bulk_create(VolunteerSkill(volunteer=volunteer, skill=code) for code in chosen)
        audit.record(user, "resources.register_volunteer", volunteer, detail={"dong": dong_code, "skills": chosen})
    return volunteer


def record_hours(
    *, user: Any, volunteer_id: int, on: date | None, minutes: int | None, activity: str
) -> VolunteerHours:
    ensure_can(user, "resources.manage_volunteers")
    volunteer = volunteers_visible_to(user).filter(pk=volunteer_id).first()
    if volunteer is None:
        raise Http404
    errors: dict[str, str] = {}
    what = _text(activity, field="activity", label=_("What they did"), limit=200, required=True, errors=errors)
    if on is None:
        errors["on"] = _("Enter the date, such as 2026-11-30.")
    if not isinstance(minutes, int) or not (0 < minutes <= 24 * 60):
        errors["minutes"] = _("Enter the time given in minutes, from 1 to 1,440.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        hours = VolunteerHours.objects.create(
            volunteer=volunteer,
            district_id=volunteer.district_id,
            dong_id=volunteer.dong_id,
            on=on,
            minutes=minutes,
            activity=what,
            recorded_by=user,
        )
        audit.record(user, "resources.record_hours", hours, detail={"volunteer": volunteer.pk, "minutes": minutes})
    return hours


def match_volunteers(
    user: Any, *, need: str = "", skill: str = "", dong: str = "", limit: int = MATCH_LIMIT
) -> list[Volunteer]:
    """The `limit` nearest active volunteers whose skills answer a need domain (or who have a skill): those of the
    dong first, then the rest of what the user sees, by name; each with its `skills` fetched (`skill_names`)."""
    return list(volunteers_matching(user, need=need, skill=skill, dong=dong)[: max(0, limit)])


def hours_for_portal(*, user: Any, start: date, end: date) -> tuple[str, int]:
    """The hours given in a period as CSV for the 1365 portal (UTF-8 with a byte-order mark, which Excel needs to
    read Korean), and the number of rows. The export is audited: it names the volunteers."""
    ensure_can(user, "resources.manage_volunteers")
    if end < start:
        raise ValidationError({"end": _("The end of the period comes before its start.")})
    rows = volunteer_hours_visible_to(user).filter(on__gte=start, on__lte=end).select_related("volunteer", "dong")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PORTAL_COLUMNS)
    count = 0
    for h in rows.order_by("volunteer__name", "on", "pk"):
        writer.writerow(
            csv_text(cell)  # names and activities are typed by users: never a formula in the file
            for cell in [
                h.volunteer.portal_id,
                h.volunteer.name,
                h.on.isoformat(),
                h.minutes // 60,
                h.minutes % 60,
                h.activity,
                h.dong.name,
            ]
        )
        count += 1
    audit.record(
        user, "resources.export_hours", detail={"start": start.isoformat(), "end": end.isoformat(), "rows": count}
    )
    return "\ufeff" + out.getvalue(), count


def open_volunteers(*, user: Any, need: str = "", skill: str = "", dong: str = "", page: int | None = None) -> Page:
    """One page of the volunteers matching a need or a skill, nearest to a dong first; the reading is audited (it
    lists volunteers' names and phones, masked)."""
    ensure_can(user, "resources.view_volunteers")
    found = Paginator(volunteers_matching(user, need=need, skill=skill, dong=dong), PAGE_SIZE).get_page(page)
    audit.record(
        user,
        "resources.view_volunteers",
        detail={"need": need, "skill": skill, "page": found.number, "shown": len(found.object_list)},
    )
    return found
