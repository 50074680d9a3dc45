import copy
import io
import json
import logging
import logging.config
import unicodedata
from datetime import date
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dolbom.core.models import AuditEvent
from dolbom.registry.selectors import parse_search, search_households
from dolbom.registry.services import search
from tests.conftest import PASSWORD, make_rrn


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("800101-1234567", "rrn"),
        ("8001011234567", "rrn"),
        ("800101-1", "birth"),
        ("800101-1******", "birth"),
        ("800101", "birth"),
        ("010-1234-5678", "phone"),
        ("01012345678", "phone"),
        ("5678", "phone_last4"),
        ("김영희", "name"),
        ("시청로 10", "address"),
        ("시청로", "address"),
        ("새솔1길", "address"),
        ("홍길동", "name"),
        ("", "empty"),
        # Typed with other dashes, dots, spaces, full-width digits, or beside a name: still a number, never an address.
        ("451005－2170836", "rrn"),
        ("451005–2170836", "rrn"),
        ("451005—2170836", "rrn"),
        ("451005−2170836", "rrn"),
        ("451005.2170836", "rrn"),
        ("451005 2170836", "rrn"),
        ("451005 - 2170836", "rrn"),
        ("４５１００５－２１７０８３６", "rrn"),
        ("451005\u200b-2170836", "rrn"),
        ("홍길동 451005-2170836", "rrn"),
        ("451005-2170836 홍길동", "rrn"),
        ("999999-9999999", "invalid"),
        ("010.2579.6218", "phone"),
        ("010 2579 6218", "phone"),
        ("０１０－２５７９－６２１８", "phone"),
        ("+82 10-2579-6218", "phone"),
        ("홍길동 010-2579-6218", "phone"),
        ("4111-1111-1111-1111", "card"),
        ("800101.1", "birth"),
        ("김영희 500304-2", "birth"),
        ("시청로 1234", "address"),
    ],
)
def test_parse_search_reads_what_officers_type(text, kind):
    assert parse_search(text).kind == kind


def _names(hits):
    return sorted(h.matched or h.head_name for h in hits)


def test_search_by_each_key(city):
    officer = city.users["district_manager"]
    head = city.persons[0]
    assert _names(search_households(officer, "김영")[1]) == ["김*희"]
    assert len(search_households(officer, "김")[1]) == 1  # two matching members, one household
    assert len(search_households(officer, head.resident_number())[1]) == 1
    assert len(search_households(officer, "500304-2")[1]) == 1
    assert len(search_households(officer, "500304-1")[1]) == 0  # the sex digit narrows
    assert len(search_households(officer, "010-1111-2222")[1]) == 1
    assert len(search_households(officer, "2222")[1]) == 1
    assert len(search_households(officer, "시청로 11")[1]) == 1


def test_search_never_leaves_the_users_scope(city):
    officer = city.users["dong_officer"]  # dong 0 only
    assert search_households(officer, "박민지")[1] == []  # lives in dong 2
    assert search_households(officer, "시청로 12")[1] == []


def test_search_audit_never_keeps_the_number(city):
    from dolbom.core.models import AuditEvent

    number = city.persons[0].resident_number()
    search(user=city.users["dong_officer"], text=number)
    event = AuditEvent.objects.latest("seq")
    assert number[:6] not in str(event.detail) and number[7:] not in str(event.detail)
    assert event.detail["kind"] == "rrn"


def test_private_agency_search_shows_nothing_of_members_who_did_not_consent(city):
    from dolbom.registry.models import Consent, Membership
    from dolbom.registry.services import withdraw_consent
    from tests.conftest import make_person

    worker = city.users["agency_worker"]
    household = city.household_in(0)
    # The spouse consents, the head withdraws: the head's name must vanish from the agency's results.
    Consent.objects.create(
        person=city.persons[3],
        recipient=city.agencies["welfare"],
        purpose="service_linkage",
        given_on=city.persons[0].consents.get().given_on,
    )
    withdraw_consent(user=city.users["dong_officer"], consent=city.persons[0].consents.get(), reason="본인 요청")
    child = make_person("김하늘", city.persons[0].birth_date.replace(year=1985), "F", serial=300)
    Membership.objects.create(household=household, person=child, relationship="child", moved_in=household.registered_on)
    [hit] = search_households(worker, "시청로 10")[1]
    assert hit.head_name == "" and hit.member_count == 1
    assert search_households(worker, "김하늘")[1] == []


def test_search_says_when_more_households_match_than_are_shown(city):
    from dolbom.registry.services import search

    officer = city.users["district_manager"]
    assert search(user=officer, text="시청로", limit=1).truncated
    assert not search(user=officer, text="시청로", limit=2).truncated
    assert len(search(user=officer, text="시청로", limit=1).hits) == 1


def _signed_in(client, username="manager"):
    assert client.login(username=username, password=PASSWORD)
    return client


HEAD_RRN = make_rrn(date(1950, 3, 4), "F", 100)  # city.persons[0], 김영희, in dong 0


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        (HEAD_RRN.replace("-", "－"), "rrn"),
        (HEAD_RRN.replace("-", "–"), "rrn"),
        (HEAD_RRN.replace("-", "."), "rrn"),
        (HEAD_RRN.replace("-", " "), "rrn"),
        (HEAD_RRN.translate(str.maketrans("0123456789-", "０１２３４５６７８９－")), "rrn"),
        ("김영희 " + HEAD_RRN, "rrn"),
        ("010.1111.2222", "phone"),
        ("김영희 010 1111 2222", "phone"),
    ],
)
def test_a_number_typed_any_way_finds_the_household_and_stays_out_of_the_audit(client, city, typed, kind):
    response = _signed_in(client).get(reverse("household_search"), {"q": typed})
    assert response.status_code == 200
    assert [hit.household for hit in response.context["hits"]] == [city.households[0]]
    event = AuditEvent.objects.filter(action="registry.search").latest("seq")
    assert event.detail["kind"] == kind and len(event.detail["hash"]) == 64
    stored = _digits(json.dumps(event.detail, ensure_ascii=False))
    assert "5003042000100" not in stored and "01011112222" not in stored and "11112222" not in stored


def test_a_name_beside_a_number_is_said_to_be_ignored(client, city):
    page = _signed_in(client).get(reverse("household_search"), {"q": "홍길동 " + HEAD_RRN}).content.decode()
    assert "번호로만 검색했습니다" in page
    assert "김*희" in page  # found by the number although the name differs


def test_the_same_number_gives_the_same_audit_hash_whatever_its_form(client, city):
    _signed_in(client)
    for typed in (HEAD_RRN, HEAD_RRN.replace("-", "－"), "김영희 " + HEAD_RRN.replace("-", " ")):
        client.get(reverse("household_search"), {"q": typed})
    hashes = {e.detail["hash"] for e in AuditEvent.objects.filter(action="registry.search")}
    assert len(hashes) == 1
    from dolbom.core.crypto import rrn_hash

    assert city.persons[0].rrn_hash not in hashes and rrn_hash(HEAD_RRN.replace("-", "")) not in hashes


# --- No resident number reaches anything written down, whatever its form (property-based) ---------------------

# Between the birth date and the rest: nothing, spaces, dots, and every dash and invisible character in use.
_BETWEEN_GROUPS = ["", " ", "  ", " - ", *"-.·_/~－‐‑‒–—―−﹘﹣⁃ー〜～\u3000\u00a0\u2009\u200b\u00ad\u2060\ufeff"]
_WIDTH = {
    "ascii": str.maketrans("", ""),
    "full": str.maketrans("0123456789", "０１２３４５６７８９"),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "math-bold": str.maketrans("0123456789", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"),
}
_AROUND = st.lists(
    st.sampled_from([*"홍길동김영희주민번호 abcXYZ:#()[],;!?@017０", "번호는 ", "주민등록번호: ", "\t", "\n"]),
    max_size=8,
).map("".join)


@st.composite
def resident_numbers_typed_any_way(draw):
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    rrn = make_rrn(birth, draw(st.sampled_from("MF")), draw(st.integers(0, 999_999)), foreign=draw(st.booleans()))
    digits = rrn.replace("-", "")
    typed = list(digits[:6] + draw(st.sampled_from(_BETWEEN_GROUPS)) + digits[6:])
    # Spaces or dashes inside the groups as well, where some people put them ("80 01 01").
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(1, len(typed) - 1))
        typed.insert(position, draw(st.sampled_from([" ", "-", "－", ".", "\u200b"])))
    typed = "".join(typed).translate(_WIDTH[draw(st.sampled_from(sorted(_WIDTH)))])
    return digits, draw(_AROUND) + typed + draw(_AROUND)


def _digits(text: str) -> str:
    """The text with every separator gone and every digit ASCII, so that no form of a number can hide from the
    comparison: written independently of core.numbers, which is what is under test."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded if ch.isdecimal() or ch.isalpha()
    )


@pytest.fixture
def log_output(settings):
    """What the logging of settings.LOGGING writes (its handlers, with their filters), captured in a buffer."""
    buffer = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    for handler in config["handlers"].values():
        assert handler["class"] == "logging.StreamHandler" and "redact_rrn" in handler["filters"]
        handler["stream"] = buffer
    logging.config.dictConfig(config)
    yield buffer
    logging.config.dictConfig(settings.LOGGING)


def _everything_written(log_output) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_auditevent")
        rows = [" | ".join(str(value) for value in row) for row in cursor.fetchall()]
    sessions = [str(s.get_decoded()) for s in Session.objects.all()]
    return [*rows, *sessions, log_output.getvalue()]


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=resident_numbers_typed_any_way())
def test_no_resident_number_is_written_down_in_clear(client, city, settings, log_output, case):
    settings.DENIED_AUDIT_PER_MINUTE = 10_000  # every refusal recorded, so that every recorded path is checked
    digits, typed = case
    if "_auth_user_id" not in client.session:
        _signed_in(client)
    client.get(reverse("household_search"), {"q": typed})
    client.get(reverse("household_search"), {"q": typed}, headers={"HX-Request": "true"})
    # A number pasted into the address bar: a 404 that Django logs with the path and the audit records.
    client.get("/households/" + quote(typed.replace("/", " ")) + "/")
    assert AuditEvent.objects.filter(action__in=["registry.search", "access.denied"]).exists()
    for written in _everything_written(log_output):
        assert digits not in _digits(written), (typed, written[:300])


def test_the_search_box_posts_so_a_number_never_sits_in_an_address(client, city):
    """A GET search would leave the number in the address bar, the history of a shared PC and a proxy's log."""
    c = _signed_in(client)
    page = c.get(reverse("household_search")).content.decode()
    assert 'method="post"' in page and "hx-post=" in page and "hx-get=" not in page and "hx-push-url" not in page
    today = c.get(reverse("today")).content.decode()
    assert 'action="/households/"' in today and 'method="get"' not in today
    response = c.post(reverse("household_search"), {"q": HEAD_RRN}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "김*희" in response.content.decode()
    assert HEAD_RRN not in response.content.decode()


@pytest.mark.parametrize("separator", ["ㅡ", "─", "一", "+", "*", ",", ";", "=", "#", "|", "'", " 다음 ", "번호"])
def test_any_separator_between_the_groups_keeps_the_number_out_of_the_audit_log(client, city, separator):
    typed = HEAD_RRN.replace("-", separator)
    _signed_in(client).post(reverse("household_search"), {"q": typed})
    for event in AuditEvent.objects.filter(action="registry.search"):
        assert HEAD_RRN.replace("-", "")[6:] not in json.dumps(event.detail, ensure_ascii=False), separator
