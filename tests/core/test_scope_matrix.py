"""Every role against every scoped read: each `*_visible_to` selector of every domain, and every page about one
object, with rows inside and outside the role's scope (other dong, other district, no consent, withdrawn consent,
a member who moved out).

A selector or a detail page added without a row in these tables fails `test_every_selector_is_in_the_matrix` or
`test_every_detail_page_is_in_the_matrix`: a new domain gets its scoping tested by adding its rows here.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape as html_unescape
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dolbom.cases.models import (
    AgendaItem,
    Attendee,
    Case,
    CaseState,
    CaseType,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Linkage,
    LinkageState,
    Proposal,
)
from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.models import Job
from dolbom.core.spreadsheet import XLSX_MIME
from dolbom.discovery.models import (
    ItemStatus,
    LabelSharingAgreement,
    OutreachItem,
    RoundStatus,
    ScoringModel,
    ScreeningRound,
    SignalFile,
)
from dolbom.eligibility.models import (
    AftercareReview,
    BenefitApplication,
    EligibilityCheck,
    ReguidanceCampaign,
    ReguidanceTarget,
    Reverification,
)
from dolbom.intake.models import (
    CampaignTarget,
    Consultation,
    ConsultationRecord,
    Decision,
    DecisionKind,
    DecisionStatus,
    EmergencyState,
    EmergencySupport,
    EventContact,
    OutreachEvent,
    Referral,
    ReferralChannel,
    SafetyNetMember,
    SurveyCampaign,
    Visit,
    WorkItem,
    WorkSource,
    WorkStatus,
)
from dolbom.registry.models import Address, AdministrativeArea, Consent, Household, Membership, Staff
from dolbom.resources.models import (
    Agreement,
    Allocation,
    Distribution,
    Donation,
    Donor,
    Fund,
    Lot,
    Organization,
    Service,
    Sponsorship,
    Volunteer,
    VolunteerHours,
    VolunteerSkill,
)
from tests.conftest import make_person

ROLES = (
    "dong_officer",
    "district_manager",
    "district_admin",
    "agency_worker",
    "safety_net",
    "analyst",
    "city_officer",
)
DISTRICT = {"district_manager", "district_admin"}


class Rows(dict[str, Any]):
    """The world's rows by key, each key written once. Every domain adds its rows to the same mapping: a key one
    domain reused would silently replace another's row, and that row's selector and pages would then be asked
    about a primary key of another table, passing only while the two tables' ids happen to agree (on SQLite they
    always do; on PostgreSQL a sequence is not rolled back with a test, so an earlier test shifts it)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            raise KeyError(f"world row {key!r} is set twice: give the second one a key of its own")
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # dict.update would bypass __setitem__
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


@dataclass
class World:
    """The tiny city of tests/conftest.py, with one row of each scoped kind in each place that matters."""

    rows: Rows


def _household(city, dong_index: int, name: str, serial: int) -> tuple[Household, Any]:
    dong = city.dongs[dong_index]
    address = Address.objects.create(dong=dong, road_address=f"한빛시 시청로 {serial}")
    household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
    person = make_person(name, date(1970, 5, 5), "M", serial=serial)
    Membership.objects.create(household=household, person=person, relationship="head", moved_in=date(2020, 1, 1))
    return household, person


@pytest.fixture
def world(city) -> World:
    rows = Rows()
    rows["h_dong0_consented"], rows["h_dong1"], rows["h_district2"] = city.households
    rows["p_dong0_consented"], rows["p_dong1"], rows["p_district2"], rows["p_dong0_no_consent"] = city.persons
    # Withdrawn consent: the agency saw this household once, no longer.
    rows["h_dong1_withdrawn"], rows["p_dong1_withdrawn"] = _household(city, 1, "최철회", 300)
    Consent.objects.create(
        person=rows["p_dong1_withdrawn"],
        recipient=city.agencies["welfare"],
        purpose="case_management",
        given_on=date(2024, 1, 1),
        withdrawn_on=date(2025, 1, 1),
    )
    # A member who moved out of the consenting household: no longer a person of the dong.
    _, rows["p_moved_out"] = _household(city, 0, "정이사", 301)
    Membership.objects.filter(person=rows["p_moved_out"]).update(moved_out=date(2024, 6, 1))
    # Consents: in force in dong 0, withdrawn in dong 1, and one of the other district to its own agency.
    rows["consent_dong0"] = rows["p_dong0_consented"].consents.get()
    rows["consent_dong1_withdrawn"] = rows["p_dong1_withdrawn"].consents.get()
    rows["consent_district2"] = Consent.objects.create(
        person=rows["p_district2"],
        recipient=city.agencies["other"],
        purpose="case_management",
        given_on=date(2025, 1, 1),
    )

    rows["dong0"], rows["dong1"], rows["dong2"] = city.dongs
    rows["district1"], rows["district2"] = city.districts
    rows["sido"] = city.sido

    rounds = {
        key: ScreeningRound.objects.create(district=district, period="2026-09", scorer="scorecard", status=status)
        for key, district, status in (
            ("round_district1", city.districts[0], RoundStatus.DONE),
            ("round_district2", city.districts[1], RoundStatus.DONE),
        )
    }
    rows.update(rounds)
    for key, household, round_key in (
        ("item_dong0", rows["h_dong0_consented"], "round_district1"),
        ("item_dong1", rows["h_dong1"], "round_district1"),
        ("item_district2", rows["h_district2"], "round_district2"),
    ):
        rows[key] = OutreachItem.objects.create(
            round=rounds[round_key],
            household=household,
            dong=household.dong,
            rank=1,
            score=10.0,
            status=ItemStatus.PENDING,
        )
    # An item of a withdrawn round's list: on nobody's list any more.
    rows["item_withdrawn"] = OutreachItem.objects.create(
        round=rounds["round_district1"],
        household=rows["h_dong1_withdrawn"],
        dong=city.dongs[0],
        rank=2,
        score=5.0,
        status=ItemStatus.WITHDRAWN,
    )
    # A round of district 1 that listed nobody in dong 0: a dong-0 officer does not see it.
    rows["round_district1_dong1_only"] = ScreeningRound.objects.create(
        district=city.districts[0], period="2026-07", scorer="scorecard", status=RoundStatus.DONE
    )
    OutreachItem.objects.create(
        round=rows["round_district1_dong1_only"],
        household=rows["h_dong1_withdrawn"],
        dong=city.dongs[1],
        rank=1,
        score=1,
    )

    for key, district in (("file_district1", city.districts[0]), ("file_district2", city.districts[1])):
        rows[key] = SignalFile.objects.create(
            district=district,
            agency_code="ktoa",
            period="2026-09",
            sha256=key.ljust(64, "0"),
            original_name="ktoa.csv",
            file_format="csv",
            catalogue_version="1",
            rows=1,
            matched_rows=1,
            unmatched_rows=0,
            storage_path=f"signals/{key}.parquet",
        )
    for key, district in (("model_district1", city.districts[0]), ("model_district2", city.districts[1])):
        rows[key] = ScoringModel.objects.create(district=district, city=city.sido, algorithm="lightgbm", path="")
        rows[key.replace("model", "label_sharing")] = LabelSharingAgreement.objects.create(
            city=city.sido,
            district=district,
            shares_from=date(2026, 1, 1),
            approved_by="구청장",
            approved_on=date(2026, 1, 1),
            document="복지정책과-1",
            recorded_by=city.users["district_admin"],
        )
    # A pooled model belongs to the city: every district of it sees it; one of another city, nobody here.
    rows["model_pooled"] = ScoringModel.objects.create(kind="pooled", city=city.sido, algorithm="lightgbm", path="")
    rows["sido_elsewhere"] = elsewhere = AdministrativeArea.objects.create(
        code="9800000000", name="다른시", level="sido"
    )
    rows["model_pooled_elsewhere"] = ScoringModel.objects.create(
        kind="pooled", city=elsewhere, algorithm="lightgbm", path=""
    )

    rows["referral_dong0_by_safety_net"] = Referral.objects.create(
        channel=ReferralChannel.SAFETY_NET,
        reported_by=city.users["safety_net"],
        dong=city.dongs[0],
        address_text="시청로 10",
        concern="며칠째 불이 꺼져 있습니다",
    )
    rows["referral_dong1_by_agency"] = Referral.objects.create(
        channel=ReferralChannel.AGENCY,
        reported_by=city.users["agency_worker"],
        dong=city.dongs[1],
        address_text="시청로 11",
        concern="식사를 거르는 어르신",
    )
    rows["referral_district2"] = Referral.objects.create(
        channel=ReferralChannel.PHONE, dong=city.dongs[2], address_text="강변로 1", concern="이웃 주민의 전화 신고"
    )

    for key, referral_key in (
        ("work_dong0", "referral_dong0_by_safety_net"),
        ("work_dong1", "referral_dong1_by_agency"),
        ("work_district2", "referral_district2"),
    ):
        referral = rows[referral_key]
        rows[key] = WorkItem.objects.create(dong=referral.dong, source=WorkSource.REFERRAL, referral=referral)
    for key, work_key in (("visit_dong0", "work_dong0"), ("visit_district2", "work_district2")):
        item = rows[work_key]
        visitor = Staff.objects.filter(areas=item.dong).first() or Staff.objects.get(user=city.users["dong_officer"])
        rows[key] = Visit.objects.create(
            work_item=item, visitor=visitor, on=date(2026, 11, 2), kind="visit", result="absent",
            recorded_by=city.users["dong_officer"],
        )  # fmt: skip

    for key, household_key in (
        ("emergency_dong0", "h_dong0_consented"),
        ("emergency_dong1", "h_dong1"),
        ("emergency_district2", "h_district2"),
    ):
        household = rows[household_key]
        rows[key] = EmergencySupport.objects.create(
            household=household, dong=household.dong, requested_on=date(2026, 11, 2), kinds=["livelihood"],
            reason="실직 후 생계 곤란", state=EmergencyState.REQUESTED, opened_by=city.users["dong_officer"],
        )  # fmt: skip
    _consultations(city, rows)
    for key, dong in (
        ("member_dong0", city.dongs[0]),
        ("member_dong1", city.dongs[1]),
        ("member_district2", city.dongs[2]),
    ):
        rows[key] = SafetyNetMember.objects.create(
            kind="tong_head", name="홍길동", phone="010-9876-5432", dong=dong, appointed_from=date(2025, 1, 1)
        )

    _outreach(city, rows)
    _cases(city, rows)
    _resources(city, rows)
    _eligibility(city, rows)

    rows["event_district1_officer"] = audit.record(city.users["dong_officer"], "test.district1")
    other_district_officer = _other_district_officer(city)
    rows["event_district2_officer"] = audit.record(other_district_officer, "test.district2")
    rows["event_system"] = audit.record(None, "auth.login_failed", detail={"username": "nobody"})
    # Background jobs: a round queued in each district by its own manager.
    for key, district in (("job_district1", city.districts[0]), ("job_district2", city.districts[1])):
        rows[key] = Job.objects.create(
            kind="screening_round",
            target=f"round:{district.code}",
            district_code=district.code,
            started_by=city.users["district_manager"],
        )
    for key, district in (("import_district1", city.districts[0]), ("import_district2", city.districts[1])):
        rows[key] = Job.objects.create(
            kind="signal_import",
            target=f"import:{district.code}:0123456789abcdef",
            district_code=district.code,
            params={"upload": "0" * 32, "name": "ktoa.csv", "period": "2026-09"},
            status="failed",
            started_by=city.users["district_manager"],
        )
    return World(rows)


def _consultations(city, rows: Rows) -> None:
    """A consultation with a pending decision in each place: the consenting household of dong 0 (which a private
    agency still does not see: consultations are not shared by consent), dong 1, and the other district."""
    for key, household_key in (("dong0", "h_dong0_consented"), ("dong1", "h_dong1"), ("district2", "h_district2")):
        household = rows[household_key]
        item = WorkItem.objects.create(
            dong=household.dong, household=household, source=WorkSource.WALK_IN, status=WorkStatus.CLOSED
        )
        consultation = Consultation.objects.create(
            household=household, work_item=item, opened_by=city.users["dong_officer"]
        )
        ConsultationRecord.objects.create(
            consultation=consultation,
            held_on=date(2026, 11, 2),
            officer=Staff.objects.get(user=city.users["dong_officer"]),
            contact="office",
            what_happened="실직 후 월세 체납",
            crisis_kinds=["job_loss"],
            consent="not_asked",
            recorded_by=city.users["dong_officer"],
        )
        rows[f"consultation_{key}"] = consultation
        rows[f"decision_{key}"] = Decision.objects.create(
            consultation=consultation,
            kind=DecisionKind.CASE_CANDIDATE,
            status=DecisionStatus.PENDING,
            decided_on=date(2026, 11, 2),
            decided_by=city.users["dong_officer"],
        )


def _outreach(city, rows: Rows) -> None:
    """An outreach event, a household met there and a survey campaign's target in each place: dong 0, dong 1 and
    the other district. The campaign of dong 1 reached nobody in dong 0: its officer does not see it."""
    officer = city.users["dong_officer"]
    for key, dong, household_key in (
        ("dong0", city.dongs[0], "h_dong0_consented"),
        ("dong1", city.dongs[1], "h_dong1"),
        ("district2", city.dongs[2], "h_district2"),
    ):
        event = OutreachEvent.objects.create(
            district=dong.parent, kind="market_booth", held_on=date(2026, 11, 2), place="시장", created_by=officer
        )
        event.dongs.set([dong])
        rows[f"outreach_event_{key}"] = event
        rows[f"contact_{key}"] = EventContact.objects.create(
            event=event, dong=dong, household=rows[household_key], asked="문의", recorded_by=officer
        )
        campaign = SurveyCampaign.objects.create(
            district=dong.parent, name="전수조사", starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31),
            status="launched", created_by=officer,
        )  # fmt: skip
        item = WorkItem.objects.create(dong=dong, household=rows[household_key], source=WorkSource.CAMPAIGN)
        rows[f"campaign_{key}"] = campaign
        rows[f"target_{key}"] = CampaignTarget.objects.create(
            campaign=campaign, household=rows[household_key], dong=dong, work_item=item
        )


def _cases(city, rows: Rows) -> None:
    """Integrated cases, their linkages, and conferences with cases on their agenda. The case of dong 0's
    consenting household is led by the private welfare centre (which sees it); the withdrawn household's case is
    led by it too (it no longer sees it). The district's conference has the welfare centre at its table; dong 1's
    own conference is not seen by dong 0's officer. The conferences are planned a month ahead, so that holding one
    or closing its minutes is refused (tests/test_invalid_posts.py posts to each page)."""
    manager = city.users["district_manager"]
    types = {
        district.code: CaseType.objects.create(district=district, name="일반사례", tier="general", duration_months=6)
        for district in city.districts
    }
    for key, household_key, agency_key in (
        ("case_dong0", "h_dong0_consented", "welfare"),
        ("case_dong1", "h_dong1", "district"),
        ("case_dong1_withdrawn", "h_dong1_withdrawn", "welfare"),
        ("case_district2", "h_district2", "other"),
    ):
        household = rows[household_key]
        rows[key] = Case.objects.create(
            household=household, district=household.dong.parent, dong=household.dong,
            case_type=types[household.dong.parent_id], state=CaseState.CANDIDATE,
            lead_agency=city.agencies[agency_key], intake_on=date(2026, 11, 2), opened_by=manager,
        )  # fmt: skip
    for key, case_key in (
        ("linkage_dong0", "case_dong0"),
        ("linkage_dong1", "case_dong1"),
        ("linkage_district2", "case_district2"),
    ):
        case = rows[case_key]
        rows[key] = Linkage.objects.create(
            case=case, household=case.household, domain="economy", provider=city.agencies["welfare"],
            service="밑반찬 지원", sector="private", frequency="periodic", state=LinkageState.REQUESTED,
            requested_on=date(2026, 11, 3), requested_by=manager,
        )  # fmt: skip
    ahead = today_kst() + timedelta(days=30)
    for key, district, dong in (
        ("conference_district1", city.districts[0], None),
        ("conference_dong1", city.districts[0], city.dongs[1]),
        ("conference_district2", city.districts[1], None),
    ):
        rows[key] = Conference.objects.create(
            district=district, dong=dong, kind=ConferenceKind.DONG if dong else ConferenceKind.DISTRICT,
            held_on=ahead, status=ConferenceStatus.PLANNED, created_by=manager,
        )  # fmt: skip
    Attendee.objects.create(conference=rows["conference_district1"], name="최복지사", agency=city.agencies["welfare"])
    for key, conference_key, case_key in (
        ("agenda_dong0", "conference_district1", "case_dong0"),
        ("agenda_dong1", "conference_district1", "case_dong1"),
        ("agenda_district2", "conference_district2", "case_district2"),
    ):
        rows[key] = AgendaItem.objects.create(
            conference=rows[conference_key], case=rows[case_key], proposal=Proposal.SELECTION
        )


def _eligibility(city, rows: Rows) -> None:
    """A calculation kept on the consenting household of dong 0 (which a private agency still does not see: a
    household's means are not shared by consent), on dong 1's and on the other district's."""
    officer = Staff.objects.get(user=city.users["dong_officer"])
    for key, household_key in (("dong0", "h_dong0_consented"), ("dong1", "h_dong1"), ("district2", "h_district2")):
        rows[f"eligibility_{key}"] = EligibilityCheck.objects.create(
            household=rows[household_key], checked_on=date(2026, 11, 2), year=2026, rule_version="2026.1",
            household_size=1, income_evaluation=0, property_income=0, recognised_income=0, officer=officer,
            recorded_by=city.users["dong_officer"],
        )  # fmt: skip
    # A re-guidance campaign of each district, with a target and an application in each place; district 1's
    # campaign reached dong 0 and dong 1, so dong 0's officer sees the campaign and only dong 0's target.
    campaigns = {
        district.code: ReguidanceCampaign.objects.create(district=district, name="재안내", created_by=city.users[
            "district_manager"])
        for district in city.districts
    }  # fmt: skip
    rows["reguidance_district1"] = campaigns[city.districts[0].code]
    rows["reguidance_district2"] = campaigns[city.districts[1].code]
    for key, household_key in (("dong0", "h_dong0_consented"), ("dong1", "h_dong1"), ("district2", "h_district2")):
        household = rows[household_key]
        target = ReguidanceTarget.objects.create(
            campaign=campaigns[household.dong.parent_id], household=household, dong=household.dong,
            reasons=[{"code": "near_poor", "on": "2026-11-02"}],
        )  # fmt: skip
        rows[f"reguidance_target_{key}"] = target
        rows[f"application_{key}"] = BenefitApplication.objects.create(
            household=household, benefit="livelihood", applied_on=date(2026, 11, 2), target=target,
            recorded_by=city.users["dong_officer"],
        )  # fmt: skip
        # After-care: a benefit the household receives, re-verified once, and a change waiting for a decision.
        grant = BenefitApplication.objects.create(
            household=household, benefit="housing", applied_on=date(2025, 10, 1), outcome="granted",
            outcome_on=date(2025, 11, 1), recorded_by=city.users["dong_officer"],
        )  # fmt: skip
        rows[f"grant_{key}"] = grant
        rows[f"reverification_{key}"] = Reverification.objects.create(
            application=grant, done_on=date(2025, 12, 1), result="unchanged", rule_version="2025.1",
            recorded_by=city.users["dong_officer"],
        )  # fmt: skip
        rows[f"review_{key}"] = AftercareReview.objects.create(
            application=grant, household=household, dong=household.dong, change="member_joined:1",
            observed_on=date(2026, 5, 1), reason={"code": "member_joined", "on": "2026-05-01"},
        )  # fmt: skip


def _resources(city, rows: Rows) -> None:
    """The resources domain: a directory entry and an agreement kept by each district."""
    provider = Organization.objects.create(name="사랑나눔복지재단", sector="private")
    for key, district in (("district1", city.districts[0]), ("district2", city.districts[1])):
        rows[f"service_{key}"] = Service.objects.create(district=district, organization=provider, name="밑반찬 배달")
        rows[f"agreement_{key}"] = Agreement.objects.create(
            district=district, organization=provider, signed_on=date(2026, 1, 2), scope="밑반찬 배달 협약",
            created_by=city.users["district_admin"],
        )  # fmt: skip
    # The donations ledger and the food bank: a donor, a fund and a gift of each district; money, a sponsorship
    # and goods that reached a household in dong 0, dong 1 and the other district.
    admin = city.users["district_admin"]
    for key, district, bank in (
        ("district1", city.districts[0], city.agencies["welfare"]),
        ("district2", city.districts[1], city.agencies["other"]),
    ):
        rows[f"donor_{key}"] = Donor.objects.create(
            district=district, kind="company", name="한빛전자", created_by=admin
        )
        rows[f"fund_{key}"] = Fund.objects.create(district=district, designation="general", key="general")
        rows[f"donation_{key}"] = Donation.objects.create(
            district=district, fund=rows[f"fund_{key}"], donor=rows[f"donor_{key}"], kind="cash",
            received_on=date(2026, 11, 2), amount_won=1_000_000, recorded_by=admin,
        )  # fmt: skip
        rows[f"lot_{key}"] = Lot.objects.create(
            district=district, agency=bank, item="쌀 10kg", unit="포", received_on=date(2026, 11, 2), received=10,
            remaining=10, unit_won=30_000, fund=rows[f"fund_{key}"], recorded_by=admin,
        )  # fmt: skip
    for key, household_key, district_key in (
        ("dong0", "h_dong0_consented", "district1"),
        ("dong1", "h_dong1", "district1"),
        ("district2", "h_district2", "district2"),
    ):
        household, fund = rows[household_key], rows[f"fund_{district_key}"]
        rows[f"allocation_{key}"] = Allocation.objects.create(
            district=fund.district, fund=fund, household=household, dong=household.dong, amount_won=100_000,
            sector="private", on=date(2026, 11, 3), recorded_by=admin,
        )  # fmt: skip
        rows[f"sponsorship_{key}"] = Sponsorship.objects.create(
            district=fund.district, donor=rows[f"donor_{district_key}"], household=household, fund=fund,
            monthly_won=100_000, starts_on=date(2026, 11, 1), created_by=admin,
        )  # fmt: skip
        lot = rows[f"lot_{district_key}"]
        rows[f"distribution_{key}"] = Distribution.objects.create(
            lot=lot, district=fund.district, agency=lot.agency, household=household, dong=household.dong, units=1,
            value_won=30_000, sector="private", on=date(2026, 11, 3), recorded_by=admin,
        )  # fmt: skip
        dong = household.dong
        rows[f"volunteer_{key}"] = Volunteer.objects.create(
            district=dong.parent, dong=dong, name="김봉사", consent_on=date(2026, 1, 1), created_by=admin
        )
        VolunteerSkill.objects.create(volunteer=rows[f"volunteer_{key}"], skill="repairs")
        rows[f"hours_{key}"] = VolunteerHours.objects.create(
            volunteer=rows[f"volunteer_{key}"], district=dong.parent, dong=dong, on=date(2026, 11, 3), minutes=120,
            activity="집수리", recorded_by=admin,
        )  # fmt: skip
    # Funds designated to a dong (지정기탁): dong 0's and dong 1's of district 1, and a dong's of the other district,
    # each with a gift and an allocation to a household of its dong. Its dong officer keeps each; the general fund
    # (above), and a purpose's and a sponsorship's fund of district 1 stay the district staff's.
    for key, household_key, district_key in (
        ("dong0", "h_dong0_consented", "district1"),
        ("dong1", "h_dong1", "district1"),
        ("district2", "h_district2", "district2"),
    ):
        household = rows[household_key]
        fund = Fund.objects.create(
            district=household.dong.parent, designation="dong", dong=household.dong, key=f"dong:{household.dong_id}"
        )
        rows[f"dong_fund_{key}"] = fund
        rows[f"dong_donation_{key}"] = Donation.objects.create(
            district=fund.district, fund=fund, donor=rows[f"donor_{district_key}"], kind="cash",
            received_on=date(2026, 11, 2), amount_won=500_000, recorded_by=admin,
        )  # fmt: skip
        rows[f"dong_allocation_{key}"] = Allocation.objects.create(
            district=fund.district, fund=fund, household=household, dong=household.dong, amount_won=50_000,
            sector="private", on=date(2026, 11, 3), recorded_by=admin,
        )  # fmt: skip
    district1 = city.districts[0]
    rows["purpose_fund_district1"] = Fund.objects.create(
        district=district1, designation="purpose", purpose="난방비", key="purpose:난방비"
    )
    rows["sponsorship_fund_dong0"] = Fund.objects.create(
        district=district1, designation="household", household=rows["h_dong0_consented"],
        key=f"household:{rows['h_dong0_consented'].pk}",
    )  # fmt: skip
    for key in ("purpose_fund_district1", "sponsorship_fund_dong0"):
        rows[key.replace("fund", "donation")] = Donation.objects.create(
            district=district1, fund=rows[key], donor=rows["donor_district1"], kind="cash",
            received_on=date(2026, 11, 2), amount_won=300_000, recorded_by=admin,
        )  # fmt: skip


def _other_district_officer(city):
    from django.contrib.auth import get_user_model

    from dolbom.core.roles import Role
    from dolbom.registry.models import Staff

    user = get_user_model().objects.create_user(username="officer2", password="x" * 12)
    staff = Staff.objects.create(user=user, agency=city.agencies["other"], role=Role.DONG_OFFICER, display_name="o2")
    staff.areas.set([city.dongs[2]])
    return user


# selector (module:function) → the rows it is asked about, and which of them each role sees.
Expect = dict[str, set[str]]


def _for(**by_role: set[str]) -> Expect:
    return {role: by_role.get(role, set()) for role in ROLES}


HOUSEHOLDS = {"h_dong0_consented", "h_dong1", "h_district2", "h_dong1_withdrawn"}
PERSONS = {"p_dong0_consented", "p_dong0_no_consent", "p_dong1", "p_district2", "p_dong1_withdrawn", "p_moved_out"}
ITEMS = {"item_dong0", "item_dong1", "item_district2", "item_withdrawn"}
ROUNDS = {"round_district1", "round_district2", "round_district1_dong1_only"}
REFERRALS = {"referral_dong0_by_safety_net", "referral_dong1_by_agency", "referral_district2"}
EVENTS = {"event_district1_officer", "event_district2_officer", "event_system"}
CONSENTS = {"consent_dong0", "consent_dong1_withdrawn", "consent_district2"}
PLACES = ("dong0", "dong1", "district2")

SELECTORS: dict[str, tuple[set[str], Expect]] = {
    "dolbom.registry.selectors:households_visible_to": (
        HOUSEHOLDS,
        _for(
            dong_officer={"h_dong0_consented"},
            district_manager={"h_dong0_consented", "h_dong1", "h_dong1_withdrawn"},
            district_admin={"h_dong0_consented", "h_dong1", "h_dong1_withdrawn"},
            agency_worker={"h_dong0_consented"},
        ),
    ),
    "dolbom.registry.selectors:persons_visible_to": (
        PERSONS,
        _for(
            dong_officer={"p_dong0_consented", "p_dong0_no_consent"},
            district_manager={"p_dong0_consented", "p_dong0_no_consent", "p_dong1", "p_dong1_withdrawn"},
            district_admin={"p_dong0_consented", "p_dong0_no_consent", "p_dong1", "p_dong1_withdrawn"},
            agency_worker={"p_dong0_consented"},
        ),
    ),
    "dolbom.registry.selectors:consents_visible_to": (
        CONSENTS,
        _for(
            dong_officer={"consent_dong0"},
            district_manager={"consent_dong0", "consent_dong1_withdrawn"},
            district_admin={"consent_dong0", "consent_dong1_withdrawn"},
            agency_worker={"consent_dong0"},
        ),
    ),
    "dolbom.registry.selectors:areas_visible_to": (
        {"dong0", "dong1", "dong2"},
        _for(
            dong_officer={"dong0"},
            district_manager={"dong0", "dong1"},
            district_admin={"dong0", "dong1"},
            analyst={"dong0", "dong1"},
        ),
    ),
    "dolbom.registry.selectors:districts_visible_to": (
        {"district1", "district2"},
        _for(district_manager={"district1"}, district_admin={"district1"}),
    ),
    "dolbom.discovery.selectors:outreach_items_visible_to": (
        ITEMS,
        _for(
            dong_officer={"item_dong0"},
            district_manager={"item_dong0", "item_dong1"},
            district_admin={"item_dong0", "item_dong1"},
        ),
    ),
    "dolbom.discovery.selectors:rounds_visible_to": (
        ROUNDS,
        _for(
            dong_officer={"round_district1"},
            district_manager={"round_district1", "round_district1_dong1_only"},
            district_admin={"round_district1", "round_district1_dong1_only"},
        ),
    ),
    "dolbom.discovery.selectors:signal_files_visible_to": (
        {"file_district1", "file_district2"},
        _for(district_manager={"file_district1"}, district_admin={"file_district1"}),
    ),
    "dolbom.discovery.selectors:scoring_models_visible_to": (
        {"model_district1", "model_district2", "model_pooled", "model_pooled_elsewhere"},
        _for(
            district_manager={"model_district1", "model_pooled"},
            district_admin={"model_district1", "model_pooled"},
            city_officer={"model_district1", "model_district2", "model_pooled"},
        ),
    ),
    "dolbom.discovery.selectors:agreements_visible_to": (
        {"label_sharing_district1", "label_sharing_district2"},
        _for(
            district_manager={"label_sharing_district1"},
            district_admin={"label_sharing_district1"},
            city_officer={"label_sharing_district1", "label_sharing_district2"},
        ),
    ),
    "dolbom.registry.selectors:cities_visible_to": ({"sido", "sido_elsewhere"}, _for(city_officer={"sido"})),
    "dolbom.intake.selectors:referrals_visible_to": (
        REFERRALS,
        _for(
            dong_officer={"referral_dong0_by_safety_net"},
            district_manager={"referral_dong0_by_safety_net", "referral_dong1_by_agency"},
            district_admin={"referral_dong0_by_safety_net", "referral_dong1_by_agency"},
            agency_worker={"referral_dong1_by_agency"},
            safety_net={"referral_dong0_by_safety_net"},
        ),
    ),
    "dolbom.intake.selectors:work_items_visible_to": (
        {"work_dong0", "work_dong1", "work_district2"},
        _for(
            dong_officer={"work_dong0"},
            district_manager={"work_dong0", "work_dong1"},
            district_admin={"work_dong0", "work_dong1"},
        ),
    ),
    "dolbom.intake.selectors:emergency_supports_visible_to": (
        {"emergency_dong0", "emergency_dong1", "emergency_district2"},
        _for(
            dong_officer={"emergency_dong0"},
            district_manager={"emergency_dong0", "emergency_dong1"},
            district_admin={"emergency_dong0", "emergency_dong1"},
        ),
    ),
    # Consultations are the public staff's: a private agency sees none, not even the consenting household's.
    "dolbom.intake.selectors:consultations_visible_to": (
        {"consultation_dong0", "consultation_dong1", "consultation_district2"},
        _for(
            dong_officer={"consultation_dong0"},
            district_manager={"consultation_dong0", "consultation_dong1"},
            district_admin={"consultation_dong0", "consultation_dong1"},
        ),
    ),
    "dolbom.intake.selectors:decisions_visible_to": (
        {"decision_dong0", "decision_dong1", "decision_district2"},
        _for(
            dong_officer={"decision_dong0"},
            district_manager={"decision_dong0", "decision_dong1"},
            district_admin={"decision_dong0", "decision_dong1"},
        ),
    ),
    "dolbom.intake.selectors:safety_net_members_visible_to": (
        {"member_dong0", "member_dong1", "member_district2"},
        _for(
            dong_officer={"member_dong0"},
            district_manager={"member_dong0", "member_dong1"},
            district_admin={"member_dong0", "member_dong1"},
        ),
    ),
    "dolbom.intake.selectors:outreach_events_visible_to": (
        {"outreach_event_dong0", "outreach_event_dong1", "outreach_event_district2"},
        _for(
            dong_officer={"outreach_event_dong0"},
            district_manager={"outreach_event_dong0", "outreach_event_dong1"},
            district_admin={"outreach_event_dong0", "outreach_event_dong1"},
        ),
    ),
    "dolbom.intake.selectors:event_contacts_visible_to": (
        {"contact_dong0", "contact_dong1", "contact_district2"},
        _for(
            dong_officer={"contact_dong0"},
            district_manager={"contact_dong0", "contact_dong1"},
            district_admin={"contact_dong0", "contact_dong1"},
        ),
    ),
    "dolbom.intake.selectors:campaigns_visible_to": (
        {"campaign_dong0", "campaign_dong1", "campaign_district2"},
        _for(
            dong_officer={"campaign_dong0"},
            district_manager={"campaign_dong0", "campaign_dong1"},
            district_admin={"campaign_dong0", "campaign_dong1"},
        ),
    ),
    "dolbom.intake.selectors:campaign_targets_visible_to": (
        {"target_dong0", "target_dong1", "target_district2"},
        _for(
            dong_officer={"target_dong0"},
            district_manager={"target_dong0", "target_dong1"},
            district_admin={"target_dong0", "target_dong1"},
        ),
    ),
    # Cases: the area's public staff, and the private agency that leads one while the household's consent stands.
    "dolbom.cases.selectors:cases_visible_to": (
        {"case_dong0", "case_dong1", "case_dong1_withdrawn", "case_district2"},
        _for(
            dong_officer={"case_dong0"},
            district_manager={"case_dong0", "case_dong1", "case_dong1_withdrawn"},
            district_admin={"case_dong0", "case_dong1", "case_dong1_withdrawn"},
            agency_worker={"case_dong0"},
        ),
    ),
    # Linkages: the case's public staff, and the provider for a consenting household only.
    "dolbom.cases.selectors:linkages_visible_to": (
        {"linkage_dong0", "linkage_dong1", "linkage_district2"},
        _for(
            dong_officer={"linkage_dong0"},
            district_manager={"linkage_dong0", "linkage_dong1"},
            district_admin={"linkage_dong0", "linkage_dong1"},
            agency_worker={"linkage_dong0"},
        ),
    ),
    # Conferences: the district's staff (a dong's own only for that dong's), an agency at its table.
    "dolbom.cases.selectors:conferences_visible_to": (
        {"conference_district1", "conference_dong1", "conference_district2"},
        _for(
            dong_officer={"conference_district1"},
            district_manager={"conference_district1", "conference_dong1"},
            district_admin={"conference_district1", "conference_dong1"},
            agency_worker={"conference_district1"},
        ),
    ),
    # The district's conference agenda, as far as each case is visible (SELECTOR_ARGS gives the conference).
    "dolbom.cases.selectors:agenda_visible_to": (
        {"agenda_dong0", "agenda_dong1"},
        _for(
            dong_officer={"agenda_dong0"},
            district_manager={"agenda_dong0", "agenda_dong1"},
            district_admin={"agenda_dong0", "agenda_dong1"},
            agency_worker={"agenda_dong0"},
        ),
    ),
    "dolbom.resources.selectors:agreements_visible_to": (
        {"agreement_district1", "agreement_district2"},
        _for(district_manager={"agreement_district1"}, district_admin={"agreement_district1"}),
    ),
    "dolbom.resources.selectors:donors_visible_to": (
        {"donor_district1", "donor_district2"},
        _for(district_manager={"donor_district1"}, district_admin={"donor_district1"}),
    ),
    # The ledger: the district's staff keep every fund of the district; a dong officer the funds designated to
    # their dong alone (not the general fund, a purpose's, a sponsorship's of a household of the dong, another
    # dong's or another district's dong's), with the gifts into them and the allocations out of them.
    **{
        f"dolbom.resources.selectors:{name}_visible_to": (
            {
                f"{key}_district1",
                f"{key}_district2",
                f"dong_{key}_dong0",
                f"dong_{key}_dong1",
                f"dong_{key}_district2",
                f"purpose_{key}_district1",
                f"sponsorship_{key}_dong0",
            },
            _for(
                dong_officer={f"dong_{key}_dong0"},
                **{
                    role: {
                        f"{key}_district1",
                        f"dong_{key}_dong0",
                        f"dong_{key}_dong1",
                        f"purpose_{key}_district1",
                        f"sponsorship_{key}_dong0",
                    }
                    for role in DISTRICT
                },
            ),
        )
        for name, key in (("funds", "fund"), ("donations", "donation"))
    },
    "dolbom.resources.selectors:ledger_allocations_visible_to": (
        {"allocation_dong0", "allocation_dong1", "allocation_district2", *(f"dong_allocation_{k}" for k in PLACES)},
        _for(
            dong_officer={"dong_allocation_dong0"},
            district_manager={"allocation_dong0", "allocation_dong1", "dong_allocation_dong0", "dong_allocation_dong1"},
            district_admin={"allocation_dong0", "allocation_dong1", "dong_allocation_dong0", "dong_allocation_dong1"},
        ),
    ),
    # What reached a household (its page): seen like the household, whatever fund it came from.
    "dolbom.resources.selectors:allocations_visible_to": (
        {"allocation_dong0", "allocation_dong1", "allocation_district2", *(f"dong_allocation_{k}" for k in PLACES)},
        _for(
            dong_officer={"allocation_dong0", "dong_allocation_dong0"},
            district_manager={"allocation_dong0", "allocation_dong1", "dong_allocation_dong0", "dong_allocation_dong1"},
            district_admin={"allocation_dong0", "allocation_dong1", "dong_allocation_dong0", "dong_allocation_dong1"},
            agency_worker={"allocation_dong0", "dong_allocation_dong0"},
        ),
    ),
    "dolbom.resources.selectors:sponsorships_visible_to": (
        {"sponsorship_dong0", "sponsorship_dong1", "sponsorship_district2"},
        _for(
            dong_officer={"sponsorship_dong0"},
            district_manager={"sponsorship_dong0", "sponsorship_dong1"},
            district_admin={"sponsorship_dong0", "sponsorship_dong1"},
            agency_worker={"sponsorship_dong0"},
        ),
    ),
    **{
        f"dolbom.resources.selectors:{name}_visible_to": (
            {f"{key}_dong0", f"{key}_dong1", f"{key}_district2"},
            _for(
                dong_officer={f"{key}_dong0"},
                district_manager={f"{key}_dong0", f"{key}_dong1"},
                district_admin={f"{key}_dong0", f"{key}_dong1"},
            ),
        )
        for name, key in (("volunteers", "volunteer"), ("volunteer_hours", "hours"))
    },
    # A food bank's stock and what it handed out are its own agency's record (and the district's staff's).
    "dolbom.resources.selectors:lots_visible_to": (
        {"lot_district1", "lot_district2"},
        _for(district_manager={"lot_district1"}, district_admin={"lot_district1"}, agency_worker={"lot_district1"}),
    ),
    "dolbom.resources.selectors:distributions_visible_to": (
        {"distribution_dong0", "distribution_dong1", "distribution_district2"},
        _for(
            dong_officer={"distribution_dong0"},
            district_manager={"distribution_dong0", "distribution_dong1"},
            district_admin={"distribution_dong0", "distribution_dong1"},
            agency_worker={"distribution_dong0", "distribution_dong1"},
        ),
    ),
    "dolbom.eligibility.selectors:eligibility_checks_visible_to": (
        {"eligibility_dong0", "eligibility_dong1", "eligibility_district2"},
        _for(
            dong_officer={"eligibility_dong0"},
            district_manager={"eligibility_dong0", "eligibility_dong1"},
            district_admin={"eligibility_dong0", "eligibility_dong1"},
        ),
    ),
    "dolbom.eligibility.selectors:reguidance_campaigns_visible_to": (
        {"reguidance_district1", "reguidance_district2"},
        _for(
            dong_officer={"reguidance_district1"},
            district_manager={"reguidance_district1"},
            district_admin={"reguidance_district1"},
        ),
    ),
    "dolbom.eligibility.selectors:reguidance_targets_visible_to": (
        {"reguidance_target_dong0", "reguidance_target_dong1", "reguidance_target_district2"},
        _for(
            dong_officer={"reguidance_target_dong0"},
            district_manager={"reguidance_target_dong0", "reguidance_target_dong1"},
            district_admin={"reguidance_target_dong0", "reguidance_target_dong1"},
        ),
    ),
    "dolbom.eligibility.selectors:benefit_applications_visible_to": (
        {"application_dong0", "application_dong1", "application_district2"},
        _for(
            dong_officer={"application_dong0"},
            district_manager={"application_dong0", "application_dong1"},
            district_admin={"application_dong0", "application_dong1"},
        ),
    ),
    "dolbom.eligibility.selectors:current_grants_visible_to": (
        {"grant_dong0", "grant_dong1", "grant_district2", "application_dong0"},
        _for(
            dong_officer={"grant_dong0"},
            district_manager={"grant_dong0", "grant_dong1"},
            district_admin={"grant_dong0", "grant_dong1"},
        ),
    ),
    "dolbom.eligibility.selectors:reverifications_visible_to": (
        {"reverification_dong0", "reverification_dong1", "reverification_district2"},
        _for(
            dong_officer={"reverification_dong0"},
            district_manager={"reverification_dong0", "reverification_dong1"},
            district_admin={"reverification_dong0", "reverification_dong1"},
        ),
    ),
    "dolbom.core.jobs.selectors:jobs_visible_to": (
        {"job_district1", "job_district2", "import_district1", "import_district2"},
        _for(
            district_manager={"job_district1", "import_district1"},
            district_admin={"job_district1", "import_district1"},
        ),
    ),
    "dolbom.eligibility.selectors:aftercare_reviews_visible_to": (
        {"review_dong0", "review_dong1", "review_district2"},
        _for(
            dong_officer={"review_dong0"},
            district_manager={"review_dong0", "review_dong1"},
            district_admin={"review_dong0", "review_dong1"},
        ),
    ),
    "dolbom.core.selectors:audit_events_visible_to": (
        EVENTS,
        _for(district_admin={"event_district1_officer", "event_system"}),
    ),
}


# Selectors that narrow something given besides the user: what they are given, from the world's rows.
SELECTOR_ARGS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "dolbom.cases.selectors:agenda_visible_to": lambda rows: [rows["conference_district1"]],
}


def _all_visible_to_selectors() -> set[str]:
    """Every `*_visible_to` of every `selectors` module of the project's apps, at any depth (core.jobs.selectors)."""
    found = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("dolbom."):
            continue
        package = importlib.import_module(config.name)
        for info in pkgutil.walk_packages(package.__path__, f"{config.name}."):
            if not info.name.endswith(".selectors"):
                continue
            module = importlib.import_module(info.name)
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if name.endswith("_visible_to") and function.__module__ == module.__name__:
                    found.add(f"{module.__name__}:{name}")
    return found


def test_a_world_row_cannot_be_replaced():
    rows = Rows(round_district1=1)
    with pytest.raises(KeyError, match="round_district1"):
        rows["round_district1"] = 2
    with pytest.raises(KeyError, match="round_district1"):
        rows.update({"round_district1": 2})
    assert rows == {"round_district1": 1}


def test_every_selector_is_in_the_matrix():
    assert _all_visible_to_selectors() == set(SELECTORS), "add each new *_visible_to selector to SELECTORS"


def _selector(path: str) -> Callable[[Any], Any]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _as_each_role(check: Callable[[str], None]) -> None:
    """`check(role)` for every role on one world, each role in a savepoint rolled back after it (a page's POST must
    not change what the next role finds), and every role that failed reported, not only the first. One world per
    selector or page rather than one per role as well: building the world is most of each test's time."""
    failed = []
    for role in ROLES:
        with transaction.atomic():
            try:
                check(role)
            except AssertionError as error:
                failed.append(f"{role}: {error}")
            transaction.set_rollback(True)
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("path", sorted(SELECTORS))
def test_each_role_sees_exactly_its_rows(city, world, path):
    asked, expected = SELECTORS[path]
    extra = SELECTOR_ARGS.get(path, lambda rows: [])(world.rows)

    def check(role: str) -> None:
        visible = _selector(path)(city.users[role], *extra)
        # A row of another model would be looked up by a primary key that means nothing in this table.
        assert all(isinstance(world.rows[key], visible.model) for key in asked), (path, visible.model)
        keys = {key for key in asked if visible.filter(pk=world.rows[key].pk).exists()}
        assert keys == expected[role], (path, role)

    _as_each_role(check)


# Pages about one object: (url name, object key inside the scope of dong_officer's district, method, data).
@dataclass(frozen=True)
class DetailPage:
    name: str
    method: str
    inside: str  # an object that `allowed` roles may reach
    outside: str | None  # one of the other district, refused to everyone; None for reference data read by all
    allowed: frozenset[str]
    data: Callable[[Any], dict[str, str]] = lambda row: {}
    args: Callable[[Any], list[Any]] = lambda row: [row.pk]


WORKERS = frozenset({"dong_officer", "district_manager"})
WORKLIST_READERS = frozenset({"dong_officer", *DISTRICT})
REGISTRY_WRITERS = frozenset({"dong_officer", *DISTRICT})
CASE_READERS = frozenset({"dong_officer", *DISTRICT, "agency_worker"})
CASE_WORKERS = frozenset({"dong_officer", "district_manager", "agency_worker"})
CONFERENCE_READERS = frozenset({"dong_officer", *DISTRICT, "agency_worker"})
DIRECTORY_READERS = frozenset({"dong_officer", *DISTRICT, "agency_worker"})
# A calculation's form as an officer sends it: one member of 40 with no income, no property.
ELIGIBILITY_FORM = {
    "year": "2026", "region": "other", "emergency_region": "small_city", "members-TOTAL_FORMS": "1",
    "members-INITIAL_FORMS": "1", "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "20", "members-0-age": "40",
}  # fmt: skip

DETAIL_PAGES = [
    DetailPage("work_item", "get", "work_dong0", "work_district2", WORKLIST_READERS),
    *(
        DetailPage(name, "post", "work_dong0", "work_district2", WORKERS)
        for name in ("work_item_assign", "work_item_visit", "work_item_close", "work_item_reopen")
    ),
    DetailPage(
        "work_item_link",
        "post",
        "work_dong0",
        "work_district2",
        WORKERS,
        lambda row: {"household": str(Household.objects.filter(dong=row.dong).first().pk)},
    ),
    DetailPage(
        "work_item_correct",
        "post",
        "visit_dong0",
        "visit_district2",
        WORKERS,
        args=lambda row: [row.work_item_id, row.pk],
    ),
    DetailPage("emergency_detail", "get", "emergency_dong0", "emergency_district2", WORKLIST_READERS),
    # The numbers written in a record's text, shown for a reason: those who may read the record.
    *(
        DetailPage(name, "post", key + "_dong0", key + "_district2", WORKLIST_READERS, lambda row: {"preset": "visit"})
        for name, key in (
            ("work_item_numbers", "work"),
            ("emergency_numbers", "emergency"),
            ("consultation_numbers", "consultation"),
        )
    ),
    DetailPage("emergency_new", "get", "h_dong0_consented", "h_district2", WORKERS),
    DetailPage("emergency_new", "post", "h_dong0_consented", "h_district2", WORKERS),
    *(
        DetailPage(name, "post", "emergency_dong0", "emergency_district2", WORKERS)
        for name in (
            "emergency_check",
            "emergency_decide",
            "emergency_give",
            "emergency_follow_up",
            "emergency_review",
            "emergency_assign",
        )
    ),
    # Consultations: read by the area's public staff, recorded by those who work with households.
    DetailPage("consultation_detail", "get", "consultation_dong0", "consultation_district2", WORKLIST_READERS),
    *(
        DetailPage(name, "get", "consultation_dong0", "consultation_district2", WORKERS)
        for name in ("consultation_correct", "assessment_new", "decision_new")
    ),
    DetailPage("consultation_new", "get", "work_dong0", "work_district2", WORKERS),
    DetailPage("household_consultations", "get", "h_dong0_consented", "h_district2", WORKLIST_READERS),
    DetailPage("consultation_walk_in", "get", "h_dong0_consented", "h_district2", WORKERS),
    DetailPage("consultation_walk_in", "post", "h_dong0_consented", "h_district2", WORKERS),
    DetailPage("decision_withdraw", "post", "decision_dong0", "decision_district2", WORKERS),
    DetailPage(
        "household_detail",
        "get",
        "h_dong0_consented",
        "h_district2",
        frozenset({"dong_officer", *DISTRICT, "agency_worker"}),
    ),
    DetailPage(
        "reveal_person",
        "post",
        "p_dong0_consented",
        "p_district2",
        frozenset({"dong_officer", *DISTRICT, "agency_worker"}),
        lambda row: {"reason": "방문 상담 준비"},
    ),
    DetailPage(
        "reveal_household",
        "post",
        "h_dong0_consented",
        "h_district2",
        frozenset({"dong_officer", *DISTRICT, "agency_worker"}),
        lambda row: {"preset": "visit"},
    ),
    # The registry's write pages: the area's officers and district staff, never an agency that sees the person
    # through a consent.
    DetailPage("member_add", "get", "h_dong0_consented", "h_district2", REGISTRY_WRITERS),
    *(
        DetailPage(name, "get", "p_dong0_consented", "p_district2", REGISTRY_WRITERS)
        for name in ("person_move", "person_move_out", "person_split", "person_death", "consent_new")
    ),
    DetailPage("consent_withdraw", "get", "consent_dong0", "consent_district2", REGISTRY_WRITERS),
    DetailPage("safety_net_member", "get", "member_dong0", "member_district2", WORKLIST_READERS),
    DetailPage(
        "safety_net_member_end",
        "post",
        "member_dong0",
        "member_district2",
        WORKLIST_READERS,
        lambda row: {"reason": "이사"},
    ),
    # Outreach events and survey campaigns: the area's officers and district staff; campaigns launched by the
    # district's staff only.
    DetailPage("event_detail", "get", "outreach_event_dong0", "outreach_event_district2", WORKLIST_READERS),
    DetailPage("event_contact_new", "get", "outreach_event_dong0", "outreach_event_district2", WORKLIST_READERS),
    DetailPage("event_figures", "post", "outreach_event_dong0", "outreach_event_district2", WORKLIST_READERS),
    DetailPage("campaign_detail", "get", "campaign_dong0", "campaign_district2", WORKLIST_READERS),
    DetailPage("campaign_launch", "post", "campaign_dong0", "campaign_district2", frozenset(DISTRICT)),
    # The service directory: read by everyone who links households to services (one district's entry as much
    # as another's); changed only by the staff of the district that keeps it.
    DetailPage("resources_service", "get", "service_district2", None, DIRECTORY_READERS),
    DetailPage("resources_service_edit", "get", "service_district1", "service_district2", frozenset(DISTRICT)),
    DetailPage("resources_service_edit", "post", "service_district1", "service_district2", frozenset(DISTRICT)),
    # The donations ledger is the district staff's; a food bank's movements its own workers' as well. A dong
    # officer corrects an allocation out of their dong's fund, never one out of the general fund (to a household
    # of their dong though it went), and records no gift.
    *(
        DetailPage(name, "get", inside, outside, frozenset(DISTRICT))
        for name in (
            "resources_donation_reverse",
            "resources_donation_receipt",
            "resources_receipt_pdf",
        )
        for inside, outside in (
            ("donation_district1", "donation_district2"),
            ("dong_donation_dong0", "dong_donation_district2"),
        )
    ),
    DetailPage("resources_donor", "get", "donor_district1", "donor_district2", frozenset(DISTRICT)),
    # A donor's details for receipts: recorded and revealed by the district's staff only.
    DetailPage(
        "resources_donor_legal",
        "post",
        "donor_district1",
        "donor_district2",
        frozenset(DISTRICT),
        lambda row: {"address": "공단로 5"},
    ),
    DetailPage(
        "resources_donor_reveal",
        "post",
        "donor_district1",
        "donor_district2",
        frozenset(DISTRICT),
        lambda row: {"reason": "영수증 번호 확인"},
    ),
    DetailPage("resources_allocation_reverse", "get", "allocation_dong0", "allocation_district2", frozenset(DISTRICT)),
    *(
        DetailPage(
            "resources_allocation_reverse",
            method,
            "dong_allocation_dong0",
            "dong_allocation_district2",
            frozenset({*DISTRICT, "dong_officer"}),
            lambda row: {"reason": "중복 입력"},
        )
        for method in ("get", "post")
    ),
    DetailPage(
        "resources_distribution_reverse",
        "get",
        "distribution_dong0",
        "distribution_district2",
        frozenset({*DISTRICT, "agency_worker"}),
    ),
    DetailPage("resources_volunteer_hours", "get", "volunteer_dong0", "volunteer_district2", WORKLIST_READERS),
    DetailPage("resources_volunteer_hours", "post", "volunteer_dong0", "volunteer_district2", WORKLIST_READERS),
    # Eligibility: a household's means, read by the area's public staff and calculated by those who work with
    # households; never by a private agency, whatever the household consented to.
    DetailPage("eligibility_new", "get", "h_dong0_consented", "h_district2", WORKERS),
    DetailPage(
        "eligibility_new",
        "post",
        "h_dong0_consented",
        "h_district2",
        WORKERS,
        lambda row: {**ELIGIBILITY_FORM, "submission": str(uuid.uuid4())},
    ),
    DetailPage("eligibility_check", "get", "eligibility_dong0", "eligibility_district2", WORKLIST_READERS),
    # Re-guidance: read by the area's public staff, launched by the district's staff, applications recorded by
    # those who work with households.
    DetailPage("reguidance_detail", "get", "reguidance_district1", "reguidance_district2", WORKLIST_READERS),
    DetailPage("reguidance_launch", "post", "reguidance_district1", "reguidance_district2", frozenset(DISTRICT)),
    DetailPage(
        "reguidance_application",
        "post",
        "reguidance_target_dong0",
        "reguidance_target_district2",
        WORKERS,
        lambda row: {"benefit": "medical", "applied_on": "2026-11-02", "outcome": "pending"},
        lambda row: [row.campaign_id, row.pk],
    ),
    DetailPage(
        "reguidance_outcome",
        "post",
        "application_dong0",
        "application_district2",
        WORKERS,
        lambda row: {"outcome": "pending"},
        lambda row: [row.target.campaign_id, row.pk],
    ),
    # A household's applications: read by the area's public staff, recorded by those who work with households;
    # after-care: worked by the same, on their own area's recipients only.
    DetailPage("household_applications", "get", "h_dong0_consented", "h_district2", WORKLIST_READERS),
    DetailPage(
        "household_applications",
        "post",
        "h_dong0_consented",
        "h_district2",
        WORKERS,
        lambda row: {
            "benefit": "education",
            "applied_on": "2026-01-05",
            "outcome": "rejected",
            "outcome_on": "2026-02-01",
        },
    ),
    DetailPage(
        "household_application_outcome",
        "post",
        "application_dong0",
        "application_district2",
        WORKERS,
        lambda row: {"outcome": "pending"},
        lambda row: [row.household_id, row.pk],
    ),
    DetailPage(
        "aftercare_reverify",
        "post",
        "grant_dong0",
        "grant_district2",
        WORKERS,
        lambda row: {"done_on": "2026-11-02", "result": "unchanged", "submission": str(uuid.uuid4())},
    ),
    DetailPage(
        "aftercare_decide", "post", "review_dong0", "review_district2", WORKERS, lambda row: {"decision": "no_issue"}
    ),
    DetailPage("round_detail", "get", "round_district1", "round_district2", frozenset(DISTRICT)),
    DetailPage("job_detail", "get", "job_district1", "job_district2", frozenset(DISTRICT)),
    DetailPage("job_cancel", "post", "job_district1", "job_district2", frozenset(DISTRICT)),
    DetailPage("job_retry", "post", "job_district1", "job_district2", frozenset(DISTRICT)),
    DetailPage("round_withdraw", "get", "round_district1", "round_district2", frozenset(DISTRICT)),
    DetailPage("signal_withdraw", "get", "file_district1", "file_district2", frozenset(DISTRICT)),
    # Which model a district's rounds use, and its agreement to share outcomes: its administrator's to change.
    DetailPage(
        "model_choose",
        "post",
        "model_district1",
        "model_district2",
        frozenset({"district_admin"}),
        data=lambda row: {"district": "9911000000"},
    ),
    DetailPage(
        "agreement_end",
        "post",
        "label_sharing_district1",
        "label_sharing_district2",
        frozenset({"district_admin"}),
        data=lambda row: {"reason": "협약 기간 만료"},
    ),
    DetailPage("signal_import_confirm", "post", "import_district1", "import_district2", frozenset(DISTRICT)),
    # Case management: read by the area's public staff and the private agency that leads the case while the
    # household consents; worked by the case's workers; a private provider's linkage answered by that provider.
    DetailPage("case_detail", "get", "case_dong0", "case_district2", CASE_READERS),
    DetailPage("case_plan_new", "get", "case_dong0", "case_district2", CASE_WORKERS),
    DetailPage("linkage_new", "get", "case_dong0", "case_district2", CASE_WORKERS),
    *(
        DetailPage(name, "post", "case_dong0", "case_district2", CASE_WORKERS)
        for name in (
            "case_plan_new",
            "case_plan_agreement",
            "case_monitoring",
            "case_phase",
            "case_close",
            "case_transfer",
            "case_follow_up",
            "case_reopen",
            "linkage_new",
        )
    ),
    DetailPage("linkage_detail", "get", "linkage_dong0", "linkage_district2", CASE_READERS),
    *(
        DetailPage(name, "post", "linkage_dong0", "linkage_district2", frozenset({"agency_worker"}))
        for name in ("linkage_answer", "linkage_deliver", "linkage_end")
    ),
    DetailPage("linkage_cancel", "post", "linkage_dong0", "linkage_district2", CASE_WORKERS),
    # Case conferences: read by the district's staff and the agencies at the table, run by the public staff who
    # work cases. The minutes are a page of the conference like any other.
    *(
        DetailPage(name, "get", "conference_district1", "conference_district2", CONFERENCE_READERS)
        for name in ("conference_detail", "conference_minutes")
    ),
    # The district's conference is run by its district staff: a dong officer sees it, and records nothing there.
    *(
        DetailPage(name, "post", "conference_district1", "conference_district2", frozenset({"district_manager"}))
        for name in ("conference_attendee", "conference_agenda", "conference_hold", "conference_close")
    ),
    DetailPage(
        "conference_decide",
        "post",
        "agenda_dong0",
        "agenda_district2",
        frozenset({"district_manager"}),
        args=lambda row: [row.conference_id, row.pk],
    ),
]


def _object_routes() -> set[str]:
    """Names of every route that takes an object id."""
    names = set()

    def walk(patterns: list[Any]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and entry.name and "<int:" in str(entry.pattern):
                names.add(entry.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_detail_page_is_in_the_matrix():
    assert _object_routes() == {page.name for page in DETAIL_PAGES}, "add each new page about one object here"


REFUSED = {403, 404}


@pytest.mark.parametrize("page", DETAIL_PAGES, ids=lambda p: p.name)
def test_each_role_reaches_exactly_its_objects(client, city, world, page):
    def check(role: str) -> None:
        client.force_login(city.users[role])
        asked = [(page.inside, role in page.allowed)] + ([(page.outside, False)] if page.outside else [])
        for key, may in asked:
            row = world.rows[key]
            url = reverse(page.name, args=page.args(row))
            response = getattr(client, page.method)(url, page.data(row))
            if may:
                assert response.status_code not in REFUSED, (page.name, role, key, response.status_code)
            else:
                assert response.status_code in REFUSED, (page.name, role, key, response.status_code)

    _as_each_role(check)


# Pages that take a whole list out of the application (an Excel file, a printout): each role that may gets exactly
# the rows of its scope, whatever the query string says; the others 403. The world's worklist items and referrals
# are told apart by the address each reporter gave.
@dataclass(frozen=True)
class ListPage:
    name: str
    method: str
    data: dict[str, str]


LIST_PAGES = [
    ListPage("worklist_print", "get", {}),
    ListPage("worklist_export", "post", {"preset": "report"}),
    ListPage("referrals_print", "get", {}),
    ListPage("referrals_export", "post", {"preset": "report"}),
]
LISTED = {"work_dong0": "시청로 10", "work_dong1": "시청로 11", "work_district2": "강변로 1"}
LIST_EXPECT = _for(dong_officer={"work_dong0"}, district_manager={"work_dong0", "work_dong1"},
                   district_admin={"work_dong0", "work_dong1"})  # fmt: skip


def _listed_addresses(response: Any) -> set[str]:
    if response["Content-Type"].startswith(XLSX_MIME):
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return {str(row[2]) for row in sheet.iter_rows(values_only=True) if row and len(row) > 2 and row[2]}
    html = response.content.decode()
    return {html_unescape(text).strip() for text in re.findall(r'data-label="주소\(동·호\)">([^<]*)', html)}


@pytest.mark.parametrize("page", LIST_PAGES, ids=lambda p: p.name)
def test_each_role_takes_out_exactly_its_rows(client, city, world, page):
    def check(role: str) -> None:
        client.force_login(city.users[role])
        # Asking for another district's dong, or for every dong, never widens the list.
        for query in ("", f"?dong={world.rows['dong2'].code}", f"?dong={world.rows['dong1'].code}"):
            response = getattr(client, page.method)(reverse(page.name) + query, page.data)
            if role not in WORKLIST_READERS:
                assert response.status_code == 403, (page.name, role, response.status_code)
                continue
            assert response.status_code == 200, (page.name, role, query, response.status_code)
            listed = _listed_addresses(response)
            seen = {key for key, address in LISTED.items() if address in listed}
            wanted = LIST_EXPECT[role]
            if "dong=" in query:
                dong = query.split("=", 1)[1]
                wanted = {key for key in wanted if world.rows[key].dong_id == dong}
            assert seen == wanted, (page.name, role, query, listed)

    _as_each_role(check)
