"""Every read of case management, already narrowed to what the user may see (docs/architecture.md, the contract).

A case is seen by the public staff of its dong and district, and by a private agency that leads it while the
household's consent to share with that agency stands. A linkage is seen by the case's public staff, and by the
provider agency under the same consent condition: a partner that a household never consented to, or whose consent
was withdrawn, sees nothing of it. A conference is seen by the staff of its district (a dong's own conference by
that dong's officers) and by the agencies at its table; its agenda only as far as each case is visible.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from dolbom.cases.models import (
    DEFAULT_CLOCKS,
    DEFAULT_SETTINGS,
    OPEN_LINKAGE_STATES,
    OPEN_STATES,
    SERVING_STATES,
    AgendaItem,
    Case,
    CaseClock,
    CaseClockRule,
    CasePlan,
    CaseSettings,
    CaseState,
    Conference,
    ConferenceStatus,
    FollowUpCheck,
    Linkage,
    LinkageMove,
    LinkageState,
    LinkageStep,
    MonitoringNote,
    Transition,
)
from dolbom.core.dates import today_kst
from dolbom.core.money import format_won
from dolbom.core.permissions import POLICY, can
from dolbom.core.prepared import prepared_count, prepared_list, prepared_values, viewer_key
from dolbom.core.scope import NOTHING, Reach, scope_for, scoped
from dolbom.core.workdays import Period
from dolbom.intake.selectors import TodayRow, emergency_support_received
from dolbom.registry.models import (
    AdministrativeArea,
    Agency,
    AreaLevel,
    Consent,
    Household,
    Membership,
    Sector,
    Staff,
    consent_active_on,
    current_on,
)
from dolbom.registry.scoping import household_consented
from dolbom.registry.selectors import TimelineEntry, areas_visible_to, masked_head_names
from dolbom.resources.selectors import household_history as resources_history


def _consented_and(path: str, agency_field: str) -> Any:
    """The household consented to share with the agency, and the row is the agency's own (it leads the case, or
    provides the linkage): consent alone does not show an agency every case of a household."""
    consented = household_consented(path)

    def condition(agency_id: int, on: date) -> Q:
        return consented(agency_id, on) & Q(**{agency_field: agency_id})

    return condition


CASE = Reach(dong="dong", consent=_consented_and("household", "lead_agency_id"))
LINKAGE = Reach(dong="case__dong", consent=_consented_and("household", "provider_id"))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return scoped(Case.objects.select_related("dong", "case_type", "lead_agency", "lead_worker"), user, CASE)


def open_case_households(district_code: str) -> set[int]:
    """The households of a district with an open case, whichever district holds it (a household that moved in keeps
    its case where it was until the case is transferred): ids only, unscoped, for the system's own work (a screening
    round leaves them out of its lists), never for a page."""
    cases = Case.objects.filter(state__in=sorted(OPEN_STATES), household__dong__parent_id=district_code)
    return set(cases.values_list("household_id", flat=True))


def linkages_visible_to(user: Any) -> QuerySet[Linkage]:
    return scoped(Linkage.objects.select_related("case", "case__dong", "provider", "goal"), user, LINKAGE)


def conferences_visible_to(user: Any) -> QuerySet[Conference]:
    """The district's conferences for its staff (a dong officer's district is that of their dongs), a dong's own
    conference only for the staff who see that dong, and for a private agency the conferences it sat at."""
    scope = scope_for(user)
    condition = NOTHING
    if scope.sees_by_area and scope.area_codes:
        in_district = Q(district_id__in=scope.district_codes)
        own_dongs = Q(dong__isnull=True) | Q(dong__in=cases_area_dongs(user))
        condition = in_district & own_dongs
    elif scope.sees_by_consent and scope.agency_id is not None:
        condition = Q(pk__in=Conference.objects.filter(attendees__agency_id=scope.agency_id).values("pk"))
    return Conference.objects.filter(condition).select_related("dong", "district")


def cases_area_dongs(user: Any) -> QuerySet[Any]:
    """The 읍면동 whose cases the user works (for a dong conference's choices and visibility)."""
    return areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG).values("pk")


def agenda_visible_to(user: Any, conference: Conference) -> QuerySet[AgendaItem]:
    """A conference's agenda as far as the user may see each case."""
    return (
        conference.agenda.filter(case__in=cases_visible_to(user).values("pk"))
        .select_related("case", "case__dong", "case__case_type", "lead_agency", "lead_worker", "to_dong")
        .order_by("order", "pk")
    )


def agenda_candidates(user: Any, conference: Conference) -> QuerySet[Case]:
    """The open cases the user may put on a conference's agenda: of its district (of its dong for a dong's own
    conference), visible to the user, not on it already. `put_on_agenda` checks each rule again."""
    cases = cases_visible_to(user).filter(district_id=conference.district_id, state__in=sorted(OPEN_STATES))
    if conference.dong_id:
        cases = cases.filter(dong_id=conference.dong_id)
    return cases.exclude(agenda_items__conference=conference).order_by("dong__code", "pk")


def conference_agencies(district_code: str) -> QuerySet[Agency]:
    """The active agencies that sit at a district's conferences and lead its cases: those of the district and its
    dongs, and the city-wide ones of its 시도 (a 시도 code is the district's first two digits, zeros after)."""
    province = district_code[:2] + "0" * 8
    where = Q(area_id=district_code) | Q(area__parent_id=district_code) | Q(area_id=province)
    return Agency.objects.filter(where, active=True).order_by("sector", "name")


def lead_workers(agency_ids: list[int]) -> QuerySet[Staff]:
    """Who may lead a case for these agencies: their active staff whose role works cases (never a safety-net
    member or an analyst)."""
    return (
        Staff.objects.filter(agency_id__in=agency_ids, active=True, role__in=sorted(POLICY["cases.work"]))
        .select_related("agency")
        .order_by("agency__name", "display_name")
    )


def district_dongs(district_code: str) -> QuerySet[AdministrativeArea]:
    """The 읍면동 of a district: where a case of it may be transferred."""
    return AdministrativeArea.objects.filter(parent_id=district_code, level=AreaLevel.EUPMYEONDONG).order_by("code")


# ------------------------------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class CaseRules:
    clocks: dict[str, Period]
    extension_months: int
    max_extensions: int
    follow_up_checks: int


def case_rules(district_code: str) -> CaseRules:
    """The district's clocks and settings, the defaults where it has set none."""
    clocks = dict(DEFAULT_CLOCKS)
    for rule in CaseClockRule.objects.filter(district_id=district_code):
        clocks[rule.clock] = rule.period
    settings = CaseSettings.objects.filter(district_id=district_code).first()
    values = {f: getattr(settings, f) for f in DEFAULT_SETTINGS} if settings is not None else dict(DEFAULT_SETTINGS)
    return CaseRules(clocks=clocks, **values)


# ------------------------------------------------------------------------------------------------ deadlines
class DeadlineState:
    MET = "met"
    LATE = "late"  # met, after its day
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"  # the case went past the step without it being recorded: shown, no longer due


@dataclass(frozen=True)
class Deadline:
    clock: str
    label: str
    due_on: date
    done_on: date | None
    state: str


def _deadline(clock: str, period: Period, start: date, done_on: date | None, on: date) -> Deadline:
    due_on = period.deadline(start)
    if done_on is not None:
        state = DeadlineState.MET if done_on <= due_on else DeadlineState.LATE
    else:
        state = DeadlineState.OVERDUE if due_on < on else DeadlineState.DUE
    return Deadline(clock, str(CaseClock(clock).label), due_on, done_on, state)


def case_deadlines(case: Case, rules: CaseRules, on: date) -> list[Deadline]:
    """The deadlines of local guidance for one case (docs/facts.md), each with its state on `on`: the needs
    assessment after intake, the selection after the conference that took the case up, the plan after
    selection, and a plan agreed with the household within a month of intake."""
    clocks = rules.clocks
    plans = list(case.plans.order_by("version"))
    first_plan_on = plans[0].made_on if plans else None
    agreed_on = next((p.agreed_on for p in plans if p.agreed_on is not None), None)
    assessment = _deadline(CaseClock.ASSESSMENT, clocks[CaseClock.ASSESSMENT], case.intake_on, case.assessed_on, on)
    if assessment.done_on is None and case.state != CaseState.CANDIDATE:
        assessment = replace(assessment, state=DeadlineState.MISSED)
    deadlines = [assessment]
    conference_on = (
        case.agenda_items.filter(conference__status__in=[ConferenceStatus.HELD, ConferenceStatus.CLOSED])
        .order_by("conference__held_on")
        .values_list("conference__held_on", flat=True)
        .first()
    )
    if conference_on is not None:
        deadlines.append(
            _deadline(CaseClock.SELECTION, clocks[CaseClock.SELECTION], conference_on, case.selected_on, on)
        )
    if case.selected_on is not None:
        deadlines.append(_deadline(CaseClock.PLAN, clocks[CaseClock.PLAN], case.selected_on, first_plan_on, on))
    if case.state != CaseState.CANDIDATE or agreed_on is not None:
        deadlines.append(_deadline(CaseClock.AGREED_PLAN, clocks[CaseClock.AGREED_PLAN], case.intake_on, agreed_on, on))
    if case.state in (CaseState.FOLLOW_UP, CaseState.CLOSED):
        # A closed case's open deadlines are moot: only those met (or met late) stay on its page.
        deadlines = [d for d in deadlines if d.done_on is not None]
    return deadlines


def is_running(deadline: Deadline) -> bool:
    return deadline.state in (DeadlineState.DUE, DeadlineState.OVERDUE)


def monitoring_interval(case: Case, rules: CaseRules) -> Period:
    plan = case.plans.exclude(agreed_on=None).order_by("-version").first()
    if plan is not None and plan.monitoring_days:
        return Period(plan.monitoring_days)
    return rules.clocks[CaseClock.MONITORING]


def monitoring_due_on(case: Case, rules: CaseRules) -> date | None:
    """The day the next monitoring is due, while the case is served: counted from the last monitoring, or from
    the day services started."""
    if case.state not in SERVING_STATES:
        return None
    start = case.last_monitored_on or _service_start(case)
    return monitoring_interval(case, rules).deadline(start) if start is not None else None


def _service_start(case: Case) -> date | None:
    return case.transitions.filter(to_state=CaseState.IN_SERVICE).order_by("at").values_list("on", flat=True).first()


def next_due(case: Case, rules: CaseRules, on: date) -> tuple[date | None, str]:
    """The next thing due on a case and its clock: a deadline not met yet, the next monitoring, or the next
    follow-up check after closure. What `Case.next_due_on` keeps."""
    dues = [(d.due_on, d.clock) for d in case_deadlines(case, rules, on) if is_running(d)]
    monitoring = monitoring_due_on(case, rules)
    if monitoring is not None:
        dues.append((monitoring, CaseClock.MONITORING))
    if case.state == CaseState.FOLLOW_UP:
        check = case.follow_ups.filter(done_on__isnull=True, superseded_on__isnull=True).order_by("due_on").first()
        if check is not None:
            dues.append((check.due_on, CaseClock.FOLLOW_UP))
    return min(dues) if dues else (None, "")


def linkage_answer_due(linkage: Linkage, rules: CaseRules) -> date:
    return rules.clocks[CaseClock.LINKAGE_ANSWER].deadline(linkage.requested_on)


# --------------------------------------------------------------------------------------------- 오늘 할 일
class CaseTodayKind:
    DEADLINE = "case_deadline"
    MONITORING = "case_monitoring"
    FOLLOW_UP = "case_follow_up"
    LINKAGE = "case_linkage"


def _mine(user: Any, cases: QuerySet[Case], team: bool) -> QuerySet[Case]:
    """An officer's own cases and those with no lead worker in their area; the whole district for its manager."""
    if team:
        return cases
    staff_id = getattr(getattr(user, "staff", None), "pk", None)
    return cases.filter(Q(lead_worker_id=staff_id) | Q(lead_worker__isnull=True))


def _my_cases(user: Any) -> QuerySet[Case]:
    return _mine(user, cases_visible_to(user), can(user, "intake.supervise"))


def case_today_rows(user: Any, on: date, *, horizon: int = 0) -> list[TodayRow]:
    """What case management has due for the user on `on` (and within `horizon` days after): each case's next
    deadline, monitoring or follow-up check (kept on the case as `next_due_on`), and the linkages still without
    an answer when their answer is due (for a partner: the requests waiting for its own answer)."""
    if not can(user, "cases.work"):
        return []
    until = on + timedelta(days=horizon)
    cases = prepared_list(
        "cases.today.cases",
        lambda: _my_cases(user).filter(next_due_on__lte=until).order_by("next_due_on", "pk")[:BOARD_LIMIT],
        key=_board_key(user, until),
    )
    heads = masked_head_names(user, [c.household_id for c in cases], on=on)
    rows = [
        _case_row(case, CLOCK_KINDS.get(case.next_due_clock, CaseTodayKind.DEADLINE),
                  _clock_title(case.next_due_clock), case.next_due_on, on, heads.get(case.household_id))
        for case in cases
    ]  # fmt: skip
    rows += _linkage_rows(user, on, until)
    return sorted(rows, key=lambda r: (r.due_on, r.kind, r.object_id))


BOARD_LIMIT = 300
CLOCK_KINDS = {CaseClock.MONITORING: CaseTodayKind.MONITORING, CaseClock.FOLLOW_UP: CaseTodayKind.FOLLOW_UP}


def _clock_title(clock: str) -> str:
    if clock == CaseClock.MONITORING:
        return _("Monitoring of a case")
    if clock == CaseClock.FOLLOW_UP:
        return _("Follow-up check after closure")
    return str(CaseClock(clock).label) if clock in CaseClock.values else _("Case deadline")


def _waiting_linkages(user: Any) -> QuerySet[Linkage]:
    waiting = linkages_visible_to(user).filter(state=LinkageState.REQUESTED)
    if scope_for(user).sees_by_consent:
        return waiting.filter(provider_id=scope_for(user).agency_id)
    if can(user, "intake.supervise"):
        return waiting
    staff_id = getattr(getattr(user, "staff", None), "pk", None)
    return waiting.filter(Q(case__lead_worker_id=staff_id) | Q(case__lead_worker__isnull=True))


def _board_key(user: Any, until: date, *rules: Any) -> Hashable:
    """What the board's and the badge's questions are built from (core.prepared): who asks (the scope holds the
    user, role, areas and agency), their staff record, the day asked about, today (the scope's dated conditions)
    and the districts' rules read into the question."""
    return (scope_for(user), getattr(getattr(user, "staff", None), "pk", None), until, today_kst(), rules)


def _answer_periods(linkages: QuerySet[Linkage]) -> tuple[tuple[str, Period], ...]:
    """The answer period of each district the linkages are in."""
    # Without the ordering the DISTINCT is over districts, not over linkages (one row each).
    districts = set(linkages.order_by().values_list("case__district_id", flat=True).distinct())
    return tuple((d, case_rules(d).clocks[CaseClock.LINKAGE_ANSWER]) for d in sorted(districts))


def _answer_late(
    linkages: QuerySet[Linkage], until: date, periods: tuple[tuple[str, Period], ...]
) -> QuerySet[Linkage]:
    """The requests whose answer is due on or before `until`, by each district's rule, as one condition."""
    condition = NOTHING
    for district, period in periods:
        condition |= Q(case__district_id=district, requested_on__lte=period.latest_start_due_by(until))
    return linkages.filter(condition)


def _linkage_rows(user: Any, on: date, until: date) -> list[TodayRow]:
    rows = []
    rules_of: dict[str, CaseRules] = {}
    periods = _answer_periods(_waiting_linkages(user))
    late = prepared_list(
        "cases.today.linkages",
        lambda: _answer_late(_waiting_linkages(user), until, periods).select_related(
            "case__dong", "case__lead_worker", "provider"
        )[:BOARD_LIMIT],
        key=_board_key(user, until, periods),
    )
    for linkage in late:
        # Once per district (setdefault would read the rules again for every row: two queries a linkage).
        if linkage.case.district_id not in rules_of:
            rules_of[linkage.case.district_id] = case_rules(linkage.case.district_id)
        rules = rules_of[linkage.case.district_id]
        title = _("Unanswered linkage: %(service)s to %(provider)s") % {
            "service": linkage.service,
            "provider": linkage.provider_label,
        }
        rows.append(
            TodayRow(
                kind=CaseTodayKind.LINKAGE,
                title=title,
                due_on=linkage_answer_due(linkage, rules),
                on=on,
                who="",
                dong=linkage.case.dong.name,
                officer=_who(linkage.case),
                url_name="linkage_detail",
                object_id=linkage.pk,
            )
        )
    return rows


def _who(case: Case) -> str:
    return case.lead_worker.display_name if case.lead_worker_id else ""


def _case_row(case: Case, kind: str, title: str, due_on: date, on: date, who: str | None) -> TodayRow:
    return TodayRow(
        kind=kind,
        title=title,
        due_on=due_on,
        on=on,
        who=who or "",
        dong=case.dong.name,
        officer=_who(case),
        url_name="case_detail",
        object_id=case.pk,
    )


def case_overdue_count(user: Any, on: date) -> int:
    """How many case-management things are overdue on `on` (the menu's badge): two counts by the database."""
    if not can(user, "cases.work"):
        return 0
    yesterday = on - timedelta(days=1)
    late_cases = prepared_count(
        "cases.badge.cases", lambda: _my_cases(user).filter(next_due_on__lt=on), key=_board_key(user, on)
    )
    periods = _answer_periods(_waiting_linkages(user))
    late_linkages = prepared_count(
        "cases.badge.linkages",
        lambda: _answer_late(_waiting_linkages(user), yesterday, periods),
        key=_board_key(user, yesterday, periods),
    )
    return late_cases + late_linkages


# ------------------------------------------------------------------------------------------------ consent
def household_consented_to(household: Household, agency_id: int, on: date) -> bool:
    return Household.objects.filter(household_consented("pk")(agency_id, on), pk=household.pk).exists()


def consenting_agencies(household: Household, on: date) -> set[int]:
    """The agencies a current member of the household consented to share with on `on`."""
    members = Membership.objects.filter(current_on(on), household=household).values("person_id")
    return set(
        Consent.objects.filter(consent_active_on(on), person_id__in=members).values_list("recipient_id", flat=True)
    )


# ------------------------------------------------------------------------- what a household already receives
@dataclass
class AlreadyReceived:
    """What a household already receives from whom inside Dolbom, shown before a case or a linkage is opened so
    that nobody is served twice."""

    cases: list[Case] = field(default_factory=list)
    linkages: list[Linkage] = field(default_factory=list)
    other: list[TimelineEntry] = field(default_factory=list)  # emergency support and what other domains give

    @property
    def empty(self) -> bool:
        return not (self.cases or self.linkages or self.other)


def already_received(user: Any, household: Household) -> AlreadyReceived:
    cases = cases_visible_to(user).filter(household=household, state__in=sorted(OPEN_STATES))
    linkages = linkages_visible_to(user).filter(household=household, state__in=sorted(OPEN_LINKAGE_STATES))
    # Donated money, sponsorships and food-bank goods of the last months (the resources domain's own record).
    since = today_kst() - timedelta(days=RECENT_RESOURCES_DAYS)
    resources = [e for e in resources_history(user, household) if e.on >= since]
    return AlreadyReceived(
        cases=list(cases),
        linkages=list(linkages.order_by("requested_on", "pk")),
        other=emergency_support_received(user, household) + sorted(resources, key=lambda e: e.sort_key),
    )


RECENT_RESOURCES_DAYS = 180


# -------------------------------------------------------------------------------------------------- the figures
# The figures the articles quote, one selector each, counted per 읍면동 over the areas whose aggregates the user may
# read (an analyst included: counts, not rows); a total is the sum of a selector's dongs.


def _counted(user: Any, dong_path: str) -> Q:
    return scope_for(user).aggregate_areas(dong_path)


def new_cases(user: Any, start: date, end: date) -> dict[str, int]:
    """New integrated cases (신규 사례) per dong: households selected for case management between `start` and
    `end`, inclusive."""

    def build() -> QuerySet[Case]:
        cases = Case.objects.filter(_counted(user, "dong"), selected_on__gte=start, selected_on__lte=end)
        return cases.values("dong_id").annotate(n=Count("pk")).order_by()

    rows = prepared_values("cases.figures.new_cases", build, key=(viewer_key(user), start, end))
    return {row["dong_id"]: row["n"] for row in rows}


def linkages_accepted(user: Any, start: date, end: date) -> dict[str, dict[str, int]]:
    """Service linkages (서비스 연계) per dong and sector: a linkage counts once, when its provider took it on."""

    def build() -> QuerySet[Linkage]:
        linkages = Linkage.objects.filter(_counted(user, "case__dong"), answered_on__gte=start, answered_on__lte=end)
        linkages = linkages.exclude(state__in=[LinkageState.DECLINED, LinkageState.CANCELLED])
        return linkages.values("case__dong_id", "sector").annotate(n=Count("pk")).order_by()

    rows = prepared_values("cases.figures.linkages_accepted", build, key=(viewer_key(user), start, end))
    return _by_dong_and_sector(rows, "n")


def won_delivered(user: Any, start: date, end: date) -> dict[str, dict[str, int]]:
    """The won value (환가액) of the services delivered between `start` and `end`, per dong and sector."""

    def build() -> QuerySet[LinkageStep]:
        steps = LinkageStep.objects.filter(
            _counted(user, "linkage__case__dong"), move=LinkageMove.DELIVER, on__gte=start, on__lte=end
        )
        return steps.values("linkage__case__dong_id", "linkage__sector").annotate(w=Sum("won")).order_by()

    rows = prepared_values("cases.figures.won_delivered", build, key=(viewer_key(user), start, end))
    return _by_dong_and_sector(rows, "w")


def linkages_delivered(user: Any, start: date, end: date) -> dict[str, dict[str, tuple[int, int]]]:
    """The linkages that delivered between `start` and `end`, per dong and sector: how many (a linkage delivering
    every month counts once) and the won value of those deliveries. One aggregate query."""

    def build() -> QuerySet[LinkageStep]:
        steps = LinkageStep.objects.filter(
            _counted(user, "linkage__case__dong"), move=LinkageMove.DELIVER, on__gte=start, on__lte=end
        )
        return (
            steps.values("linkage__case__dong_id", "linkage__sector")
            .annotate(n=Count("linkage", distinct=True), w=Sum("won"))
            .order_by()
        )

    out: dict[str, dict[str, tuple[int, int]]] = {}
    for row in prepared_values("cases.figures.linkages_delivered", build, key=(viewer_key(user), start, end)):
        per_sector = out.setdefault(row["linkage__case__dong_id"], dict.fromkeys(Sector.values, (0, 0)))
        per_sector[row["linkage__sector"]] = (row["n"], row["w"] or 0)
    return out


def _by_dong_and_sector(rows: Any, value: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        dong = row.get("case__dong_id") or row.get("linkage__case__dong_id")
        sector = row.get("sector") or row.get("linkage__sector")
        out.setdefault(dong, dict.fromkeys(Sector.values, 0))[sector] = row[value] or 0
    return out


@dataclass(frozen=True)
class LinkageFigures:
    count: int
    won: int
    public_count: int
    public_won: int
    private_count: int
    private_won: int


def new_cases_count(user: Any, start: date, end: date) -> int:
    return sum(new_cases(user, start, end).values())


def linkage_figures(user: Any, start: date, end: date) -> LinkageFigures:
    """The linkages of a period in one line, as the articles write it ("325 services worth about 72 million won"),
    public and private apart."""
    counts, won = linkages_accepted(user, start, end), won_delivered(user, start, end)

    def total(table: dict[str, dict[str, int]], sector: str) -> int:
        return sum(per_sector[sector] for per_sector in table.values())

    public_count, private_count = total(counts, Sector.PUBLIC), total(counts, Sector.PRIVATE)
    public_won, private_won = total(won, Sector.PUBLIC), total(won, Sector.PRIVATE)
    return LinkageFigures(
        count=public_count + private_count,
        won=public_won + private_won,
        public_count=public_count,
        public_won=public_won,
        private_count=private_count,
        private_won=private_won,
    )


# ------------------------------------------------------------------------------------------- the household page
def household_history(user: Any, household: Household) -> list[TimelineEntry]:
    """What case management knows of one household, as far as the user may see it: each move of its cases (with
    the conference that decided it), plans and their agreement, monitoring and reassessments, follow-up checks,
    and each step of its linkages."""
    if not can(user, "cases.view"):
        return []
    entries: list[TimelineEntry] = []
    # Built once per user and day, the household's id bound at each call (core.prepared).
    key, household_id = viewer_key(user), household.pk
    cases = prepared_list(
        "cases.household.cases",
        lambda household_id: cases_visible_to(user).filter(household_id=household_id),
        key=key,
        household_id=household_id,
    )
    if cases:  # the rest hangs on the cases: nothing to build for a household without one
        entries += _case_entries(cases)
    steps = prepared_list(
        "cases.household.linkage_steps",
        lambda household_id: (
            LinkageStep.objects.filter(
                linkage__in=linkages_visible_to(user).filter(household_id=household_id).values("pk")
            )
            .select_related("linkage", "linkage__provider")
            .order_by("at", "pk")
        ),
        key=key,
        household_id=household_id,
    )
    for step in steps:
        text = _("Linkage %(service)s (%(provider)s): %(step)s") % {
            "service": step.linkage.service,
            "provider": step.linkage.provider_label,
            "step": step.get_move_display(),
        }
        details = (format_won(step.won),) if step.won else ()
        entries.append(TimelineEntry(step.on, "linkage", text, details, step.at))
    return entries


def _case_entries(cases: list[Case]) -> list[TimelineEntry]:
    """Each move of the cases, their plans, monitoring notes and follow-up checks done."""
    entries: list[TimelineEntry] = []
    transitions = Transition.objects.filter(case__in=cases).select_related("agenda_item__conference")
    for t in transitions.order_by("at", "pk"):
        text = _("Case %(case)s: %(move)s") % {"case": t.case_id, "move": t.get_move_display()}
        details = tuple(x for x in (str(t.agenda_item.conference) if t.agenda_item_id else "", t.reason) if x)
        entries.append(TimelineEntry(t.on, "case", text, details, t.at))
    for plan in CasePlan.objects.filter(case__in=cases):
        text = _("Case plan version %(version)s drawn up") % {"version": plan.version}
        entries.append(TimelineEntry(plan.made_on, "case_plan", text, (), plan.recorded_at))
        if plan.agreed_on is not None:
            agreed = _("Case plan version %(version)s agreed: %(how)s") % {
                "version": plan.version,
                "how": plan.get_agreement_display(),
            }
            entries.append(TimelineEntry(plan.agreed_on, "case_plan", agreed))
    for note in MonitoringNote.objects.filter(case__in=cases):
        entries.append(TimelineEntry(note.held_on, "case_note", note.get_kind_display(), (), note.recorded_at))
    for check in FollowUpCheck.objects.filter(case__in=cases).exclude(done_on=None):
        text = _("Follow-up check %(number)s done") % {"number": check.number}
        entries.append(TimelineEntry(check.done_on, "case_follow_up", text))
    return entries


def households_with_open_case(district_code: str) -> set[int]:
    """The households of a district with a case not yet closed, unscoped: for the system's own work over the
    district (re-guidance marks them instead of listing them again), never for a page."""
    cases = Case.objects.filter(district_id=district_code, state__in=sorted(OPEN_STATES))
    return set(cases.values_list("household_id", flat=True))
