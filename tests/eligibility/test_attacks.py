"""Hand-made requests against the eligibility pages: a household of another dong or district, a form sent twice
or with another household's submission, hostile amounts, and a resident number typed into the note."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.eligibility.models import EligibilityCheck
from tests.eligibility.test_pages import FORM

RRN = "800101-1234567"


def _post(client, household, **changes):
    data = {**FORM, "submission": str(uuid.uuid4()), **changes}
    return client.post(reverse("eligibility_new", args=[household.pk]), data)


@pytest.mark.parametrize(
    ("role", "index"),
    [("dong_officer", 1), ("dong_officer", 2), ("district_manager", 2)],
)
@pytest.mark.parametrize("valid", [True, False])
def test_a_household_outside_the_scope_is_a_404_and_nothing_is_kept(client, city, role, index, valid):
    client.force_login(city.users[role])
    household = city.households[index]
    changes = {} if valid else {"other_income": "-5,000", "members-0-age": "999"}
    assert _post(client, household, **changes).status_code == 404
    assert client.get(reverse("eligibility_new", args=[household.pk])).status_code == 404
    assert not EligibilityCheck.objects.exists()


@pytest.mark.parametrize("role", ["agency_worker", "safety_net", "analyst", "district_admin"])
def test_roles_without_the_calculator_are_refused(client, city, role):
    client.force_login(city.users[role])
    assert _post(client, city.households[0]).status_code == 403
    assert not EligibilityCheck.objects.exists()


@pytest.mark.parametrize(
    "amount",
    ["-1", "－1", "1e9", "９" * 20, "1.5", "٥٠٠", "99999999999999999999999999", "0x10", "1 000 000 000 000 000"],
)
def test_hostile_amounts_are_refused_with_a_message(client, city, amount):
    client.force_login(city.users["dong_officer"])
    response = _post(client, city.households[0], general_property=amount)
    assert response.status_code == 422
    assert not EligibilityCheck.objects.exists()


def test_the_same_form_sent_twice_keeps_one_calculation(client, city):
    client.force_login(city.users["dong_officer"])
    submission = str(uuid.uuid4())
    first = _post(client, city.households[0], submission=submission)
    second = _post(client, city.households[0], submission=submission)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert EligibilityCheck.objects.count() == 1


def test_a_resident_number_typed_in_the_note_is_masked_on_the_page(client, city):
    client.force_login(city.users["dong_officer"])
    response = _post(client, city.households[0], note=f"주민번호 {RRN} 확인함, 010-1234-5678")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert RRN not in page and "1234567" not in page and "010-1234-5678" not in page
    for event in AuditEvent.objects.all():
        assert "1234567" not in str(event.detail) and "1234567" not in event.reason
