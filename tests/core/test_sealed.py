"""Files sealed at rest (core.sealed): what goes in comes out, under the current key or an old one; nothing of the
plaintext is on disk; a changed, moved, cut or re-ordered file, another context or a missing key does not open."""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest

from dolbom.core import crypto, sealed
from dolbom.core.crypto import UnknownKeyError
from dolbom.core.sealed import CHUNK, TAG, SealBroken


@pytest.fixture(autouse=True)
def _fresh_keys():
    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


def _seal(tmp_path, plaintext: bytes, context: bytes = b"ctx") -> tuple:
    path = tmp_path / "upload.sealed"
    with path.open("wb") as out:
        digest = sealed.seal(io.BytesIO(plaintext), out, context=context)
    return path, digest


def _open(path, context: bytes = b"ctx") -> bytes:
    target = io.BytesIO()
    sealed.unseal(path, target, context=context)
    return target.getvalue()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7])
def test_what_goes_in_comes_out_at_every_chunk_boundary(tmp_path, size):
    plaintext = os.urandom(size)
    path, digest = _seal(tmp_path, plaintext)
    assert _open(path) == plaintext
    assert digest == hashlib.sha256(plaintext).hexdigest()


def test_no_plaintext_on_disk(tmp_path):
    plaintext = b"900101-1234567,\xed\x99\x8d\xea\xb8\xb8\xeb\x8f\x99\n" * 1000
    path, _ = _seal(tmp_path, plaintext)
    assert b"900101-1234567" not in path.read_bytes()


def test_another_context_does_not_open(tmp_path):
    path, _ = _seal(tmp_path, b"rows", context=b"dolbom.signal-upload:a")
    with pytest.raises(SealBroken):
        _open(path, context=b"dolbom.signal-upload:b")


def _chunks(path) -> tuple[bytes, list[bytes]]:
    data = path.read_bytes()
    header, body = data[:20], data[20:]
    return header, [body[i : i + CHUNK + TAG] for i in range(0, len(body), CHUNK + TAG)]


@pytest.mark.parametrize("damage", ["flip", "cut_last", "swap", "repeat"])
def test_a_changed_file_does_not_open(tmp_path, damage):
    path, _ = _seal(tmp_path, os.urandom(2 * CHUNK + 100))
    header, chunks = _chunks(path)
    if damage == "flip":
        body = bytearray(b"".join(chunks))
        body[CHUNK + 5] ^= 1
        chunks = [bytes(body)]
    elif damage == "cut_last":  # a file cut at a chunk boundary: the new last chunk was not sealed as the last
        chunks = chunks[:-1]
    elif damage == "swap":
        chunks = [chunks[1], chunks[0], chunks[2]]
    else:
        chunks = [chunks[0], chunks[0], chunks[1], chunks[2]]
    path.write_bytes(header + b"".join(chunks))
    with pytest.raises(SealBroken):
        _open(path)


def test_a_rotated_key_still_opens_and_a_forgotten_one_says_so(tmp_path, settings):
    path, _ = _seal(tmp_path, b"rows")
    old = settings.RRN_KEY
    settings.RRN_KEY = base64.b64encode(os.urandom(32)).decode()
    settings.RRN_OLD_KEYS = [old]
    crypto.reset_key_cache()
    assert _open(path) == b"rows"
    settings.RRN_OLD_KEYS = []
    crypto.reset_key_cache()
    with pytest.raises(UnknownKeyError):
        _open(path)


def test_not_a_sealed_file(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_bytes(b"resident_number\n900101-1234567\n")
    with pytest.raises(SealBroken):
        _open(path)
