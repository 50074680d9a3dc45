import base64
import os

import pytest

from dolbom.core import crypto


@pytest.fixture
def fresh_keys(settings):
    crypto.reset_key_cache()
    yield settings
    crypto.reset_key_cache()


def test_round_trip_and_random_nonce(fresh_keys):
    a = crypto.encrypt_rrn("8001011234567")
    b = crypto.encrypt_rrn("8001011234567")
    assert a != b  # a fresh nonce each time: equal numbers do not give equal ciphertexts
    assert b"8001011234567" not in a
    assert crypto.decrypt_rrn(a) == crypto.decrypt_rrn(b) == "8001011234567"


def test_ciphertext_is_bound_to_its_column(fresh_keys):
    blob = crypto.encrypt_rrn("8001011234567")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(blob, context=b"some.other.column")


def test_tampered_ciphertext_is_detected(fresh_keys):
    blob = bytearray(crypto.encrypt_rrn("8001011234567"))
    blob[-1] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_rrn(bytes(blob))


def test_rotated_keys_still_decrypt_old_ciphertexts(fresh_keys):
    old_blob = crypto.encrypt_rrn("8001011234567")
    old_key = fresh_keys.RRN_KEY
    fresh_keys.RRN_KEY = base64.b64encode(os.urandom(32)).decode()
    crypto.reset_key_cache()
    with pytest.raises(crypto.UnknownKeyError, match="DOLBOM_RRN_OLD_KEYS"):
        crypto.decrypt_rrn(old_blob)
    fresh_keys.RRN_OLD_KEYS = [old_key]
    crypto.reset_key_cache()
    assert crypto.decrypt_rrn(old_blob) == "8001011234567"
    assert crypto.decrypt_rrn(crypto.encrypt_rrn("9001012345678")) == "9001012345678"


def test_keyed_hash_is_stable_and_depends_on_the_key(fresh_keys):
    h = crypto.rrn_hash("8001011234567")
    assert h == crypto.rrn_hash("8001011234567") and len(h) == 64
    fresh_keys.RRN_HMAC_KEY = base64.b64encode(os.urandom(32)).decode()
    crypto.reset_key_cache()
    assert crypto.rrn_hash("8001011234567") != h


def test_bad_key_configuration_is_named(fresh_keys):
    fresh_keys.RRN_KEY = base64.b64encode(b"short").decode()
    crypto.reset_key_cache()
    with pytest.raises(ValueError, match="DOLBOM_RRN_KEY must be 32 bytes"):
        crypto.encrypt_rrn("8001011234567")


@pytest.mark.parametrize("key_length", [1, 32, 63, 64, 65, 200])
def test_written_out_hmac_equals_the_hmac_module(key_length):
    import hashlib
    import hmac

    key = os.urandom(key_length)
    hash_one = crypto.hmac_sha256_hasher(key, b"rrn:")
    for text in ("", "8001011234567", "가나다" * 40):
        assert hash_one(text) == hmac.new(key, b"rrn:" + text.encode(), hashlib.sha256).hexdigest()


def test_bulk_hasher_equals_the_single_hash(fresh_keys):
    hasher = crypto.rrn_hasher()
    for digits in ("8001011234567", "0001013000001", "9912318999999"):
        assert hasher(digits) == crypto.rrn_hash(digits)
