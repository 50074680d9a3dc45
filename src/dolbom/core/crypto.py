"""Encryption at rest for unique identifiers (PIPA art. 24: 고유식별정보) and a keyed hash for exact lookup.

Ciphertext layout: version (1 byte) | key fingerprint (4 bytes) | nonce (12 bytes) | AES-GCM ciphertext+tag.
The fingerprint lets old keys keep decrypting after a rotation (DOLBOM_RRN_OLD_KEYS) while new writes use the
current key. The keyed hash (HMAC-SHA256) lets a number typed into search, or sent in an agency file, find its
person without any number being stored in clear; its key is separate so that it can be given to the batch
engines without giving them the power to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = b"\x01"


class DecryptionError(ValueError):
    pass


def _decode_key(text: str, name: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError(f"{name} is not valid base64") from exc
    if len(key) != 32:
        raise ValueError(f"{name} must be 32 bytes (base64 of 32 random bytes)")
    return key


def _fingerprint(key: bytes) -> bytes:
    return hashlib.sha256(b"dolbom-key-id" + key).digest()[:4]


@cache
def _keys() -> tuple[bytes, dict[bytes, AESGCM]]:
    current = _decode_key(settings.RRN_KEY, "DOLBOM_RRN_KEY")
    by_print = {_fingerprint(current): AESGCM(current)}
    for i, old in enumerate(settings.RRN_OLD_KEYS):
        key = _decode_key(old, f"DOLBOM_RRN_OLD_KEYS[{i}]")
        by_print.setdefault(_fingerprint(key), AESGCM(key))
    return _fingerprint(current), by_print


@cache
def _hmac_key() -> bytes:
    return _decode_key(settings.RRN_HMAC_KEY, "DOLBOM_RRN_HMAC_KEY")


def reset_key_cache() -> None:
    """Forget cached keys (tests and key rotation change settings at run time)."""
    _keys.cache_clear()
    _hmac_key.cache_clear()


def encrypt(plaintext: str, *, context: bytes) -> bytes:
    """Encrypt text; `context` is bound as associated data so a ciphertext cannot be moved to another column."""
    current, by_print = _keys()
    nonce = os.urandom(12)
    return _VERSION + current + nonce + by_print[current].encrypt(nonce, plaintext.encode(), context)


def decrypt(blob: bytes, *, context: bytes) -> str:
    blob = bytes(blob)
    if len(blob) < 1 + 4 + 12 + 16 or blob[:1] != _VERSION:
        raise DecryptionError("not a Dolbom ciphertext")
    _, by_print = _keys()
    cipher = by_print.get(blob[1:5])
    if cipher is None:
        raise DecryptionError("encrypted with a key that is not configured (DOLBOM_RRN_KEY / DOLBOM_RRN_OLD_KEYS)")
    try:
        return cipher.decrypt(blob[5:17], blob[17:], context).decode()
    except Exception as exc:  # InvalidTag: tampered ciphertext or wrong context
        raise DecryptionError("ciphertext does not authenticate") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 hex of a normalised identifier: the same number always gives the same hash."""
    return hmac.new(_hmac_key(), value.encode(), hashlib.sha256).hexdigest()


RRN_CONTEXT = b"registry.person.rrn"


def encrypt_rrn(digits: str) -> bytes:
    return encrypt(digits, context=RRN_CONTEXT)


def decrypt_rrn(blob: bytes) -> str:
    return decrypt(blob, context=RRN_CONTEXT)


def rrn_hash(digits: str) -> str:
    """Lookup hash of a resident number given as 13 digits (no hyphen)."""
    return keyed_hash("rrn:" + digits)


def purpose_hash(purpose: str, value: str) -> str:
    """Keyed hash of a value for one purpose only (e.g. "audit.search"): the purpose goes into the hashed text, so a
    hash kept for one use can never be matched against hashes kept for another (such as the lookup hash of a
    resident number). An investigator with the key can still ask "was this number searched?"."""
    if ":" in purpose:
        raise ValueError("a purpose may not contain ':'")
    return keyed_hash(f"purpose:{purpose}:{value}")  # never "rrn:…", the lookup hash's prefix


def rrn_hasher() -> Callable[[str], str]:
    """`rrn_hash` for millions of numbers: the HMAC key schedule is done once and its state copied per number,
    several times faster than building a new HMAC each time, and equal to `rrn_hash` (tested)."""
    prefixed = hmac.new(_hmac_key(), b"rrn:", hashlib.sha256)

    def hash_one(digits: str) -> str:
        state = prefixed.copy()
        state.update(digits.encode())
        return state.hexdigest()

    return hash_one
