"""The initial consultation, the needs assessment and the decision, from the outside: a met household's
consultation closes its worklist item, the assessment rates the ten domains on the district's crisis scale, each
decision becomes the next capability's item, a round's household gets its label back, and what an officer got
wrong is corrected by a new version without losing the old one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.discovery.models import OutreachItem
from dolbom.discovery.services.rounds import run_round
from dolbom.intake.models import (
    Assessment,
    Consultation,
    ConsultationRecord,
    CrisisLevel,
    Decision,
    DecisionKind,
    DecisionStatus,
    NeedDomain,
    ReferralAnswer,
    Visit,
    WorkItem,
    WorkOutcome,
    WorkSource,
    WorkStatus,
)
from dolbom.intake.services.consultations import take_decision
from dolbom.intake.services.referrals import file_referral
from dolbom.registry.models import Staff
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom

RISKS = ("safety", "health", "shelter", "food", "heating")


def _officer(city):
    return Staff.objects.get(user=city.users["dong_officer"])


def _consultation_data(city, household, **changes):
    """What an officer fills in: the household's head and spouse live here, a job lost, no heating."""
    data = {
        "submission": str(uuid.uuid4()),
        "officer": _officer(city).pk,
        "held_on": today_kst().isoformat(),
        "contact": "visit",
        "members": [str(m.person_id) for m in household.memberships.all()],
        "others_present": "",
        "what_happened": "남편 실직 후 석 달째 월세와 가스비를 못 냄",
        "crisis_kinds": ["job_loss", "debt"],
        "consent": "given",
        "consent_purposes": ["case_management"],
        "consent_note": "세대주 서면 동의",
    }
    for kind in RISKS:
        data[f"risk_{kind}"] = "no"
        data[f"risk_{kind}_note"] = ""
    data["risk_heating"], data["risk_heating_note"] = "yes", "가스 공급 중단 예고"
    data.update(changes)
    return data


def _assessment_data(level, **changes):
    data = {
        "submission": str(uuid.uuid4()),
        "replaces": "0",
        "officer": Staff.objects.get(user__username="officer").pk,
        "assessed_on": today_kst().isoformat(),
        "crisis_level": str(level.pk),
        "crisis_reasons": "난방 중단 임박, 소득 없음",
    }
    for domain in NeedDomain.values:
        data[f"need_{domain}"] = "none"
    data["need_economy"], data["need_economy_note"] = "serious", "소득 없음"
    data["need_employment"] = "some"
    data.update(changes)
    return data


@pytest.fixture
def met_item(client, city):
    """A referral about dong 0, tied to the household and met on a visit: the item is in contact."""
    referral = file_referral(
        user=city.users["safety_net"], dong=city.dongs[0], address_text="시청로 10", concern="며칠째 불이 꺼져 있음"
    )
    item = WorkItem.objects.get(referral=referral)
    client.force_login(city.users["dong_officer"])
    household = city.household_in(0)
    client.post(reverse("work_item_link", args=[item.pk]), {"version": item.version, "household": household.pk})
    item.refresh_from_db()
    visit = {"version": item.version, "visitor": _officer(city).pk, "on": today_kst().isoformat(), "kind": "visit"}
    assert client.post(reverse("work_item_visit", args=[item.pk]), {**visit, "result": "met"}).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.IN_CONTACT
    return item


def _consult(client, city, item):
    data = _consultation_data(city, item.household)
    response = client.post(reverse("consultation_new", args=[item.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Consultation.objects.get(work_item=item)


def _scale(city):
    """The district's scale as the assessment form shows it (created with its defaults the first time)."""
    return list(CrisisLevel.objects.filter(district=city.districts[0]).order_by("order"))


def _assess(client, consultation, level_name="고위기", **changes):
    assert client.get(reverse("assessment_new", args=[consultation.pk])).status_code == 200
    level = CrisisLevel.objects.get(district_id=consultation.household.dong.parent_id, name=level_name)
    response = client.post(reverse("assessment_new", args=[consultation.pk]), _assessment_data(level, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Assessment.objects.filter(consultation=consultation).latest("pk")


def _decide(client, consultation, *kinds, **extra):
    data = {"submission": str(uuid.uuid4()), "kinds": list(kinds), "decided_on": today_kst().isoformat(), **extra}
    return client.post(reverse("decision_new", args=[consultation.pk]), data)


def test_met_then_consultation_assessment_and_decision(client, city, met_item):
    page = client.get(reverse("work_item", args=[met_item.pk])).content.decode()
    assert reverse("consultation_new", args=[met_item.pk]) in page and "초기상담 시작" in page

    form = client.get(reverse("consultation_new", args=[met_item.pk]))
    assert form.status_code == 200
    html = form.content.decode()
    assert "김*희" in html and "김영희" not in html  # the registered members, masked
    consultation = _consult(client, city, met_item)
    met_item.refresh_from_db()
    assert met_item.status == WorkStatus.CLOSED and met_item.outcome == WorkOutcome.CONSULTATION
    record = consultation.records.get()
    assert record.version == 1 and record.crisis_kinds == ["job_loss", "debt"]
    assert {r.kind for r in record.risks.filter(present=True)} == {"heating"}
    assert record.members.count() == 2 and record.consent_purposes == ["case_management"]

    # The district's crisis scale: the default one, stored as rows of the district.
    consultation_page = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert "가스 공급 중단 예고" in consultation_page and "욕구조사 기록" in consultation_page
    assessment = _assess(client, consultation)
    assert [level.name for level in _scale(city)] == ["고위기", "위기", "일반"]
    assert assessment.crisis_level.name == "고위기" and assessment.needs.count() == len(NeedDomain.values)
    assert assessment.needs.get(domain="economy").level == "serious"

    response = _decide(client, consultation, "case_candidate", "benefit", note="주거급여 신청 안내")
    assert response.status_code == 302
    decisions = Decision.objects.filter(consultation=consultation)
    assert {(d.kind, d.status) for d in decisions} == {
        (DecisionKind.CASE_CANDIDATE, DecisionStatus.PENDING),
        (DecisionKind.BENEFIT, DecisionStatus.PENDING),
    }
    assert all(d.assessment == assessment for d in decisions)
    # The decisions wait on the household's page for the capabilities that carry them on.
    household = client.get(reverse("household_consultations", args=[met_item.household_id])).content.decode()
    assert "사례관리 후보" in household and "급여 신청" in household and "다음 단계 대기" in household
    # The reporter is told, without detail, that the household was connected with help.
    met_item.referral.refresh_from_db()
    assert met_item.referral.answer == ReferralAnswer.HELPED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"intake.record_consultation", "intake.record_assessment", "intake.decide"} <= actions
    assert {"intake.view_consultation", "intake.view_household_consultations", "intake.view_consultation_form"} <= (
        actions
    )


def test_what_was_said_stays_out_of_the_audit_log(client, city, met_item):
    consultation = _consult(client, city, met_item)
    _assess(client, consultation)
    _decide(client, consultation, "no_need", reason="이웃 도움으로 해결됨")
    client.get(reverse("consultation_detail", args=[consultation.pk]))
    for event in AuditEvent.objects.all():
        text = f"{event.reason} {event.detail}"
        assert "실직" not in text and "가스" not in text and "이웃" not in text and "서면" not in text


def test_the_worklist_item_must_be_met_and_tied_to_a_household(client, city):
    referral = file_referral(
        user=city.users["dong_officer"], dong=city.dongs[0], address_text="시청로 10", concern="우편물이 쌓여 있음"
    )
    item = WorkItem.objects.get(referral=referral)
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("consultation_new", args=[item.pk]))
    assert page.status_code == 200 and "어느 등록 가구인지" in page.content.decode()
    response = client.post(reverse("consultation_new", args=[item.pk]), _consultation_data(city, city.household_in(0)))
    assert response.status_code == 422
    assert not Consultation.objects.exists()


def test_a_walk_in_is_put_on_the_worklist_and_closed_by_its_consultation(client, city):
    household = city.household_in(0)
    client.force_login(city.users["dong_officer"])
    page = client.get(reverse("household_consultations", args=[household.pk])).content.decode()
    assert reverse("consultation_walk_in", args=[household.pk]) in page
    data = _consultation_data(city, household, contact="office")
    response = client.post(reverse("consultation_walk_in", args=[household.pk]), data)
    assert response.status_code == 302
    item = WorkItem.objects.get(household=household)
    assert item.source == WorkSource.WALK_IN and item.outcome == WorkOutcome.CONSULTATION
    visit = Visit.objects.get(work_item=item)
    assert (visit.kind, visit.result, visit.visitor) == ("office", "met", _officer(city))
    assert Consultation.objects.get().work_item == item


def test_a_double_click_records_one_of_each(client, city, met_item):
    data = _consultation_data(city, met_item.household)
    for _ in range(2):
        response = client.post(reverse("consultation_new", args=[met_item.pk]), data)
        assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert ConsultationRecord.objects.count() == 1
    level = CrisisLevel.objects.filter(district=city.districts[0]).first() or None
    client.get(reverse("assessment_new", args=[consultation.pk]))  # the scale is created for the form
    level = _scale(city)[1]
    assessment = _assessment_data(level)
    decision = {"submission": str(uuid.uuid4()), "kinds": ["emergency", "case_candidate"]}
    for _ in range(2):
        assert client.post(reverse("assessment_new", args=[consultation.pk]), assessment).status_code == 302
        assert client.post(reverse("decision_new", args=[consultation.pk]), decision).status_code == 302
    assert Assessment.objects.count() == 1
    assert Decision.objects.count() == 2
    # A walk-in sent twice opens one item and records one visit.
    other = city.household_in(0)
    Consultation.objects.all()  # the first household's consultation is done; a second walk-in is a new episode
    walk_in = _consultation_data(city, other, contact="office")
    for _ in range(2):
        assert client.post(reverse("consultation_walk_in", args=[other.pk]), walk_in).status_code == 302
    assert WorkItem.objects.filter(source=WorkSource.WALK_IN).count() == 1
    assert Consultation.objects.count() == 2


def test_a_correction_is_a_new_version_and_the_old_one_stays(client, city, met_item):
    consultation = _consult(client, city, met_item)
    form = client.get(reverse("consultation_correct", args=[consultation.pk]))
    assert form.status_code == 200 and "남편 실직" in form.content.decode()
    data = _consultation_data(
        city,
        met_item.household,
        what_happened="아내 실직 후 석 달째 월세와 가스비를 못 냄",
        version="1",
        reason="실직한 사람을 잘못 적음",
    )
    assert client.post(reverse("consultation_correct", args=[consultation.pk]), data).status_code == 302
    versions = list(consultation.records.order_by("version").values_list("version", "what_happened"))
    assert versions == [
        (1, "남편 실직 후 석 달째 월세와 가스비를 못 냄"),
        (2, "아내 실직 후 석 달째 월세와 가스비를 못 냄"),
    ]
    page = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert "아내 실직" in page and "이전 기록 1건" in page and "실직한 사람을 잘못 적음" in page
    # A colleague's form shown before that correction is refused, naming who corrected it.
    colleague = _colleague(city)
    client.force_login(colleague.user)
    stale = {**data, "submission": str(uuid.uuid4()), "reason": "날짜 정정"}
    response = client.post(reverse("consultation_correct", args=[consultation.pk]), stale)
    assert response.status_code == 422 and "officer" in response.content.decode()
    assert consultation.records.count() == 2
    # A correction needs its reason.
    client.force_login(city.users["dong_officer"])
    bare = {**data, "submission": str(uuid.uuid4()), "version": "2", "reason": ""}
    assert client.post(reverse("consultation_correct", args=[consultation.pk]), bare).status_code == 422


def _colleague(city):
    user = get_user_model().objects.create_user(username="officer_b", password="x" * 12)
    agency = city.agencies["dong0"]
    staff = Staff.objects.create(user=user, agency=agency, role=Role.DONG_OFFICER, display_name="박담당")
    staff.areas.set([city.dongs[0]])
    return staff


def test_an_assessment_redone_replaces_the_old_one_which_stays(client, city, met_item):
    consultation = _consult(client, city, met_item)
    first = _assess(client, consultation, "위기")
    form = client.get(reverse("assessment_new", args=[consultation.pk])).content.decode()
    assert f'name="replaces" value="{first.pk}"' in form
    second = _assess(client, consultation, "고위기", replaces=str(first.pk), crisis_reasons="가스 공급 중단됨")
    assert second.replaces == first and Assessment.objects.count() == 2
    page = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert "가스 공급 중단됨" in page and "이전 사정 1건" in page
    # A page shown before the second one was recorded cannot silently replace it.
    level = CrisisLevel.objects.get(district=city.districts[0], name="일반")
    response = client.post(
        reverse("assessment_new", args=[consultation.pk]), _assessment_data(level, replaces=str(first.pk))
    )
    assert response.status_code == 422 and Assessment.objects.count() == 2


def test_an_unanswered_domain_or_risk_is_named_and_nothing_is_written(client, city, met_item):
    data = _consultation_data(city, met_item.household, risk_food="", risk_safety="yes", what_happened="")
    response = client.post(reverse("consultation_new", args=[met_item.pk]), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert "예 또는 아니요로 답하세요" in html and "위험이 무엇인지" in html and "무슨 일이 있었는지" in html
    assert not Consultation.objects.exists()
    met_item.refresh_from_db()
    assert met_item.status == WorkStatus.IN_CONTACT
    consultation = _consult(client, city, met_item)
    client.get(reverse("assessment_new", args=[consultation.pk]))
    response = client.post(
        reverse("assessment_new", args=[consultation.pk]), _assessment_data(_scale(city)[0], need_rights="")
    )
    assert response.status_code == 422 and "수준을 고르세요" in response.content.decode()
    assert not Assessment.objects.exists()


def test_decisions_that_contradict_or_lack_what_they_need_are_refused(client, city, met_item):
    consultation = _consult(client, city, met_item)
    response = _decide(client, consultation, "case_candidate")
    assert response.status_code == 422 and "욕구조사를 먼저" in response.content.decode()
    _assess(client, consultation)
    assert _decide(client, consultation, "no_need", "benefit", reason="해당 없음").status_code == 422
    assert _decide(client, consultation, "linkage").status_code == 422  # what, and to whom?
    assert _decide(client, consultation, "no_need").status_code == 422  # why?
    assert not Decision.objects.exists()
    linkage = _decide(client, consultation, "linkage", service="밑반찬 배달", partner="중앙종합사회복지관")
    assert linkage.status_code == 302
    assert Decision.objects.get().status == DecisionStatus.DONE
    assert _decide(client, consultation, "no_need", reason="해당 없음").status_code == 422


def test_a_withdrawn_decision_stays_on_record_and_one_taken_up_is_changed_where_it_went(client, city, met_item):
    consultation = _consult(client, city, met_item)
    _assess(client, consultation)
    _decide(client, consultation, "benefit", "case_candidate")
    benefit = Decision.objects.get(kind="benefit")
    candidate = Decision.objects.get(kind="case_candidate")
    response = client.post(reverse("decision_withdraw", args=[benefit.pk]), {"reason": ""})
    assert response.status_code == 422 and "철회하는 이유" in response.content.decode()
    assert client.post(reverse("decision_withdraw", args=[benefit.pk]), {"reason": "소득 기준 초과"}).status_code == 302
    benefit.refresh_from_db()
    assert benefit.status == DecisionStatus.WITHDRAWN and benefit.withdrawn_reason == "소득 기준 초과"
    # Case management takes up the candidate (cases will call this when it opens the case).
    take_decision(user=city.users["district_manager"], decision_id=candidate.pk, reference="cases.Case:1")
    candidate.refresh_from_db()
    assert candidate.status == DecisionStatus.TAKEN
    response = client.post(reverse("decision_withdraw", args=[candidate.pk]), {"reason": "잘못 결정함"})
    assert response.status_code == 422
    page = client.get(reverse("household_consultations", args=[consultation.household_id])).content.decode()
    assert "다음 단계 대기" not in page  # nothing is waiting any more


# ---------------------------------------------------------------------------------- a round's household


@pytest.fixture
def listed(city, settings, tmp_path):
    """A round of district 1 that listed the households of dongs 0 and 1."""
    settings.HOME = tmp_path / "home"
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    manager = city.users["district_manager"]
    import_telecom(manager, tmp_path / "files", [(city.persons[0], 12), (city.persons[1], 9)])
    screening_round = run_round(user=manager, district_code=city.districts[0].code, period=PERIOD, as_of=AS_OF)
    assert screening_round.status == "done"
    return WorkItem.objects.get(dong=city.dongs[0], source=WorkSource.ROUND)


def _meet(client, city, item):
    client.force_login(city.users["dong_officer"])
    data = {"version": item.version, "visitor": _officer(city).pk, "on": today_kst().isoformat(), "kind": "visit"}
    assert client.post(reverse("work_item_visit", args=[item.pk]), {**data, "result": "met"}).status_code == 302
    item.refresh_from_db()


@pytest.mark.parametrize(
    ("kinds", "extra", "label"),
    [
        (["linkage"], {"service": "푸드뱅크 식품 지원", "partner": "중앙푸드뱅크"}, "referred"),
        (["emergency", "case_candidate"], {}, "helped"),
        (["no_need"], {"reason": "자녀 지원으로 해결됨"}, "not_eligible"),
    ],
)
def test_the_decision_is_the_label_of_a_rounds_household(client, city, listed, kinds, extra, label):
    _meet(client, city, listed)
    consultation = _consult(client, city, listed)
    listing = OutreachItem.objects.get(pk=listed.outreach_item_id)
    assert listing.outcome == ""  # holding a consultation says nothing yet about the need
    if kinds != ["no_need"]:
        _assess(client, consultation)
    assert _decide(client, consultation, *kinds, **extra).status_code == 302
    listing.refresh_from_db()
    assert listing.outcome == label


def test_a_withdrawn_decision_changes_the_label_with_the_decision_that_replaces_it(client, city, listed):
    _meet(client, city, listed)
    consultation = _consult(client, city, listed)
    _decide(client, consultation, "no_need", reason="자녀 지원으로 해결됨")
    listing = OutreachItem.objects.get(pk=listed.outreach_item_id)
    listing.refresh_from_db()
    assert listing.outcome == "not_eligible"
    client.post(reverse("decision_withdraw", args=[Decision.objects.get().pk]), {"reason": "다시 보니 위기 가구"})
    _assess(client, consultation)
    _decide(client, consultation, "emergency")
    listing.refresh_from_db()
    assert listing.outcome == "helped"


def test_a_walk_in_of_a_listed_household_continues_its_item(client, city, listed):
    client.force_login(city.users["dong_officer"])
    household = listed.household
    data = _consultation_data(city, household, contact="office")
    assert client.post(reverse("consultation_walk_in", args=[household.pk]), data).status_code == 302
    listed.refresh_from_db()
    assert listed.outcome == WorkOutcome.CONSULTATION and Consultation.objects.get().work_item == listed
    assert not WorkItem.objects.filter(source=WorkSource.WALK_IN).exists()


# ------------------------------------------------------------------------------------------------- scope


@pytest.fixture
def consulted(client, city, met_item):
    consultation = _consult(client, city, met_item)
    _assess(client, consultation)
    _decide(client, consultation, "case_candidate")
    client.logout()
    return consultation


def _pages(consultation):
    return [
        ("get", reverse("consultation_detail", args=[consultation.pk])),
        ("get", reverse("household_consultations", args=[consultation.household_id])),
        ("get", reverse("consultation_correct", args=[consultation.pk])),
        ("get", reverse("assessment_new", args=[consultation.pk])),
        ("get", reverse("decision_new", args=[consultation.pk])),
        ("post", reverse("decision_new", args=[consultation.pk])),
        ("post", reverse("consultation_walk_in", args=[consultation.household_id])),
        ("post", reverse("decision_withdraw", args=[consultation.decisions.get().pk])),
    ]


def _outsider(city, dong_index, role=Role.DONG_OFFICER, agency="dong0"):
    user = get_user_model().objects.create_user(username=f"outsider{dong_index}{role}", password="x" * 12)
    staff = Staff.objects.create(user=user, agency=city.agencies[agency], role=role, display_name="외부")
    staff.areas.set([city.dongs[dong_index] if role == Role.DONG_OFFICER else city.districts[1]])
    return user


@pytest.mark.parametrize("who", ["other_dong", "other_district_officer", "other_district_manager"])
def test_staff_of_another_area_find_nothing(client, city, consulted, who):
    user = {
        "other_dong": lambda: _outsider(city, 1),
        "other_district_officer": lambda: _outsider(city, 2, agency="other"),
        "other_district_manager": lambda: _outsider(city, 2, Role.DISTRICT_MANAGER, "other"),
    }[who]()
    client.force_login(user)
    before = (ConsultationRecord.objects.count(), Decision.objects.count(), WorkItem.objects.count())
    for method, url in _pages(consulted):
        data = {"reason": "철회 시도", "kinds": ["no_need"]} if method == "post" else {}
        assert getattr(client, method)(url, data).status_code == 404, url
    assert (ConsultationRecord.objects.count(), Decision.objects.count(), WorkItem.objects.count()) == before


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_roles_outside_the_public_staff_are_refused(client, city, consulted, role):
    """The private agency is refused even though the household's head consented to share with it: a consultation
    concerns the members who did not consent too."""
    client.force_login(city.users[role])
    for method, url in _pages(consulted):
        assert getattr(client, method)(url, {"reason": "철회 시도"}).status_code == 403, url
    household = client.get(reverse("household_detail", args=[consulted.household_id]))
    if role == "agency_worker":
        assert household.status_code == 200
        assert reverse("household_consultations", args=[consulted.household_id]) not in household.content.decode()


def test_the_administrator_reads_but_does_not_record(client, city, consulted):
    client.force_login(city.users["district_admin"])
    page = client.get(reverse("consultation_detail", args=[consulted.pk]))
    assert page.status_code == 200 and "정정" not in page.content.decode()
    assert client.get(reverse("decision_new", args=[consulted.pk])).status_code == 403
    household = client.get(reverse("household_detail", args=[consulted.household_id])).content.decode()
    assert reverse("household_consultations", args=[consulted.household_id]) in household


def test_members_of_another_household_cannot_be_recorded_as_living_here(client, city, met_item):
    stranger = city.household_in(1).memberships.get().person_id
    data = _consultation_data(city, met_item.household, members=[str(stranger)])
    response = client.post(reverse("consultation_new", args=[met_item.pk]), data)
    assert response.status_code == 422 and not Consultation.objects.exists()


def test_a_crisis_level_of_another_district_is_refused(client, city, met_item):
    consultation = _consult(client, city, met_item)
    foreign = CrisisLevel.objects.create(district=city.districts[1], name="긴급", order=1)
    client.get(reverse("assessment_new", args=[consultation.pk]))
    response = client.post(reverse("assessment_new", args=[consultation.pk]), _assessment_data(foreign))
    assert response.status_code == 422 and not Assessment.objects.exists()


# ----------------------------------------------------------------------------------------- the crisis scale


def test_the_administrator_edits_the_districts_scale_and_officers_use_it(client, city, met_item):
    consultation = _consult(client, city, met_item)
    client.force_login(city.users["district_admin"])
    listing = client.get(reverse("admin:intake_crisislevel_changelist"))
    assert listing.status_code == 200 and "고위기" in listing.content.decode()  # the default, shown to edit
    added = client.post(
        reverse("admin:intake_crisislevel_add"),
        {"district": city.districts[0].code, "name": "관찰", "order": "4", "description": "", "active": "on"},
    )
    assert added.status_code == 302
    general = CrisisLevel.objects.get(district=city.districts[0], name="일반")
    changed = client.post(
        reverse("admin:intake_crisislevel_change", args=[general.pk]),
        {"name": "일반", "order": "3", "description": "", "active": ""},
    )
    assert changed.status_code == 302
    assert AuditEvent.objects.filter(action="registry.change_reference_data", object_id=str(general.pk)).exists()
    # Another district's administrator neither sees nor adds to this scale.
    other = Client()  # a browser of its own: the first administrator's "added" messages stay in theirs
    other.force_login(_outsider(city, 2, Role.DISTRICT_ADMIN, "other"))
    assert "관찰" not in other.get(reverse("admin:intake_crisislevel_changelist")).content.decode()
    refused = other.post(
        reverse("admin:intake_crisislevel_add"),
        {"district": city.districts[0].code, "name": "침입", "order": "9", "active": "on"},
    )
    assert refused.status_code == 200 and not CrisisLevel.objects.filter(name="침입").exists()

    client.force_login(city.users["dong_officer"])
    form = client.get(reverse("assessment_new", args=[consultation.pk])).content.decode()
    assert "<span>관찰</span>" in form and "<span>일반</span>" not in form  # a level no longer in use is not offered
    assert form.index("<span>고위기</span>") < form.index("<span>위기</span>") < form.index("<span>관찰</span>")


def test_a_date_in_the_future_is_refused(client, city, met_item):
    tomorrow = (today_kst() + timedelta(days=1)).isoformat()
    data = _consultation_data(city, met_item.household, held_on=tomorrow)
    assert client.post(reverse("consultation_new", args=[met_item.pk]), data).status_code == 422
    assert not Consultation.objects.exists()
