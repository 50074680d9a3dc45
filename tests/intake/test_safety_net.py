"""The safety net's registry from the outside: who may list, add, change and end appointments where, what the pages
show of a member (masked), what the audit log keeps (never the name or phone), the login that stops with the
appointment, and the activity counts per month and quarter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.intake.models import Referral, ReferralAnswer, SafetyNetKind, SafetyNetMember
from dolbom.intake.selectors import safety_net_activity
from dolbom.registry.models import Staff

NAME, PHONE = "홍길동", "010-9876-5432"


def _member(city, dong_index: int = 0, **extra) -> SafetyNetMember:
    values = {
        "kind": SafetyNetKind.TONG_HEAD,
        "name": NAME,
        "phone": PHONE,
        "dong": city.dongs[dong_index],
        "tongs": [3],
        "appointed_from": date(2025, 1, 1),
        **extra,
    }
    return SafetyNetMember.objects.create(**values)


def _form(city, dong_index: int = 0, **extra) -> dict[str, str]:
    return {
        "kind": SafetyNetKind.TONG_HEAD,
        "name": NAME,
        "phone": PHONE,
        "dong": city.dongs[dong_index].code,
        "tongs": "3, 5",
        "appointed_from": "2025-01-01",
        "appointed_to": "",
        "account": "",
        **extra,
    }


@pytest.mark.parametrize("role", ["dong_officer", "district_manager", "district_admin"])
def test_the_officer_and_district_staff_add_a_member_in_their_area(client, city, role):
    client.force_login(city.users[role])
    response = client.post(reverse("safety_net_new"), _form(city))
    assert response.status_code == 302
    member = SafetyNetMember.objects.get()
    assert (member.name, member.phone, member.tongs, member.dong) == (NAME, PHONE, [3, 5], city.dongs[0])
    event = AuditEvent.objects.get(action="intake.appoint_safety_net")
    assert event.detail["dong"] == city.dongs[0].code and event.detail["tongs"] == [3, 5]
    assert NAME not in str(event.detail) and "9876" not in str(event.detail) and "5432" not in str(event.detail)


@pytest.mark.parametrize(("role", "dong_index"), [("dong_officer", 1), ("dong_officer", 2), ("district_manager", 2)])
def test_a_hand_made_post_for_a_dong_outside_the_area_writes_nothing(client, city, role, dong_index):
    client.force_login(city.users[role])
    response = client.post(reverse("safety_net_new"), _form(city, dong_index))
    assert response.status_code == 422 and "dong" in response.context["form"].errors
    assert not SafetyNetMember.objects.exists()


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_other_roles_have_no_safety_net_pages(client, city, role):
    member = _member(city)
    client.force_login(city.users[role])
    for url in (reverse("safety_net"), reverse("safety_net_new"), reverse("safety_net_activity")):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("safety_net_new"), _form(city)).status_code == 403
    assert client.get(reverse("safety_net_member", args=[member.pk])).status_code == 403
    assert client.post(reverse("safety_net_member_end", args=[member.pk]), {"reason": "이사"}).status_code == 403
    assert SafetyNetMember.objects.count() == 1 and SafetyNetMember.objects.get().ended_at is None


def test_names_and_phones_are_masked_on_the_pages_and_the_reading_is_audited(client, city):
    member = _member(city)
    client.force_login(city.users["dong_officer"])
    for url in (reverse("safety_net"), reverse("safety_net_member", args=[member.pk])):
        html = client.get(url).content.decode()
        assert "홍*동" in html and NAME not in html, url
        assert "010-****-5432" in html and "9876" not in html, url
    assert AuditEvent.objects.filter(action="intake.view_safety_net", actor=city.users["dong_officer"]).exists()
    assert AuditEvent.objects.filter(action="intake.view_safety_net_member", object_id=str(member.pk)).exists()


def test_the_list_shows_the_officers_dong_only(client, city):
    mine, other = _member(city, 0), _member(city, 1, name="김이웃")
    client.force_login(city.users["dong_officer"])
    html = client.get(reverse("safety_net")).content.decode()
    assert f'id="member-{mine.pk}"' in html and f'id="member-{other.pk}"' not in html
    assert client.get(reverse("safety_net"), {"dong": "abc"}).status_code == 400


def test_a_change_keeps_name_and_phone_left_empty_and_names_what_changed(client, city):
    member = _member(city)
    client.force_login(city.users["dong_officer"])
    data = _form(city, name="", phone="", tongs="7", kind=SafetyNetKind.HONORARY_OFFICER, version=member.version)
    assert client.post(reverse("safety_net_member", args=[member.pk]), data).status_code == 302
    member.refresh_from_db()
    assert (member.name, member.phone, member.tongs, member.kind) == (NAME, PHONE, [7], SafetyNetKind.HONORARY_OFFICER)
    data = _form(city, name="홍길순", phone="", tongs="7", version=member.version)
    client.post(reverse("safety_net_member", args=[member.pk]), data)
    event = AuditEvent.objects.filter(action="intake.change_safety_net").order_by("-seq").first()
    assert event.detail["changes"]["name"] == ["*", "*"] and "홍길순" not in str(event.detail)


def test_a_change_made_in_between_is_refused(client, city):
    member = _member(city)
    client.force_login(city.users["dong_officer"])
    seen = member.version
    assert client.post(reverse("safety_net_member", args=[member.pk]), _form(city, version=seen)).status_code == 302
    response = client.post(reverse("safety_net_member", args=[member.pk]), _form(city, tongs="9", version=seen))
    assert response.status_code == 422 and "다른 사람이" in response.content.decode()
    member.refresh_from_db()
    assert member.tongs == [3, 5]


def test_bad_tongs_and_dates_are_refused_with_messages(client, city):
    client.force_login(city.users["dong_officer"])
    for extra, field in (
        ({"tongs": "3, 오"}, "tongs"),
        ({"tongs": "0"}, "tongs"),
        ({"appointed_to": "2024-01-01"}, "appointed_to"),
        ({"appointed_from": ""}, "appointed_from"),
        ({"phone": "전화 없음"}, "phone"),
        ({"name": "홍"}, "name"),
        ({"kind": "mayor"}, "kind"),
    ):
        response = client.post(reverse("safety_net_new"), _form(city, **extra))
        assert response.status_code == 422 and field in response.context["form"].errors, extra
    assert not SafetyNetMember.objects.exists()
    assert client.post(reverse("safety_net_new"), _form(city, tongs="3통, 5통")).status_code == 302
    assert SafetyNetMember.objects.get().tongs == [3, 5]


def _safety_login(city, username: str, dong_index: int):
    user = get_user_model().objects.create_user(username=username, password="x" * 12)
    staff = Staff.objects.create(user=user, agency=city.agencies["dong0"], role=Role.SAFETY_NET, display_name=username)
    staff.areas.set([city.dongs[dong_index]])
    return user


def test_only_a_safety_net_login_of_the_dong_can_be_linked(client, city):
    client.force_login(city.users["dong_officer"])
    elsewhere = _safety_login(city, "tong_other", 1)
    for account in (elsewhere, city.users["agency_worker"]):
        response = client.post(reverse("safety_net_new"), _form(city, account=str(account.pk)))
        assert response.status_code == 422 and "account" in response.context["form"].errors
    own = city.users["safety_net"]
    assert client.post(reverse("safety_net_new"), _form(city, account=str(own.pk))).status_code == 302
    # The same login on a second appointment over the same dates would count its referrals twice.
    response = client.post(reverse("safety_net_new"), _form(city, account=str(own.pk), appointed_from="2025-06-01"))
    assert response.status_code == 422 and "account" in response.context["form"].errors


def test_ending_an_appointment_stops_its_login(client, city):
    member = _member(city, account=city.users["safety_net"])
    reporter = city.users["safety_net"]
    client.force_login(city.users["dong_officer"])
    response = client.post(
        reverse("safety_net_member_end", args=[member.pk]), {"version": member.version, "reason": "이사"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.appointed_to == today_kst() and member.end_reason == "이사" and member.ended_at is not None
    assert not Staff.objects.get(user=reporter).active
    assert AuditEvent.objects.get(action="intake.end_safety_net").detail["login_stopped"] is True
    assert AuditEvent.objects.filter(action="registry.change_reference_data", object_id=str(reporter.staff.pk)).exists()
    # The former member can no longer file.
    client.force_login(reporter)
    data = {"dong": city.dongs[0].code, "address_text": "시청로 10", "concern": "며칠째 불이 꺼져 있습니다"}
    assert client.post(reverse("referral_new"), data).status_code == 403
    assert not Referral.objects.exists()


def test_ending_needs_a_reason_and_a_date_not_in_the_future(client, city):
    member = _member(city)
    client.force_login(city.users["dong_officer"])
    url = reverse("safety_net_member_end", args=[member.pk])
    tomorrow = (today_kst() + timedelta(days=1)).isoformat()
    for data in ({"reason": ""}, {"reason": "이사", "on": tomorrow}, {"reason": "이사", "on": "2020-01-01"}):
        response = client.post(url, data)
        assert response.status_code == 422, data
    member.refresh_from_db()
    assert member.ended_at is None


def test_an_appointment_of_another_dong_is_not_found(client, city):
    other = _member(city, 1)
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("safety_net_member", args=[other.pk])).status_code == 404
    response = client.post(reverse("safety_net_member_end", args=[other.pk]), {"reason": "이사"})
    assert response.status_code == 404
    assert client.post(reverse("safety_net_member", args=[other.pk]), _form(city, 0)).status_code == 404
    other.refresh_from_db()
    assert other.ended_at is None and other.dong == city.dongs[1]


# ------------------------------------------------------------------------------------------------- activity


def _filed(city, user, on: date, answer: str = "") -> Referral:
    referral = Referral.objects.create(
        channel="safety_net", reported_by=user, dong=city.dongs[0], address_text="시청로 10", concern="불이 꺼져 있음",
        answer=answer, status="closed" if answer else "received",
    )  # fmt: skip
    Referral.objects.filter(pk=referral.pk).update(created_at=f"{on.isoformat()}T10:00:00+09:00")
    return referral


def test_activity_counts_referrals_per_member_and_period_and_those_that_led_to_help(client, city):
    reporter = city.users["safety_net"]
    first = _member(city, appointed_from=date(2025, 1, 1), appointed_to=date(2025, 6, 30), account=reporter)
    renewed = _member(city, appointed_from=date(2025, 7, 1), account=reporter)
    _member(city, name="김무계정")  # no login: nothing to count
    _filed(city, reporter, date(2025, 2, 3), ReferralAnswer.HELPED)
    _filed(city, reporter, date(2025, 2, 20), ReferralAnswer.NO_ACTION)
    _filed(city, reporter, date(2025, 3, 31))
    _filed(city, reporter, date(2025, 8, 15), ReferralAnswer.HELPED)
    _filed(city, reporter, date(2024, 12, 31))  # another year
    officer = city.users["dong_officer"]

    months = safety_net_activity(officer, year=2025, by="month")
    rows = {row.member.pk: row for row in months.rows}
    assert rows[first.pk].filed[1] == 2 and rows[first.pk].helped[1] == 1 and rows[first.pk].filed[2] == 1
    assert rows[first.pk].total_filed == 3 and rows[renewed.pk].total_filed == 1 and rows[renewed.pk].helped[7] == 1
    quarters = safety_net_activity(officer, year=2025, by="quarter")
    assert {row.member.pk: row.filed for row in quarters.rows}[first.pk] == [3, 0, 0, 0]
    assert quarters.totals == [(3, 1), (0, 0), (1, 1), (0, 0)]

    client.force_login(officer)
    response = client.get(reverse("safety_net_activity"), {"year": "2025", "by": "quarter"})
    html = response.content.decode()
    assert response.status_code == 200 and "1분기" in html and "홍*동" in html and NAME not in html
    assert client.get(reverse("safety_net_activity"), {"year": "abc"}).status_code == 400
    assert client.get(reverse("safety_net_activity"), {"dong": city.dongs[2].code}).status_code == 403


def test_activity_of_another_district_is_not_counted_for_a_manager(city):
    reporter = _safety_login(city, "tong_far", 2)
    _member(city, 2, account=reporter)
    _filed(city, reporter, date(2025, 5, 5))
    table = safety_net_activity(city.users["district_manager"], year=2025)
    assert table.rows == []
