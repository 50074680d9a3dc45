"""Case management from the outside, with the test client: a candidate from intake opened as a case, a private
partner answering and delivering on its own pages (and seeing nothing without consent), refusals that keep what
was typed, and the due dates on 오늘 할 일 as time passes."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from dolbom.cases.models import Case, CaseState, Linkage, LinkageState
from dolbom.cases.selectors import LinkageFigures, linkage_figures, new_cases_count
from dolbom.cases.services.cases import record_monitoring
from dolbom.core.audit import AuditEvent
from dolbom.core.dates import today_kst
from dolbom.intake.models import Decision, DecisionStatus
from dolbom.intake.selectors import initial_consultations
from dolbom.registry.models import Consent
from dolbom.registry.services import withdraw_consent
from tests.cases.support import in_service
from tests.intake.test_consultations import _assess, _consult, _decide, met_item  # noqa: F401  (fixture)


@pytest.fixture
def today(settings):
    def move(day: date) -> None:
        settings.TODAY_OVERRIDE = day

    return move


def _board(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    return response.content.decode()


def _due(html: str, kind: str, pk: int) -> str | None:
    match = re.search(rf'<li class="due due-(\w+)" id="due-{kind}-{pk}"', html)
    return match.group(1) if match else None


def _request(client, case, **changes):
    data = {
        "domain": "health",
        "service": "밑반찬 배달",
        "provider": str(changes.pop("provider")),
        "frequency": "periodic",
        "planned_won": "300,000",
        "requested_on": case.intake_on.isoformat(),
        **changes,
    }
    return client.post(reverse("linkage_new", args=[case.pk]), data)


def test_a_candidate_from_intake_becomes_a_case_and_its_decision_is_taken_up(client, city, met_item):  # noqa: F811
    consultation = _consult(client, city, met_item)
    _assess(client, consultation)
    _decide(client, consultation, "case_candidate")
    decision = Decision.objects.get(consultation=consultation, kind="case_candidate")
    page = client.get(reverse("case_list")).content.decode()
    assert f'id="candidate-{decision.pk}"' in page and "김*희" in page
    response = client.post(reverse("case_open_candidate"), {"decision": decision.pk})
    case = Case.objects.get(household=consultation.household)
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.pk])
    # A double click opens one case.
    assert client.post(reverse("case_open_candidate"), {"decision": decision.pk}).status_code == 302
    assert Case.objects.filter(household=consultation.household).count() == 1
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.TAKEN and decision.taken_reference == f"cases.Case:{case.pk}"
    assert case.state == CaseState.CANDIDATE and case.assessed_on is not None
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "욕구조사(접수 후)" in html and "김*희" in html and "김영희" not in html
    assert AuditEvent.objects.filter(action="cases.view_case", object_id=str(case.pk)).exists()
    # The consultation counts among the dong's initial consultations of the day.
    on = today_kst()
    assert initial_consultations(city.users["analyst"], on, on) == {city.dongs[0].code: 1}


def test_a_private_partner_answers_and_delivers_on_its_own_pages(client, city):
    case = in_service(city)
    officer, partner = city.users["dong_officer"], city.users["agency_worker"]
    client.force_login(officer)
    response = _request(client, case, provider=city.agencies["welfare"].pk)
    linkage = Linkage.objects.get(case=case)
    assert response.status_code == 302 and linkage.state == LinkageState.REQUESTED and linkage.planned_won == 300_000
    # The officer cannot answer for a partner that answers for itself.
    assert client.post(reverse("linkage_answer", args=[linkage.pk]), {"answer": "accept"}).status_code == 403
    client.force_login(partner)
    inbox = client.get(reverse("linkage_list")).content.decode()
    assert f'id="linkage-{linkage.pk}"' in inbox and "밑반찬 배달" in inbox
    today = today_kst().isoformat()
    answered = client.post(reverse("linkage_answer", args=[linkage.pk]), {"answer": "accept", "on": today})
    assert answered.status_code == 302
    # Delivered before accepted is impossible; after, a value typed as officers type it.
    delivered = client.post(reverse("linkage_deliver", args=[linkage.pk]), {"on": today, "won": "150,000원"})
    assert delivered.status_code == 302
    linkage.refresh_from_db()
    assert linkage.state == LinkageState.DELIVERING and linkage.delivered_won == 150_000
    assert [s.move for s in linkage.steps.order_by("pk")] == ["request", "accept", "deliver"]
    # The partner sees the household's case only through its linkage: the case is led by the dong.
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    html = client.get(reverse("household_detail", args=[case.household_id])).content.decode()
    assert "밑반찬 배달" in html


def test_no_request_to_a_partner_the_household_did_not_consent_to(client, city):
    case = in_service(city, dong_index=1, user_key="district_manager")
    client.force_login(city.users["district_manager"])
    response = _request(client, case, provider=city.agencies["welfare"].pk, service="방문 간호")
    assert response.status_code == 422
    html = response.content.decode()
    assert "정보 제공을 동의하지 않았습니다" in html and "방문 간호" in html  # what was typed stays
    assert not Linkage.objects.filter(case=case).exists()
    # A public provider takes any household.
    assert _request(client, case, provider=city.agencies["district"].pk).status_code == 302


def test_a_withdrawn_consent_hides_the_linkage_from_the_partner(client, city):
    case = in_service(city)
    client.force_login(city.users["dong_officer"])
    _request(client, case, provider=city.agencies["welfare"].pk)
    linkage = Linkage.objects.get(case=case)
    client.force_login(city.users["agency_worker"])
    assert client.get(reverse("linkage_detail", args=[linkage.pk])).status_code == 200
    consent = Consent.objects.get(person=city.persons[0], recipient=city.agencies["welfare"])
    withdraw_consent(user=city.users["dong_officer"], consent=consent, on=today_kst(), reason="본인 철회 요청")
    assert client.get(reverse("linkage_detail", args=[linkage.pk])).status_code == 404
    assert client.post(reverse("linkage_answer", args=[linkage.pk]), {"answer": "accept"}).status_code == 404
    assert f'id="linkage-{linkage.pk}"' not in client.get(reverse("linkage_list")).content.decode()
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404


def test_due_dates_reach_today_as_time_passes(client, city, today):
    today(date(2026, 9, 1))
    case = in_service(city)
    officer, partner = city.users["dong_officer"], city.users["agency_worker"]
    client.force_login(officer)
    _request(client, case, provider=city.agencies["welfare"].pk, requested_on="2026-09-01")
    linkage = Linkage.objects.get(case=case)
    # The partner's answer is due after 7 days, monitoring a month after services started.
    today(date(2026, 9, 8))
    assert _due(_board(client, partner), "case_linkage", linkage.pk) == "today"
    today(date(2026, 9, 9))
    assert _due(_board(client, partner), "case_linkage", linkage.pk) == "overdue"
    assert _due(_board(client, officer), "case_linkage", linkage.pk) == "overdue"
    today(date(2026, 10, 2))
    assert _due(_board(client, officer), "case_monitoring", case.pk) == "overdue"
    record_monitoring(user=officer, case_id=case.pk, held_on=date(2026, 10, 2), note="월 2회 진료 유지")
    assert _due(_board(client, officer), "case_monitoring", case.pk) is None
    # Closed: the follow-up checks come due three months apart.
    client.post(reverse("case_close", args=[case.pk]), {"reason": "goals_met", "on": "2026-10-02"})
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOW_UP
    today(date(2027, 1, 2))
    assert _due(_board(client, officer), "case_follow_up", case.pk) == "today"
    today(date(2027, 1, 3))
    html = _board(client, officer)
    assert _due(html, "case_follow_up", case.pk) == "overdue" and 'class="badge"' in html


def test_a_refused_step_keeps_what_was_typed(client, city):
    case = in_service(city)
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("case_close", args=[case.pk]), {"reason": "", "note": "가족과 연락 재개"})
    assert response.status_code == 422
    assert "종결 사유를 고르세요" in response.content.decode() and "가족과 연락 재개" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.IN_SERVICE


def test_the_figures_of_the_articles_come_from_one_selector_each(city, today):
    """A hand-made example: two cases selected in September, one in October; three linkages accepted in
    September, two public and one private, with deliveries of 100,000 + 50,000 (public) and 70,000 won (private)."""
    from dolbom.cases.services.linkages import LinkageEntry, answer_linkage, record_delivery, request_linkage

    today(date(2026, 9, 10))
    first, second = in_service(city), in_service(city, dong_index=1, user_key="district_manager")
    manager, partner = city.users["district_manager"], city.users["agency_worker"]
    today(date(2026, 9, 15))

    def link(case, provider, won_steps, sector="public"):
        entry = LinkageEntry(
            domain="economy", service=f"지원 {provider}", frequency="periodic", requested_on=date(2026, 9, 11),
            provider_id=city.agencies[provider].pk,
        )  # fmt: skip
        linkage = request_linkage(user=manager, case_id=case.pk, entry=entry)
        answerer = partner if provider == "welfare" else manager
        answer_linkage(user=answerer, linkage_id=linkage.pk, accept=True, on=date(2026, 9, 12))
        for won in won_steps:
            record_delivery(user=answerer, linkage_id=linkage.pk, on=date(2026, 9, 14), won=won)

    link(first, "district", [100_000, 50_000])
    link(second, "dong0", [])
    link(first, "welfare", [70_000])
    september = (date(2026, 9, 1), date(2026, 9, 30))
    assert new_cases_count(manager, *september) == 2
    figures = linkage_figures(manager, *september)
    assert (figures.count, figures.won) == (3, 220_000)
    assert (figures.public_count, figures.public_won, figures.private_count, figures.private_won) == (
        2,
        150_000,
        1,
        70_000,
    )
    assert new_cases_count(manager, date(2026, 10, 1), date(2026, 10, 31)) == 0
    # Counts are an analyst's to read; a dong officer counts its own dong: the first case and its two linkages.
    assert linkage_figures(city.users["analyst"], *september) == figures
    officer = city.users["dong_officer"]
    assert new_cases_count(officer, *september) == 1
    assert linkage_figures(officer, *september) == LinkageFigures(2, 220_000, 1, 150_000, 1, 70_000)
    assert initial_consultations(manager, *september) == {}  # proposed without a consultation


def test_what_the_household_already_receives_includes_donated_money(client, city):
    """Before a service is requested, the form shows the money donated to the household (resources' ledger)."""
    from dolbom.resources.models import Fund
    from dolbom.resources.services import donations

    head = city.persons[0]
    Consent.objects.create(
        person=head, recipient=city.agencies["welfare"], purpose="resource_support", given_on=date(2025, 1, 1)
    )
    admin = city.users["district_admin"]
    donor = donations.add_donor(user=admin, kind="company", name="한빛전자")
    donations.receive_donation(user=admin, donor_id=donor.pk, kind="cash", received_on=today_kst(), amount_won=500_000)
    fund = Fund.objects.get(district=city.districts[0])
    donations.allocate(
        user=admin, fund_id=fund.pk, amount_won=123_000, on=today_kst(), household_id=city.households[0].pk
    )
    case = in_service(city)
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("linkage_new", args=[case.pk])).content.decode()
    already = re.search(r'<ul class="plain already">(.*?)</ul>', html, flags=re.S)
    assert already and "123,000" in already.group(1)
