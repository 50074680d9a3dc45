"""The key rotation beside a running service, in process: a write the service makes while a batch is being
re-encrypted is kept, and a value under a key this server does not have gives a Korean message, not a 500.
(The whole rotation, from the command line and killed half way: tests/core/test_key_rotation.py.)"""

from __future__ import annotations

import base64
import os

import pytest
from django.urls import reverse

from dolbom.core import crypto, rekey
from dolbom.registry.models import Person


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
