from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.registry.models import Address, Consent, Membership, Person
from dolbom.registry.services import (
    NewMember,
    move_out,
    record_death,
    register_household,
    reveal_person,
    withdraw_consent,
)
from tests.conftest import make_rrn


def test_reveal_requires_a_reason_and_records_it(city):
    officer = city.users["dong_officer"]
    person = city.persons[0]
    with pytest.raises(ValidationError):
        reveal_person(user=officer, person_id=person.pk, reason=" ")
    revealed = reveal_person(user=officer, person_id=person.pk, reason="긴급지원 신청 확인")
    assert revealed.rrn == person.resident_number() and revealed.name == "김영희"
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.reason, event.object_id) == (
        "registry.reveal_person",
        "긴급지원 신청 확인",
        str(person.pk),
    )


def test_household_page_is_masked_and_reveal_works_over_htmx(client, city):
    client.force_login(city.users["dong_officer"])
    household = city.household_in(0)
    html = client.get(reverse("household_detail", args=[household.pk])).content.decode()
    assert "김*희" in html and "500304-2******" in html and "010-****-2222" in html
    assert "김영희" not in html and city.persons[0].resident_number() not in html
    fragment = client.post(
        reverse("reveal_person", args=[city.persons[0].pk]), {"reason": "방문 상담"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert city.persons[0].resident_number() in fragment and "<html" not in fragment
    refused = client.post(reverse("reveal_person", args=[city.persons[0].pk]), {"reason": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "열람 사유" in refused.content.decode()


def _address(city, dong_index=0):
    return Address.objects.create(dong=city.dongs[dong_index], road_address="한빛시 중앙구 새길 1")


def test_register_household_validates_every_member(city):
    officer = city.users["dong_officer"]
    good = NewMember("최다은", date(1990, 5, 6), "F", make_rrn(date(1990, 5, 6), "F", 1))
    wrong_sex = NewMember("최다온", date(1991, 5, 6), "M", make_rrn(date(1991, 5, 6), "F", 2), relationship="child")
    before = Person.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        register_household(user=officer, address=_address(city), members=[good, wrong_sex])
    assert "members.1.resident_number" in excinfo.value.message_dict
    assert Person.objects.count() == before  # nothing half-written
    household = register_household(user=officer, address=_address(city), members=[good])
    assert household.memberships.count() == 1
    with pytest.raises(ValidationError, match="이미 등록된"):
        register_household(user=officer, address=_address(city), members=[good])


def test_register_household_outside_the_officers_dong_is_refused(city):
    member = NewMember("최다은", date(1990, 5, 6), "F", make_rrn(date(1990, 5, 6), "F", 1))
    with pytest.raises(PermissionDenied):
        register_household(user=city.users["dong_officer"], address=_address(city, 2), members=[member])


def test_move_out_dates_membership_and_keeps_history(city):
    officer = city.users["dong_officer"]
    membership = city.persons[3].memberships.get()
    with pytest.raises(ValidationError):
        move_out(user=officer, membership=membership, on=date(2019, 1, 1))
    move_out(user=officer, membership=membership, on=date(2026, 6, 30), reason="요양원 입소")
    membership.refresh_from_db()
    assert membership.moved_out == date(2026, 6, 30)
    with pytest.raises(PermissionDenied):
        move_out(user=officer, membership=city.persons[2].memberships.get(), on=date(2026, 6, 30))


def test_the_same_move_recorded_twice_at_once_is_applied_once(city):
    """Two officers (or two tabs) hold the same membership and record the move at the same moment: each request
    loaded its own copy, so only the database can tell that the second is too late."""
    officer = city.users["dong_officer"]
    first = Membership.objects.get(person=city.persons[3])
    second = Membership.objects.get(person=city.persons[3])
    move_out(user=officer, membership=first, on=date(2026, 6, 30))
    with pytest.raises(ValidationError, match="이제 이 가구에 살지 않습니다"):
        move_out(user=officer, membership=second, on=date(2026, 7, 1))
    assert Membership.objects.get(person=city.persons[3]).moved_out == date(2026, 6, 30)
    assert AuditEvent.objects.filter(action="registry.move_out").count() == 1


def test_a_withdrawal_and_a_death_recorded_twice_at_once_keep_the_first(city):
    officer = city.users["dong_officer"]
    consent_a = Consent.objects.get(person=city.persons[0])
    consent_b = Consent.objects.get(person=city.persons[0])
    withdraw_consent(user=officer, consent=consent_a, on=date(2026, 2, 1))
    with pytest.raises(ValidationError):
        withdraw_consent(user=officer, consent=consent_b, on=date(2026, 3, 1))
    assert Consent.objects.get(pk=consent_a.pk).withdrawn_on == date(2026, 2, 1)

    spouse_a, spouse_b = Person.objects.get(pk=city.persons[3].pk), Person.objects.get(pk=city.persons[3].pk)
    record_death(user=officer, person=spouse_a, on=date(2026, 2, 1))
    with pytest.raises((ValidationError, PermissionDenied)):
        record_death(user=officer, person=spouse_b, on=date(2026, 3, 1))
    assert Person.objects.get(pk=spouse_a.pk).date_of_death == date(2026, 2, 1)
    assert AuditEvent.objects.filter(action="registry.record_death").count() == 1
