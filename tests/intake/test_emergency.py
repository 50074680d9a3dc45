"""Emergency support through its pages: an application opened from the household or a worklist item, each step a
row with who, when and why, only the moves of the one table, the year's figure suggested but never imposed, support
found improper sent to review — never cut by the software —, and every reading and writing scoped and audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.intake.models import (
    MOVES,
    EmergencyState,
    EmergencyStep,
    EmergencySupport,
    StepKind,
    SupportGiven,
    WorkItem,
    WorkSource,
)
from dolbom.intake.services.emergency import open_emergency_support
from dolbom.registry.models import Staff

TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _frozen_today(settings):
    settings.TODAY_OVERRIDE = TODAY


def _officer(city):
    return Staff.objects.get(user=city.users["dong_officer"])


def _open(client, city, household=None, **data):
    client.force_login(city.users["dong_officer"])
    household = household or city.households[0]
    fields = {"requested_on": "2026.11.30", "kinds": ["livelihood", "fuel"], "reason": "실직 후 두 달째 수입 없음"}
    return client.post(reverse("emergency_new", args=[household.pk]), {**fields, **data})


def _post(client, user, name, support, **data):
    client.force_login(user)
    return client.post(reverse(name, args=[support.pk]), data)


def test_the_household_page_offers_an_application_to_those_who_may_open_one(client, city):
    household = city.households[0]
    url = reverse("emergency_new", args=[household.pk])
    for role, offered in (("dong_officer", True), ("district_admin", False), ("agency_worker", False)):
        client.force_login(city.users[role])
        assert (url in client.get(reverse("household_detail", args=[household.pk])).content.decode()) is offered, role


def test_an_officer_opens_an_application_and_is_in_charge(client, city):
    response = _open(client, city)
    support = EmergencySupport.objects.get()
    assert response.status_code == 302 and response.url == reverse("emergency_detail", args=[support.pk])
    assert support.state == EmergencyState.REQUESTED and support.requested_on == date(2026, 11, 30)
    assert support.kinds == ["livelihood", "fuel"] and support.officer == _officer(city)
    assert support.dong == city.dongs[0]
    [step] = support.steps.all()
    assert (step.kind, step.from_state, step.to_state, step.by) == ("open", "", "requested", city.users["dong_officer"])
    event = AuditEvent.objects.get(action="intake.open_emergency_support")
    assert event.object_id == str(support.pk) and "실직" not in str(event.detail) + event.reason  # no crisis in the log
    page = client.get(response.url).content.decode()
    assert "김*희" in page and "김영희" not in page
    assert 'class="clock clock-running"' in page  # due 3 December, two days left
    assert AuditEvent.objects.filter(action="intake.view_emergency_support", object_id=str(support.pk)).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kinds": ["rent"]}, "kinds"),
        ({"kinds": []}, "kinds"),
        ({"reason": "  \u200b "}, "reason"),
        ({"requested_on": "2026.12.02"}, "requested_on"),  # tomorrow
        ({"requested_on": "2026.02.31"}, "requested_on"),
        ({"officer": "999999"}, "officer"),
    ],
)
def test_a_wrong_request_is_refused_and_nothing_is_written(client, city, data, field):
    response = _open(client, city, **data)
    assert response.status_code == 422, field
    assert not EmergencySupport.objects.exists() and not EmergencyStep.objects.exists()


def test_one_open_application_per_household(client, city):
    first = _open(client, city)
    assert _open(client, city).url == first.url  # the same form sent twice: the same application
    client.force_login(city.users["district_manager"])
    household = city.households[0]
    data = {"requested_on": "2026.12.01", "kinds": ["medical"], "reason": "다른 위기 사유입니다"}
    response = client.post(reverse("emergency_new", args=[household.pk]), data)
    assert response.status_code == 422 and "이미 진행 중인 긴급지원 신청" in response.content.decode()
    assert EmergencySupport.objects.count() == 1


def test_from_a_worklist_item(client, city):
    household = city.households[0]
    item = WorkItem.objects.create(dong=household.dong, household=household, source=WorkSource.WALK_IN)
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("work_item", args=[item.pk])).content.decode()
    link = f"{reverse('emergency_new', args=[household.pk])}?work_item={item.pk}"
    assert link in page
    assert client.get(link).status_code == 200
    # An item about another household (here: a report not yet tied to one) is not taken for this one.
    other = WorkItem.objects.create(dong=city.dongs[0], source=WorkSource.WALK_IN)
    assert _open(client, city, work_item=str(other.pk)).status_code == 422
    assert not EmergencySupport.objects.exists()
    assert _open(client, city, work_item=str(item.pk)).status_code == 302
    assert EmergencySupport.objects.get().work_item == item


def test_the_whole_way_support_first_verify_after(client, city):
    _open(client, city)
    support = EmergencySupport.objects.get()
    officer = city.users["dong_officer"]
    steps = [
        ("emergency_check", {"on": "2026.11.30", "note": "현장 확인: 냉난방 없음, 식료품 부족"}),
        ("emergency_decide", {"on": "2026.12.01", "decision": "support", "reason": "위기사유 해당, 소득 기준 이하"}),
        ("emergency_give", {"kind": "livelihood", "amount": "1,286,600원", "months": "3", "starts_on": "2026.12.01"}),
        ("emergency_give", {"kind": "fuel", "amount": "150000", "months": "1", "starts_on": "2026.12.01"}),
        ("emergency_follow_up", {"on": "2026.12.01", "result": "to_review", "reason": "금융재산 기준 초과 의심"}),
    ]
    for name, data in steps:
        response = _post(client, officer, name, support, **data)
        assert response.status_code == 302, (name, response.content.decode()[-2000:])
    support.refresh_from_db()
    assert support.state == EmergencyState.UNDER_REVIEW and support.follow_up_result == "to_review"
    # To be reviewed is not a cut: the support given stands until people decide.
    assert SupportGiven.objects.filter(support=support).count() == 2
    livelihood = SupportGiven.objects.get(kind="livelihood")
    assert (livelihood.amount, livelihood.months, livelihood.total) == (1_286_600, 3, 3_859_800)
    assert livelihood.suggested_amount == 1_286_600 and livelihood.amounts_version  # household of two, 2026
    response = _post(
        client, officer, "emergency_review", support, on="2026.12.01", result="stands", reason="심의위원회: 지원 유지"
    )
    assert response.status_code == 302
    support.refresh_from_db()
    assert support.state == EmergencyState.CLOSED and support.review_result == "stands"
    history = list(support.steps.order_by("at", "pk").values_list("from_state", "kind", "to_state"))
    assert all(MOVES[(before, kind)] == after for before, kind, after in history)
    assert [kind for _, kind, _ in history] == ["open", "check", "support", "give", "give", "to_review", "reviewed"]
    assert all(step.by == officer and step.at for step in support.steps.all())
    actions = set(AuditEvent.objects.filter(object_id=str(support.pk)).values_list("action", flat=True))
    assert {"intake.emergency_check", "intake.emergency_support", "intake.emergency_give", "intake.emergency_to_review",
            "intake.emergency_reviewed"} <= actions  # fmt: skip
    page = client.get(reverse("emergency_detail", args=[support.pk])).content.decode()
    assert "3,859,800원" in page and 'class="clock clock-met"' in page


def test_steps_out_of_order_are_refused(client, city):
    _open(client, city)
    support = EmergencySupport.objects.get()
    officer = city.users["dong_officer"]
    response = _post(
        client, officer, "emergency_decide", support, on="2026.12.01", decision="support", reason="이유 있음"
    )
    assert response.status_code == 422 and "지금은 할 수 없는 단계" in response.content.decode()
    response = _post(client, officer, "emergency_check", support, on="2026.11.29", note="신청 전날 확인?")
    assert response.status_code == 422  # a check before the request
    assert _post(client, officer, "emergency_check", support, on="2026.11.30", note="현장 확인 완료").status_code == 302
    response = _post(client, officer, "emergency_check", support, on="2026.11.30", note="현장 확인 완료")
    assert response.status_code == 302  # the same check sent twice: nothing changes
    assert support.steps.filter(kind=StepKind.CHECK).count() == 1
    _post(client, officer, "emergency_decide", support, on="2026.12.01", decision="support", reason="지원 결정")
    response = _post(
        client, officer, "emergency_follow_up", support, on="2026.12.01", result="appropriate", reason="적정함"
    )
    assert response.status_code == 422  # nothing given yet
    response = _post(client, officer, "emergency_check", support, on="2026.12.01", note="다시 현장 확인")
    assert response.status_code == 422  # once decided, there is no going back to the check
    # Support starting before the decision is refused.
    response = _post(
        client, officer, "emergency_give", support, kind="livelihood", amount="100", starts_on="2026.11.01"
    )
    assert response.status_code == 422
    assert not SupportGiven.objects.exists()


def test_no_support_ends_the_application_with_its_reason(client, city):
    _open(client, city)
    support = EmergencySupport.objects.get()
    officer = city.users["dong_officer"]
    _post(client, officer, "emergency_check", support, on="2026.12.01", note="현장 확인 완료")
    assert _post(client, officer, "emergency_decide", support, on="2026.12.01", decision="no_support",
                 reason="").status_code == 422  # fmt: skip
    _post(client, officer, "emergency_decide", support, on="2026.12.01", decision="no_support", reason="위기사유 없음")
    support.refresh_from_db()
    assert support.state == EmergencyState.NOT_SUPPORTED
    assert support.steps.get(kind=StepKind.NO_SUPPORT).reason == "위기사유 없음"


def test_the_detail_page_suggests_the_years_figure_for_the_household(client, city):
    _open(client, city)
    support = EmergencySupport.objects.get()
    officer = city.users["dong_officer"]
    _post(client, officer, "emergency_check", support, on="2026.12.01", note="현장 확인 완료")
    _post(client, officer, "emergency_decide", support, on="2026.12.01", decision="support", reason="지원 결정")
    page = client.get(reverse("emergency_detail", args=[support.pk]), {"kind": "fuel"}).content.decode()
    assert 'value="150000"' in page  # the fuel figure, prefilled
    page = client.get(reverse("emergency_detail", args=[support.pk])).content.decode()
    assert 'value="1286600"' in page  # the first kind requested, for a household of two
    assert client.get(reverse("emergency_detail", args=[support.pk]), {"kind": "rent"}).status_code == 400


def test_the_administrator_reads_but_does_not_act(client, city):
    _open(client, city)
    support = EmergencySupport.objects.get()
    admin = city.users["district_admin"]
    client.force_login(admin)
    page = client.get(reverse("emergency_detail", args=[support.pk]))
    assert page.status_code == 200 and reverse("emergency_check", args=[support.pk]) not in page.content.decode()
    assert _post(client, admin, "emergency_check", support, on="2026.12.01", note="관리자 시도").status_code == 403
    assert client.get(reverse("emergency_list")).status_code == 200


def test_a_district_manager_puts_an_officer_in_charge(client, city):
    household = city.households[0]
    support = open_emergency_support(
        user=city.users["district_manager"],
        household_id=household.pk,
        requested_on=TODAY,
        kinds=["medical"],
        reason="응급 수술비 필요",
        consultation_id=41,
    )
    assert support.officer is None and support.consultation_id == 41
    response = _post(client, city.users["district_manager"], "emergency_assign", support, officer=_officer(city).pk)
    assert response.status_code == 302
    support.refresh_from_db()
    assert support.officer == _officer(city)
    assert support.steps.get(kind=StepKind.ASSIGN).officer == _officer(city)


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_other_roles_have_no_emergency_pages(client, city, role):
    client.force_login(city.users[role])
    assert client.get(reverse("emergency_list")).status_code == 403
    assert client.get(reverse("emergency_new", args=[city.households[0].pk])).status_code == 403
