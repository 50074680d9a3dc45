"""The audited reads of case management: each page that names a household in crisis is opened through a service
that records the reading, so that a new view cannot forget it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet

from dolbom.cases.models import (
    OPEN_STATES,
    SERVING_STATES,
    Case,
    CasePlan,
    CaseState,
    FollowUpCheck,
    Goal,
    Linkage,
    LinkageState,
    LinkageStep,
    MonitoringNote,
    Transition,
)
from dolbom.cases.selectors import (
    AlreadyReceived,
    Deadline,
    already_received,
    case_deadlines,
    case_rules,
    case_today_rows,
    cases_visible_to,
    consenting_agencies,
    linkage_answer_due,
    linkages_visible_to,
    monitoring_due_on,
)
from dolbom.cases.services.cases import case_types
from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.needs import NeedDomain
from dolbom.core.permissions import can, ensure_can
from dolbom.core.roles import Role
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.intake.selectors import TodayRow, pending_case_candidates
from dolbom.intake.services.consultations import crisis_scale
from dolbom.registry.models import Agency, AreaLevel, Sector, Staff
from dolbom.registry.selectors import areas_visible_to, masked_head_names
from dolbom.resources.selectors import services_for_linkage
from dolbom.resources.services.volunteers import match_volunteers

LIST_LIMIT = 300
# Accounts that never lead a case: a safety-net member reports, an analyst counts.
NOT_CASE_WORKERS = (Role.SAFETY_NET, Role.ANALYST)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    head: str
    due: date | None  # the next thing due: a deadline not met, monitoring or a follow-up check
    overdue: bool


@dataclass
class CaseList:
    rows: list[CaseRow]
    candidates: list[tuple[Any, str]]  # intake decisions waiting to become a case, with the head's masked name
    open_only: bool
    truncated: bool


def open_case_list(*, user: Any, open_only: bool = True) -> CaseList:
    """The cases the user may see, the next due first, and the candidates intake sent that wait to be opened."""
    ensure_can(user, "cases.view")
    on = today_kst()
    cases = cases_visible_to(user)
    if open_only:
        cases = cases.filter(state__in=sorted(OPEN_STATES | {CaseState.FOLLOW_UP}))
    cases = list(cases[: LIST_LIMIT + 1])
    truncated = len(cases) > LIST_LIMIT
    cases = cases[:LIST_LIMIT]
    decisions = list(pending_case_candidates(user).select_related("consultation__household__dong"))
    heads = masked_head_names(user, [c.household_id for c in cases] + [d.consultation.household_id for d in decisions])
    rows = []
    for case in cases:
        due = case.next_due_on
        rows.append(CaseRow(case, heads.get(case.household_id, ""), due, due is not None and due < on))
    rows.sort(key=lambda r: (r.due is None, r.due or on, r.case.pk))
    audit.record(user, "cases.view_cases", detail={"cases": len(rows), "candidates": len(decisions)})
    return CaseList(
        rows=rows,
        candidates=[(d, heads.get(d.consultation.household_id, "")) for d in decisions],
        open_only=open_only,
        truncated=truncated,
    )


@dataclass
class CasePage:
    case: Case
    head: str
    transitions: list[Transition]
    plans: list[CasePlan]
    notes: list[MonitoringNote]
    linkages: list[Linkage]
    follow_ups: list[FollowUpCheck]
    deadlines: list[Deadline]
    monitoring_due: date | None
    already: AlreadyReceived
    on: date
    may: dict[str, bool] = field(default_factory=dict)

    @property
    def plan(self) -> CasePlan | None:
        return self.plans[0] if self.plans else None

    @property
    def goals(self) -> list[Goal]:
        return list(self.plan.goals.all()) if self.plan else []


def open_case(*, user: Any, case_id: int) -> CasePage:
    """One case with its history, plans, notes, linkages and deadlines (404 outside the user's scope)."""
    ensure_can(user, "cases.view")
    case = visible_or_404(cases_visible_to(user).select_related("household__address", "district"), case_id)
    on = today_kst()
    rules = case_rules(case.district_id)
    steps = Prefetch("steps", queryset=LinkageStep.objects.select_related("by").order_by("at", "pk"))
    linkages = list(linkages_visible_to(user).filter(case=case).prefetch_related(steps).order_by("requested_on", "pk"))
    already = already_received(user, case.household)
    already.cases = [c for c in already.cases if c.pk != case.pk]
    already.linkages = [link for link in already.linkages if link.case_id != case.pk]
    page = CasePage(
        case=case,
        head=masked_head_names(user, [case.household_id]).get(case.household_id, ""),
        transitions=list(case.transitions.select_related("by", "agenda_item__conference").order_by("-at", "-pk")),
        plans=list(case.plans.prefetch_related("goals__responsible_agency").order_by("-version")),
        notes=list(case.notes.prefetch_related("progress__goal").select_related("worker").order_by("-held_on", "-pk")),
        linkages=linkages,
        follow_ups=list(case.follow_ups.order_by("number")),
        deadlines=case_deadlines(case, rules, on),
        monitoring_due=monitoring_due_on(case, rules),
        already=already,
        on=on,
    )
    works = can(user, "cases.work")
    page.may = {
        "work": works and case.is_open,
        "plan": works and case.state in (CaseState.SELECTED, CaseState.PLANNING, CaseState.REASSESSMENT),
        "monitor": works and case.state in SERVING_STATES,
        "link": works and case.state in (SERVING_STATES | {CaseState.PLANNING}),
        "reopen": works and not case.is_open,
        "follow_up": works and case.state == CaseState.FOLLOW_UP,
        "conference": can(user, "cases.conference") and case.is_open,
        "answer": can(user, "cases.answer_linkage"),
    }
    audit.record(user, "cases.view_case", case)
    return page


def _unanswered_first(linkages: QuerySet[Linkage]) -> list[Linkage]:
    waiting = ExpressionWrapper(Q(state=LinkageState.REQUESTED), output_field=BooleanField())
    ordered = linkages.alias(waiting=waiting).order_by("-waiting", "requested_on", "pk")
    return list(ordered.select_related("case__dong", "provider")[:LIST_LIMIT])


@dataclass
class LinkageInbox:
    rows: list[tuple[Linkage, str, date]]  # the linkage, the head's masked name, the day its answer is due
    on: date


def open_linkage_inbox(*, user: Any, open_only: bool = True) -> LinkageInbox:
    """A provider's requests and services running (a partner's own pages), or a public worker's linkages: the
    unanswered first, oldest first, so that a request that ages is seen."""
    ensure_can(user, "cases.view")
    linkages = linkages_visible_to(user)
    if scope_for(user).sees_by_consent:
        linkages = linkages.filter(provider_id=scope_for(user).agency_id)
    if open_only:
        linkages = linkages.filter(state__in=[LinkageState.REQUESTED, LinkageState.ACCEPTED, LinkageState.DELIVERING])
    rows = _unanswered_first(linkages)
    heads = masked_head_names(user, [link.household_id for link in rows])
    rules_of: dict[str, Any] = {}
    out = []
    for link in rows:
        # Once per district (setdefault would read the rules again for every row: two queries a linkage).
        if link.case.district_id not in rules_of:
            rules_of[link.case.district_id] = case_rules(link.case.district_id)
        rules = rules_of[link.case.district_id]
        out.append((link, heads.get(link.household_id, ""), linkage_answer_due(link, rules)))
    audit.record(user, "cases.view_linkages", detail={"linkages": len(out)})
    return LinkageInbox(rows=out, on=today_kst())


@dataclass
class LinkagePage:
    linkage: Linkage
    head: str
    steps: list[LinkageStep]
    answer_due: date
    on: date
    may_answer: bool
    may_cancel: bool


def open_linkage(*, user: Any, linkage_id: int) -> LinkagePage:
    ensure_can(user, "cases.view")
    linkage = visible_or_404(linkages_visible_to(user), linkage_id)
    scope = scope_for(user)
    answers_itself = linkage.provider_id is not None and linkage.provider.sector == Sector.PRIVATE
    may_answer = can(user, "cases.answer_linkage") and (
        scope.agency_id == linkage.provider_id if answers_itself else not scope.sees_by_consent
    )
    page = LinkagePage(
        linkage=linkage,
        head=masked_head_names(user, [linkage.household_id]).get(linkage.household_id, ""),
        steps=list(linkage.steps.select_related("by").order_by("at", "pk")),
        answer_due=linkage_answer_due(linkage, case_rules(linkage.case.district_id)),
        on=today_kst(),
        may_answer=may_answer,
        may_cancel=can(user, "cases.work") and not scope.sees_by_consent and linkage.state == LinkageState.REQUESTED,
    )
    audit.record(user, "cases.view_linkage", linkage)
    return page


@dataclass
class LinkageFormPage:
    case: Case
    head: str
    already: AlreadyReceived
    providers: list[tuple[Agency, bool]]  # each active agency, and whether the household consented to it
    goals: list[Goal]
    domain: str = ""
    # The directory's active services for the domain in the household's dong, with their providers.
    services: list[Any] = field(default_factory=list)
    volunteers: list[Any] = field(default_factory=list)  # matching the domain, the household's dong first
    more_volunteers: bool = False

    def offered(self, service_id: int | None) -> Any | None:
        """One of the services the form lists, or None."""
        return next((s for s in self.services if s.pk == service_id), None)


# A form lists a few volunteers and a directory's worth of services, not a whole district's registry.
FORM_VOLUNTEERS = 10
FORM_SERVICES = 100


def open_linkage_form(*, user: Any, case_id: int, domain: str = "") -> LinkageFormPage:
    """The form to request a service, with what the household already receives inside Dolbom, so that nobody is
    served twice, and which private partners it consented to; for a need domain, the directory's services serving
    the household's dong and the volunteers whose skills answer it (names masked, as the volunteers' page shows
    them). Reading the volunteers is part of the audited reading of the form."""
    ensure_can(user, "cases.work")
    case = visible_or_404(cases_visible_to(user).select_related("household"), case_id)
    already = already_received(user, case.household)
    agencies = list(Agency.objects.filter(active=True).order_by("sector", "name"))
    consented = consenting_agencies(case.household, today_kst())
    plan = case.plans.order_by("-version").first()
    page = LinkageFormPage(
        case=case,
        head=masked_head_names(user, [case.household_id]).get(case.household_id, ""),
        already=already,
        providers=[(a, a.sector == Sector.PUBLIC or a.pk in consented) for a in agencies],
        goals=list(plan.goals.all()) if plan else [],
        domain=domain if domain in NeedDomain.values else "",
    )
    if page.domain:
        dong = case.household.dong_id
        services = services_for_linkage(user, domain=page.domain, area=dong).order_by("name", "pk")
        page.services = list(services[:FORM_SERVICES])
        if can(user, "resources.view_volunteers"):
            volunteers = match_volunteers(user, need=page.domain, dong=dong)
            page.volunteers, page.more_volunteers = volunteers[:FORM_VOLUNTEERS], len(volunteers) > FORM_VOLUNTEERS
    audit.record(
        user,
        "cases.view_linkage_form",
        case,
        detail={"domain": page.domain, "services": len(page.services), "volunteers": len(page.volunteers)},
    )
    return page


# ------------------------------------------------------------------------------------------ choices of forms
def transfer_choices(user: Any, case: Case) -> dict[str, Any]:
    """The dongs of the case's district, the active agencies and their staff, for the transfer form."""
    dongs = areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG, parent_id=case.district_id)
    local = Q(area_id=case.district_id) | Q(area__parent_id=case.district_id)
    agencies = Agency.objects.filter(local, active=True)
    staff = Staff.objects.filter(active=True, agency__in=agencies).exclude(role__in=NOT_CASE_WORKERS)
    return {
        "dongs": list(dongs.order_by("name")),
        "agencies": list(agencies.order_by("sector", "name")),
        "workers": list(staff.select_related("agency").order_by("agency__name", "display_name")[:500]),
    }


def crisis_levels(user: Any, case: Case) -> list[str]:
    return [level.name for level in crisis_scale(district_code=case.district_id, user=user)]


def types_for(user: Any, case: Case) -> list[Any]:
    return case_types(district_code=case.district_id, user=user)


def open_case_today(*, user: Any) -> list[TodayRow]:
    """Case management's part of 오늘 할 일, audited when it names anything."""
    rows = case_today_rows(user, today_kst())
    if rows:
        audit.record(user, "cases.view_today", detail={"rows": len(rows)})
    return rows
