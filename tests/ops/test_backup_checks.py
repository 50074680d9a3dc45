"""The checks of `dolbom backup` that need no installation of their own: the PostgreSQL client programs are found
or named in a sentence, and a key's fingerprint identifies it without telling anything of it."""

from __future__ import annotations

import base64
import os

import pytest

from dolbom.ops.backup import BackupError, _pg_program, key_fingerprint


def test_a_missing_postgresql_client_is_named_with_what_to_do(settings, tmp_path):
    settings.PG_BIN = str(tmp_path)
    with pytest.raises(BackupError) as refused:
        _pg_program("pg_dump")
    assert "pg_dump을(를) 찾을 수 없습니다" in str(refused.value) and "DOLBOM_PG_BIN" in str(refused.value)
    program = tmp_path / "pg_dump"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o700)
    assert _pg_program("pg_dump") == str(program)


def test_a_fingerprint_tells_keys_apart_and_nothing_of_them():
    key = base64.b64encode(os.urandom(32)).decode()
    other = base64.b64encode(os.urandom(32)).decode()
    assert key_fingerprint(key) == key_fingerprint(key) != key_fingerprint(other)
    assert key not in key_fingerprint(key) and base64.b64decode(key).hex()[:8] not in key_fingerprint(key)
