"""Encryption at rest for unique identifiers (PIPA art. 24: 고유식별정보) and a keyed hash for exact lookup.

Ciphertext layout: version (1 byte) | key fingerprint (4 bytes) | nonce (12 bytes) | AES-GCM ciphertext+tag.
The fingerprint lets old keys keep decrypting after a rotation (DOLBOM_RRN_OLD_KEYS) while new writes use the
current key, and lets `dolbom keys rotate` find the values not yet under the current key. The keyed hash
(HMAC-SHA256) lets a number typed into search, or sent in an agency file, find its person without any number being
stored in clear; its key is separate so that it can be given to the batch engines without giving them the power to
decrypt.

Rotating the lookup key. A stored hash carries no key fingerprint (it is compared as it is, and agency files keep
it), so while the rotation rewrites the stored hashes some are under the new key and some under the old one. The
design: every lookup asks for the hashes of the number under the current key *and* every key of
DOLBOM_RRN_HMAC_OLD_KEYS (`rrn_hashes`, `purpose_hashes`: `… IN (new, old)`), so searches find everybody before,
during and after the rotation; new values are always hashed with the current key only; the rotation (core.rekey)
decrypts each value and rewrites its hash under the current key. Once it reports nothing left under an old key, the
old key is retired. Storing both hashes instead would need a second column in every table that has one.
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
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_VERSION = b"\x01"


class DecryptionError(ValueError):
    pass


class UnknownKeyError(ValidationError, DecryptionError):
    """A value encrypted under a key this server is not configured with (an old key left out of
    DOLBOM_RRN_OLD_KEYS after a rotation). A ValidationError so that the page that reveals the value says so, in
    Korean, on its form instead of failing with a 500; `check --deploy` and `dolbom serve` refuse to start on it."""

    def __init__(self) -> None:
        message = _(
            "This number is encrypted with a key the server is not configured with, so it cannot be shown. "
            "Ask the administrator to add the old key to DOLBOM_RRN_OLD_KEYS (see the key rotation runbook)."
        )
        super().__init__({"reason": [message]}, code="unknown_key")


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


def _configured(current_name: str, old_name: str) -> list[tuple[str, str]]:
    """(setting name, text) of a current key and its old keys, as configured."""
    olds = getattr(settings, old_name.removeprefix("DOLBOM_"), [])
    current = getattr(settings, current_name.removeprefix("DOLBOM_"))
    return [(current_name, current)] + [(f"{old_name}[{i}]", text) for i, text in enumerate(olds)]


def key_problems() -> list[str]:
    """Why a configured key cannot be used (not base64 of 32 bytes), naming the setting, never the key. Old keys
    are checked as strictly as current ones: a malformed old key would otherwise surface only when a value under it
    is revealed."""
    problems = []
    pairs = (("DOLBOM_RRN_KEY", "DOLBOM_RRN_OLD_KEYS"), ("DOLBOM_RRN_HMAC_KEY", "DOLBOM_RRN_HMAC_OLD_KEYS"))
    for current, old in pairs:
        for name, text in _configured(current, old):
            try:
                _decode_key(text, name)
            except ValueError as exc:
                problems.append(str(exc))
    return problems


@cache
def _keys() -> tuple[bytes, dict[bytes, AESGCM]]:
    current = _decode_key(settings.RRN_KEY, "DOLBOM_RRN_KEY")
    by_print = {_fingerprint(current): AESGCM(current)}
    for i, old in enumerate(settings.RRN_OLD_KEYS):
        key = _decode_key(old, f"DOLBOM_RRN_OLD_KEYS[{i}]")
        by_print.setdefault(_fingerprint(key), AESGCM(key))
    return _fingerprint(current), by_print


@cache
def _hmac_keys() -> tuple[bytes, ...]:
    """The lookup keys: the current one first, then DOLBOM_RRN_HMAC_OLD_KEYS (while a rotation is under way)."""
    keys = [_decode_key(text, name) for name, text in _configured("DOLBOM_RRN_HMAC_KEY", "DOLBOM_RRN_HMAC_OLD_KEYS")]
    return tuple(dict.fromkeys(keys))  # a key given twice is one key


def _hmac_key() -> bytes:
    return _hmac_keys()[0]


def reset_key_cache() -> None:
    """Forget cached keys (tests and key rotation change settings at run time)."""
    _keys.cache_clear()
    _hmac_keys.cache_clear()


def key_id(blob: bytes | memoryview) -> str:
    """The fingerprint of the key a ciphertext is under, in hex (8 characters): safe to print, names no key."""
    return bytes(blob)[1:5].hex()


def encryption_key_ids() -> dict[str, str]:
    """Fingerprint (hex) → the setting holding that key, for the encryption keys configured; current first."""
    current = _keys()[0]
    names = {current.hex(): "DOLBOM_RRN_KEY"}
    for i, text in enumerate(settings.RRN_OLD_KEYS):
        names.setdefault(_fingerprint(_decode_key(text, "")).hex(), f"DOLBOM_RRN_OLD_KEYS[{i}]")
    return names


def current_key_id() -> str:
    return _keys()[0].hex()


def lookup_key_ids() -> dict[str, str]:
    """Fingerprint (hex) → the setting holding that key, for the lookup (HMAC) keys configured; current first."""
    names: dict[str, str] = {}
    for name, text in _configured("DOLBOM_RRN_HMAC_KEY", "DOLBOM_RRN_HMAC_OLD_KEYS"):
        names.setdefault(_fingerprint(_decode_key(text, name)).hex(), name)
    return names


def lookup_hashers(prefix: str) -> list[tuple[str, Callable[[str], str]]]:
    """(key fingerprint, hash function of text) for every configured lookup key, current first: the hash of
    `prefix + text`, as `keyed_hash` computes it under that key."""
    hashers = []
    for key in _hmac_keys():
        start = hmac.new(key, prefix.encode(), hashlib.sha256)

        def hash_one(text: str, start: hmac.HMAC = start) -> str:
            state = start.copy()
            state.update(text.encode())
            return state.hexdigest()

        hashers.append((_fingerprint(key).hex(), hash_one))
    return hashers


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
    if cipher is None:  # "encrypted with a key that is not configured (DOLBOM_RRN_KEY / DOLBOM_RRN_OLD_KEYS)"
        raise UnknownKeyError
    try:
        return cipher.decrypt(blob[5:17], blob[17:], context).decode()
    except Exception as exc:  # InvalidTag: tampered ciphertext or wrong context
        raise DecryptionError("ciphertext does not authenticate") from exc


def sealing_key() -> tuple[bytes, AESGCM]:
    """The current key's fingerprint and cipher, for files sealed at rest (core.sealed)."""
    current, by_print = _keys()
    return current, by_print[current]


def unsealing_key(fingerprint: bytes) -> AESGCM:
    """The cipher of the key with `fingerprint`, current or old; UnknownKeyError if it is not configured."""
    cipher = _keys()[1].get(bytes(fingerprint))
    if cipher is None:
        raise UnknownKeyError
    return cipher


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 hex of a normalised identifier: the same number always gives the same hash."""
    return hmac.new(_hmac_key(), value.encode(), hashlib.sha256).hexdigest()


RRN_CONTEXT = b"registry.person.rrn"


def encrypt_rrn(digits: str) -> bytes:
    return encrypt(digits, context=RRN_CONTEXT)


def decrypt_rrn(blob: bytes) -> str:
    return decrypt(blob, context=RRN_CONTEXT)


RRN_HASH_PREFIX = "rrn:"


def rrn_hash(digits: str) -> str:
    """Lookup hash of a resident number given as 13 digits (no hyphen), under the current key: what is stored."""
    return keyed_hash(RRN_HASH_PREFIX + digits)


def rrn_hashes(digits: str) -> list[str]:
    """The lookup hashes of a number under every configured key, current first: what a lookup asks for, so that it
    finds rows not yet rewritten by a rotation of the lookup key (see the module's docstring)."""
    return [hash_one(digits) for _, hash_one in lookup_hashers(RRN_HASH_PREFIX)]


def purpose_hash(purpose: str, value: str) -> str:
    """Keyed hash of a value for one purpose only (e.g. "audit.search"): the purpose goes into the hashed text, so a
    hash kept for one use can never be matched against hashes kept for another (such as the lookup hash of a
    resident number). An investigator with the key can still ask "was this number searched?"."""
    return keyed_hash(purpose_prefix(purpose) + value)  # never "rrn:…", the lookup hash's prefix


def purpose_prefix(purpose: str) -> str:
    if ":" in purpose:
        raise ValueError("a purpose may not contain ':'")
    return f"purpose:{purpose}:"


def purpose_hashes(purpose: str, value: str) -> list[str]:
    """`purpose_hash` under every configured lookup key, current first (lookups during a rotation)."""
    return [hash_one(value) for _, hash_one in lookup_hashers(purpose_prefix(purpose))]


def rrn_hasher() -> Callable[[str], str]:
    """`rrn_hash` for millions of numbers (an agency file): equal to `rrn_hash` (tested), about twice as fast."""
    return hmac_sha256_hasher(_hmac_key(), RRN_HASH_PREFIX.encode())


def hmac_sha256_hasher(key: bytes, prefix: bytes) -> Callable[[str], str]:
    """HMAC-SHA256 of `prefix + text` as hex, for text after text under one key.

    Written out as RFC 2104 defines it — SHA256((K ⊕ opad) ‖ SHA256((K ⊕ ipad) ‖ message)) — so that the two padded
    key states are computed once and hashlib's C states are copied per text: copying an `hmac.HMAC` wraps every
    copy in a Python object, which took half of the hashing of a million-row file. Checked against `hmac` for
    keys shorter than, as long as and longer than the block (tests)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(prefix)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hash_one(text: str) -> str:
        message = inner.copy()
        message.update(text.encode())
        keyed = outer.copy()
        keyed.update(message.digest())
        return keyed.hexdigest()

    return hash_one
