"""Files sealed at rest: an uploaded file kept, encrypted, until the job that imports it has run.

An upload holds resident numbers in clear. While the request imported it, it lived only in a nameless file
(core.files.ScratchFile); a job runs in another process, later, possibly after a restart, so the bytes must have
a name on disk in between. They are written encrypted (AES-256-GCM under the resident-number key, DOLBOM_RRN_KEY,
so that a key rotation keeps them readable through DOLBOM_RRN_OLD_KEYS), and only the worker opens them again,
into a nameless file of its own.

Why hand-written: `cryptography` offers AES-GCM over a whole message in memory only, and an upload may be a
gigabyte. The layout is the usual chunked construction (as in Tink's streaming AEAD): the plaintext is cut into
chunks of CHUNK bytes, each sealed with a nonce made of a random per-file prefix and the chunk's number, and with
the file's context, the chunk's number and whether it is the last one bound as associated data. A chunk moved,
repeated, dropped or cut off at the end therefore fails to open, as does a file moved to another job's name.

Layout: MAGIC (8) | key fingerprint (4) | nonce prefix (8) | sealed chunks (CHUNK + 16 bytes each, the last
shorter). An empty file is one empty final chunk.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import IO

from dolbom.core import crypto

MAGIC = b"DOLBOMS1"
CHUNK = 1 << 20
TAG = 16
_HEADER = len(MAGIC) + 4 + 8


class SealBroken(ValueError):
    """The sealed file does not open: another key, another context, or bytes changed, moved or cut off."""


def _associated(context: bytes, number: int, last: bool) -> bytes:
    return context + struct.pack(">IB", number, 1 if last else 0)


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">I", number)


def seal(source: IO[bytes], out: IO[bytes], *, context: bytes) -> str:
    """Write `source` (read from where it stands to its end) encrypted to `out`, a new private file the caller
    created (core.files: `LockedFile.create`, so that its name is known to be in use until the job holds it).
    Returns the SHA-256 of the plaintext, so the caller can name the bytes without reading them twice."""
    fingerprint, cipher = crypto.sealing_key()
    prefix = os.urandom(8)
    digest = hashlib.sha256()
    out.write(MAGIC + fingerprint + prefix)
    number = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if len(chunk) == CHUNK else b""
        last = not following
        digest.update(chunk)
        out.write(cipher.encrypt(_nonce(prefix, number), chunk, _associated(context, number, last)))
        if last:
            break
        chunk, number = following, number + 1
    out.flush()
    os.fsync(out.fileno())
    return digest.hexdigest()


def unseal(path: Path, target: IO[bytes], *, context: bytes) -> str:
    """Decrypt the sealed file at `path` into `target`; return the plaintext's SHA-256. Raises SealBroken, with
    `target` holding part of the plaintext: the caller discards it."""
    digest = hashlib.sha256()
    with open(path, "rb") as sealed:
        header = sealed.read(_HEADER)
        if len(header) != _HEADER or not header.startswith(MAGIC):
            raise SealBroken("not a sealed file")
        cipher = crypto.unsealing_key(header[len(MAGIC) : len(MAGIC) + 4])
        prefix = header[len(MAGIC) + 4 :]
        number = 0
        block = sealed.read(CHUNK + TAG)
        while True:
            following = sealed.read(CHUNK + TAG) if len(block) == CHUNK + TAG else b""
            last = not following
            try:
                chunk = cipher.decrypt(_nonce(prefix, number), block, _associated(context, number, last))
            except Exception as exc:  # InvalidTag
                raise SealBroken(f"chunk {number} does not open") from exc
            digest.update(chunk)
            target.write(chunk)
            if last:
                break
            block, number = following, number + 1
    target.flush()
    return digest.hexdigest()
