"""The public report form and status page from the outside, without login: filing lands on the dong's worklist and
answers only a receipt number; every refusal (challenge, CSRF, rate limit, hostile input) is clear and stores
nothing; the status page gives status and answer only, and cannot be used to try receipt numbers in bulk."""

from __future__ import annotations

import re
import shutil
import wave
from io import BytesIO
from urllib.parse import urlencode

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.intake.models import PublicRequestCount, Referral, ReferralChannel, WorkItem, WorkSource
from dolbom.intake.services import work
from dolbom.registry.models import Staff

CONCERN = "며칠째 불이 꺼져 있고 우편물이 쌓여 있습니다"
PHONE = "010-2468-1357"
SCRIPT = "<script>alert(1)</script>"
FORM = "application/x-www-form-urlencoded"


def _challenge(html: str) -> tuple[str, str]:
    """The challenge's key in the page and its digits, read from the server's store as a person reads the picture."""
    key = re.search(r'name="captcha_0" value="([0-9a-f]{40})"', html).group(1)
    return key, CaptchaStore.objects.get(hashkey=key).response


def _form(client: Client) -> tuple[str, str]:
    response = client.get(reverse("public_report"))
    assert response.status_code == 200
    return _challenge(response.content.decode())


def _report(client: Client, *, answer: str | None = None, multipart: bool = False, **fields: str):
    """Fill in the form and send it as a browser does (URL-encoded), or as multipart/form-data."""
    key, digits = _form(client)
    data = {"dong": "", "address_text": "시청로 10", "concern": CONCERN, "reporter_contact": "", **fields}
    data.update({"captcha_0": key, "captcha_1": digits if answer is None else answer})
    if multipart:
        return client.post(reverse("public_report"), data)
    return client.post(reverse("public_report"), urlencode(data), content_type=FORM)


def _receipt(response) -> str:
    return re.search(r'id="receipt-number">([A-Z0-9-]+)<', response.content.decode()).group(1)


def test_a_resident_files_without_login_and_gets_only_a_receipt_number(client, city):
    response = _report(client, dong=city.dongs[1].code, reporter_contact=PHONE)
    assert response.status_code == 200
    html = response.content.decode()
    referral = Referral.objects.get()
    assert _receipt(response) == referral.receipt_number
    assert referral.channel == ReferralChannel.PUBLIC_FORM and referral.reported_by is None
    assert referral.dong == city.dongs[1] and referral.reporter_contact == PHONE
    # Nothing the reporter typed is shown back, and the page is not kept by the browser or a proxy.
    for typed in ("시청로 10", CONCERN, PHONE, "2468"):
        assert typed not in html
    assert "no-store" in response["Cache-Control"]
    item = WorkItem.objects.get(referral=referral)
    assert item.source == WorkSource.REFERRAL and item.dong == city.dongs[1]
    event = AuditEvent.objects.get(action="intake.file_public_referral")
    assert event.actor is None and event.actor_name == "system" and event.object_id == str(referral.pk)
    assert event.detail["client"] == "127.0.0.*" and event.detail["call_back"] is True
    assert "127.0.0.1" not in str(event.detail) and "2468" not in str(event.detail) and "1357" not in str(event.detail)


def test_the_officer_of_the_dong_sees_it_on_the_worklist(client, city):
    _report(client, dong=city.dongs[0].code)
    officer = Client()
    officer.force_login(city.users["dong_officer"])
    html = officer.get(reverse("worklist")).content.decode()
    assert f'id="work-{WorkItem.objects.get().pk}"' in html


def test_the_dong_is_found_from_a_road_address(client, city):
    # The registry has 시청로 10 in dong 0, 시청로 11 in dong 1, 시청로 12 in the other district (tests/conftest.py).
    assert _report(client, address_text="시청로11 앞 빌라").status_code == 200
    assert Referral.objects.get().dong == city.dongs[1]


@pytest.mark.parametrize("address", ["시청로 1", "시청로 110", "우리 동네 시장 옆"])
def test_an_address_that_finds_no_dong_asks_for_the_dong(client, city, address):
    response = _report(client, address_text=address)
    assert response.status_code == 200
    assert "동을 찾지 못했습니다" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_public_pages_alone_are_open_without_login(client, city):
    assert client.get(reverse("public_report")).status_code == 200
    assert client.get(reverse("public_status")).status_code == 200
    for name in ("worklist", "referrals", "referral_new", "safety_net"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_the_challenge_picture_is_drawn_by_the_server(client, city):
    key, _digits = _form(client)
    response = client.get(reverse("captcha-image", kwargs={"key": key}))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_a_wrong_answer_is_refused_and_the_challenge_cannot_be_tried_again(client, city):
    key, digits = _form(client)
    data = {"dong": city.dongs[0].code, "address_text": "시청로 10", "concern": CONCERN, "captcha_0": key}
    response = client.post(reverse("public_report"), {**data, "captcha_1": "99999"})
    assert response.status_code == 200 and "숫자가 맞지 않습니다" in response.content.decode()
    # The right digits for the same picture, afterwards: one try per challenge.
    response = client.post(reverse("public_report"), {**data, "captcha_1": digits})
    assert "숫자가 맞지 않습니다" in response.content.decode()
    assert not Referral.objects.exists()


def test_csrf_applies_to_the_anonymous_form(city):
    browser = Client(enforce_csrf_checks=True)
    key, digits = _form(browser)
    data = {"dong": city.dongs[0].code, "address_text": "시청로 10", "concern": CONCERN}
    response = browser.post(reverse("public_report"), {**data, "captcha_0": key, "captcha_1": digits})
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_reports_beyond_the_hourly_limit_are_refused_clearly(client, city, settings):
    """The limit is counted per address before the challenge or the form is looked at: posting until the limit
    and a few beyond shows the refusal, which is not counted again, while another address still gets through."""
    settings.PUBLIC_REPORTS_PER_HOUR = 4
    statuses = []
    for i in range(4 + 3):
        response = client.post(reverse("public_report"), {"address_text": "x", "concern": str(i)})
        statuses.append(response.status_code)
    assert statuses == [200] * 4 + [429] * 3
    html = response.content.decode()
    assert "요청이 너무 많습니다" in html and "분 뒤에 다시" in html and "129" in html
    assert 0 < int(response["Retry-After"]) <= 3601
    [counter] = PublicRequestCount.objects.filter(bucket="report")
    assert counter.count == 4 and "127.0.0.1" not in counter.client
    assert _report(client).status_code == 429  # a right answer changes nothing
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert _report(other, dong=city.dongs[0].code).status_code == 200
    assert Referral.objects.count() == 1


def test_the_address_behind_a_trusted_proxy_is_the_one_counted(client, city, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    first = client.post(reverse("public_report"), {"concern": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.5")
    second = client.post(reverse("public_report"), {"concern": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.5")
    third = client.post(reverse("public_report"), {"concern": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert [first.status_code, second.status_code, third.status_code] == [200, 429, 200]


# ----------------------------------------------------------------------------------------------- hostile input


def test_html_and_script_in_every_field_are_stored_as_text_and_escaped_everywhere(client, city):
    hostile = {"address_text": f"시청로 10 {SCRIPT}", "concern": f"{SCRIPT} {CONCERN}"}
    response = _report(client, dong=city.dongs[0].code, **hostile)
    assert response.status_code == 200
    referral = Referral.objects.get()
    assert SCRIPT in referral.address_text and SCRIPT in referral.concern  # text, as typed
    officer = Client()
    officer.force_login(city.users["dong_officer"])
    item = WorkItem.objects.get()
    for url in (reverse("worklist"), reverse("work_item", args=[item.pk]), reverse("referrals"), reverse("today")):
        html = officer.get(url).content.decode()
        assert SCRIPT not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in officer.get(reverse("work_item", args=[item.pk])).content.decode()


def test_script_in_a_refused_form_is_escaped_when_the_form_comes_back(client, city):
    hostile = '"><img src=x onerror=alert(1)>'
    response = _report(client, dong=f"{hostile}", address_text=hostile, concern=SCRIPT, reporter_contact=hostile)
    html = response.content.decode()
    assert response.status_code == 200 and not Referral.objects.exists()
    assert "<img src=x" not in html and SCRIPT not in html
    assert "전화번호" in html  # the phone's error is named


@pytest.mark.parametrize(
    ("field", "length"),
    [("address_text", 201), ("concern", 2001), ("reporter_contact", 21)],
)
def test_a_field_longer_than_its_limit_is_refused_with_a_message(client, city, field, length):
    response = _report(client, dong=city.dongs[0].code, **{field: "가" * length})
    assert response.status_code == 200
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*\d', response.content.decode())
    assert not Referral.objects.exists()


def test_a_field_longer_than_the_application_limit_is_a_400(client, city, settings):
    settings.MAX_FIELD_LENGTH = 5000
    response = _report(client, dong=city.dongs[0].code, concern="가" * 5001)
    assert response.status_code == 400 and "너무 깁니다" in response.content.decode()
    # Sent as multipart/form-data instead, the field's own limit answers.
    response = _report(client, dong=city.dongs[0].code, concern="가" * 50_000, multipart=True)
    assert response.status_code == 200 and 'id="concern-error"' in response.content.decode()
    assert not Referral.objects.exists()


def test_text_in_another_encoding_is_refused_not_stored_garbled(client, city):
    key, digits = _form(client)
    concern_cp949 = "불이 꺼져 있습니다".encode("cp949")
    body = b"&".join(
        [
            b"dong=" + city.dongs[0].code.encode(),
            b"address_text=%BD%C3%C3%BB%B7%CE+10",  # 시청로 10 in CP949, sent as if it were UTF-8
            b"concern=" + b"".join(b"%%%02X" % byte for byte in concern_cp949),
            b"captcha_0=" + key.encode(),
            b"captcha_1=" + digits.encode(),
        ]
    )
    response = client.post(reverse("public_report"), body, content_type=FORM)
    assert response.status_code == 200
    assert "글자를 읽을 수 없습니다" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_form_that_declares_another_encoding_is_refused_with_the_korean_page(client, city):
    key, digits = _form(client)
    body = "&".join(
        [
            f"dong={city.dongs[0].code}",
            "address_text=" + "".join(f"%{b:02X}" for b in "시청로 10".encode("euc-kr")),
            "concern=" + "".join(f"%{b:02X}" for b in CONCERN.encode("euc-kr")),
            f"captcha_0={key}",
            f"captcha_1={digits}",
        ]
    )
    response = client.post(reverse("public_report"), body, content_type=f"{FORM}; charset=euc-kr")
    # Django reads URL-encoded forms in UTF-8 only (what the page asks for); the refusal is the application's page.
    assert response.status_code == 400 and "요청을 처리할 수 없습니다" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_nul_character_is_refused_without_a_server_error(client, city):
    response = _report(client, dong=city.dongs[0].code, concern="불이\x00꺼져 있습니다")
    assert response.status_code == 200
    assert not Referral.objects.exists()


def test_a_resident_number_typed_in_the_text_is_never_stored_in_clear(client, city):
    _report(client, dong=city.dongs[0].code, concern="옆집 할머니 주민번호 500304-2000100 이고 혼자 사십니다")
    referral = Referral.objects.get()
    assert "500304-2000100" not in referral.concern and "2000100" not in referral.concern
    assert "500304-2******" in referral.concern


def test_an_unknown_dong_code_is_refused(client, city):
    response = _report(client, dong="9999999999")
    assert response.status_code == 200 and not Referral.objects.exists()


# ------------------------------------------------------------------------------------------------- the status


def _status(client: Client, receipt: str):
    return client.post(reverse("public_status"), {"receipt_number": receipt})


def test_the_status_page_gives_status_and_answer_only(client, city):
    receipt = _receipt(_report(client, dong=city.dongs[0].code, reporter_contact=PHONE))
    html = _status(client, receipt.lower().replace("-", " ")).content.decode()
    assert 'id="report-status">접수<' in html and "report-answer" not in html

    referral = Referral.objects.get()
    officer = city.users["dong_officer"]
    staff = Staff.objects.get(user=officer)
    item = WorkItem.objects.get(referral=referral)
    work.assign(user=officer, work_item_id=item.pk, visitor_id=staff.pk)
    assert 'id="report-status">확인 중<' in _status(client, receipt).content.decode()

    work.record_visit(
        user=officer, work_item_id=item.pk, visitor_id=staff.pk, on=today_kst(), kind="visit", result="met",
        note="어르신 혼자 거주, 난방비 부담",
    )  # fmt: skip
    work.close(user=officer, work_item_id=item.pk, outcome="helped")
    html = _status(client, receipt).content.decode()
    assert 'id="report-status">종결<' in html and 'id="report-answer">도움을 연계했습니다<' in html
    for private in ("시청로", CONCERN, "난방비", PHONE, "officer", staff.display_name, "김영희", "김*희"):
        assert private not in html


@pytest.mark.parametrize("typed", ["ABCD-234", "ABCD-23450", "ABC0-2345", "<script>", "가나다라-마바사아"])
def test_a_malformed_receipt_number_is_answered_clearly(client, city, typed):
    response = _status(client, typed)
    assert response.status_code == 200
    assert "접수번호는 영문과 숫자 8자리입니다" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_an_unknown_receipt_number_is_answered_like_any_other(client, city):
    response = _status(client, "ABCD-2345")
    assert response.status_code == 200 and "이 접수번호로 접수된 신고가 없습니다" in response.content.decode()


def test_receipt_numbers_cannot_be_tried_in_bulk(client, city, settings):
    settings.PUBLIC_STATUS_PER_HOUR = 5
    receipt = _receipt(_report(client, dong=city.dongs[0].code))
    statuses = [_status(client, f"ZZZZ-{n:04d}".replace("0", "Z").replace("1", "Y")).status_code for n in range(5)]
    assert statuses == [200] * 5
    refused = _status(client, receipt)  # even the right number, once over the limit
    assert refused.status_code == 429 and "report-status" not in refused.content.decode()
    assert PublicRequestCount.objects.get(bucket="status").count == 5


# -------------------------------------------------------------------------------------------------- the sound

needs_speech = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@needs_speech
def test_the_digits_can_be_heard_instead(client, city, settings):
    settings.CAPTCHA_SPEECH = shutil.which("espeak-ng")
    html = client.get(reverse("public_report")).content.decode()
    key, _digits = _challenge(html)
    url = reverse("public_challenge_audio", args=[key])
    assert url in html
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    with wave.open(BytesIO(response.content)) as sound:
        assert sound.getnframes() / sound.getframerate() > 1.0  # five digits take more than a second
    assert client.get(reverse("public_challenge_audio", args=["0" * 40])).status_code == 404


def test_without_a_synthesiser_the_page_offers_the_phone(client, city, settings):
    settings.CAPTCHA_SPEECH = ""
    html = client.get(reverse("public_report")).content.decode()
    assert "/audio/" not in html and "129" in html
    key, _digits = _challenge(html)
    assert client.get(reverse("public_challenge_audio", args=[key])).status_code == 404
