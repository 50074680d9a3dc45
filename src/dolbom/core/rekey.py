"""Key rotation of the encrypted identifiers and their lookup hashes, and the checks that refuse unusable keys.

Every column declared with `core.encrypted.EncryptedField` (and the `LookupHashField`s computed from it) of every
installed model is covered, found through the apps registry: core names no domain.

`rotate` reads each table in primary-key order, in batches. For each row it decrypts the value (any configured
key), and when the value is not under the current DOLBOM_RRN_KEY, or a hash is not the current DOLBOM_RRN_HMAC_KEY's,
computes the new ones. Each batch is written in its own short transaction, each row by a compare-and-set
(`UPDATE … WHERE id = ? AND cipher = <read> AND hash = <read>`): a row the running service changed in the meantime
is left as the service wrote it (under the current keys, since it was restarted with them) and read again at the
end of the pass. Nothing records progress: a run re-examines every row and rewrites only what is not under the
current keys, so an interrupted run is resumed by running it again, and a run that rewrites nothing is the proof
that nothing is left under an old key. Decrypting a row costs microseconds; reading the rows dominates.

The cheap checks (`check_key_format`, every command; `check_data_keys`, `check --deploy` and server start) refuse a
malformed key and data under a key that is not configured, naming the setting to fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import DatabaseError, models, transaction
from django.db.models import Count
from django.db.models.functions import Substr

from dolbom.core import audit, crypto
from dolbom.core.encrypted import EncryptedField, LookupHashField

BATCH_SIZE = 1000
# Rows at each end of a table whose lookup hash the start-up check verifies: a rotation goes in primary-key order,
# so an interrupted one leaves its old hashes at the end, and rows written since use the current key.
HASH_SAMPLE = 20
UNREADABLE = "unreadable"  # a hash whose value cannot be decrypted (its key is not configured)


@dataclass(frozen=True)
class Column:
    """One encrypted column and the lookup hashes computed from it."""

    model: type[models.Model]
    cipher: EncryptedField
    hashes: tuple[LookupHashField, ...]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.cipher.name}"

    def rows(self) -> models.QuerySet:
        return self.model._default_manager.exclude(**{f"{self.cipher.attname}__isnull": True}).order_by("pk")


def encrypted_columns() -> list[Column]:
    """Every `EncryptedField` of every installed model, with its `LookupHashField`s."""
    found = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        for cipher in fields:
            if isinstance(cipher, EncryptedField):
                hashes = tuple(f for f in fields if isinstance(f, LookupHashField) and f.of == cipher.name)
                found.append(Column(model, cipher, hashes))
    return found


def cipher_key_counts(column: Column) -> dict[str, int]:
    """Rows per key fingerprint of the column's ciphertexts (bytes 2–5 of each), counted by the database."""
    key = Substr(column.cipher.attname, 2, 4, output_field=models.BinaryField())
    rows = column.rows().order_by().annotate(key=key).values("key").annotate(n=Count("pk")).values_list("key", "n")
    return {bytes(k).hex(): n for k, n in rows}


@dataclass
class Status:
    """Per column: rows per encryption key fingerprint, and per hash field rows per lookup key fingerprint."""

    ciphers: dict[str, dict[str, int]] = field(default_factory=dict)
    hashes: dict[str, dict[str, int]] = field(default_factory=dict)

    def retired(self) -> dict[str, dict[str, int]]:
        """What is under a key other than the current one: {column: {fingerprint: rows}}."""
        current, lookup = crypto.current_key_id(), next(iter(crypto.lookup_key_ids()))
        left: dict[str, dict[str, int]] = {}
        for counts, key in ((self.ciphers, current), (self.hashes, lookup)):
            for label, by_key in counts.items():
                rest = {k: n for k, n in by_key.items() if k != key and n}
                if rest:
                    left[label] = rest
        return left


def status() -> Status:
    """Counts per key fingerprint. The ciphertexts carry their key's fingerprint and are counted by one query per
    column; a hash does not, so each is recomputed from its decrypted value under every configured lookup key
    (one read of every row: seconds for a city)."""
    result = Status()
    for column in encrypted_columns():
        result.ciphers[column.label] = cipher_key_counts(column)
        if not column.hashes:
            continue
        counters = {h: Counter() for h in column.hashes}
        hashers = {h: crypto.lookup_hashers(h.prefix) for h in column.hashes}
        for batch in _batches(column, BATCH_SIZE):
            for _pk, blob, *stored in batch:
                plain = _decrypt(column, blob)
                for hash_field, value in zip(column.hashes, stored, strict=True):
                    counters[hash_field][_hash_key(hashers[hash_field], plain, value)] += 1
        for hash_field, counter in counters.items():
            result.hashes[f"{column.model._meta.label}.{hash_field.name}"] = dict(counter)
    return result


def _hash_key(hashers: list[tuple[str, Callable[[str], str]]], plain: str | None, value: str) -> str:
    if plain is None:
        return UNREADABLE
    for fingerprint, hash_one in hashers:
        if hash_one(plain) == value:
            return fingerprint
    return "?"  # under a lookup key that is not configured


def _decrypt(column: Column, blob: Any) -> str | None:
    try:
        return crypto.decrypt(bytes(blob), context=column.cipher.context)
    except crypto.UnknownKeyError:
        return None


def _batches(column: Column, size: int, pks: Iterable[int] | None = None) -> Iterable[list[tuple[Any, ...]]]:
    names = ["pk", column.cipher.attname, *(h.attname for h in column.hashes)]
    rows = column.rows()
    if pks is not None:
        rows = rows.filter(pk__in=list(pks))
    last = None
    while True:
        page = rows.filter(pk__gt=last) if last is not None else rows
        batch = list(page.values_list(*names)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


@dataclass
class Rotation:
    rewritten: Counter = field(default_factory=Counter)  # column label → rows rewritten
    unreadable: Counter = field(default_factory=Counter)  # column label → rows under a key not configured
    batches: int = 0


def rotate(*, batch_size: int = BATCH_SIZE, after_batch: Callable[[Rotation], None] | None = None) -> Rotation:
    """Bring every encrypted value and lookup hash under the current keys (see the module's docstring).
    Audited when it starts and when it ends; `after_batch` is told after each committed batch (progress)."""
    current_key = crypto.current_key_id()
    lookup_key = next(iter(crypto.lookup_key_ids()))
    with transaction.atomic():
        audit.record(None, "core.keys_rotate_started", detail={"key": current_key, "lookup_key": lookup_key})
    done = Rotation()
    for column in encrypted_columns():
        hashers = [crypto.lookup_hashers(h.prefix)[0][1] for h in column.hashes]
        pending: Iterable[int] | None = None
        for _attempt in range(5):  # rows changed under the rotation are read again; a busy row settles quickly
            changed: list[int] = []
            for batch in _batches(column, batch_size, pending):
                changed += _rotate_batch(column, batch, hashers, current_key, done)
                done.batches += 1
                if after_batch is not None:
                    after_batch(done)
            if not changed:
                break
            pending = changed
    with transaction.atomic():
        detail = {"key": current_key, "lookup_key": lookup_key, "rewritten": sum(done.rewritten.values())}
        detail["unreadable"] = sum(done.unreadable.values())
        audit.record(None, "core.keys_rotated", detail=detail)
    return done


def _rotate_batch(
    column: Column, batch: list[tuple[Any, ...]], hashers: list[Callable[[str], str]], key: str, done: Rotation
) -> list[int]:
    """Write one batch in one transaction; the primary keys of the rows changed meanwhile (not written)."""
    writes = []
    for pk, blob, *stored in batch:
        blob = bytes(blob)
        plain = _decrypt(column, blob)
        if plain is None:
            done.unreadable[column.label] += 1
            continue
        cipher = blob if crypto.key_id(blob) == key else crypto.encrypt(plain, context=column.cipher.context)
        hashes = [hash_one(plain) for hash_one in hashers]
        if cipher != blob or hashes != stored:
            writes.append((pk, blob, stored, cipher, hashes))
    lost = []
    names = [h.attname for h in column.hashes]
    with transaction.atomic():
        for pk, blob, stored, cipher, hashes in writes:
            rows = column.model._default_manager.filter(
                pk=pk, **{column.cipher.attname: blob}, **dict(zip(names, stored, strict=True))
            )
            if rows.update(**{column.cipher.attname: cipher}, **dict(zip(names, hashes, strict=True))):
                done.rewritten[column.label] += 1
            else:
                lost.append(pk)
    return lost


# ------------------------------------------------------------------------------------------------ checks


def check_key_format(**kwargs: Any) -> list[checks.CheckMessage]:
    """Every configured key, old ones included, is base64 of 32 bytes (no database needed: every command)."""
    return [checks.Error(problem, id="dolbom.E101") for problem in crypto.key_problems()]


def data_key_problems() -> list[str]:
    """Data under a key this server is not configured with: ciphertexts whose fingerprint is neither
    DOLBOM_RRN_KEY's nor an old key's (one grouped query per column), and lookup hashes of the rows at both ends of
    each table that match no configured lookup key. Empty when the keys are malformed (said by the other check) or
    the database has no tables yet."""
    if crypto.key_problems():
        return []
    known = set(crypto.encryption_key_ids())
    problems = []
    try:
        for column in encrypted_columns():
            unknown = sorted(set(cipher_key_counts(column)) - known)
            if unknown:
                problems.append(
                    f"{column.label}: values are encrypted under key(s) {', '.join(unknown)} (fingerprints), which "
                    "are not configured: put the old key back in DOLBOM_RRN_OLD_KEYS (see docs/operations.md, "
                    "'Key rotation')"
                )
            problems += _hash_sample_problems(column)
    except DatabaseError:  # not migrated yet, or not reachable: there is no data to check
        return problems
    return problems


def _hash_sample_problems(column: Column) -> list[str]:
    if not column.hashes:
        return []
    names = ["pk", column.cipher.attname, *(h.attname for h in column.hashes)]
    rows = list(column.rows().values_list(*names)[:HASH_SAMPLE])
    rows += list(column.rows().reverse().values_list(*names)[:HASH_SAMPLE])
    problems = []
    for hash_field, position in zip(column.hashes, range(2, 2 + len(column.hashes)), strict=True):
        hashers = crypto.lookup_hashers(hash_field.prefix)
        for row in rows:
            plain = _decrypt(column, row[1])
            if plain is not None and _hash_key(hashers, plain, row[position]) == "?":
                problems.append(
                    f"{column.model._meta.label}.{hash_field.name}: lookup hashes are under a key that is not "
                    "configured, so searches by number miss them: put the old lookup key in DOLBOM_RRN_HMAC_OLD_KEYS "
                    "until `dolbom keys rotate` has finished (see docs/operations.md, 'Key rotation')"
                )
                break
    return problems


def check_data_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="dolbom.E102") for problem in data_key_problems()]


def refuse_unusable_keys() -> None:
    """At server start: stop, saying why, rather than serve 500s on every reveal (or searches that miss)."""
    problems = crypto.key_problems() or data_key_problems()
    if problems:
        raise SystemExit("Dolbom does not start: " + "; ".join(problems))
