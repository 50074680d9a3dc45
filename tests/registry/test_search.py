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
        ("5678", "phone_four"),
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


def _hits(user, text):
    return search_households(user, text).hits


def test_search_by_each_key(city):
    officer = city.users["district_manager"]
    head = city.persons[0]
    assert _names(_hits(officer, "김영")) == ["김*희"]
    assert len(_hits(officer, "김")) == 1  # two matching members, one household
    assert len(_hits(officer, head.resident_number())) == 1
    assert len(_hits(officer, "500304-2")) == 1
    assert len(_hits(officer, "500304-1")) == 0  # the sex digit narrows
    assert len(_hits(officer, "010-1111-2222")) == 1
    assert len(_hits(officer, "2222")) == 1
    assert len(_hits(officer, "시청로 11")) == 1


def test_search_never_leaves_the_users_scope(city):
    officer = city.users["dong_officer"]  # dong 0 only
    assert _hits(officer, "박민지") == []  # lives in dong 2
    assert _hits(officer, "시청로 12") == []


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
    [hit] = _hits(worker, "시청로 10")
    assert hit.head_name == "" and hit.head_birth_year is None and hit.member_count == 1
    assert _hits(worker, "김하늘") == []


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
    assert [hit.household for hit in response.context["result"].hits] == [city.households[0]]
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


# --- Finding the household and the door: units, 통/반, spaced names, four phone digits, NFC, pages ----------------


def _post_search(client, text, page=None, htmx=True):
    data = {"q": text} if page is None else {"q": text, "page": str(page)}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("household_search"), data, headers=headers)


def _found(response):
    assert response.status_code == 200, response.content.decode()[:300]
    return [hit.household for hit in response.context["result"].hits]


@pytest.mark.parametrize("typed", ["101동 1203호", "101동1203호", "101 동 1203 호", "１０１동 １２０３호", "1203호"])
def test_a_unit_finds_the_households_behind_that_door(client, city, typed):
    """Every fixture address is 시청로 1x, 101동 1203호, 3통 2반: the district manager finds the two of the district."""
    found = _found(_post_search(_signed_in(client), typed))
    assert found == [city.households[0], city.households[1]]
    assert _post_search(client, "101동 1204호").context["result"].hits == []


def test_a_unit_beside_a_road_name_narrows_to_that_building(client, city):
    assert _found(_post_search(_signed_in(client), "시청로 11 101동 1203호")) == [city.households[1]]


@pytest.mark.parametrize(
    ("typed", "indexes"),
    [("가온동 3통", [0]), ("나래동 3통 2반", [1]), ("3통", [0, 1]), ("가온동 3통 1반", []), ("가온동 4통", [])],
)
def test_a_dong_and_its_tong_find_the_households_of_that_tong(client, city, typed, indexes):
    assert _found(_post_search(_signed_in(client), typed)) == [city.households[i] for i in indexes]


def test_a_dong_officer_finds_no_tong_of_another_dong(client, city):
    client.force_login(city.users["dong_officer"])
    assert _found(_post_search(client, "나래동 3통")) == []
    assert _found(_post_search(client, "다솜동 3통")) == []


@pytest.mark.parametrize("typed", ["김 영희", "김  영희", "김 영"])
def test_a_name_typed_with_a_space_after_the_family_name_is_found(client, city, typed):
    assert parse_search(typed).kind == "name"
    assert _found(_post_search(_signed_in(client), typed)) == [city.households[0]]


def test_four_digits_find_the_middle_or_the_last_four_of_a_phone_and_say_which(client, city):
    """김영희 has 010-1111-2222: "1111" is the middle of her number, "2222" its end."""
    c = _signed_in(client)
    middle = _post_search(c, "1111")
    assert _found(middle) == [city.households[0]]
    assert middle.context["result"].hits[0].matched_by == "middle"
    assert "전화번호 가운데 네 자리" in middle.content.decode()
    last = _post_search(c, "2222")
    assert _found(last) == [city.households[0]] and last.context["result"].hits[0].matched_by == "last"
    assert "전화번호 끝 네 자리" in last.content.decode()
    assert _found(_post_search(c, "3333")) == [city.households[1]]  # 이철수, 010-3333-4444
    event = AuditEvent.objects.filter(action="registry.search").latest("seq")
    assert event.detail["kind"] == "phone_four" and event.detail["query"] == "전화번호 ****3333"


def test_decomposed_korean_is_composed_on_both_sides(client, city):
    """A name stored from decomposed jamo (a file from a Mac) and a query typed decomposed both match."""
    from tests.conftest import make_person

    decomposed = unicodedata.normalize("NFD", "윤슬기")
    assert decomposed != "윤슬기"
    person = make_person(decomposed, date(1990, 2, 2), "F", serial=400)
    person.refresh_from_db()
    assert person.name == "윤슬기"
    from dolbom.registry.models import Membership

    Membership.objects.create(
        household=city.households[1], person=person, relationship="child", moved_in=date(2021, 1, 1)
    )
    c = _signed_in(client)
    assert _found(_post_search(c, "윤슬기")) == [city.households[1]]
    assert _found(_post_search(c, unicodedata.normalize("NFD", "윤슬"))) == [city.households[1]]
    road = unicodedata.normalize("NFD", "시청로 11")
    assert _found(_post_search(c, road)) == [city.households[1]]


def test_the_migration_composes_names_and_addresses_stored_decomposed(city):
    """Rows written before names were normalised on save (or by a bulk load that bypasses it)."""
    import importlib

    from django.apps import apps

    from dolbom.registry.models import Address, Person

    migration = importlib.import_module("dolbom.registry.migrations.0007_search_keys")
    Person.objects.filter(pk=city.persons[1].pk).update(name=unicodedata.normalize("NFD", "이철수"))
    Address.objects.filter(pk=city.households[1].address_id).update(detail=unicodedata.normalize("NFD", "나동 2호"))
    migration.compose(apps, None)
    assert Person.objects.get(pk=city.persons[1].pk).name == "이철수"
    address = Address.objects.get(pk=city.households[1].address_id)
    assert address.detail == "나동 2호" and address.unit == "2호"


def test_results_show_what_tells_one_household_from_the_next(client, city):
    html = _post_search(_signed_in(client), "김민").content.decode()  # the spouse; the head shown beside him
    for shown in ("김*희", "1950년생", "김*수", "1948년생", "101동 1203호", "3통 2반", "2명", "가온동"):
        assert shown in html, shown
    assert "김영희" not in html and "김민수" not in html  # names stay masked


def test_an_agency_sees_no_birth_year_of_a_member_who_did_not_consent(client, city):
    """The spouse 김민수 (1948) did not consent to share with the welfare centre: searching the household's
    address, the agency sees the consenting head only, and nothing of him."""
    client.force_login(city.users["agency_worker"])
    html = _post_search(client, "시청로 10").content.decode()
    assert "김*희" in html and "1950년생" in html
    assert "1948" not in html and "김*수" not in html and "1명" in html


@pytest.fixture
def street(city):
    """62 households on 새길로 in dong 0, one member each: more than a page."""
    from dolbom.registry.models import Address, Household, Membership
    from tests.conftest import make_person

    households = []
    for i in range(62):
        address = Address.objects.create(dong=city.dongs[0], road_address=f"한빛시 중앙구 새길로 {i + 1}")
        household = Household.objects.create(address=address, dong=city.dongs[0], registered_on=date(2020, 1, 1))
        person = make_person(f"주민{i:02d}", date(1960, 1, 1), "M", serial=1000 + i)
        Membership.objects.create(household=household, person=person, relationship="head", moved_in=date(2020, 1, 1))
        households.append(household)
    return households


def test_results_come_in_pages_of_fifty_with_the_true_total(client, city, street):
    c = _signed_in(client)
    first = _post_search(c, "새길로")
    result = first.context["result"]
    assert (result.total, result.pages, len(result.hits)) == (62, 2, 50)
    html = first.content.decode()
    assert "가구 62곳을 찾았습니다" in html and "1–50번째" in html and "다음 쪽" in html
    # The page button posts the text with it: nothing of the query in an address.
    assert 'name="page" value="2"' in html and "?q=" not in html and "hx-get" not in html
    second = _post_search(c, "새길로", page=2)
    assert len(second.context["result"].hits) == 12 and "51–62번째" in second.content.decode()
    assert {h.pk for h in _found(first)} | {h.pk for h in _found(second)} == {h.pk for h in street}
    assert not {h.pk for h in _found(first)} & {h.pk for h in _found(second)}
    assert _found(_post_search(c, "새길로", page=99)) == _found(second)  # past the last: the last
    events = AuditEvent.objects.filter(action="registry.search").order_by("seq")
    assert [e.detail["page"] for e in events] == [1, 2, 2]
    assert events[1].detail["total"] == 62
    assert events[1].detail["households"] == [h.pk for h in _found(second)]


def test_the_whole_page_searches_and_pages_without_htmx(client, city, street):
    c = _signed_in(client)
    response = _post_search(c, "새길로", page=2, htmx=False)
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert len(response.context["result"].hits) == 12


def test_more_matches_than_are_counted_ask_to_narrow_the_search(client, city, street, monkeypatch):
    from dolbom.registry import selectors

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 20)
    monkeypatch.setattr(selectors, "ROWS_READ", 63)
    response = _post_search(_signed_in(client), "새길로")
    result = response.context["result"]
    assert result.more_than_counted and result.pages == 1 and len(result.hits) == 20
    assert "20곳이 넘는 가구가 찾아졌습니다" in response.content.decode()


@pytest.mark.parametrize("separator", ["ㅡ", "─", "一", "+", "*", ",", ";", "=", "#", "|", "'", " 다음 ", "번호"])
def test_any_separator_between_the_groups_keeps_the_number_out_of_the_audit_log(client, city, separator):
    typed = HEAD_RRN.replace("-", separator)
    _signed_in(client).post(reverse("household_search"), {"q": typed})
    for event in AuditEvent.objects.filter(action="registry.search"):
        assert HEAD_RRN.replace("-", "")[6:] not in json.dumps(event.detail, ensure_ascii=False), separator


def test_a_name_searched_is_masked_with_a_keyed_hash_to_find_it_again(client, city):
    """박*수 alone names hundreds of people: the investigator holding the key can tell which name was searched,
    the log itself cannot."""
    _signed_in(client)
    for typed in ("김영희", "김 영희"):
        client.get(reverse("household_search"), {"q": typed})
    events = list(AuditEvent.objects.filter(action="registry.search").order_by("seq"))
    assert [e.detail["query"] for e in events] == ["김*희", "김*희"]
    assert len({e.detail["hash"] for e in events}) == 1 and len(events[0].detail["hash"]) == 64
    assert "김영희" not in json.dumps([e.detail for e in events], ensure_ascii=False)
