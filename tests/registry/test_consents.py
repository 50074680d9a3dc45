"""Recording and withdrawing consents through the pages: how consent was given (a signed form, or verbally before
a witness), the agencies offered, a double submission, and the effect on what the agency sees."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.registry.models import Agency, Consent
from tests.registry.posts import error_summary


def _login(client, city, role="dong_officer"):
    client.force_login(city.users[role])
    return client


def _form(city, **changes):
    return {
        "recipient": city.agencies["welfare"].pk,
        "purpose": "service_linkage",
        "given_on": "2026.01.10",
        "method": "signed_form",
        "witness_name": "",
        "form_token": "c1",
        **changes,
    }


def test_a_signed_consent_opens_the_person_to_the_agency(client, city):
    spouse = city.persons[3]
    agency_view = reverse("household_detail", args=[city.household_in(0).pk])
    url = reverse("consent_new", args=[spouse.pk])
    c = _login(client, city)
    page = c.get(url).content.decode()
    assert "동의 기록" in page and "서면 동의서" in page and "구두 동의" in page
    assert city.agencies["other"].name not in page  # an agency of another district is not offered
    response = c.post(url, _form(city))
    assert response.status_code == 302 and response["Location"] == agency_view
    consent = Consent.objects.get(person=spouse)
    assert (consent.method, consent.witness_name, consent.given_on) == ("signed_form", "", date(2026, 1, 10))
    assert consent.recorded_by.user == city.users["dong_officer"]
    event = AuditEvent.objects.get(action="registry.record_consent")
    assert event.detail == {
        "recipient": city.agencies["welfare"].pk,
        "purpose": "service_linkage",
        "method": "signed_form",
        "given_on": "2026-01-10",
    }
    household = c.get(agency_view).content.decode()
    assert "정보 제공 동의" in household and "서면 동의서 (서명)" in household
    worker = _login(client, city, "agency_worker").get(agency_view).content.decode()
    assert "김*수" in worker


def test_a_verbal_consent_needs_a_witness(client, city):
    spouse = city.persons[3]
    url = reverse("consent_new", args=[spouse.pk])
    c = _login(client, city)
    refused = c.post(url, _form(city, method="verbal", witness_name="\u200b "))
    assert refused.status_code == 422 and "입회인 (구두 동의일 때)" in error_summary(refused.content.decode())
    assert not Consent.objects.filter(person=spouse).exists()
    assert c.post(url, _form(city, method="verbal", witness_name="박동료")).status_code == 302
    consent = Consent.objects.get(person=spouse)
    assert (consent.method, consent.witness_name) == ("verbal", "박동료")
    html = c.get(reverse("household_detail", args=[city.household_in(0).pk])).content.decode()
    assert "박*료" in html and "박동료" not in html  # the witness is a person too: masked on screen
    assert "박동료" not in str(AuditEvent.objects.get(action="registry.record_consent").detail)


def test_the_same_consent_twice_is_refused_and_a_double_submission_is_not_recorded_twice(client, city):
    spouse = city.persons[3]
    url = reverse("consent_new", args=[spouse.pk])
    c = _login(client, city)
    assert c.post(url, _form(city)).status_code == 302
    assert c.post(url, _form(city)).status_code == 302  # the same form again: shows the result
    other_form = c.post(url, _form(city, form_token="c2"))
    assert other_form.status_code == 422 and "이미 기록되어" in error_summary(other_form.content.decode())
    assert Consent.objects.filter(person=spouse).count() == 1


@pytest.mark.parametrize("given_on", ["2026-01-10", "20260110", "2026. 1. 10."])
def test_consent_dates_in_several_forms(client, city, given_on):
    spouse = city.persons[3]
    _login(client, city).post(reverse("consent_new", args=[spouse.pk]), _form(city, given_on=given_on))
    assert Consent.objects.get(person=spouse).given_on == date(2026, 1, 10)


def test_a_hand_made_post_naming_an_agency_of_another_district_is_refused(client, city):
    spouse = city.persons[3]
    response = _login(client, city).post(
        reverse("consent_new", args=[spouse.pk]), _form(city, recipient=city.agencies["other"].pk)
    )
    assert response.status_code == 422 and not Consent.objects.filter(person=spouse).exists()


def test_an_inactive_agency_is_not_offered(client, city):
    Agency.objects.filter(pk=city.agencies["welfare"].pk).update(active=False)
    spouse = city.persons[3]
    response = _login(client, city).post(reverse("consent_new", args=[spouse.pk]), _form(city))
    assert response.status_code == 422 and not Consent.objects.filter(person=spouse).exists()


def test_withdrawing_ends_the_agency_view_from_that_day(client, city):
    consent = city.persons[0].consents.get()
    url = reverse("consent_withdraw", args=[consent.pk])
    household = reverse("household_detail", args=[city.household_in(0).pk])
    assert _login(client, city, "agency_worker").get(household).status_code == 200
    c = _login(client, city)
    assert reverse("consent_withdraw", args=[consent.pk]) in c.get(household).content.decode()
    early = c.post(url, {"on": "2024.12.31"})
    assert early.status_code == 422 and "철회일 : 철회일이 동의일보다 빠를 수 없습니다" in error_summary(
        early.content.decode()
    )
    response = c.post(url, {"on": "2026.02.01", "reason": "본인 요청", "form_token": "w1"})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == date(2026, 2, 1)
    assert AuditEvent.objects.get(action="registry.withdraw_consent").reason == "본인 요청"
    assert "2026.02.01 철회" in c.get(household).content.decode()
    again = c.post(url, {"on": "2026.02.01", "form_token": "w2"})
    assert again.status_code == 422 and "이미 2026.02.01에 철회" in error_summary(again.content.decode())
    assert _login(client, city, "agency_worker").get(household).status_code == 404


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst"])
def test_other_roles_cannot_record_or_withdraw(client, city, role):
    consent = city.persons[0].consents.get()
    c = _login(client, city, role)
    for url in (reverse("consent_new", args=[city.persons[0].pk]), reverse("consent_withdraw", args=[consent.pk])):
        assert c.get(url).status_code == 403
        assert c.post(url, {**_form(city), "on": "2026.02.01"}).status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_on is None and Consent.objects.count() == 1


def test_consents_of_another_district_answer_404(client, city):
    foreign = Consent.objects.create(
        person=city.persons[2], recipient=city.agencies["other"], purpose="case_management", given_on=date(2025, 1, 1)
    )
    for role in ("dong_officer", "district_manager"):
        c = _login(client, city, role)
        url = reverse("consent_withdraw", args=[foreign.pk])
        assert c.get(url).status_code == 404
        assert c.post(url, {"on": "2026.02.01"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.withdrawn_on is None
