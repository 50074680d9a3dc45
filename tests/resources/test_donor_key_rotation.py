"""A person donor's resident number goes through the key rotation like the registry's (core.rekey finds the
column by its field class): during it the number is still refused for a second donor of the district, after it
the number reveals and nothing is left under the old keys."""

from __future__ import annotations

import base64
import os
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dolbom.core import crypto, rekey
from dolbom.resources.models import Donor
from dolbom.resources.services import donations, receipts
from tests.resources.conftest import PERSON_RRN


def test_a_donor_s_number_rotates_and_stays_unique_during_the_rotation(receipt_city, settings):
    city = receipt_city
    admin = city.users["district_admin"]
    settings.RRN_OLD_KEYS, settings.RRN_HMAC_OLD_KEYS = [settings.RRN_KEY], [settings.RRN_HMAC_KEY]
    settings.RRN_KEY = base64.b64encode(os.urandom(32)).decode()
    settings.RRN_HMAC_KEY = base64.b64encode(os.urandom(32)).decode()
    crypto.reset_key_cache()
    try:
        other = donations.add_donor(user=admin, kind="person", name="김철수", consent_on=date(2026, 1, 5))
        with pytest.raises(ValidationError) as refused:  # the stored index is still the old lookup key's
            receipts.set_donor_legal(user=admin, donor_id=other.pk, resident_number=PERSON_RRN)
        assert "resident_number" in refused.value.message_dict

        rekey.rotate(batch_size=1)
        assert not rekey.status().retired()
        settings.RRN_OLD_KEYS, settings.RRN_HMAC_OLD_KEYS = [], []  # retired
        crypto.reset_key_cache()
        page = receipts.reveal_donor(user=admin, donor_id=city.person_donor.pk, reason="영수증 재발급 확인")
        assert page.revealed["resident_number"] == PERSON_RRN
        stored = Donor.objects.get(pk=city.person_donor.pk)
        assert stored.rrn_index == crypto.purpose_hash("donor-rrn", PERSON_RRN.replace("-", ""))
    finally:
        crypto.reset_key_cache()
