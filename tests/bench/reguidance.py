"""A re-guidance campaign over a 100 k-household city: choosing the households (calculations, applications turned
down, members who left, signals) and launching the campaign (targets and worklist items), for the district with
the demo's district manager; then after-care over the same district (the queue, and looking for changes)."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from dolbom.core.dates import today_kst
from dolbom.core.scope import scope_for
from dolbom.eligibility.calculator import Outcome
from dolbom.eligibility.models import BenefitApplication, EligibilityCheck, ReguidanceTarget
from dolbom.eligibility.reguidance import candidates
from dolbom.eligibility.ruleset import Benefit, load_rules
from dolbom.eligibility.selectors import aftercare_page
from dolbom.eligibility.services import create_reguidance, launch_reguidance, look_for_changes
from dolbom.registry.models import Household, Staff
from dolbom.synth.generate import generate_city
from dolbom.synth.load import load_city
from tests.bench.report import Section

CHECKED_SHARE, REJECTED_SHARE, GRANTED_SHARE = 0.3, 0.03, 0.05


def _fill(district: str, seed: int) -> tuple[int, int]:
    """Calculations on 30 % of the district's households (incomes from 0 to twice the near-poor line), a rejected
    application on 3 % and a granted housing benefit on 5 %, written in bulk as if officers had made them over the
    year."""
    rng = random.Random(seed)
    rules = load_rules(2026)
    officer = Staff.objects.filter(role="dong_officer").select_related("user").first()
    households = list(
        Household.objects.filter(dong__parent_id=district).annotate(size=Count("memberships")).values_list("pk", "size")
    )
    checks, applications = [], []
    for pk, size in households:
        size = max(1, min(size, 7))
        if rng.random() < CHECKED_SHARE:
            lines = {b: rules.line(b, size).won for b in Benefit.values}
            income = rng.randrange(0, 2 * lines[Benefit.NEAR_POOR])
            outcomes = {b: (Outcome.LIKELY if income <= line else Outcome.NOT) for b, line in lines.items()}
            result = {"benefits": [{"benefit": b, "line": line, "outcome": outcomes[b]} for b, line in lines.items()]}
            checks.append(EligibilityCheck(
                household_id=pk, checked_on=date(2026, rng.randrange(1, 11), 1), year=2026, rule_version=rules.version,
                household_size=size, income_evaluation=income, property_income=0, recognised_income=income,
                outcomes=outcomes, result=result, officer=officer, recorded_by=officer.user,
            ))  # fmt: skip
        if rng.random() < REJECTED_SHARE:
            applications.append(BenefitApplication(
                household_id=pk, benefit=Benefit.LIVELIHOOD, applied_on=date(2026, 3, 1), outcome="rejected",
                outcome_on=date(2026, 4, 1), recorded_by=officer.user,
            ))  # fmt: skip
        if rng.random() < GRANTED_SHARE:
            granted_on = date(2025, 11, 1) + timedelta(days=rng.randrange(0, 395))  # over the last thirteen months
            applications.append(BenefitApplication(
                household_id=pk, benefit=Benefit.HOUSING, applied_on=granted_on, outcome="granted",
                outcome_on=granted_on, recorded_by=officer.user,
            ))  # fmt: skip
    EligibilityCheck.objects.bulk_create(checks, batch_size=2000)
    BenefitApplication.objects.bulk_create(applications, batch_size=2000)
    return len(households), len(checks)


def run(home: Path, *, quick: bool) -> Section:
    households = 5_000 if quick else 100_000
    city = home / "reguidance-city"
    generate_city(city, households=households, seed=13)
    call_command("migrate", verbosity=0)
    load_city(city)
    user = get_user_model().objects.get(username="demo_district")
    # The district of the demo's district manager, who launches it.
    district = next(code for code in scope_for(user).district_codes)
    in_district, checked = _fill(district, seed=3)
    today = today_kst()
    started = time.perf_counter()
    chosen = candidates(district, 10, today)
    choose_seconds = time.perf_counter() - started
    section = Section(
        title=f"Re-guidance campaign at {households:,} households",
        command="make bench (tests/bench/reguidance.py)",
        header=["what", "households in the district", "calculations", "chosen", "seconds"],
    )
    section.rows.append(["choose (reasons, marks)", f"{in_district:,}", f"{checked:,}", f"{len(chosen):,}",
                         f"{choose_seconds:.2f}"])  # fmt: skip
    campaign = create_reguidance(user=user, name="재안내", margin_percent=10, district_code=district)
    started = time.perf_counter()
    added = launch_reguidance(user=user, campaign_id=campaign.pk)
    launch_seconds = time.perf_counter() - started
    assert ReguidanceTarget.objects.filter(campaign=campaign).count() == added
    section.rows.append(["launch (choose, worklist items, targets)", f"{in_district:,}", f"{checked:,}",
                         f"{added:,}", f"{launch_seconds:.2f}"])  # fmt: skip
    # After-care over the same district: the queue's schedule, then looking for changes since each grant.
    started = time.perf_counter()
    page = aftercare_page(user, today)
    queue_seconds = time.perf_counter() - started
    section.rows.append(["after-care queue (recipients, due in 30 days)", f"{in_district:,}", f"{checked:,}",
                         f"{page.recipients:,} / {len(page.due):,}", f"{queue_seconds:.2f}"])  # fmt: skip
    started = time.perf_counter()
    new = look_for_changes(user=user)
    look_seconds = time.perf_counter() - started
    section.rows.append(["after-care: look for changes since each grant", f"{in_district:,}", f"{checked:,}",
                         f"{new:,}", f"{look_seconds:.2f}"])  # fmt: skip
    return section
