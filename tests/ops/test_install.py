"""`dolbom install` refuses, changing nothing, when the production keys are missing or malformed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _install(home: Path, **env: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("dolbom")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
    keys = {
        "DOLBOM_SECRET_KEY": "s" * 60,
        "DOLBOM_RRN_KEY": _key(),
        "DOLBOM_RRN_HMAC_KEY": _key(),
        "DOLBOM_AUDIT_KEY": _key(),
    }
    merged = {**clean, "DOLBOM_ENV": "production", "DOLBOM_HOME": str(home), **keys, **env}
    merged = {k: v for k, v in merged.items() if v is not None and v != "<unset>"}
    return subprocess.run(
        [str(script), "install"], env=merged, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DOLBOM_RRN_KEY", "bm90IDMyIGJ5dGVz"),  # base64, but of 12 bytes
        ("DOLBOM_AUDIT_KEY", "not base64 at all!"),
        ("DOLBOM_RRN_OLD_KEYS", "c2hvcnQ="),
    ],
)
def test_install_refuses_a_malformed_key_and_changes_nothing(tmp_path, variable, value):
    result = _install(tmp_path, **{variable: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert variable in result.stderr and "32 bytes" in result.stderr
    assert value not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dolbom.sqlite3").exists() and not (tmp_path / "static").exists()


def test_install_refuses_a_missing_key_with_a_sentence(tmp_path):
    result = _install(tmp_path, DOLBOM_RRN_HMAC_KEY="<unset>")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DOLBOM_RRN_HMAC_KEY" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "dolbom.sqlite3").exists()
