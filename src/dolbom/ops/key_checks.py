"""Whether the configured keys can do their work: each one well formed, and the encryption key able to decrypt
what it encrypted. Used by `dolbom install` (before anything is written) and by /healthz."""

from __future__ import annotations

import base64
import binascii

from django.conf import settings

from dolbom.core import crypto

# The audit log's keys (setting, environment variable, whether a list of old keys); the resident-number keys,
# current and old, are checked by core.crypto.key_problems.
_AUDIT_KEYS = (
    ("AUDIT_KEY", "DOLBOM_AUDIT_KEY", False),
    ("AUDIT_OLD_KEYS", "DOLBOM_AUDIT_OLD_KEYS", True),
)
_PROBE_CONTEXT = b"dolbom.ops.probe"


def _well_formed(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def key_problems() -> list[str]:
    """One line per problem, naming the variable and never its value; empty when every key is usable."""
    problems: list[str] = list(crypto.key_problems())
    for setting, variable, is_list in _AUDIT_KEYS:
        values = getattr(settings, setting, [] if is_list else "")
        for i, value in enumerate(values if is_list else [values]):
            if not _well_formed(value):
                where = f"{variable}[{i}]" if is_list else variable
                problems.append(f"{where}: not base64 of 32 bytes")
    if len(settings.SECRET_KEY or "") < 50:
        problems.append("DOLBOM_SECRET_KEY: shorter than 50 characters")
    if problems:
        return problems
    try:
        crypto.reset_key_cache()  # read the keys as configured now, not as a previous check cached them
        probe = crypto.encrypt("probe", context=_PROBE_CONTEXT)
        if crypto.decrypt(probe, context=_PROBE_CONTEXT) != "probe":
            problems.append("DOLBOM_RRN_KEY: does not decrypt what it encrypted")
        crypto.keyed_hash("probe")
    except (ValueError, crypto.DecryptionError) as exc:
        problems.append(str(exc))
    return problems
