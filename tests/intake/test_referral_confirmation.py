"""A reporter is told that their referral was received, on the list where it now stands."""

from django.urls import reverse

CONCERN = "며칠째 불이 꺼져 있고 우편물이 쌓여 있습니다"


def test_a_filed_referral_is_confirmed_after_the_redirect(client, city):
    client.force_login(city.users["safety_net"])
    data = {"dong": city.dongs[0].code, "address_text": "시청로 10", "concern": CONCERN}
    response = client.post(reverse("referral_new"), data, follow=True)
    assert response.redirect_chain == [(reverse("referrals"), 302)]
    html = response.content.decode()
    assert '<div role="status"><ul class="messages"><li class="success">신고가 접수되었습니다.' in html
    assert CONCERN in html
    # Said once: the next page does not repeat it.
    assert "신고가 접수되었습니다" not in client.get(reverse("referrals")).content.decode()


def test_a_refused_referral_is_not_confirmed(client, city):
    client.force_login(city.users["safety_net"])
    data = {"dong": city.dongs[2].code, "address_text": "강변로 1", "concern": CONCERN}
    html = client.post(reverse("referral_new"), data, follow=True).content.decode()
    assert "신고가 접수되었습니다" not in html
