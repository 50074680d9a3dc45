"""The calculation from a consultation: the consultation's page shows the household's latest calculation (each
benefit's answer, date, rules, the figures to check) and leads to a new one that starts from the members the
officer found living there; scoped like the consultation and audited."""

from __future__ import annotations

import uuid

from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.eligibility.models import BenefitApplication, EligibilityCheck
from dolbom.intake.models import Decision
from tests.eligibility.test_pages import FORM
from tests.intake.test_consultations import _assess, _consult, _decide, _outsider, met_item  # noqa: F401  (fixture)


def test_the_consultation_shows_the_latest_calculation_and_leads_to_a_new_one(client, city, met_item):  # noqa: F811
    consultation = _consult(client, city, met_item)
    page = reverse("consultation_detail", args=[consultation.pk])
    new_url = reverse("eligibility_new", args=[consultation.household_id]) + f"?consultation={consultation.pk}"

    html = client.get(page).content.decode()
    assert "eligibility-summary" in html
    assert new_url.replace("&", "&amp;") in html

    form = client.get(new_url)
    assert form.status_code == 200
    assert reverse("consultation_detail", args=[consultation.pk]) in form.content.decode()  # leads back

    data = {**FORM, "submission": str(uuid.uuid4())}
    assert client.post(new_url, data).status_code == 302
    check = EligibilityCheck.objects.get()
    html = client.get(page).content.decode()
    assert reverse("eligibility_check", args=[check.pk]) in html
    assert check.rule_version in html and check.checked_on.isoformat() in html
    assert "생계급여" in html and "수급 가능성 있음" in html
    assert "확인이 필요한 기준" in html  # 2026's figures still marked unverified are used
    seen = AuditEvent.objects.filter(action="eligibility.view_summary", object_id=str(check.pk))
    assert seen.count() == 1 and seen.get().detail == {"consultation": consultation.pk}


def test_the_form_from_a_consultation_starts_from_the_members_living_here(client, city, met_item):  # noqa: F811
    household = met_item.household
    members = list(household.memberships.all())
    assert len(members) >= 2
    consultation = _consult(client, city, met_item)
    record = consultation.records.get()
    record.members.set([members[0].person])  # the officer found only the first living here
    url = reverse("eligibility_new", args=[household.pk])
    from_registry = client.get(url).content.decode()
    from_consultation = client.get(url + f"?consultation={consultation.pk}").content.decode()
    assert 'name="members-1-age" value=' in from_registry
    assert 'name="members-1-age" value=' not in from_consultation


def test_another_households_or_dongs_consultation_is_not_found(client, city, met_item):  # noqa: F811
    consultation = _consult(client, city, met_item)
    other = city.household_in(1)  # the district manager sees both: a consultation of another household is no start
    client.force_login(city.users["district_manager"])
    elsewhere = reverse("eligibility_new", args=[other.pk])
    assert client.get(f"{elsewhere}?consultation={consultation.pk}").status_code == 404
    assert client.get(f"{elsewhere}?consultation=abc").status_code == 400
    client.force_login(_outsider(city, 1))
    assert client.get(reverse("consultation_detail", args=[consultation.pk])).status_code == 404
    url = reverse("eligibility_new", args=[consultation.household_id]) + f"?consultation={consultation.pk}"
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="eligibility.view_summary").exists()


def test_the_administrator_reads_the_summary_without_the_link_to_calculate(client, city, met_item):  # noqa: F811
    consultation = _consult(client, city, met_item)
    client.force_login(city.users["district_admin"])
    html = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert "eligibility-summary" in html
    assert reverse("eligibility_new", args=[consultation.household_id]) not in html


def test_a_consultations_decision_to_apply_is_taken_up_by_the_application(client, city, met_item):  # noqa: F811
    consultation = _consult(client, city, met_item)
    _assess(client, consultation)
    assert _decide(client, consultation, "benefit").status_code == 302
    decision = Decision.objects.get(kind="benefit")
    household = consultation.household_id
    url = reverse("household_applications", args=[household])
    html = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert f"{url}?decision={decision.pk}" in html  # the consultation leads to the application
    assert f'name="decision_id" value="{decision.pk}"' in client.get(f"{url}?decision={decision.pk}").content.decode()
    sent = {"benefit": "livelihood", "applied_on": "2026-11-02", "outcome": "pending", "decision_id": decision.pk}
    # Another household's page with this decision: not found, nothing written, the decision still waiting.
    other = city.household_in(1)
    client.force_login(city.users["district_manager"])
    elsewhere = client.post(reverse("household_applications", args=[other.pk]), sent)
    assert elsewhere.status_code == 404 and not BenefitApplication.objects.exists()
    assert client.post(url, sent).status_code == 302
    assert client.post(url, sent).status_code == 302  # sent twice: one application
    application = BenefitApplication.objects.get()
    decision.refresh_from_db()
    assert (decision.status, decision.taken_reference) == ("taken", f"eligibility.BenefitApplication:{application.pk}")
    html = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert f"?decision={decision.pk}" not in html
    # An officer of another dong cannot take it up.
    decision.status = "pending"
    decision.save(update_fields=["status"])
    application.delete()
    client.force_login(_outsider(city, 1))
    assert client.post(url, sent).status_code == 404
    assert not BenefitApplication.objects.exists()
