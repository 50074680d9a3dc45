"""Referrals (복지위기 신고) from the outside: who may file one about which dong, and what the form offers."""

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.intake.models import Referral, ReferralChannel
from dolbom.intake.services.referrals import file_referral

CONCERN = "며칠째 불이 꺼져 있고 우편물이 쌓여 있습니다"


def _post(client, city, role, dong_index):
    client.force_login(city.users[role])
    data = {"dong": city.dongs[dong_index].code, "address_text": "시청로 10", "concern": CONCERN}
    return client.post(reverse("referral_new"), data)


def test_safety_net_member_files_a_referral_in_their_dong(client, city):
    response = _post(client, city, "safety_net", 0)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.dong == city.dongs[0] and referral.channel == ReferralChannel.SAFETY_NET
    assert referral.reported_by == city.users["safety_net"]
    assert AuditEvent.objects.filter(action="intake.file_referral", object_id=str(referral.pk)).exists()


@pytest.mark.parametrize("dong_index", [1, 2], ids=["other dong", "other district"])
def test_safety_net_member_cannot_file_about_another_dong_by_a_hand_made_post(client, city, dong_index):
    response = _post(client, city, "safety_net", dong_index)
    assert response.status_code == 422  # the form again, with the dong refused
    assert "dong" in response.context["form"].errors
    assert not Referral.objects.exists()


def test_the_form_offers_only_the_reporters_own_dongs(client, city):
    client.force_login(city.users["safety_net"])
    form = client.get(reverse("referral_new")).context["form"]
    assert [d.code for d in form.fields["dong"].queryset] == [city.dongs[0].code]


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("dong_officer", {0}),
        ("district_manager", {0, 1}),
        ("agency_worker", {0, 1}),  # the welfare centre is in district 1
        ("safety_net", {0}),
    ],
)
def test_each_role_files_where_it_works(client, city, role, offered):
    client.force_login(city.users[role])
    form = client.get(reverse("referral_new")).context["form"]
    codes = {d.code for d in form.fields["dong"].queryset}
    assert codes == {city.dongs[i].code for i in offered}
    for index in range(3):
        before = Referral.objects.count()
        response = _post(client, city, role, index)
        assert (response.status_code == 302) == (index in offered), (role, index)
        assert Referral.objects.count() == before + (index in offered)


def test_analyst_files_no_referral(client, city):
    client.force_login(city.users["analyst"])
    assert client.get(reverse("referral_new")).status_code == 403
    assert _post(client, city, "analyst", 0).status_code == 403
    assert not Referral.objects.exists()


def test_service_refuses_a_dong_outside_the_area_whatever_calls_it(city):
    from django.core.exceptions import PermissionDenied

    from dolbom.intake.services.referrals import file_referral

    with pytest.raises(PermissionDenied):
        file_referral(user=city.users["safety_net"], dong=city.dongs[2], address_text="강변로 1", concern=CONCERN)


def test_reading_the_referral_list_is_audited_with_counts_never_what_was_noticed(client, city):
    reporter = city.users["safety_net"]
    file_referral(user=reporter, dong=city.dongs[0], address_text="시청로 10", concern="며칠째 인기척 없음")
    client.force_login(city.users["dong_officer"])
    assert client.get(reverse("referrals"), {"open": "1"}).status_code == 200
    event = AuditEvent.objects.filter(action="intake.view_referrals").latest("seq")
    assert event.detail == {"dong": "", "referrals": 1, "open_only": True}
