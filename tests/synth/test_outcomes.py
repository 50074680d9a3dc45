"""simulate-outcomes records what officers would find through the real outreach service: as the dong's officer,
with the history rows and the audit events of a real round, deterministically."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import ListingEvent, OutreachItem, ScreeningRound
from dolbom.synth.outcomes import HouseholdTruth, SimulationError, draw_outcome, simulate_outcomes


@pytest.fixture
def done_round(city):
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-07", scorer="scorecard", status="done"
    )
    for rank, index in enumerate((0, 1), start=1):
        OutreachItem.objects.create(
            round=screening_round,
            household=city.household_in(index),
            dong=city.dongs[index],
            rank=rank,
            score=40.0,
        )
    return screening_round


def _truth(city, in_crisis=True):
    return {
        h.pk: HouseholdTruth("elderly_alone", "apartment", in_crisis, "health" if in_crisis else None)
        for h in city.households
    }


def test_outcomes_are_recorded_through_the_service_by_the_dongs_officer(city, done_round):
    summary = simulate_outcomes(done_round, _truth(city), seed=1)
    item = done_round.items.get(dong=city.dongs[0])
    assert item.status == "done" and item.outcome in {o for o in summary.recorded}
    assert item.outcome_note.startswith("[모의]")
    officer = city.users["dong_officer"]
    actions = AuditEvent.objects.filter(object_type="discovery.outreachitem", object_id=str(item.pk))
    assert list(actions.order_by("seq").values_list("action", "actor_id")) == [
        ("discovery.assign_visit", officer.pk),
        ("discovery.record_outcome", officer.pk),
    ]
    assert ListingEvent.objects.filter(item=item, to_status="done", by=officer).exists()
    # the second dong of the fixture has no dong officer: its item stays as it was
    assert summary.no_officer == 1
    assert done_round.items.get(dong=city.dongs[1]).status == "pending"


def test_running_twice_changes_nothing(city, done_round):
    simulate_outcomes(done_round, _truth(city), seed=1)
    events = AuditEvent.objects.count()
    again = simulate_outcomes(done_round, _truth(city), seed=1)
    assert again.already_done == 1 and not again.recorded
    assert AuditEvent.objects.count() == events


def test_fraction_zero_leaves_everything_undone(city, done_round):
    summary = simulate_outcomes(done_round, _truth(city), seed=1, fraction=0.0)
    assert summary.left_undone == 2 and not summary.recorded


def test_refuses_a_round_that_is_not_done_or_a_city_that_does_not_match(city, done_round):
    done_round.status = "running"
    done_round.save()
    with pytest.raises(SimulationError, match="not done"):
        simulate_outcomes(done_round, _truth(city))
    done_round.status = "done"
    done_round.save()
    with pytest.raises(SimulationError, match="not in the city's truth"):
        simulate_outcomes(done_round, {})


def test_draws_follow_the_truth_and_leave_many_unreachable():
    rng = np.random.default_rng(5)
    crisis = Counter(draw_outcome(HouseholdTruth("couple", "apartment", True, "debt"), rng) for _ in range(4000))
    calm = Counter(draw_outcome(HouseholdTruth("couple", "apartment", False, None), rng) for _ in range(4000))
    hard = Counter(
        draw_outcome(HouseholdTruth("middle_single", "gosiwon", True, "isolation"), rng) for _ in range(4000)
    )
    assert (crisis["helped"] + crisis["referred"]) / 4000 > 0.6
    assert calm["not_eligible"] / 4000 > 0.6
    assert 0.15 < (crisis["unreachable"] + crisis["moved"]) / 4000 < 0.3
    assert (hard["unreachable"] + hard["moved"]) / 4000 > 0.5
