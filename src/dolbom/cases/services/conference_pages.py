"""The audited reads of the conference pages: the list of conferences, one conference with its attendees, agenda
and what each form offers, and the minutes as a PDF. Each reading is recorded, because a conference page names
the households on its agenda (masked) and what was decided about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone

from dolbom.cases.models import (
    MOVES,
    AgendaItem,
    Attendee,
    Case,
    CaseType,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Outcome,
)
from dolbom.cases.selectors import (
    agenda_candidates,
    agenda_visible_to,
    cases_visible_to,
    conference_agencies,
    conferences_visible_to,
    district_dongs,
    lead_workers,
)
from dolbom.cases.services.cases import case_types
from dolbom.cases.services.conferences import OUTCOME_MOVES, runs
from dolbom.core import audit
from dolbom.core.pdf import render_pdf
from dolbom.core.permissions import can, ensure_can
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.registry.models import AdministrativeArea, Agency, AreaLevel, Staff
from dolbom.registry.selectors import areas_visible_to, districts_visible_to, masked_head_names

# Past conferences on the list page, newest first: a district meets monthly, so this is years of them.
PAST_SHOWN = 60


@dataclass(frozen=True)
class ConferenceRow:
    conference: Conference
    agenda: int  # cases on the agenda that the user may see
    decided: int


@dataclass
class ConferenceList:
    upcoming: list[ConferenceRow]
    past: list[ConferenceRow]
    more_past: bool  # older conferences exist beyond those listed


def _rows(conferences: Any) -> list[ConferenceRow]:
    return [ConferenceRow(c, c.visible_agenda, c.visible_decided) for c in conferences]


def open_conference_list(*, user: Any) -> ConferenceList:
    """The conferences the user may see: those to come or still open (the nearest first), then those whose
    minutes are closed (the latest first)."""
    ensure_can(user, "cases.view")
    visible_case = Q(agenda__case__in=cases_visible_to(user).values("pk"))
    conferences = conferences_visible_to(user).annotate(
        visible_agenda=Count("agenda", filter=visible_case),
        visible_decided=Count("agenda", filter=visible_case & ~Q(agenda__outcome="")),
    )
    # To come: every conference whose minutes are still open, the nearest first (one planned for a past day and
    # never marked held is work left, not history). Past: the closed ones, the latest first.
    upcoming = _rows(conferences.exclude(status=ConferenceStatus.CLOSED).order_by("held_on", "pk"))
    closed = conferences.filter(status=ConferenceStatus.CLOSED).order_by("-held_on", "-pk")
    past = _rows(closed[: PAST_SHOWN + 1])
    listing = ConferenceList(upcoming=upcoming, past=past[:PAST_SHOWN], more_past=len(past) > PAST_SHOWN)
    audit.record(user, "cases.view_conference_list", detail={"upcoming": len(upcoming), "past": len(listing.past)})
    return listing


# ---------------------------------------------------------------------------------------------- plan a conference
@dataclass(frozen=True)
class PlanChoices:
    """Where the user may plan a conference: the districts whose regular conference they run (district staff),
    and the dongs whose own conference they may call."""

    districts: list[AdministrativeArea]
    dongs: list[AdministrativeArea]

    @property
    def kinds(self) -> list[tuple[str, str]]:
        kinds = [(ConferenceKind.DISTRICT.value, str(ConferenceKind.DISTRICT.label))] if self.districts else []
        if self.dongs:
            kinds.append((ConferenceKind.DONG.value, str(ConferenceKind.DONG.label)))
        return kinds


def plan_choices(user: Any) -> PlanChoices:
    """What the planning form offers (`plan_conference` checks the scope again, whatever a form sent)."""
    if not can(user, "cases.conference"):
        return PlanChoices([], [])
    districts = list(districts_visible_to(user)) if scope_for(user).sees_district else []
    dongs = list(areas_visible_to(user).filter(level=AreaLevel.EUPMYEONDONG).order_by("code"))
    return PlanChoices(districts, dongs)


# ------------------------------------------------------------------------------------------------ one conference
@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    head: str  # the household head's masked name, as far as the user may see the person
    moved_to: str = ""  # the state the decision moved the case to, for the minutes

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        return outcomes_for(self.item.case)


def outcomes_for(case: Case) -> list[tuple[str, str]]:
    """The decisions a conference can take about a case in its state: those that move it as `MOVES` allows, and
    those that leave it as it is (continue, defer). `decide` checks the move again."""
    return [
        (value, str(label))
        for value, label in Outcome.choices
        if OUTCOME_MOVES[value] is None or (case.state, OUTCOME_MOVES[value]) in MOVES
    ]


@dataclass(frozen=True)
class CaseChoice:
    case: Case
    head: str


@dataclass
class ConferencePage:
    conference: Conference
    attendees: list[Attendee]
    agenda: list[AgendaRow]
    hidden: int  # cases on the agenda the user may not see (another dong's, for a dong officer)
    can_act: bool  # may change it: runs conferences, and the minutes are not closed
    candidates: list[CaseChoice] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    workers: list[Staff] = field(default_factory=list)
    case_types: list[CaseType] = field(default_factory=list)
    dongs: list[AdministrativeArea] = field(default_factory=list)

    @property
    def undecided(self) -> int:
        return sum(1 for row in self.agenda if not row.item.outcome)


def _agenda_rows(user: Any, conference: Conference) -> tuple[list[AgendaRow], int]:
    items = list(agenda_visible_to(user, conference).select_related("decided_by__staff"))
    heads = masked_head_names(user, [i.case.household_id for i in items], on=conference.held_on)
    moved = {}
    for item in items:
        last = max(item.transitions.all(), key=lambda t: (t.at, t.pk), default=None)
        moved[item.pk] = last.get_to_state_display() if last is not None else ""
    rows = [AgendaRow(i, heads.get(i.case.household_id, ""), moved[i.pk]) for i in items]
    return rows, conference.agenda.count() - len(rows)


def _page(user: Any, conference: Conference) -> ConferencePage:
    agenda, hidden = _agenda_rows(user, conference)
    can_act = can(user, "cases.conference") and runs(user, conference) and conference.status != ConferenceStatus.CLOSED
    page = ConferencePage(
        conference=conference,
        attendees=list(conference.attendees.select_related("agency")),
        agenda=agenda,
        hidden=hidden,
        can_act=can_act,
    )
    if can_act:
        cases = list(agenda_candidates(user, conference).select_related("dong"))
        heads = masked_head_names(user, [c.household_id for c in cases])
        page.candidates = [CaseChoice(c, heads.get(c.household_id, "")) for c in cases]
    if can(user, "cases.conference"):
        # Offered even once the minutes are closed: a form posted to a closed conference is then refused for
        # that reason by the service, not as "not offered" by the form.
        page.agencies = list(conference_agencies(conference.district_id).select_related("area"))
        page.workers = list(lead_workers([a.pk for a in page.agencies]))
        page.case_types = case_types(district_code=conference.district_id, user=user)
        page.dongs = list(district_dongs(conference.district_id))
    return page


def open_conference(*, user: Any, conference_id: int) -> ConferencePage:
    """One conference as the user may see it (404 outside their scope), the reading audited."""
    ensure_can(user, "cases.view")
    conference = visible_or_404(conferences_visible_to(user), conference_id)
    page = _page(user, conference)
    audit.record(user, "cases.view_conference", conference, detail={"agenda": len(page.agenda)})
    return page


def conference_form_choices(*, user: Any, conference_id: int) -> ConferencePage:
    """The same page, for a form that a service refused: the choices to show it again with what was typed. Not
    audited apart: the refused change is the user's action, and the page it lands on is recorded by `open_…`."""
    ensure_can(user, "cases.view")
    return _page(user, visible_or_404(conferences_visible_to(user), conference_id))


# ---------------------------------------------------------------------------------------------------- minutes
def minutes_html(user: Any, conference: Conference) -> tuple[str, int]:
    """The minutes as HTML for WeasyPrint, and how many agenda items they hold."""
    agenda, hidden = _agenda_rows(user, conference)
    context = {
        "conference": conference,
        "attendees": list(conference.attendees.select_related("agency")),
        "agenda": agenda,
        "hidden": hidden,
        "draft": conference.status != ConferenceStatus.CLOSED,
        "printed_at": timezone.localtime(),
        "printed_by": getattr(getattr(user, "staff", None), "display_name", "") or user.get_username(),
    }
    return render_to_string("cases/minutes.html", context), len(agenda)


def conference_minutes_pdf(*, user: Any, conference_id: int) -> bytes:
    """The minutes of a conference as an A4 PDF in Korean: who sat at the table and, for each case on the agenda
    that the user may see, the proposal, the discussion, the decision and its reasons. Before the minutes are
    closed the PDF says it is a draft. The printing is audited."""
    ensure_can(user, "cases.view")
    conference = visible_or_404(conferences_visible_to(user), conference_id)
    html, items = minutes_html(user, conference)
    pdf = render_pdf(html)
    audit.record(user, "cases.print_minutes", conference, detail={"status": conference.status, "agenda": items})
    return pdf


def minutes_filename(conference_id: int) -> str:
    return f"conference-{conference_id}-minutes.pdf"
