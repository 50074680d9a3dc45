"""Donation receipts (기부금 영수증) from the outside: what the donor must be known by, kept encrypted and shown
masked; a receipt refused until everything the form asks for is known; the receipt printed as an A4 PDF holding
the fields of 소득세법 시행규칙 별지 제45호의2서식, only by the district's staff, every printing and reveal audited;
an anonymous donor named on their own receipt and nowhere else."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.registry.models import AreaLevel
from dolbom.resources.models import Donation, Donor, ReceiptIssuer
from dolbom.resources.services import donations, receipts
from tests.conftest import _user
from tests.core.test_encryption_at_rest import _raw_database_bytes
from tests.resources.conftest import COMPANY_NUMBER, PERSON_RRN

ON = date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today(settings):
    settings.TODAY_OVERRIDE = ON


def _gift(city, donor, amount=500_000):
    return donations.receive_donation(
        user=city.users["district_admin"], donor_id=donor.pk, kind="cash", received_on=ON, amount_won=amount,
        description="연말 이웃돕기 성금", designation="general",
    )  # fmt: skip


def _pdf_text(content: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return re.sub(r"\s+", "", text), fonts


def _issue(client, donation, code="10"):
    return client.post(reverse("resources_donation_receipt", args=[donation.pk]), {"code": code, "confirm": "on"})


# ------------------------------------------------------------------------------------------- the donor's data


def test_a_person_s_resident_number_is_kept_only_encrypted(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["district_manager"])
    donor = city.person_donor
    typed = "８００１０１\u20131234567"  # full-width digits and an en dash, as typed on a Korean keyboard
    response = client.post(reverse("resources_donor_legal", args=[donor.pk]), {"resident_number": typed})
    assert response.status_code == 302, response.content.decode()[-1500:]
    stored = Donor.objects.get(pk=donor.pk)
    assert stored.resident_number() == PERSON_RRN
    assert stored.rrn_masked == "800101-1******"
    # Nowhere in the database's bytes: not the donor's row, not the audit log.
    data = _raw_database_bytes()
    assert "홍길동".encode() in data  # the donor's name is there: these are the right bytes
    for form in ("8001011234567", PERSON_RRN, "1234567"):
        assert form.encode() not in data, f"{form} stored in clear"
    event = AuditEvent.objects.get(action="resources.change_donor")
    assert event.detail == {"fields": ["resident_number"]}
    # Shown masked on the donor's page, never in full.
    page = client.get(reverse("resources_donor", args=[donor.pk])).content.decode()
    assert "800101-1******" in page and "1234567" not in page
    assert AuditEvent.objects.filter(action="resources.view_donor", object_id=str(donor.pk)).count() == 1


def test_a_number_refused_is_not_written_back_into_the_page(client, ledger_city):
    client.force_login(ledger_city.users["district_manager"])
    url = reverse("resources_donor_legal", args=[ledger_city.person_donor.pk])
    response = client.post(url, {"resident_number": "801301-1234567"})  # no 13th month
    assert response.status_code == 422
    page = response.content.decode()
    assert "생년월일" in page and "801301" not in page
    assert not Donor.objects.get(pk=ledger_city.person_donor.pk).rrn_index


def test_who_has_which_number(ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    with pytest.raises(ValidationError) as refused:
        receipts.set_donor_legal(user=admin, donor_id=city.company.pk, resident_number=PERSON_RRN)
    assert "사업자등록번호" in refused.value.message_dict["resident_number"][0]
    with pytest.raises(ValidationError) as refused:
        receipts.set_donor_legal(user=admin, donor_id=city.person_donor.pk, registration_number=COMPANY_NUMBER)
    assert "registration_number" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        receipts.set_donor_legal(user=admin, donor_id=city.company.pk, registration_number="124-81-00999")
    assert "마지막 자리" in refused.value.message_dict["registration_number"][0]
    # A person's data is kept only with their consent (the form refuses a person without it, number and all).
    with pytest.raises(ValidationError) as refused:
        donations.add_donor(user=admin, kind="person", name="김기부", resident_number="900101-2345678")
    assert "consent_on" in refused.value.message_dict
    assert not Donor.objects.filter(name="김기부").exists()
    # One donor per person in a district.
    receipts.set_donor_legal(user=admin, donor_id=city.person_donor.pk, resident_number=PERSON_RRN)
    with pytest.raises(ValidationError) as refused:
        donations.add_donor(user=admin, kind="person", name="홍길동", consent_on=ON, resident_number="800101 1234567")
    assert "이미" in refused.value.message_dict["resident_number"][0]


def test_a_donor_is_added_with_what_the_receipt_needs(client, ledger_city):
    client.force_login(ledger_city.users["district_manager"])
    response = client.post(reverse("resources_donor_new"), {
        "kind": "group", "name": "나눔봉사회", "registration_number": "１０５ー８２ー０００１５",
        "address": "한빛시 중앙구 시장로 3",
    })  # fmt: skip
    assert response.status_code == 302
    group = Donor.objects.get(name="나눔봉사회")
    assert (group.registration_number, group.formatted_registration_number) == ("1058200015", "105-82-00015")
    event = AuditEvent.objects.get(action="resources.add_donor", object_id=str(group.pk))
    assert event.detail["fields"] == ["address", "registration_number"]
    assert "나눔봉사회" not in str(event.detail) and "시장로" not in str(event.detail)


def test_a_reveal_needs_a_reason_and_is_audited(client, receipt_city):
    city = receipt_city
    donor = city.person_donor
    client.force_login(city.users["district_manager"])
    url = reverse("resources_donor_reveal", args=[donor.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422 and "1234567" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="resources.reveal_donor").exists()
    shown = client.post(url, {"reason": "영수증 번호 확인 요청"})
    assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-store"
    page = shown.content.decode()
    assert PERSON_RRN in page and "101동 203호" in page and "홍길동" in page
    event = AuditEvent.objects.get(action="resources.reveal_donor")
    assert event.reason == "영수증 번호 확인 요청" and event.object_id == str(donor.pk)
    assert event.detail == {"fields": ["address", "name", "resident_number"]}
    assert "1234567" not in str(event.detail)


# ------------------------------------------------------------------------------------------------ the receipt


def test_a_receipt_is_refused_until_the_donor_and_the_district_are_known(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["district_manager"])
    company_gift, person_gift = _gift(city, city.company), _gift(city, city.person_donor)

    # Nothing known of the donor: the page says what is missing, and issuing is refused naming it.
    page = client.get(reverse("resources_donation_receipt", args=[company_gift.pk])).content.decode()
    assert "사업자등록번호" in page and "주소" in page
    response = _issue(client, company_gift)
    assert response.status_code == 422
    assert "사업자등록번호(단체는 고유번호), 주소" in response.content.decode()
    response = _issue(client, person_gift)
    assert response.status_code == 422 and "주민등록번호, 주소" in response.content.decode()

    # The donor known, the district not yet: refused naming the district's details.
    admin = city.users["district_admin"]
    receipts.set_donor_legal(
        user=admin, donor_id=city.company.pk, registration_number=COMPANY_NUMBER, address="공단로 5"
    )
    response = _issue(client, company_gift)
    assert response.status_code == 422 and "기부금 영수증 발급 기관" in response.content.decode()
    assert not Donation.objects.exclude(receipt_number="").exists()
    assert not AuditEvent.objects.filter(action="resources.issue_receipt").exists()

    ReceiptIssuer.objects.create(district=city.districts[0], name="중앙구청", registration_number="1238300010",
                                 address="한빛시 중앙구 시청로 1")  # fmt: skip
    response = _issue(client, company_gift, code="40")
    assert response.status_code == 302
    issued = Donation.objects.get(pk=company_gift.pk)
    assert (issued.receipt_number, issued.receipt_code) == ("2026-00001", "40")
    assert issued.receipt_issuer["registration_number"] == "1238300010"


def test_the_receipt_pdf_holds_what_the_form_asks(client, receipt_city):
    city = receipt_city
    manager = city.users["district_manager"]
    client.force_login(manager)
    gift = _gift(city, city.person_donor, 1_250_000)
    assert _issue(client, gift).status_code == 302
    page = client.get(reverse("resources_donation_receipt", args=[gift.pk])).content.decode()
    assert "2026-00001" in page and reverse("resources_receipt_pdf", args=[gift.pk]) in page

    response = client.get(reverse("resources_receipt_pdf", args=[gift.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text, fonts = _pdf_text(response.content)
    assert "기부금영수증" in text and "2026-00001" in text
    # ① the donor, with the full resident number: what the receipt is for.
    assert "홍길동" in text and PERSON_RRN in text and "은행로7,101동203호" in text
    # ② the receiving body.
    assert "중앙구청" in text and "123-83-00010" in text and "시청로1" in text and "소득세법제34조제2항제1호" in text
    # ③ the gift: code, cash or goods, date, what, amount.
    assert "특례기부금10" in text and "금전" in text and "2026.11.2." in text
    assert "연말이웃돕기성금" in text and "1,250,000" in text
    # The donor's statement and the receiver's.
    assert "기부하였음을증명하여주시기바랍니다" in text and "기부받았음을증명합니다" in text
    assert any("NotoSansCJKKR" in f.replace("-", "") for f in fonts), fonts

    event = AuditEvent.objects.get(action="resources.print_receipt")
    assert (event.actor_id, event.object_id) == (manager.pk, str(gift.pk))
    assert event.detail == {"number": "2026-00001", "donor": city.person_donor.pk}


def test_goods_are_itemised_with_quantity_and_unit_value(client, receipt_city):
    city = receipt_city
    client.force_login(city.users["district_admin"])
    gift = donations.receive_donation(
        user=city.users["district_admin"], donor_id=city.company.pk, kind="in_kind", received_on=ON,
        designation="general", agency_id=city.agencies["welfare"].pk, item="쌀 10kg", unit="포", units=40,
        unit_won=32_000,
    )  # fmt: skip
    assert _issue(client, gift).status_code == 302
    text, _fonts = _pdf_text(client.get(reverse("resources_receipt_pdf", args=[gift.pk])).content)
    assert "한빛전자" in text and COMPANY_NUMBER in text and "공단로5" in text
    assert "현물" in text and "쌀10kg" in text and "40포" in text and "32,000" in text and "1,280,000" in text


def test_an_anonymous_donor_is_named_on_their_receipt_and_nowhere_else(client, ledger_city):
    city = ledger_city
    admin = city.users["district_admin"]
    ReceiptIssuer.objects.create(district=city.districts[0], name="중앙구청", registration_number="1238300010",
                                 address="한빛시 중앙구 시청로 1")  # fmt: skip
    client.force_login(admin)
    response = client.post(reverse("resources_donor_new"), {
        "kind": "person", "name": "남궁익명", "anonymous": "on", "consent_on": "2026-10-01",
        "resident_number": "750505-2345678", "address": "한빛시 중앙구 숲길 9",
    })  # fmt: skip
    assert response.status_code == 302
    donor = Donor.objects.get(anonymous=True)
    gift = _gift(city, donor)
    assert _issue(client, gift).status_code == 302

    pages = [
        client.get(reverse("resources_ledger")),
        client.get(reverse("resources_donor", args=[donor.pk])),
        client.get(reverse("resources_donation_receipt", args=[gift.pk])),
        client.get(reverse("resources_donation_new")),
        client.post(reverse("resources_donor_reveal", args=[donor.pk]), {"reason": "영수증 재발급 확인"}),
    ]
    for shown in pages:
        assert shown.status_code == 200
        html = shown.content.decode()
        assert "남궁익명" not in html and "남**명" not in html
    assert "익명 후원자" in pages[0].content.decode()
    assert "750505-2345678" in pages[-1].content.decode()  # the reveal shows the number, not the name
    for event in AuditEvent.objects.all():
        assert "남궁익명" not in f"{event.detail} {event.reason} {event.actor_name}"

    text, _fonts = _pdf_text(client.get(reverse("resources_receipt_pdf", args=[gift.pk])).content)
    assert "남궁익명" in text and "750505-2345678" in text


def test_a_corrected_gift_s_receipt_is_void(client, receipt_city):
    city = receipt_city
    client.force_login(city.users["district_admin"])
    gift = _gift(city, city.company)
    assert _issue(client, gift).status_code == 302
    donations.reverse_donation(user=city.users["district_admin"], donation_id=gift.pk, reason="중복 입력")
    response = client.get(reverse("resources_receipt_pdf", args=[gift.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("resources_donation_receipt", args=[gift.pk])
    assert "무효" in client.get(response["Location"]).content.decode()
    assert not AuditEvent.objects.filter(action="resources.print_receipt").exists()


# ------------------------------------------------------------------------------------------------ who may


def _other_district_gift(city):
    """A gift of the other district, recorded by its own administrator, with its receipt issued."""
    other_admin = _user("admin2", Role.DISTRICT_ADMIN, city.agencies["other"], [city.districts[1]])
    ReceiptIssuer.objects.create(district=city.districts[1], name="강변구청", registration_number="1238300010",
                                 address="한빛시 강변구 강변로 1")  # fmt: skip
    donor = donations.add_donor(user=other_admin, kind="company", name="강변상사", registration_number=COMPANY_NUMBER,
                                address="강변로 2")  # fmt: skip
    gift = _gift_by(other_admin, donor)
    receipts.issue_receipt(user=other_admin, donation_id=gift.pk)
    return gift


def _gift_by(user, donor):
    return donations.receive_donation(
        user=user, donor_id=donor.pk, kind="cash", received_on=ON, amount_won=10_000, designation="general"
    )


def test_another_district_s_receipt_and_donor_are_not_found(client, receipt_city):
    city = receipt_city
    assert city.districts[1].level == AreaLevel.SIGUNGU
    gift = _other_district_gift(city)
    for role in ("district_manager", "district_admin"):
        client.force_login(city.users[role])
        assert client.get(reverse("resources_receipt_pdf", args=[gift.pk])).status_code == 404
        assert client.get(reverse("resources_donation_receipt", args=[gift.pk])).status_code == 404
        assert client.post(reverse("resources_donation_receipt", args=[gift.pk]), {"confirm": "on"}).status_code == 404
        assert client.get(reverse("resources_donor", args=[gift.donor_id])).status_code == 404
        reveal = client.post(reverse("resources_donor_reveal", args=[gift.donor_id]), {"reason": "영수증 확인 요청"})
        assert reveal.status_code == 404
        legal = client.post(reverse("resources_donor_legal", args=[gift.donor_id]), {"address": "다른 주소"})
        assert legal.status_code == 404
    assert not AuditEvent.objects.filter(action__in=["resources.print_receipt", "resources.reveal_donor"]).exists()
    assert Donor.objects.get(pk=gift.donor_id).address == "강변로 2"


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "safety_net", "analyst"])
def test_other_roles_may_not_print_or_reveal(client, receipt_city, role):
    city = receipt_city
    gift = _gift(city, city.person_donor)
    receipts.issue_receipt(user=city.users["district_admin"], donation_id=gift.pk)
    client.force_login(city.users[role])
    assert client.get(reverse("resources_receipt_pdf", args=[gift.pk])).status_code == 403
    # A dong officer reads the ledger of their dong's funds, but no donor is theirs to open: outside their scope.
    donor_page = 404 if role == "dong_officer" else 403
    assert client.get(reverse("resources_donor", args=[city.person_donor.pk])).status_code == donor_page
    reveal = client.post(reverse("resources_donor_reveal", args=[city.person_donor.pk]), {"reason": "확인 요청입니다"})
    assert reveal.status_code == 403 and PERSON_RRN not in reveal.content.decode()
    assert not AuditEvent.objects.filter(action__in=["resources.print_receipt", "resources.reveal_donor"]).exists()


# --------------------------------------------------------------------------------- the district as the issuer


def _issuer_form(district, **changes):
    data = {"district": district.code, "name": "중앙구 사랑나눔복지재단", "registration_number": "105－82－00015",
            "address": "한빛시 중앙구 시청로 1", "legal_basis": "", "default_code": "40"}  # fmt: skip
    return {**data, **changes}


def test_the_administrator_sets_the_district_s_issuer(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["district_admin"])
    refused = client.post(reverse("admin:resources_receiptissuer_add"), _issuer_form(city.districts[0],
                          registration_number="105-82-00016"))  # fmt: skip
    assert refused.status_code == 200 and "마지막 자리" in refused.content.decode()
    response = client.post(reverse("admin:resources_receiptissuer_add"), _issuer_form(city.districts[0]))
    assert response.status_code == 302, response.content.decode()[-1500:]
    issuer = ReceiptIssuer.objects.get()
    assert (issuer.registration_number, issuer.default_code) == ("1058200015", "40")
    event = AuditEvent.objects.get(action="registry.add_reference_data", object_id=str(issuer.pk))
    assert event.detail["changes"]["registration_number"] == [None, "1058200015"]
    # The receipt page offers the district's usual code.
    gift = _gift(city, city.company)
    page = client.get(reverse("resources_donation_receipt", args=[gift.pk])).content.decode()
    assert re.search(r'<option value="40" selected>', page)


def test_not_for_another_district_nor_another_role(client, ledger_city):
    city = ledger_city
    client.force_login(city.users["district_admin"])
    response = client.post(reverse("admin:resources_receiptissuer_add"), _issuer_form(city.districts[1]))
    assert response.status_code == 200 and not ReceiptIssuer.objects.exists()
    other = ReceiptIssuer.objects.create(district=city.districts[1], name="강변구청", registration_number="1238300010",
                                         address="강변로 1")  # fmt: skip
    assert "강변구청" not in client.get(reverse("admin:resources_receiptissuer_changelist")).content.decode()
    assert client.get(reverse("admin:resources_receiptissuer_change", args=[other.pk])).status_code in (302, 404)
    client.force_login(city.users["district_manager"])
    assert client.post(reverse("admin:resources_receiptissuer_add"), _issuer_form(city.districts[0])).status_code == 403
    assert ReceiptIssuer.objects.count() == 1
