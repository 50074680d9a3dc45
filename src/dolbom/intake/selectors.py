"""Reads of intake, narrowed through `dolbom.core.scope`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from dolbom.core.scope import Reach, scope_for, scoped, visible_or_404
from dolbom.intake.models import (
    Assessment,
    Consultation,
    ConsultationRecord,
    Decision,
    DecisionStatus,
    ImmediateRisk,
    NeedDomain,
    NeedRating,
    Referral,
    RiskKind,
    Visit,
    WorkItem,
    WorkSource,
    WorkStatus,
)
from dolbom.registry.models import AdministrativeArea, AreaLevel, Household, Membership, Person, Staff
from dolbom.registry.selectors import (
    areas_visible_to,
    households_visible_to,
    masked_head_names,
    officers_of_dong,
    persons_visible_to,
    search_households,
    visible_members,
)

# Officers see the referrals of their area; safety-net members and private agencies those they filed.
REFERRAL = Reach(dong="dong", author="reported_by")
# The worklist is the public officers' work in their area.
WORK_ITEM = Reach(dong="dong")


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    return scoped(Referral.objects.select_related("dong"), user, REFERRAL)


def referral_dongs_for(user: Any) -> QuerySet[AdministrativeArea]:
    """The 읍면동 the user may file a referral about (see `Scope.files_in`)."""
    dongs = AdministrativeArea.objects.filter(level=AreaLevel.EUPMYEONDONG)
    return dongs.filter(scope_for(user).filing_areas()).order_by("code")


def work_items_visible_to(user: Any) -> QuerySet[WorkItem]:
    items = WorkItem.objects.select_related(
        "dong", "household", "household__address", "assigned_to", "referral", "outreach_item", "outreach_item__round"
    )
    return scoped(items, user, WORK_ITEM)


def open_items_of_household(household_id: int) -> QuerySet[WorkItem]:
    """The household's items still being worked on, unscoped: for the rule that one household has one officer."""
    return WorkItem.objects.filter(household_id=household_id).exclude(status=WorkStatus.CLOSED)


@dataclass(frozen=True)
class WorklistFilter:
    dong: str = ""
    mine: bool = False
    unassigned: bool = False
    open_only: bool = True
    source: str = ""
    tong: int | None = None


@dataclass
class WorklistPage:
    items: list[WorkItem]
    dongs: list[AdministrativeArea]
    officers: dict[str, list[Staff]] = field(default_factory=dict)


SORTS = {
    "age": ("opened_at", "pk"),
    "source": ("source", "outreach_item__rank", "opened_at"),
    "tong": ("household__address__tong", "household__address__ban", "opened_at"),
    "due": ("next_try_on", "opened_at"),
}


def worklist(user: Any, filters: WorklistFilter, *, sort: str = "age", limit: int = 500) -> WorklistPage:
    """The dong's households to reach, whatever found them, with their heads' masked names and the officers who
    may be sent. Open items only unless asked; oldest first, so that nothing waits forgotten."""
    items = work_items_visible_to(user)
    if filters.dong:
        items = items.filter(dong_id=filters.dong)
    if filters.open_only:
        items = items.exclude(status=WorkStatus.CLOSED)
    if filters.mine:
        staff_id = getattr(getattr(user, "staff", None), "pk", None)
        items = items.filter(assigned_to_id=staff_id)
    if filters.unassigned:
        items = items.filter(assigned_to__isnull=True)
    if filters.source in WorkSource.values:
        items = items.filter(source=filters.source)
    if filters.tong is not None:
        items = items.filter(household__address__tong=filters.tong)
    rows = list(items.order_by(*SORTS.get(sort, SORTS["age"]))[:limit])
    heads = masked_head_names(user, [i.household_id for i in rows if i.household_id])
    for item in rows:
        item.head_name = heads.get(item.household_id, "")
    dong_codes = {i.dong_id for i in rows}
    officers = {code: list(officers_of_dong(code)) for code in dong_codes}
    return WorklistPage(items=rows, dongs=list(areas_visible_to(user).order_by("code")), officers=officers)


@dataclass
class WorkItemPage:
    item: WorkItem
    visits: list[Visit]
    officers: list[Staff]
    head_name: str
    candidates: list[Any] = field(default_factory=list)  # registry.selectors.HouseholdHit


def work_item_page(user: Any, work_item_id: int) -> WorkItemPage:
    """One item with its visits (corrections shown beside what they correct), the officers who may go and, for a
    report not yet tied to a household, the registered households its address points to."""
    item = visible_or_404(work_items_visible_to(user), work_item_id)
    visits = list(item.visits.select_related("visitor", "corrects", "recorded_by").order_by("on", "recorded_at"))
    corrected = {v.corrects_id for v in visits if v.corrects_id}
    for visit in visits:
        visit.is_corrected = visit.pk in corrected
    head = masked_head_names(user, [item.household_id]).get(item.household_id, "") if item.household_id else ""
    candidates = []
    if item.household_id is None and item.referral_id is not None:
        _query, hits, _more = search_households(user, item.referral.address_text, limit=10)
        candidates = [hit for hit in hits if hit.household.dong_id == item.dong_id]
    return WorkItemPage(
        item=item, visits=visits, officers=list(officers_of_dong(item.dong_id)), head_name=head, candidates=candidates
    )


def due_for(user: Any, on: Any) -> QuerySet[WorkItem]:
    """The user's own open items whose next try is due by `on` (오늘 할 일)."""
    staff_id = getattr(getattr(user, "staff", None), "pk", None)
    return (
        work_items_visible_to(user)
        .filter(assigned_to_id=staff_id)
        .exclude(status=WorkStatus.CLOSED)
        .filter(Q(next_try_on__lte=on) | Q(next_try_on__isnull=True))
        .order_by("next_try_on", "opened_at")
    )


# ------------------------------------------------------------------ consultations, assessments, decisions
# A consultation is reached through its household's dong, by the public staff of the area only. A private agency
# does not see it even when a member of the household consented to share with it: what happened, the risks and
# the needs concern every member, those who did not consent included, and free text cannot be cut per person.
# What a partner needs reaches it through case management, under the purpose the person consented to.
CONSULTATION = Reach(dong="household__dong")
DECISION = Reach(dong="consultation__household__dong")


def consultations_visible_to(user: Any) -> QuerySet[Consultation]:
    rows = Consultation.objects.select_related("household", "household__address", "household__dong", "work_item")
    return scoped(rows, user, CONSULTATION)


def decisions_visible_to(user: Any) -> QuerySet[Decision]:
    rows = Decision.objects.select_related("consultation", "consultation__household", "decided_by")
    return scoped(rows, user, DECISION)


def pending_decisions(user: Any, kind: str) -> QuerySet[Decision]:
    """Decisions of one kind waiting for the capability that carries them on (a case-management candidate for
    cases, a benefit application for eligibility, emergency support for its clocks), oldest first."""
    return decisions_visible_to(user).filter(kind=kind, status=DecisionStatus.PENDING).order_by("decided_on", "pk")


def current_record(consultation: Consultation) -> ConsultationRecord:
    """The version of the consultation that stands: the highest."""
    return consultation.records.select_related("officer").order_by("-version").first()


def current_assessment(consultation: Consultation) -> Assessment | None:
    """The assessment that stands: the one no later assessment replaces."""
    rows = consultation.assessments.filter(replaced_by__isnull=True).select_related("crisis_level", "officer")
    return rows.order_by("-recorded_at", "-pk").first()


def open_item_of_household(user: Any, household_id: int) -> WorkItem | None:
    """The household's oldest item still being worked on, among the user's: a walk-in continues it."""
    items = work_items_visible_to(user).filter(household_id=household_id).exclude(status=WorkStatus.CLOSED)
    return items.order_by("opened_at", "pk").first()


@dataclass
class ConsultationStart:
    """What the consultation form shows: the household's registered members as the user may see them, the dong's
    officers, and the item the consultation closes (None: a walk-in without an open item)."""

    household: Household
    item: WorkItem | None
    members: list[Membership]
    officers: list[Staff]
    head_name: str


def consultation_start(user: Any, household: Household, item: WorkItem | None) -> ConsultationStart:
    head = masked_head_names(user, [household.pk]).get(household.pk, "")
    return ConsultationStart(
        household=household,
        item=item,
        members=visible_members(user, household),
        officers=list(officers_of_dong(household.dong_id)),
        head_name=head,
    )


@dataclass
class ConsultationPage:
    consultation: Consultation
    record: ConsultationRecord
    history: list[ConsultationRecord]  # earlier versions, newest first
    members: list[Person]  # the registered members recorded as living here, as far as the user may see them
    risks: list[ImmediateRisk]
    assessment: Assessment | None
    needs: list[NeedRating]
    earlier_assessments: list[Assessment]
    decisions: list[Decision]
    head_name: str


def consultation_page(user: Any, consultation_id: int) -> ConsultationPage:
    """One consultation with its versions, assessments (the standing one with its needs in the domains' order) and
    decisions."""
    consultation = visible_or_404(consultations_visible_to(user), consultation_id)
    records = list(consultation.records.select_related("officer", "recorded_by").order_by("-version"))
    record = records[0]
    assessment = current_assessment(consultation)
    order = {domain: index for index, domain in enumerate(NeedDomain.values)}
    needs = sorted(assessment.needs.all(), key=lambda n: order.get(n.domain, 99)) if assessment else []
    earlier = consultation.assessments.exclude(pk=getattr(assessment, "pk", None))
    risk_order = {kind: index for index, kind in enumerate(RiskKind.values)}
    household_id = consultation.household_id
    return ConsultationPage(
        consultation=consultation,
        record=record,
        history=records[1:],
        members=list(persons_visible_to(user).filter(pk__in=record.members.values("pk")).order_by("birth_date")),
        risks=sorted(record.risks.all(), key=lambda r: risk_order.get(r.kind, 99)),
        assessment=assessment,
        needs=needs,
        earlier_assessments=list(earlier.select_related("crisis_level", "officer").order_by("-recorded_at", "-pk")),
        decisions=list(consultation.decisions.select_related("decided_by").order_by("recorded_at", "pk")),
        head_name=masked_head_names(user, [household_id]).get(household_id, ""),
    )


@dataclass
class HouseholdConsultations:
    household: Household
    consultations: list[Consultation]  # each with `.record` and `.assessment` set, newest first
    pending: list[Decision]
    open_item: WorkItem | None


def household_consultations(user: Any, household_id: int) -> HouseholdConsultations:
    """A household's consultations and the decisions waiting for their next step."""
    household = visible_or_404(households_visible_to(user).select_related("address", "dong"), household_id)
    consultations = list(consultations_visible_to(user).filter(household=household).order_by("-opened_at"))
    for consultation in consultations:
        consultation.record = current_record(consultation)
        consultation.assessment = current_assessment(consultation)
    pending = decisions_visible_to(user).filter(consultation__household=household, status=DecisionStatus.PENDING)
    return HouseholdConsultations(
        household=household,
        consultations=consultations,
        pending=list(pending.order_by("decided_on", "pk")),
        open_item=open_item_of_household(user, household.pk),
    )
