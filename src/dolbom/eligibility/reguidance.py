"""Who a re-guidance campaign chooses, and why (맞춤형 급여 안내, 위기·틈새가정 재안내).

A household of the district with members today is chosen for any of three reasons, each kept with the target:

- **turned down**: an application recorded as rejected or suspended, or the social-security information
  service's signal of a livelihood rejection or a benefit suspension (the national system's own record);
- **near a line**: its latest calculation found it near-poor (차상위), or its recognised income above a benefit's
  line by no more than the district's margin — `line < income ≤ line × (100 + margin) / 100`, in whole won;
- **changed since**: after its latest calculation or refusal (whichever is later), a member left the household, or
  a signal that income fell or bills went unpaid (job loss, business closure, arrears, cut-offs, debts, illness).
  A household never calculated nor turned down has nothing to compare with and is not chosen for a change alone.

Everything is read per district in a few set queries (no query per household): a campaign over 100 k households
is a matter of seconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from dolbom.cases.selectors import households_with_open_case
from dolbom.discovery.selectors import district_signals_of, signal_kind_label
from dolbom.eligibility.calculator import Outcome
from dolbom.eligibility.models import TURNED_DOWN, AlreadyOn, ApplicationOutcome, BenefitApplication, EligibilityCheck
from dolbom.eligibility.ruleset import Benefit
from dolbom.intake.selectors import open_items_in_district
from dolbom.registry.models import Household, Membership, current_on

# The national system's record of a no (discovery's catalogue, agency ssis).
REFUSAL_SIGNALS = frozenset({"livelihood_rejection", "benefit_suspension"})
# Signals that income fell or that the household cannot pay: reasons to look again at a household turned down or
# calculated before. Not housing or safety signals alone (a care leaver, a released prisoner): those go through
# screening rounds.
INCOME_SIGNALS = frozenset(
    {
        "job_loss", "unemployment_benefit_end", "business_closure", "industrial_accident",
        "electricity_arrears", "electricity_cutoff", "water_arrears", "water_cutoff", "gas_arrears", "gas_cutoff",
        "health_insurance_arrears", "national_pension_arrears", "telecom_arrears", "public_rental_arrears",
        "maintenance_fee_arrears", "financial_delinquency", "debt_adjustment", "catastrophic_medical",
        "long_hospital_stay", "severe_illness",
    }
)  # fmt: skip


class Reason:
    TURNED_DOWN = "turned_down"
    REFUSAL_SIGNAL = "refusal_signal"
    NEAR_POOR = "near_poor"
    NEAR_LINE = "near_line"
    MEMBER_LEFT = "member_left"
    SIGNAL = "signal"


def within_margin(income: int, line: int, margin_percent: int) -> bool:
    """Above the line by at most `margin_percent` % of it: exact in integers, so the household at the margin is
    in and one won more is out (no floating point)."""
    return line < income and income * 100 <= line * (100 + margin_percent)


def percent_above(income: int, line: int) -> str:
    """How far above the line, to one decimal, for the reason shown ("7.3")."""
    tenths = ((income - line) * 1000 + line // 2) // line
    return f"{tenths // 10}.{tenths % 10}"


@dataclass
class Candidate:
    household_id: int
    dong_id: str
    reasons: list[dict[str, Any]] = field(default_factory=list)
    already: str = AlreadyOn.NO
    work_item: Any = None


def _latest_checks(district_code: str) -> dict[int, EligibilityCheck]:
    checks = EligibilityCheck.objects.filter(household__dong__parent_id=district_code).only(
        "household_id", "checked_on", "recognised_income", "outcomes", "result"
    )
    latest: dict[int, EligibilityCheck] = {}
    for check in checks.order_by("household_id", "-checked_on", "-recorded_at", "-pk"):
        latest.setdefault(check.household_id, check)
    return latest


def _near(check: EligibilityCheck, margin_percent: int) -> list[dict[str, Any]]:
    on = check.checked_on.isoformat()
    if check.outcomes.get(Benefit.NEAR_POOR) == Outcome.LIKELY:
        return [{"code": Reason.NEAR_POOR, "on": on}]
    # The nearest line the income is above, within the margin: one reason, the one worth an application (the
    # education line and the near-poor level are the same 50 %; the first in the tables' order is named).
    nearest: tuple[int, str] | None = None
    for row in check.result.get("benefits", []):
        benefit, line = row.get("benefit"), row.get("line")
        if benefit not in Benefit.values or not isinstance(line, int):
            continue
        if within_margin(check.recognised_income, line, margin_percent) and (nearest is None or line > nearest[0]):
            nearest = (line, benefit)
    if nearest is None:
        return []
    line, benefit = nearest
    return [{"code": Reason.NEAR_LINE, "benefit": benefit, "line": line, "income": check.recognised_income, "on": on}]


def _households_by_person(person_ids: set[int], today: date) -> dict[int, int]:
    rows = Membership.objects.filter(current_on(today), person_id__in=person_ids)
    return dict(rows.values_list("person_id", "household_id"))


def candidates(district_code: str, margin_percent: int, today: date) -> list[Candidate]:
    """The district's households a campaign chooses today, each with its reasons, marked when already on the
    worklist or in case management; in the order of their dong and id."""
    living = Household.objects.filter(dong__parent_id=district_code).filter(
        Q(memberships__moved_in__lte=today)
        & (Q(memberships__moved_out__isnull=True) | Q(memberships__moved_out__gt=today))
    )
    dongs = dict(living.distinct().values_list("pk", "dong_id"))
    checks = _latest_checks(district_code)
    turned: dict[int, list[dict[str, Any]]] = defaultdict(list)
    last_no: dict[int, date] = {}
    refused = BenefitApplication.objects.filter(household__dong__parent_id=district_code, outcome__in=TURNED_DOWN)
    for household_id, benefit, outcome, outcome_on, applied_on in refused.values_list(
        "household_id", "benefit", "outcome", "outcome_on", "applied_on"
    ):
        on = outcome_on or applied_on
        turned[household_id].append({"code": Reason.TURNED_DOWN, "benefit": benefit, "outcome": outcome,
                                     "on": on.isoformat()})  # fmt: skip
        last_no[household_id] = max(on, last_no.get(household_id, on))
    signals = district_signals_of(district_code, REFUSAL_SIGNALS | INCOME_SIGNALS)
    homes = _households_by_person({person for person, _k, _o in signals}, today)
    changes: dict[int, list[tuple[date, dict[str, Any]]]] = defaultdict(list)
    for person, kind, observed_on in signals:
        household_id = homes.get(person)
        if household_id is None or household_id not in dongs or observed_on > today:
            continue
        if kind in REFUSAL_SIGNALS:
            turned[household_id].append({"code": Reason.REFUSAL_SIGNAL, "kind": kind, "on": observed_on.isoformat()})
            last_no[household_id] = max(observed_on, last_no.get(household_id, observed_on))
        else:
            changes[household_id].append((observed_on, {"code": Reason.SIGNAL, "kind": kind,
                                                        "on": observed_on.isoformat()}))  # fmt: skip
    left = Membership.objects.filter(
        household__dong__parent_id=district_code, moved_out__isnull=False, moved_out__lte=today
    ).values_list("household_id", "moved_out")
    for household_id, moved_out in left:
        changes[household_id].append((moved_out, {"code": Reason.MEMBER_LEFT, "on": moved_out.isoformat()}))
    chosen = []
    for household_id in sorted(dongs, key=lambda pk: (dongs[pk], pk)):
        check = checks.get(household_id)
        reasons = _dedupe(turned.get(household_id, []))
        if check is not None:
            reasons += _near(check, margin_percent)
        since = max([d for d in (getattr(check, "checked_on", None), last_no.get(household_id)) if d], default=None)
        if since is not None:
            reasons += _dedupe([reason for on, reason in sorted(changes.get(household_id, []), key=_by_day)
                                if on > since])  # fmt: skip
        if reasons:
            chosen.append(Candidate(household_id, dongs[household_id], reasons))
    _mark(district_code, chosen)
    return chosen


def _by_day(pair: tuple[date, dict[str, Any]]) -> tuple[date, str]:
    return pair[0], pair[1]["code"]


def _dedupe(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same reason reported twice (a signal in two files, two members leaving the same day) is one."""
    seen, kept = set(), []
    for reason in reasons:
        key = tuple(sorted(reason.items()))
        if key not in seen:
            seen.add(key)
            kept.append(reason)
    return kept


def _mark(district_code: str, chosen: list[Candidate]) -> None:
    items = open_items_in_district(district_code)
    cases = households_with_open_case(district_code)
    for candidate in chosen:
        if candidate.household_id in items:
            candidate.already, candidate.work_item = AlreadyOn.OPEN_ITEM, items[candidate.household_id]
        elif candidate.household_id in cases:
            candidate.already = AlreadyOn.OPEN_CASE


def reason_text(reason: dict[str, Any]) -> str:
    """A reason as the dong reads it, in Korean."""
    code = reason.get("code")
    values = {"on": reason.get("on", "")}
    if code == Reason.TURNED_DOWN:
        benefit = _label(Benefit, reason.get("benefit"))
        outcome = _label(ApplicationOutcome, reason.get("outcome"))
        return _("%(benefit)s application %(outcome)s (%(on)s)") % {**values, "benefit": benefit, "outcome": outcome}
    if code == Reason.REFUSAL_SIGNAL:
        return _("Turned down before: %(kind)s (%(on)s)") % {**values, "kind": signal_kind_label(reason["kind"])}
    if code == Reason.NEAR_POOR:
        return _("Near-poor by the calculation of %(on)s") % values
    if code == Reason.NEAR_LINE:
        income, line = int(reason["income"]), int(reason["line"])
        return _(
            "Recognised income %(income)s won, %(percent)s%% above the %(benefit)s line of %(line)s won "
            "(calculation of %(on)s)"
        ) % {**values, "income": f"{income:,}", "line": f"{line:,}", "percent": percent_above(income, line),
             "benefit": _label(Benefit, reason.get("benefit"))}  # fmt: skip
    if code == Reason.MEMBER_LEFT:
        return _("A member left the household (%(on)s)") % values
    if code == Reason.SIGNAL:
        return _("Since then: %(kind)s (%(on)s)") % {**values, "kind": signal_kind_label(reason["kind"])}
    return str(code)


def _label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)
