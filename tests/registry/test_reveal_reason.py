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


@pytest.mark.parametrize(
    "reason", ["\u3164" * 5, "\u2800" * 4, "....", "-_-;"], ids=["hangul filler", "braille", "dots", "punctuation"]
)
def test_a_reason_of_blank_letters_or_punctuation_is_no_reason(client, city, reason):
    client.force_login(city.users["dong_officer"])
    response = client.post(
        reverse("reveal_person", args=[city.persons[0].pk]), {"reason": reason}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422


def test_a_reason_longer_than_a_sentence_is_refused_even_as_multipart(client, city):
    client.force_login(city.users["dong_officer"])
    # The test client posts multipart: the field-length guard of ordinary forms does not read it.
    response = client.post(reverse("reveal_person", args=[city.persons[0].pk]), {"reason": "방문 상담 " * 20_000})
    assert response.status_code == 422
    assert not AuditEvent.objects.filter(action="registry.reveal_person").exists()


@pytest.mark.parametrize(
    "typed",
    [
        "본인 확인 430603-1221815",
        "전화 010-3257-4143 확인 요청",
        "카드 4111-1111-1111-1111 분실",
        "주민 430603ㅡ1221815",
    ],
)
def test_numbers_typed_into_a_reason_never_reach_the_audit_log(client, city, typed):
    client.force_login(city.users["dong_officer"])
    client.post(reverse("reveal_person", args=[city.persons[0].pk]), {"reason": typed}, HTTP_HX_REQUEST="true")
    event = AuditEvent.objects.get(action="registry.reveal_person")
    digits = "".join(ch for ch in event.reason if ch.isdigit())
    for number in ("4306031221815", "01032574143", "4111111111111111"):
        assert number not in digits
    client.force_login(city.users["district_admin"])
    page = client.get(reverse("audit_log")).content.decode()
    assert "1221815" not in page and "3257-4143" not in page and "1111-1111-1111" not in page


@pytest.mark.parametrize(
    "data",
    [None, {"preset": "other", "reason": 'x"<y & 상담'}, {"preset": "visit", "reason": ""}, {"preset": "nope"}],
    ids=["unbound", "other with a typed reason", "a usual reason", "a choice no one offered"],
)
def test_the_reason_fields_written_in_the_template_are_the_widgets_own(data):
    """_reason_fields.html writes the select and the input itself (faster than the form renderer): the same HTML as
    Django's widgets, in Korean, for a fresh form and for one sent back with what was typed."""
    from django.template.loader import render_to_string
    from django.test.html import parse_html
    from django.utils import translation

    from dolbom.registry.forms import RevealForm

    with translation.override("ko"):
        form = RevealForm(data, auto_id="p7-%s")
        if data is not None:
            form.is_valid()
        written = render_to_string("registry/_reason_fields.html", {"form": form})
        widgets = f"{form['preset'].label_tag()}{form['preset']}{form['reason']}"
    select_and_input = parse_html(written)
    expected = parse_html(widgets)
    assert [c for c in select_and_input.children if getattr(c, "name", "") in ("select", "input")] == [
        c for c in expected.children if getattr(c, "name", "") in ("select", "input")
    ]
