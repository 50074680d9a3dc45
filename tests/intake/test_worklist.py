"""The worklist from the outside: a round's listings and the reports land on it, officers are sent, every visit or
call is a row, corrections are new rows, and the outcome goes back to discovery as the next model's label."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.discovery.models import ItemStatus, OutreachItem
from dolbom.discovery.services.rounds import run_round
from dolbom.intake.models import ReferralAnswer, Visit, WorkItem, WorkOutcome, WorkSource, WorkStatus
from dolbom.intake.services.referrals import file_referral
from dolbom.registry.models import Staff
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def listed(city, home, tmp_path):
    """A round of district 1 that listed the households of dongs 0 and 1."""
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    manager = city.users["district_manager"]
    import_telecom(manager, tmp_path / "files", [(city.persons[0], 12), (city.persons[1], 9)])
    screening_round = run_round(user=manager, district_code=city.districts[0].code, period=PERIOD, as_of=AS_OF)
    assert screening_round.status == "done"
    return screening_round


def _item_in(city, dong_index):
    return WorkItem.objects.get(dong=city.dongs[dong_index])


def _officer(city):
    return Staff.objects.get(user=city.users["dong_officer"])


def _post(client, user, name, item, **data):
    client.force_login(user)
    return client.post(reverse(name, args=[item.pk]), {"version": item.version, **data})


def _visit(client, city, item, result, on=None, **extra):
    officer = _officer(city)
    return _post(
        client,
        city.users["dong_officer"],
        "work_item_visit",
        item,
        visitor=officer.pk,
        on=(on or today_kst()).strftime("%Y.%m.%d"),
        kind="visit",
        result=result,
        **extra,
    )


def test_a_rounds_listings_land_on_the_worklist(city, listed):
    items = WorkItem.objects.filter(source=WorkSource.ROUND)
    assert items.count() == OutreachItem.objects.filter(round=listed).count() == 2
    assert {i.dong_id for i in items} == {city.dongs[0].code, city.dongs[1].code}
    assert all(i.outreach_item.round_id == listed.pk and i.status == WorkStatus.OPEN for i in items)
    assert all((i.household_id, i.dong_id) == (i.outreach_item.household_id, i.outreach_item.dong_id) for i in items)


def test_the_worklist_page_shows_the_officers_dong_and_is_audited(client, city, listed):
    client.force_login(city.users["dong_officer"])
    response = client.get(reverse("worklist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="work-{_item_in(city, 0).pk}"' in html and f'id="work-{_item_in(city, 1).pk}"' not in html
    assert "김*희" in html and "김영희" not in html
    assert AuditEvent.objects.filter(action="intake.view_worklist", actor=city.users["dong_officer"]).exists()
    assert client.get(reverse("worklist"), {"tong": "abc"}).status_code == 400


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_other_roles_see_no_worklist(client, city, listed, role):
    client.force_login(city.users[role])
    assert client.get(reverse("worklist")).status_code == 403
    assert client.get(reverse("work_item", args=[_item_in(city, 0).pk])).status_code == 403


def test_assigning_also_marks_discoverys_listing(client, city, listed):
    item = _item_in(city, 0)
    response = _post(client, city.users["dong_officer"], "work_item_assign", item, visitor=_officer(city).pk)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.assigned_to == _officer(city) and item.status == WorkStatus.ASSIGNED
    assert item.outreach_item.status == ItemStatus.ASSIGNED


def test_absent_three_times_is_unreachable_and_the_label_goes_back(client, city, listed):
    item = _item_in(city, 0)
    first = today_kst() - timedelta(days=8)
    assert _visit(client, city, item, "absent", on=first).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.ASSIGNED and item.next_try_on == first + timedelta(days=3)
    for days_ago in (5, 1):
        item.refresh_from_db()
        assert _visit(client, city, item, "absent", on=today_kst() - timedelta(days=days_ago)).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.CLOSED and item.outcome == WorkOutcome.UNREACHABLE
    listing = OutreachItem.objects.get(pk=item.outreach_item_id)
    assert listing.outcome == "unreachable" and listing.status == ItemStatus.DONE  # the next model's (non-)label


def test_met_then_closed_helped_labels_the_listing(client, city, listed):
    item = _item_in(city, 0)
    _visit(client, city, item, "met", note="어르신 혼자 거주, 난방비 부담")
    item.refresh_from_db()
    assert item.status == WorkStatus.IN_CONTACT and item.assigned_to == _officer(city)
    response = _post(client, city.users["dong_officer"], "work_item_close", item, outcome="helped", on="2026-11-02")
    assert response.status_code == 302
    assert OutreachItem.objects.get(pk=item.outreach_item_id).outcome == "helped"


def test_an_outcome_needs_a_visit_on_record(client, city, listed):
    item = _item_in(city, 0)
    response = _post(client, city.users["dong_officer"], "work_item_close", item, outcome="helped")
    assert response.status_code == 422
    assert "방문이나 전화를 먼저 기록하세요" in response.content.decode()
    item.refresh_from_db()
    assert item.status == WorkStatus.OPEN


def test_a_correction_is_a_new_row_and_undoes_what_the_wrong_one_did(client, city, listed):
    item = _item_in(city, 0)
    _visit(client, city, item, "refused")
    item.refresh_from_db()
    assert item.status == WorkStatus.CLOSED and item.outcome == WorkOutcome.REFUSED
    wrong = Visit.objects.get(work_item=item)
    client.force_login(city.users["dong_officer"])
    response = client.post(
        reverse("work_item_correct", args=[item.pk, wrong.pk]),
        {"version": item.version, "visitor": _officer(city).pk, "on": wrong.on.isoformat(), "kind": "visit",
         "result": "met", "note": "거절이 아니라 다음에 오라고 함"},
    )  # fmt: skip
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.IN_CONTACT and item.outcome == ""
    assert list(Visit.objects.filter(work_item=item).values_list("result", "corrects")) == [
        ("refused", None),
        ("met", wrong.pk),
    ]
    assert AuditEvent.objects.filter(action="intake.correct_visit").exists()


def test_a_change_made_in_between_is_shown_not_overwritten(client, city, listed):
    item = _item_in(city, 0)
    colleague_user = get_user_model().objects.create_user(username="officer_b", password="x" * 12)
    colleague = Staff.objects.create(
        user=colleague_user, agency=city.agencies["dong0"], role=Role.DONG_OFFICER, display_name="박담당"
    )
    colleague.areas.set([city.dongs[0]])
    seen = item.version
    assert _post(client, colleague_user, "work_item_assign", item, visitor=colleague.pk).status_code == 302
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("work_item_assign", args=[item.pk]), {"version": seen, "visitor": _officer(city).pk})
    assert response.status_code == 422 and "박담당" in response.content.decode()
    item.refresh_from_db()
    assert item.assigned_to == colleague


def test_a_double_click_records_one_visit(client, city, listed):
    item = _item_in(city, 0)
    data = {"visitor": _officer(city).pk, "on": "2026-11-02", "kind": "phone", "result": "absent"}
    client.force_login(city.users["dong_officer"])
    for _ in range(2):
        response = client.post(reverse("work_item_visit", args=[item.pk]), {"version": item.version, **data})
        assert response.status_code == 302
    assert Visit.objects.filter(work_item=item).count() == 1


@pytest.mark.parametrize("typed", ["2026.11.02", "2026-11-02", "20261102", "2026. 11. 2.", "２０２６－１１－０２"])
def test_a_visit_date_in_any_usual_form(client, city, listed, typed):
    item = _item_in(city, 0)
    client.force_login(city.users["dong_officer"])
    data = {"version": item.version, "visitor": _officer(city).pk, "on": typed, "kind": "visit", "result": "met"}
    assert client.post(reverse("work_item_visit", args=[item.pk]), data).status_code == 302
    assert Visit.objects.get(work_item=item).on == date(2026, 11, 2)


def test_a_future_date_or_nonsense_is_refused_and_writes_nothing(client, city, listed):
    item = _item_in(city, 0)
    for typed in [(today_kst() + timedelta(days=1)).isoformat(), "2026-02-31", "어제"]:
        data = {"visitor": _officer(city).pk, "on": typed, "kind": "visit", "result": "met"}
        assert _post(client, city.users["dong_officer"], "work_item_visit", item, **data).status_code == 422
    assert not Visit.objects.exists()


def test_another_dongs_item_by_a_hand_made_post_is_not_found(client, city, listed):
    other = _item_in(city, 1)
    response = _visit(client, city, other, "met")
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_referral_lands_on_the_worklist_and_its_reporter_gets_a_neutral_answer(client, city):
    referral = file_referral(
        user=city.users["safety_net"],
        dong=city.dongs[0],
        address_text="한빛시 중앙구 시청로 10",
        concern="며칠째 불이 꺼져 있음",
    )
    item = WorkItem.objects.get(referral=referral)
    assert item.source == WorkSource.REFERRAL and item.household is None and len(referral.receipt_number) == 9
    # the report's address points to the registered household: the officer says which one
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("work_item", args=[item.pk])).content.decode()
    assert "김*희" in page  # the candidate at 시청로 10
    household = city.household_in(0)
    assert _post(client, city.users["dong_officer"], "work_item_link", item, household=household.pk).status_code == 302
    item.refresh_from_db()
    referral.refresh_from_db()
    assert item.household == household and referral.household == household
    _visit(client, city, item, "met")
    item.refresh_from_db()
    _post(client, city.users["dong_officer"], "work_item_close", item, outcome="helped")
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.answer == ReferralAnswer.HELPED
    # the reporter sees the answer, not the household
    client.force_login(city.users["safety_net"])
    html = client.get(reverse("referrals")).content.decode()
    assert "김*희" not in html and "김영희" not in html


def test_a_household_of_another_dong_cannot_be_linked(client, city):
    referral = file_referral(
        user=city.users["dong_officer"], dong=city.dongs[0], address_text="시청로 10", concern="우편물이 쌓여 있음"
    )
    item = WorkItem.objects.get(referral=referral)
    client.force_login(city.users["dong_officer"])
    other_district = city.household_in(2)
    response = client.post(reverse("work_item_link", args=[item.pk]), {"household": other_district.pk})
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.household is None


@pytest.mark.parametrize("campaign", ["99999999999999999999", "-1", "0"])
def test_an_id_no_database_can_hold_is_a_bad_request_not_a_server_error(client, city, campaign):
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("worklist"), {"campaign": campaign}).status_code == 400
    assert client.get(reverse("worklist_print"), {"campaign": campaign}).status_code == 400


def test_a_huge_household_id_posted_is_the_forms_error(client, city):
    referral = file_referral(
        user=city.users["dong_officer"], dong=city.dongs[0], address_text="시청로 10", concern="우편물이 쌓여 있음"
    )
    item = WorkItem.objects.get(referral=referral)
    response = _post(client, city.users["dong_officer"], "work_item_link", item, household="9" * 20)
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.household is None


def test_a_long_worklist_is_read_a_page_at_a_time_every_item_once(client, city):
    WorkItem.objects.bulk_create([WorkItem(dong=city.dongs[0], source=WorkSource.WALK_IN) for _ in range(205)])
    client.force_login(city.users["dong_officer"])
    seen, pages = [], {}
    for number in (1, 2, 3):
        html = client.get(reverse("worklist"), {"sort": "due", "page": number}).content.decode()
        pages[number] = html
        seen += re.findall(r'id="work-(\d+)"', html)
    assert len(seen) == len(set(seen)) == 205  # the same order from page to page: none twice, none left out
    assert "205가구 · 1–100번째 표시" in pages[1] and "1쪽 / 전체 3쪽" in pages[1] and 'rel="prev"' not in pages[1]
    assert "201–205번째 표시" in pages[3] and 'rel="next"' not in pages[3] and "?sort=due&amp;page=2" in pages[3]
    # A page past the end (a bookmark kept while items were closed) shows the last one; a page 0 is a bad address.
    assert (
        re.findall(r'id="work-(\d+)"', client.get(reverse("worklist"), {"sort": "due", "page": 9}).content.decode())
        == seen[200:]
    )
    assert client.get(reverse("worklist"), {"page": 0}).status_code == 400
    audited = AuditEvent.objects.filter(action="intake.view_worklist").order_by("-pk").first()
    assert audited.detail["page"] == 3 and audited.detail["items"] == 5
