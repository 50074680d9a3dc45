import pytest

from dolbom.registry.selectors import parse_search, search_households
from dolbom.registry.services import search


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
