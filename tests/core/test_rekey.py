"""The key rotation beside a running service, in process: a write the service makes while a batch is being
re-encrypted is kept, and a value under a key this server does not have gives a Korean message, not a 500.
(The whole rotation, from the command line and killed half way: tests/core/test_key_rotation.py.)"""

from __future__ import annotations

import base64
import os

import pyarrow as pa
import pytest
from django.urls import reverse

from dolbom.cli import main as dolbom
from dolbom.core import crypto, rekey
from dolbom.core.models import AuditEvent
from dolbom.discovery.importing import match
from dolbom.registry.models import Person
from tests.registry.posts import error_summary, household_form, member


@pytest.fixture
def new_keys(settings):
    """The runbook's first step: a new current key, the one in use kept as an old key (both kinds)."""
    settings.RRN_OLD_KEYS = [settings.RRN_KEY]
    settings.RRN_HMAC_OLD_KEYS = [settings.RRN_HMAC_KEY]
    settings.RRN_KEY = base64.b64encode(os.urandom(32)).decode()
    settings.RRN_HMAC_KEY = base64.b64encode(os.urandom(32)).decode()
    crypto.reset_key_cache()
    yield settings
    crypto.reset_key_cache()


def _person_column() -> rekey.Column:
    return next(c for c in rekey.encrypted_columns() if c.model is Person)


def test_every_encrypted_column_is_found_with_its_lookup_hash():
    found = {c.label: [h.name for h in c.hashes] for c in rekey.encrypted_columns()}
    assert found == {"registry.Person.rrn_cipher": ["rrn_hash"], "resources.Donor.rrn_cipher": ["rrn_index"]}


def test_a_write_by_the_service_during_a_batch_is_not_overwritten(city, new_keys):
    column = _person_column()
    hashers = [crypto.lookup_hashers(h.prefix)[0][1] for h in column.hashes]
    batch = next(rekey._batches(column, 100))  # the rotation has read its batch …
    person = Person.objects.get(pk=city.persons[0].pk)
    number = person.resident_number()
    person.set_resident_number(number)  # … and the service writes the person meanwhile (under the new keys)
    person.phone = "010-1234-5678"
    person.save()
    written = bytes(Person.objects.get(pk=person.pk).rrn_cipher)

    done = rekey.Rotation()
    changed = rekey._rotate_batch(column, batch, hashers, crypto.current_key_id(), done)
    assert changed == [person.pk]  # not written: read again at the end of the pass
    kept = Person.objects.get(pk=person.pk)
    assert bytes(kept.rrn_cipher) == written and kept.phone == "010-1234-5678"
    assert done.rewritten[column.label] == len(batch) - 1

    rekey.rotate(batch_size=2)
    assert not rekey.status().retired()
    assert Person.objects.get(pk=person.pk).resident_number() == number


def test_a_reveal_under_a_key_not_configured_says_what_to_do_in_korean(client, city, settings):
    settings.RRN_KEY = base64.b64encode(os.urandom(32)).decode()  # the old key forgotten after a rotation
    settings.RRN_OLD_KEYS = []
    crypto.reset_key_cache()
    try:
        client.force_login(city.users["dong_officer"])
        response = client.post(
            reverse("reveal_person", args=[city.persons[0].pk]), {"preset": "visit"}, headers={"HX-Request": "true"}
        )
    finally:
        crypto.reset_key_cache()
    assert response.status_code == 422
    page = response.content.decode()
    assert "DOLBOM_RRN_OLD_KEYS" in page and "관리자에게 이전 키를" in page


# Half way through a rotation of the lookup key, the stored hashes are still the old key's (nothing rewritten yet
# here): every lookup by number must still find its person. Each fails without the old lookup key being tried.


def test_during_a_rotation_the_search_by_number_finds_the_household(client, city, new_keys):
    client.force_login(city.users["dong_officer"])
    number = city.persons[0].resident_number()
    response = client.get(reverse("household_search"), {"q": number})
    assert [hit.household for hit in response.context["result"].hits] == [city.households[0]]


def test_during_a_rotation_a_number_registered_elsewhere_is_still_refused(client, city, new_keys):
    foreign = city.persons[2]  # lives in district 2
    typed = member(foreign.name, foreign.birth_date, foreign.sex, 102)
    client.force_login(city.users["dong_officer"])
    response = client.post(reverse("household_new"), household_form(city.dongs[0].code, [typed]))
    assert response.status_code == 422
    assert "다른 지역 가구에 이미 등록된" in error_summary(response.content.decode())
    assert Person.objects.count() == len(city.persons)


@pytest.mark.parametrize("scan", [False, True])
def test_during_a_rotation_signal_files_match_their_residents(city, new_keys, monkeypatch, scan):
    if scan:  # the route of large files: the registry's hashes read once and searched in memory
        monkeypatch.setattr(match, "SCAN_AT", 1)
    numbers = [p.resident_number().replace("-", "") for p in city.persons]
    hashes, ids = match.Matcher(city.districts[0].code).hash_and_match(pa.array(numbers, pa.string()))
    assert ids.to_pylist() == [p.pk if i != 2 else None for i, p in enumerate(city.persons)]
    assert hashes.to_pylist() == [crypto.rrn_hash(n) for n in numbers]  # the file keeps the current key's hash
    rekey.rotate()
    assert match.Matcher(city.districts[0].code).hash_and_match(pa.array(numbers, pa.string()))[1].equals(ids)


def test_searches_logged_before_a_rotation_are_found_while_the_old_lookup_key_is_configured(client, city, settings):
    """The audit log keeps a search's keyed hash as it was: an inquiry into searches made before the rotation of
    the lookup key finds them with the retired key put back as an old key."""
    client.force_login(city.users["dong_officer"])
    client.get(reverse("household_search"), {"q": "500304-2000100"})
    settings.RRN_HMAC_OLD_KEYS = [settings.RRN_HMAC_KEY]
    settings.RRN_HMAC_KEY = base64.b64encode(os.urandom(32)).decode()
    crypto.reset_key_cache()
    try:
        client.get(reverse("household_search"), {"q": "500304-2000100"})
        assert dolbom(["audit", "searched", "500304-2000100"]) == 0
    finally:
        crypto.reset_key_cache()
    assert AuditEvent.objects.get(action="core.audit_inquiry").detail["found"] == 2
