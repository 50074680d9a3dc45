"""After-care of recipients (사후관리): when each is re-verified next, and the changes that may mean a benefit is
no longer due.

A recipient is a household whose latest application for a benefit was granted. Its next re-verification
(정기 확인조사, the National Basic Livelihood Security Act art. 23: once a year at least) falls `reverify_months`
of the year's rules after its latest re-verification, or after the grant. A re-verification that found the
household no longer eligible ends the schedule: the benefit office stops the benefit, not the dong.

The changes looked for, each after the grant (or after the latest re-verification, which saw the household as it
was then), are the ones the registry and the calculations hold: a member joined, left, moved away or died, and a
later calculation found the household over the benefit's line. Each becomes a review for a person to decide; none
changes a benefit by itself. The national system's change feeds (변동자료: employment, property, travel) are not
delivered to Dolbom; when they are, they are one more source here.

Everything is read per district in a few set queries, like the re-guidance selection.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from dolbom.eligibility.calculator import Outcome
from dolbom.eligibility.models import (
    ApplicationOutcome,
    BenefitApplication,
    EligibilityCheck,
    Reverification,
    ReverificationResult,
)
from dolbom.eligibility.ruleset import Benefit
from dolbom.registry.models import Membership, MembershipEnd, current_on

# A re-verification due within this many days is shown as coming, so that the visit can be planned.
DUE_SOON_DAYS = 30


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 → 28/29 Feb).
    Written here because it is the one calendar rule the schedule needs and the standard library lacks it."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Change:
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    MEMBER_DIED = "member_died"
    OVER_LINE = "over_line"


def current_grants(applications: QuerySet[BenefitApplication]) -> QuerySet[BenefitApplication]:
    """The granted applications that are each household's latest for their benefit: a benefit granted and then
    suspended or applied for again is not a current grant."""
    later = BenefitApplication.objects.filter(
        Q(applied_on__gt=OuterRef("applied_on")) | Q(applied_on=OuterRef("applied_on"), pk__gt=OuterRef("pk")),
        household_id=OuterRef("household_id"),
        benefit=OuterRef("benefit"),
    )
    return applications.filter(outcome=ApplicationOutcome.GRANTED).exclude(Exists(later))


@dataclass
class ScheduleRow:
    application: BenefitApplication
    granted_on: date
    last_on: date | None
    last_result: str
    due_on: date | None  # None once a re-verification found it no longer eligible
    overdue: bool
    head_name: str = ""


def schedule(grants: QuerySet[BenefitApplication], months: int, today: date) -> list[ScheduleRow]:
    """Every current grant with its latest re-verification and its next date, soonest first."""
    latest = Reverification.objects.filter(application_id=OuterRef("pk")).order_by("-done_on", "-pk")
    rows = grants.annotate(
        last_on=Max("reverifications__done_on"),
        last_result=Subquery(latest.values("result")[:1]),
    ).select_related("household__address", "household__dong")
    out = []
    for application in rows:
        granted_on = application.outcome_on or application.applied_on
        last_on = application.last_on
        due = None
        if application.last_result != ReverificationResult.ENDED:
            due = add_months(last_on or granted_on, months)
        overdue = due is not None and due < today
        out.append(ScheduleRow(application, granted_on, last_on, application.last_result or "", due, overdue))
    return sorted(out, key=lambda r: (r.due_on is None, r.due_on or date.max, r.application.pk))


def due_within(rows: list[ScheduleRow], today: date) -> list[ScheduleRow]:
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    return [row for row in rows if row.due_on is not None and row.due_on <= horizon]


@dataclass(frozen=True)
class Found:
    application_id: int
    household_id: int
    dong_id: str
    change: str  # "<code>:<id>", the key that makes looking again idempotent
    observed_on: date
    reason: dict[str, Any]


def changes_since_grant(grants: QuerySet[BenefitApplication], today: date) -> list[Found]:
    """The changes after each current grant (or its latest re-verification) up to today, one per change."""
    rows = list(
        grants.annotate(last_on=Max("reverifications__done_on")).values_list(
            "pk", "household_id", "household__dong_id", "benefit", "applied_on", "outcome_on", "last_on"
        )
    )
    if not rows:
        return []
    since: dict[int, tuple[int, str, str, date]] = {}
    by_household: dict[int, list[int]] = {}
    for pk, household_id, dong_id, benefit, applied_on, outcome_on, last_on in rows:
        since[pk] = (household_id, dong_id, benefit, max(d for d in (applied_on, outcome_on, last_on) if d))
        by_household.setdefault(household_id, []).append(pk)
    households = set(by_household)
    found: list[Found] = []

    def add(household_id: int, code: str, key: str, on: date, **values: Any) -> None:
        for pk in by_household.get(household_id, []):
            household, dong_id, benefit, start = since[pk]
            if start < on <= today and (code != Change.OVER_LINE or values.get("benefit") == benefit):
                reason = {"code": code, "on": on.isoformat(), **values}
                found.append(Found(pk, household, dong_id, f"{code}:{key}", on, reason))

    memberships = Membership.objects.filter(household_id__in=households)
    for pk, household_id, person_id, moved_in, moved_out, ended_by in memberships.values_list(
        "pk", "household_id", "person_id", "moved_in", "moved_out", "ended_by"
    ):
        add(household_id, Change.MEMBER_JOINED, str(pk), moved_in)
        if moved_out is not None and ended_by == MembershipEnd.DEATH:
            add(household_id, Change.MEMBER_DIED, str(person_id), moved_out)
        elif moved_out is not None:
            add(household_id, Change.MEMBER_LEFT, str(pk), moved_out, why=ended_by)
    # A death recorded on the person while the membership stays open (the registry's order of updates): the same
    # key as a death that ended the membership, so one death is one review.
    living = Membership.objects.filter(current_on(today), household_id__in=households)
    deaths = living.filter(person__date_of_death__isnull=False).values_list(
        "person_id", "person__date_of_death", "household_id"
    )
    for person_id, died_on, household_id in deaths:
        add(household_id, Change.MEMBER_DIED, str(person_id), died_on)
    checks = EligibilityCheck.objects.filter(household_id__in=households).values_list(
        "pk", "household_id", "checked_on", "outcomes"
    )
    for check_pk, household_id, checked_on, outcomes in checks:
        for benefit, outcome in (outcomes or {}).items():
            if outcome == Outcome.NOT:
                add(household_id, Change.OVER_LINE, f"{check_pk}:{benefit}", checked_on, benefit=benefit)
    return _unique(found)


def _unique(found: list[Found]) -> list[Found]:
    seen: set[tuple[int, str]] = set()
    kept = []
    for item in found:
        if (item.application_id, item.change) not in seen:
            seen.add((item.application_id, item.change))
            kept.append(item)
    return kept


def reason_text(reason: dict[str, Any]) -> str:
    """A change as the dong reads it, in Korean."""
    code, on = reason.get("code"), reason.get("on", "")
    if code == Change.MEMBER_JOINED:
        return _("A member joined the household (%(on)s)") % {"on": on}
    if code == Change.MEMBER_LEFT:
        if reason.get("why") == MembershipEnd.MOVED_AWAY:
            return _("A member moved out of the district (%(on)s)") % {"on": on}
        return _("A member left the household (%(on)s)") % {"on": on}
    if code == Change.MEMBER_DIED:
        return _("A member died (%(on)s)") % {"on": on}
    if code == Change.OVER_LINE:
        benefit = reason.get("benefit")
        label = str(Benefit(benefit).label) if benefit in Benefit.values else str(benefit)
        return _("The calculation of %(on)s found the household over the %(benefit)s line") % {
            "on": on,
            "benefit": label,
        }
    return str(code)
