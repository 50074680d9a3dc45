"""The outreach list from the officer's side: assign a visit, record what was found, each step a row."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.discovery.models import ListingEvent, OutreachItem, ScreeningRound
from dolbom.discovery.services.outreach import assign_visit, record_outcome
from dolbom.registry.models import Staff


@pytest.fixture
def listed(city):
    screening_round = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-09", scorer="scorecard", status="done"
    )
    items = [
        OutreachItem.objects.create(
            round=screening_round,
            household=city.household_in(index),
            dong=city.dongs[index],
            rank=1,
            score=42.0,
            reasons=[{"text": "건강보험료 7개월 체납 (+18점)", "points": 18, "code": "health_insurance_arrears"}],
        )
        for index in (0, 1)
    ]
    return screening_round, items


def test_officer_assigns_a_visit_and_records_the_outcome(city, listed):
    officer = city.users["dong_officer"]
    _, (item, _) = listed
    visitor = Staff.objects.get(user=officer)
    assign_visit(user=officer, item_id=item.pk, visitor_id=visitor.pk)
    record_outcome(user=officer, item_id=item.pk, outcome="helped", note="긴급생계지원 연계")
    item.refresh_from_db()
    assert (item.status, item.outcome, item.assigned_to) == ("done", "helped", visitor)
    steps = list(ListingEvent.objects.filter(item=item).values_list("from_status", "to_status", "outcome"))
    assert steps == [("pending", "assigned", ""), ("assigned", "done", "helped")]
    events = AuditEvent.objects.filter(object_type="discovery.outreachitem", object_id=str(item.pk)).order_by("seq")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["discovery.assign_visit", "discovery.record_outcome"]


def test_a_correction_keeps_both_outcomes_in_the_history(city, listed):
    officer = city.users["dong_officer"]
    _, (item, _) = listed
    record_outcome(user=officer, item_id=item.pk, outcome="unreachable")
    record_outcome(user=officer, item_id=item.pk, outcome="referred", note="재방문 시 만남")
    assert list(item.events.values_list("outcome", flat=True)) == ["unreachable", "referred"]


def test_a_household_with_a_visit_assigned_in_another_round_is_not_sent_a_second_officer(city, listed):
    officer = city.users["dong_officer"]
    visitor = Staff.objects.get(user=officer)
    _, (first, _) = listed
    later = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-10", scorer="scorecard", status="done"
    )
    again = OutreachItem.objects.create(round=later, household=first.household, dong=first.dong, rank=1, score=40.0)
    assign_visit(user=officer, item_id=first.pk, visitor_id=visitor.pk)

    with pytest.raises(ValidationError, match="2026-09 차수 명단에서 이미 방문이 배정"):
        assign_visit(user=officer, item_id=again.pk, visitor_id=visitor.pk)
    assert OutreachItem.objects.get(pk=again.pk).status == "pending"

    # once the first visit's outcome is recorded, revisiting is the officer's call
    record_outcome(user=officer, item_id=first.pk, outcome="unreachable")
    assign_visit(user=officer, item_id=again.pk, visitor_id=visitor.pk)
    assert OutreachItem.objects.get(pk=again.pk).status == "assigned"


def test_only_officers_of_the_dong_can_be_sent(city, listed, django_user_model):
    officer = city.users["dong_officer"]
    _, (item, _) = listed
    manager_staff = Staff.objects.get(user=city.users["district_manager"])
    with pytest.raises(ValidationError):
        assign_visit(user=officer, item_id=item.pk, visitor_id=manager_staff.pk)


def test_officer_cannot_touch_another_dongs_list(city, listed):
    officer = city.users["dong_officer"]
    _, (_, other) = listed
    with pytest.raises(Http404):  # like an item that does not exist: guessing ids tells nothing
        record_outcome(user=officer, item_id=other.pk, outcome="helped")


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst", "district_admin"])
def test_other_roles_cannot_work_the_list(city, listed, role):
    _, (item, _) = listed
    with pytest.raises(PermissionDenied):
        record_outcome(user=city.users[role], item_id=item.pk, outcome="helped")


def test_unknown_outcome_is_refused(city, listed):
    _, (item, _) = listed
    with pytest.raises(ValidationError):
        record_outcome(user=city.users["dong_officer"], item_id=item.pk, outcome="cured")


def test_list_page_shows_reasons_and_masks_names(client, city, listed):
    screening_round, (_item, other) = listed
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("outreach_list"), {"round": screening_round.pk}).content.decode()
    assert "건강보험료 7개월 체납 (+18점)" in html and "김*희" in html and "김영희" not in html
    assert f'id="item-{other.pk}"' not in html
    # asking for another dong's list by tampering with the query shows nothing of it
    html = client.get(
        reverse("outreach_list"), {"round": screening_round.pk, "dong": city.dongs[1].code}
    ).content.decode()
    assert f'id="item-{other.pk}"' not in html


def test_each_row_leads_to_the_worklist_where_the_work_is_recorded(client, city, listed):
    from dolbom.intake.services.work import list_round

    screening_round, (item, _) = listed
    list_round(round_id=screening_round.pk)  # what a round's own finish does
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("outreach_list"), {"round": screening_round.pk}).content.decode()
    assert f'href="/worklist/{item.work_item.pk}/"' in html
    assert "<form" not in html.split('id="item-')[1]  # no assign or outcome form on the list itself


def test_visitor_choices_are_the_dongs_officers(city, listed):
    from dolbom.discovery.selectors import visitors_for

    _, (item, _) = listed
    assert set(visitors_for(item).values_list("role", flat=True)) == {Role.DONG_OFFICER}


def test_record_reads_as_two_words_where_it_has_two_meanings(client, city, listed):
    """One English word, two meanings on screen: the audit log's column names the record an event concerns (대상),
    while saving what a visit found is its own button on the worklist (방문 기록 저장)."""
    from dolbom.intake.services.work import list_round

    screening_round, (item, _) = listed
    list_round(round_id=screening_round.pk)
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("work_item", args=[item.work_item.pk])).content.decode()
    assert "방문 기록 저장" in page
    client.force_login(city.users["district_admin"])
    assert '<th scope="col">대상</th>' in client.get(reverse("audit_log")).content.decode()
