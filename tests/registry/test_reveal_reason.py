"""A reason to unmask a person must be a reason someone can read later: invisible characters are no reason."""

import pytest
from django.urls import reverse

from dolbom.core.models import AuditEvent


@pytest.mark.parametrize(
    "reason",
    ["\u200b\u200b\u200b\u200b\u200b\u200b", "\u200b \u2060 \ufeff \u200d", "\u3000\u3000\u3000\u3000", "상담", " . "],
    ids=["zero-width", "joiners and BOM", "ideographic spaces", "too short", "punctuation only"],
)
def test_an_invisible_or_empty_reason_is_refused_and_reveals_nothing(client, city, reason):
    client.force_login(city.users["dong_officer"])
    person = city.persons[0]
    response = client.post(reverse("reveal_person", args=[person.pk]), {"reason": reason}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert person.name not in response.content.decode()
    assert not AuditEvent.objects.filter(action="registry.reveal_person").exists()


def test_a_readable_reason_reveals_and_is_kept_as_seen(client, city):
    client.force_login(city.users["dong_officer"])
    person = city.persons[0]
    response = client.post(
        reverse("reveal_person", args=[person.pk]), {"reason": "\u200b방문   상담\u200b"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and person.name in response.content.decode()
    assert AuditEvent.objects.get(action="registry.reveal_person").reason == "방문 상담"
