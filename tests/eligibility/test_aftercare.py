"""After-care of recipients (사후관리) and the applications recorded on a household's page: the re-verification
schedule computed from the grant (exact to the day, month ends included), the changes after a grant put on a
review queue once — never deciding anything by themselves — and a person's decision recorded; then, from the
outside, who may see and do what, in which dong."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.eligibility.aftercare import add_months, changes_since_grant, current_grants
from dolbom.eligibility.calculator import HouseholdFacts, Member
from dolbom.eligibility.models import (
    AftercareReview,
    ApplicationOutcome,
    BenefitApplication,
    Reverification,
    ReviewDecision,
)
from dolbom.eligibility.services import look_for_changes, record_check
from dolbom.registry.models import Membership
from tests.eligibility.test_reguidance import on_day  # noqa: F401 (fixture)
from tests.intake.test_consultations import _outsider

GRANTED_ON = date(2025, 11, 30)
TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 11, 30), 12, date(2026, 11, 30)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # no 31 February: the month's last day
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 12, 15), 3, date(2026, 3, 15)),
        (date(2025, 10, 31), 6, date(2026, 4, 30)),
    ],
)
def test_the_next_date_is_the_same_day_months_later_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def _grant(city, household, benefit="livelihood", *, applied_on=date(2025, 11, 1), outcome_on=GRANTED_ON, **kw):
    return BenefitApplication.objects.create(
        household=household, benefit=benefit, applied_on=applied_on, outcome=kw.get("outcome", "granted"),
        outcome_on=outcome_on, recorded_by=city.users["dong_officer"],
    )  # fmt: skip


def test_a_grant_suspended_or_applied_for_again_is_no_longer_current(city):
    household = city.household_in(0)
    granted = _grant(city, household)
    other = _grant(city, household, "housing")
    assert set(current_grants(BenefitApplication.objects.all())) == {granted, other}
    _grant(city, household, applied_on=date(2026, 3, 1), outcome_on=date(2026, 3, 2), outcome="suspended")
    assert set(current_grants(BenefitApplication.objects.all())) == {other}


def test_changes_after_the_grant_only_once_each_and_nothing_decided(city, on_day):  # noqa: F811
    household = city.household_in(0)  # head and spouse since 2020
    grant = _grant(city, household)
    spouse = Membership.objects.get(household=household, relationship="spouse")
    Membership.objects.filter(pk=spouse.pk).update(moved_out=date(2026, 5, 2), ended_by="death")
    # A membership ended before the grant is no change since it.
    head = Membership.objects.get(household=household, relationship="head").person
    on_day(TODAY)
    found = changes_since_grant(current_grants(BenefitApplication.objects.all()), TODAY)
    assert [(f.reason["code"], f.observed_on) for f in found] == [("member_died", date(2026, 5, 2))]
    # The same death also written on the person: still one change.
    type(head).objects.filter(pk=spouse.person_id).update(date_of_death=date(2026, 5, 2))
    assert len(changes_since_grant(current_grants(BenefitApplication.objects.all()), TODAY)) == 1
    officer = city.users["dong_officer"]
    assert look_for_changes(user=officer) == 1
    assert look_for_changes(user=officer) == 0  # looking again finds nothing twice
    review = AftercareReview.objects.get()
    assert (review.application, review.decision, review.decided_by) == (grant, ReviewDecision.OPEN, None)
    grant.refresh_from_db()
    assert grant.outcome == ApplicationOutcome.GRANTED  # nothing changes a benefit by itself
    assert AuditEvent.objects.filter(action="eligibility.look_for_changes", detail__new=1).exists()


def test_a_calculation_over_the_line_after_the_grant_is_a_change_for_that_benefit(city, on_day):  # noqa: F811
    household = city.household_in(1)  # one member
    _grant(city, household, "livelihood")
    on_day(date(2026, 10, 1))
    facts = HouseholdFacts(members=(Member(age=40),), other_income=3_000_000)
    record_check(user=city.users["district_manager"], household_id=household.pk, facts=facts, year=2026,
                 submission=uuid.uuid4())  # fmt: skip
    on_day(TODAY)
    found = changes_since_grant(current_grants(BenefitApplication.objects.all()), TODAY)
    assert [(f.reason["code"], f.reason["benefit"]) for f in found] == [("over_line", "livelihood")]


def test_a_change_before_the_last_reverification_is_no_change(city, on_day):  # noqa: F811
    household = city.household_in(0)
    grant = _grant(city, household)
    Membership.objects.filter(household=household, relationship="spouse").update(
        moved_out=date(2026, 3, 1), ended_by="moved_away"
    )
    Reverification.objects.create(application=grant, done_on=date(2026, 4, 1), result="changed", note="1인 가구로",
                                  rule_version="2026.1", recorded_by=city.users["dong_officer"])  # fmt: skip
    on_day(TODAY)
    assert changes_since_grant(current_grants(BenefitApplication.objects.all()), TODAY) == []


# ------------------------------------------------------------------------------------------------ from the outside
def test_the_dong_records_a_grant_on_the_household_page_and_sees_it_due(client, city, on_day):  # noqa: F811
    on_day(TODAY)
    household = city.household_in(0)
    client.force_login(city.users["dong_officer"])
    url = reverse("household_applications", args=[household.pk])
    bad = client.post(url, {"benefit": "livelihood", "applied_on": "2025-11-01", "outcome": "granted"})
    assert bad.status_code == 422 and "결정일" in bad.content.decode()
    assert not BenefitApplication.objects.exists()
    sent = {"benefit": "livelihood", "applied_on": "2025.11.1", "outcome": "granted", "outcome_on": "2025–11–30"}
    assert client.post(url, sent).status_code == 302
    grant = BenefitApplication.objects.get()
    assert (grant.outcome, grant.outcome_on, grant.target) == ("granted", GRANTED_ON, None)
    page = client.get(reverse("aftercare")).content.decode()
    assert f'id="grant-{grant.pk}"' in page and "2026-11-30" in page  # due twelve months after the grant
    form = {"done_on": "2026-11-20", "result": "changed", "note": "", "submission": str(uuid.uuid4())}
    refused = client.post(reverse("aftercare_reverify", args=[grant.pk]), form)
    assert refused.status_code == 422 and "변동 내용" in refused.content.decode()
    form["note"] = "근로소득 발생 확인, 급여 변경 의뢰"
    assert client.post(reverse("aftercare_reverify", args=[grant.pk]), form).status_code == 302
    assert client.post(reverse("aftercare_reverify", args=[grant.pk]), form).status_code == 302  # double click
    assert Reverification.objects.count() == 1
    page = client.get(reverse("aftercare")).content.decode()
    assert f'id="grant-{grant.pk}"' not in page  # next due 2027-11-20, beyond 30 days
    assert AuditEvent.objects.filter(action="eligibility.reverify", detail__result="changed").count() == 1


def test_a_person_decides_and_can_change_the_decision(client, city, on_day):  # noqa: F811
    household = city.household_in(0)
    _grant(city, household)
    Membership.objects.filter(household=household, relationship="spouse").update(
        moved_out=date(2026, 6, 1), ended_by="moved_away"
    )
    on_day(TODAY)
    client.force_login(city.users["dong_officer"])
    assert client.post(reverse("aftercare_look")).status_code == 302
    review = AftercareReview.objects.get()
    page = client.get(reverse("aftercare")).content.decode()
    assert "관외 전출" in page or "전출" in page
    decide = reverse("aftercare_decide", args=[review.pk])
    refused = client.post(decide, {"decision": "refer", "note": ""})
    assert refused.status_code == 422
    assert client.post(decide, {"decision": "refer", "note": "1인 가구 기준 재산정 필요"}).status_code == 302
    review.refresh_from_db()
    assert (review.decision, review.decided_by) == ("refer", city.users["dong_officer"])
    assert client.post(decide, {"decision": "no_issue", "note": "전출자 소득 없음 확인"}).status_code == 302
    event = AuditEvent.objects.filter(action="eligibility.decide_review").order_by("-pk").first()
    assert event.detail == {"before": "refer", "after": "no_issue"}


def test_other_areas_and_other_roles_cannot_reach_a_recipient(client, city, on_day):  # noqa: F811
    household = city.household_in(0)
    grant = _grant(city, household)
    Membership.objects.filter(household=household, relationship="spouse").update(
        moved_out=date(2026, 6, 1), ended_by="moved_away"
    )
    on_day(TODAY)
    look_for_changes(user=city.users["district_manager"])
    review = AftercareReview.objects.get()
    form = {"done_on": "2026-11-20", "result": "unchanged", "submission": str(uuid.uuid4())}
    for user in (_outsider(city, 1), _outsider(city, 2, agency="other")):
        client.force_login(user)
        assert client.post(reverse("aftercare_reverify", args=[grant.pk]), form).status_code == 404
        assert client.post(reverse("aftercare_decide", args=[review.pk]), {"decision": "no_issue"}).status_code == 404
        page = client.get(reverse("aftercare")).content.decode()
        assert f"grant-{grant.pk}" not in page and f"review-{review.pk}" not in page
        assert client.get(reverse("household_applications", args=[household.pk])).status_code == 404
        sent = {"benefit": "housing", "applied_on": "2026-01-02", "outcome": "rejected", "outcome_on": "2026-02-01"}
        assert client.post(reverse("household_applications", args=[household.pk]), sent).status_code == 404
    for role in ("district_admin", "agency_worker", "safety_net", "analyst"):
        client.force_login(city.users[role])
        assert client.post(reverse("aftercare_reverify", args=[grant.pk]), form).status_code == 403
        assert client.post(reverse("aftercare_decide", args=[review.pk]), {"decision": "no_issue"}).status_code == 403
    assert not Reverification.objects.exists() and BenefitApplication.objects.count() == 1
    review.refresh_from_db()
    assert review.decision == ReviewDecision.OPEN
    client.force_login(city.users["district_admin"])  # reads the district's queue
    assert f"review-{review.pk}" in client.get(reverse("aftercare")).content.decode()


@pytest.mark.parametrize(
    ("dong", "status"),
    [("9912051000", 403), ("9911052000", 403), ("x' OR 1=1", 400), ("99110510001234", 400), ("9911051000", 200)],
)
def test_a_hand_edited_dong_shows_nothing_beyond_the_users_areas(client, city, on_day, dong, status):  # noqa: F811
    """The dong officer of dong 0 asks for another district's dong, a neighbour dong, garbage or their own: refused,
    or their own rows — never another dong's recipient."""
    grants = [_grant(city, city.household_in(index), outcome_on=date(2025, 12, 1)) for index in (0, 1, 2)]
    on_day(TODAY)
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("aftercare"), {"dong": dong})
    assert response.status_code == status
    page = response.content.decode()
    assert all(f"grant-{g.pk}" not in page for g in grants[1:])
    assert (f"grant-{grants[0].pk}" in page) is (status == 200)
