"""Reads of eligibility, narrowed through `dolbom.core.scope`: the calculations kept on households, and what a new
calculation starts from (the household's members, the regions its address suggests, the years with rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dolbom.core.dates import age_on
from dolbom.core.prepared import prepared_list, viewer_key
from dolbom.core.scope import Reach, scoped, visible_or_404
from dolbom.eligibility import aftercare
from dolbom.eligibility.calculator import Outcome
from dolbom.eligibility.models import (
    AftercareReview,
    ApplicationOutcome,
    BenefitApplication,
    EligibilityCheck,
    ReguidanceCampaign,
    ReguidanceTarget,
    Reverification,
    ReviewDecision,
)
from dolbom.eligibility.reguidance import reason_text
from dolbom.eligibility.ruleset import Benefit, EmergencyRegion, Region, RuleSet, available_years, load_rules
from dolbom.registry.models import AdministrativeArea, Household
from dolbom.registry.selectors import (
    TimelineEntry,
    household_title,
    masked_head_names,
    registration_dongs_for,
    visible_members,
)

# The public staff of the household's area, like consultations: a private agency gets nothing of a household's
# means through a consent to share its case (no consent path).
CHECK = Reach(dong="household__dong")


def eligibility_checks_visible_to(user: Any) -> QuerySet[EligibilityCheck]:
    return scoped(EligibilityCheck.objects.select_related("household", "officer"), user, CHECK)


def household_checks(user: Any, household: Household) -> list[EligibilityCheck]:
    return prepared_list(
        "eligibility.household.checks",
        lambda household_id: eligibility_checks_visible_to(user).filter(household_id=household_id),
        key=viewer_key(user),  # built once per user and day, the household's id bound at each call
        household_id=household.pk,
    )


def household_history(
    user: Any, household: Household, *, checks: list[EligibilityCheck] | None = None
) -> list[TimelineEntry]:
    """The household's calculations, as lines of its history: the recognised income and what it likely gets.
    `checks`: the household's calculations when the caller has already read them (`household_checks`)."""
    entries = []
    for check in household_checks(user, household) if checks is None else checks:
        outcomes = check.outcomes.items()
        likely = [str(Benefit(b).label) for b, o in outcomes if b in Benefit.values and o == Outcome.LIKELY]
        text = _("Eligibility calculated (%(year)s rules): recognised income %(income)s won") % {
            "year": check.year,
            "income": f"{check.recognised_income:,}",
        }
        details = (_("Likely eligible: %(benefits)s") % {"benefits": ", ".join(likely) if likely else "—"},)
        entries.append(TimelineEntry(check.checked_on, "eligibility", text, details, check.recorded_at))
    return entries


# ------------------------------------------------------------------------------------------- a new calculation
# 시도 codes (the first two digits of an administrative code) and the regions of the rules they fall in. A
# suggestion from the address, which the officer confirms on the form: the rules name regions, not codes.
SEOUL, GYEONGGI = "11", "41"
METROPOLITAN = {"26", "27", "28", "29", "30", "31", "36"}  # 부산 대구 인천 광주 대전 울산, 세종
CHANGWON = ("48121", "48123", "48125", "48127", "48129")  # 창원시의 구


def suggested_regions(dong: AdministrativeArea) -> tuple[str, str]:
    """(the basic-property region, the emergency-support region) the household's 읍면동 suggests."""
    code = dong.code
    if code.startswith(SEOUL):
        region = Region.SEOUL
    elif code.startswith(GYEONGGI):
        region = Region.GYEONGGI
    elif code[:2] in METROPOLITAN or code.startswith(CHANGWON):
        region = Region.METRO
    else:
        region = Region.OTHER
    district = dong.parent
    if code.startswith(SEOUL) or (code[:2] in METROPOLITAN and code[:2] != "36"):
        emergency = EmergencyRegion.BIG_CITY
    elif district is not None and district.name.endswith("군"):
        emergency = EmergencyRegion.RURAL
    else:
        emergency = EmergencyRegion.SMALL_CITY
    return str(region), str(emergency)


@dataclass(frozen=True)
class MemberRow:
    """A current member as the form starts from: an age and a situation, no name on the calculation."""

    relationship: str
    age: int
    disabled: bool


@dataclass(frozen=True)
class NewCheckPage:
    household: Household
    title: str
    members: list[MemberRow]
    region: str
    emergency_region: str
    years: list[int]
    year: int
    checks: list[EligibilityCheck]
    consultation_id: int | None = None  # opened from this consultation, which the page leads back to


def new_check_page(
    user: Any,
    household: Household,
    today: date,
    *,
    living_here: set[int] | None = None,
    consultation_id: int | None = None,
) -> NewCheckPage:
    """What the form of a new calculation starts from, for a household the caller has already opened: its
    current members, or, from a consultation, the registered members the officer recorded as living here."""
    memberships = visible_members(user, household, on=today)
    # A consultation that recorded nobody as living here (a first call) starts from the registry, as the page does.
    shown = [m for m in memberships if m.person_id in living_here] if living_here else memberships
    members = [
        MemberRow(m.get_relationship_display(), age_on(m.person.birth_date, today), bool(m.person.disability))
        for m in shown
    ]
    region, emergency = suggested_regions(household.dong)
    years = available_years()
    year = today.year if today.year in years else max(years)
    return NewCheckPage(
        household=household,
        title=household_title(memberships, household),
        members=members,
        region=region,
        emergency_region=emergency,
        years=years,
        year=year,
        checks=household_checks(user, household)[:5],
        consultation_id=consultation_id,
    )


# --------------------------------------------------------------------------------------------- one calculation
@dataclass(frozen=True)
class ShownStep:
    text: str
    won: int


@dataclass(frozen=True)
class ShownBenefit:
    label: str
    outcome: str
    outcome_label: str
    line: int
    text: str
    verified: bool


@dataclass(frozen=True)
class CheckView:
    """A kept calculation as its page shows it: each benefit's answer, the figures to check, the steps by part."""

    check: EligibilityCheck
    benefits: list[ShownBenefit]
    flags: list[str]
    sections: list[tuple[str, list[ShownStep]]]
    members: list[dict[str, Any]]


def _section_titles() -> dict[str, str]:
    titles = {
        "income": _("Income evaluation"),
        "property": _("Income-converted property"),
        "recognised": _("Recognised income"),
        "property_without": _("Without the property that cannot be sold"),
    }
    titles.update({benefit: str(label) for benefit, label in Benefit.choices})
    titles["emergency"] = _("Emergency support")
    return titles


def check_view(check: EligibilityCheck) -> CheckView:
    """What a kept calculation shows. A step whose amount and every amount it is made of are 0 is left out (a
    deduction with nothing to deduct from): every line shown still adds up, and the page is shorter."""
    result = check.result
    steps = result.get("steps", [])
    values = {step["key"]: step["won"] for step in steps}
    sections: dict[str, list[ShownStep]] = {}
    for step in steps:
        operands = [key for _c, key in step.get("terms", [])] + [k for k in (step.get("of"), step.get("other")) if k]
        if step["won"] == 0 and all(values.get(key, 0) == 0 for key in operands):
            continue
        sections.setdefault(step["section"], []).append(ShownStep(step["text"], step["won"]))
    titles = _section_titles()
    benefits = [
        ShownBenefit(
            label=titles.get(b["benefit"], b["benefit"]),
            outcome=b["outcome"],
            outcome_label=str(Outcome(b["outcome"]).label),
            line=b["line"],
            text=b["text"],
            verified=b["verified"],
        )
        for b in result.get("benefits", [])
    ]
    return CheckView(
        check=check,
        benefits=benefits,
        flags=[flag["text"] for flag in result.get("flags", [])],
        sections=[(titles.get(name, name), shown) for name, shown in sections.items()],
        members=list(check.inputs.get("members", [])),
    )


# ------------------------------------------------------------------------------------ beside the consultation
@dataclass(frozen=True)
class SummaryRow:
    benefit: str
    label: str
    outcome: str
    outcome_label: str


@dataclass(frozen=True)
class CheckSummary:
    """The latest calculation as the consultation page shows it: each benefit's answer, the date, the rules and
    whether figures not yet verified were used (then the family is told so)."""

    check: EligibilityCheck | None
    rows: list[SummaryRow]
    flags: list[str]


def latest_check(user: Any, household_id: int) -> EligibilityCheck | None:
    return eligibility_checks_visible_to(user).filter(household_id=household_id).first()


def check_summary(check: EligibilityCheck | None) -> CheckSummary:
    if check is None:
        return CheckSummary(check=None, rows=[], flags=[])
    titles = _section_titles()
    order = [*Benefit.values, "emergency"]
    rows = [
        SummaryRow(benefit, titles.get(benefit, benefit), check.outcomes[benefit],
                   str(Outcome(check.outcomes[benefit]).label))
        for benefit in order
        if check.outcomes.get(benefit) in Outcome.values
    ]  # fmt: skip
    flags = [flag["text"] for flag in check.result.get("flags", [])]
    return CheckSummary(check=check, rows=rows, flags=flags)


# ------------------------------------------------------------------------------------------------ re-guidance
# District staff see their district's campaigns; a dong officer those that chose households of their dong, and of
# them only their dong's targets. Applications are the public staff's record of the household's area.
REGUIDANCE = Reach(district="district", dong="targets__dong", many=True)
REGUIDANCE_TARGET = Reach(dong="dong")
APPLICATION = Reach(dong="household__dong")


def reguidance_campaigns_visible_to(user: Any) -> QuerySet[ReguidanceCampaign]:
    return scoped(ReguidanceCampaign.objects.select_related("district"), user, REGUIDANCE)


def reguidance_targets_visible_to(user: Any) -> QuerySet[ReguidanceTarget]:
    targets = ReguidanceTarget.objects.select_related("campaign", "dong", "household__address", "work_item")
    return scoped(targets, user, REGUIDANCE_TARGET)


def benefit_applications_visible_to(user: Any) -> QuerySet[BenefitApplication]:
    return scoped(BenefitApplication.objects.select_related("household"), user, APPLICATION)


@dataclass
class TargetRow:
    target: ReguidanceTarget
    head_name: str
    reasons: list[str]
    contacted: bool
    applications: list[BenefitApplication]
    # The page's forms for this target (set by the view): a new application, and each application's outcome.
    form: Any = None
    application_forms: list[Any] = field(default_factory=list)


@dataclass
class DongTargets:
    dong: AdministrativeArea
    rows: list[TargetRow]
    contacted: int = 0
    applied: int = 0
    granted: int = 0


@dataclass
class ReguidancePage:
    campaign: ReguidanceCampaign
    dongs: list[DongTargets]
    total: int


def reguidance_page(user: Any, campaign_id: int) -> ReguidancePage:
    """A campaign with the targets the user sees, by dong: who, why, whether reached (a visit recorded on its
    worklist item) and what was applied for."""
    campaign = visible_or_404(reguidance_campaigns_visible_to(user), campaign_id)
    targets = list(reguidance_targets_visible_to(user).filter(campaign=campaign).order_by("dong_id", "pk"))
    visited = set(
        ReguidanceTarget.objects.filter(pk__in=[t.pk for t in targets], work_item__visits__isnull=False)
        .values_list("pk", flat=True)
    )  # fmt: skip
    applications: dict[int, list[BenefitApplication]] = {}
    for application in benefit_applications_visible_to(user).filter(target__in=[t.pk for t in targets]):
        applications.setdefault(application.target_id, []).append(application)
    heads = masked_head_names(user, [t.household_id for t in targets])
    by_dong: dict[str, DongTargets] = {}
    for target in targets:
        group = by_dong.setdefault(target.dong_id, DongTargets(dong=target.dong, rows=[]))
        applied = applications.get(target.pk, [])
        row = TargetRow(target, heads.get(target.household_id, ""), [reason_text(r) for r in target.reasons],
                        target.pk in visited, applied)  # fmt: skip
        group.rows.append(row)
        group.contacted += row.contacted
        group.applied += bool(applied)
        group.granted += any(a.outcome == ApplicationOutcome.GRANTED for a in applied)
    return ReguidancePage(campaign=campaign, dongs=[by_dong[k] for k in sorted(by_dong)], total=len(targets))


# -------------------------------------------------------------------------------------------- applications
def household_applications(user: Any, household: Household) -> list[BenefitApplication]:
    """The household's applications and their outcomes, newest first (the user sees the household already)."""
    return list(benefit_applications_visible_to(user).filter(household=household))


# ------------------------------------------------------------------------------------------------ after-care
REVIEW = Reach(dong="dong")
REVERIFICATION = Reach(dong="application__household__dong")


def aftercare_reviews_visible_to(user: Any) -> QuerySet[AftercareReview]:
    reviews = AftercareReview.objects.select_related("application", "household__address", "dong", "decided_by")
    return scoped(reviews, user, REVIEW)


def reverifications_visible_to(user: Any) -> QuerySet[Reverification]:
    return scoped(Reverification.objects.select_related("application"), user, REVERIFICATION)


def current_grants_visible_to(user: Any) -> QuerySet[BenefitApplication]:
    """The benefits the user's households receive now: each household's latest application for a benefit, when
    granted."""
    return aftercare.current_grants(benefit_applications_visible_to(user))


def aftercare_dongs(user: Any) -> list[AdministrativeArea]:
    """The dongs the after-care page can be narrowed to: those of the user's areas."""
    return list(registration_dongs_for(user))


def rules_in_force(today: date) -> RuleSet:
    """This year's rules, or the latest year's while this year's file is not there yet (early January)."""
    years = [year for year in available_years() if year <= today.year] or available_years()
    return load_rules(max(years))


@dataclass
class ReviewRow:
    review: AftercareReview
    head_name: str
    reason: str
    form: Any = None  # set by the view


@dataclass
class AftercarePage:
    rules: RuleSet
    due: list[aftercare.ScheduleRow]  # overdue, and due within DUE_SOON_DAYS
    recipients: int  # current grants with a schedule
    open_reviews: list[ReviewRow]
    decided_reviews: list[ReviewRow]  # the latest decided, to see and change a decision


# Enough rows for a dong's month; a district looks at each dong's page through the filter.
PAGE_ROWS = 300


def aftercare_page(user: Any, today: date, *, dong: str = "") -> AftercarePage:
    """Who is due a re-verification, and the changes waiting for a decision, in the user's areas (or one dong)."""
    rules = rules_in_force(today)
    grants = current_grants_visible_to(user)
    reviews = aftercare_reviews_visible_to(user)
    if dong:
        grants, reviews = grants.filter(household__dong_id=dong), reviews.filter(dong_id=dong)
    rows = aftercare.schedule(grants, rules.reverify.months, today)
    due = aftercare.due_within(rows, today)[:PAGE_ROWS]
    open_reviews = list(reviews.filter(decision=ReviewDecision.OPEN).order_by("observed_on", "pk")[:PAGE_ROWS])
    decided = list(reviews.exclude(decision=ReviewDecision.OPEN).order_by("-decided_at", "-pk")[:20])
    heads = masked_head_names(
        user, [r.application.household_id for r in due] + [r.household_id for r in open_reviews + decided]
    )
    for row in due:
        row.head_name = heads.get(row.application.household_id, "")

    def review_row(review: AftercareReview) -> ReviewRow:
        return ReviewRow(review, heads.get(review.household_id, ""), aftercare.reason_text(review.reason))

    return AftercarePage(
        rules=rules,
        due=due,
        recipients=sum(1 for row in rows if row.due_on is not None),
        open_reviews=[review_row(r) for r in open_reviews],
        decided_reviews=[review_row(r) for r in decided],
    )
