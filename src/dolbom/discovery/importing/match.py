"""Find the resident of each signal row by the keyed hash of the resident number.

Only the residents of one district are looked at: the district the file was delivered to. A row whose number
belongs to someone living elsewhere matches nobody, exactly like a number nobody has, so that the import report
tells the district nothing about other districts' residents.

The registry stores no resident number in clear, only `Person.rrn_hash` (HMAC-SHA256 of the 13 digits), so a
number from a file is hashed with the same key and looked up. Work is per distinct number in a batch, never per
row: the numbers are hashed once each, looked up, and the answers spread back over the rows with Arrow's
`index_in`.

Lookup takes one of two routes. A small file asks the database for its hashes in chunks
(`WHERE rrn_hash IN (…)`, the district's residents found through the hash's index). A large one — an agency file of
hundreds of thousands of people — would need hundreds of such queries, so once a file has asked for SCAN_AT
numbers the matcher reads the district's (rrn_hash, id) pairs once, keeps them as a sorted NumPy array for the rest
of the file, and answers by binary search (`RegistryIndex`, about 80 MB for a million residents).

When the reader knows the file's size beforehand (a sheet's last row, a Parquet file's metadata), the first batch
projects how many numbers the whole file will ask for (its distinct numbers per row, times the file's rows), and a
file projected past SCAN_AT reads the registry at once: otherwise its first batch would pay for both routes (a
100,000-row workbook spent 0.75 s in the chunked queries of its first 50,000 rows, then read the registry anyway).
A workbook announcing SCAN_AT rows or more reads it even earlier, while its sheet is still being parsed
(`prepare_for`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import QuerySet

from dolbom.core import crypto
from dolbom.core.dates import today_kst
from dolbom.registry.models import Membership, current_on

SCAN_AT = 50_000  # distinct numbers asked (batches of a file together) from which reading the registry is cheaper
SCAN_MAX_PERSONS = 3_000_000  # above this the registry dictionary would cost too much memory: query instead
QUERY_CHUNK = 900  # bound parameters per query: under SQLite's historical limit of 999
FETCH = 100_000
HASH_DTYPE = "S64"  # hex of HMAC-SHA256: always 64 ASCII characters


class Matcher:
    """Hashes and matches the resident numbers of one file, batch after batch, against one district's residents
    as of a date (today unless given)."""

    def __init__(self, district_code: str, *, on: date | None = None, expected_rows: int | None = None) -> None:
        self.district_code = district_code
        self.expected_rows = expected_rows  # the file's rows, if the reader knows them before the first batch
        self.on = on or today_kst()
        self._hash = crypto.rrn_hasher()
        # While the lookup key rotates, residents not yet rewritten still have their hash under an old key: a number
        # nobody has under the current key is looked up again under each old one (core.crypto). The hash kept in
        # the signal file stays the current key's.
        self._old_hashes = [hash_one for _, hash_one in crypto.lookup_hashers(crypto.RRN_HASH_PREFIX)[1:]]
        self._registry: RegistryIndex | None = None
        self._registry_too_large = False
        self._asked = 0  # distinct numbers asked so far in this file: past SCAN_AT, reading the registry is cheaper
        self._projected = 0  # distinct numbers the whole file is expected to ask for, from its first batch

    def hash_and_match(self, digits: pa.Array) -> tuple[pa.Array, pa.Array]:
        """For 13-digit numbers (null where invalid): their lookup hashes, and the matched person ids (int64, null
        where nobody in the registry has the number)."""
        distinct = pc.unique(digits).drop_null()
        if self.expected_rows and len(digits) and not self._asked:
            self._projected = len(distinct) * self.expected_rows // len(digits)
        numbers = distinct.to_pylist()
        hashes = pa.array([self._hash(d) for d in numbers], pa.string())
        ids = self.person_ids(hashes)
        for old_hash in self._old_hashes:
            missing = np.flatnonzero(ids < 0)
            if len(missing):
                ids[missing] = self.person_ids([old_hash(numbers[i]) for i in missing])
        index = pc.index_in(digits, value_set=distinct)
        person_id = pa.array(ids, pa.int64(), mask=ids < 0)
        return hashes.take(index), person_id.take(index)

    def person_ids(self, hashes: list[str] | pa.Array) -> np.ndarray:
        """Person id per hash, -1 where none (by the sorted registry index for large sets, by queries else)."""
        self._asked += len(hashes)
        if max(self._asked, self._projected) >= SCAN_AT:
            self._load_registry()
        if self._registry is not None:
            return self._registry.lookup(hashes)
        asked = hashes.to_pylist() if isinstance(hashes, pa.Array) else hashes
        found = person_ids_by_hash(self.resident_hashes(), asked)
        return np.array([found.get(h, -1) for h in asked], dtype=np.int64)

    def prepare_for(self, announced_rows: int) -> None:
        """Read the registry now if the file announces SCAN_AT rows or more, before its first batch. The reader calls
        this while it parses a workbook in its own process, so the read is free unless it outlasts the parse; a file
        of many rows but few people, which the chunked queries would have served, pays for it only then."""
        if announced_rows >= SCAN_AT:
            self._load_registry()

    def _load_registry(self) -> None:
        if self._registry is None and not self._registry_too_large:
            self._registry = RegistryIndex.load(self.resident_hashes(), limit=SCAN_MAX_PERSONS)
            self._registry_too_large = self._registry is None

    def resident_hashes(self) -> QuerySet[Membership]:
        """(rrn_hash, person id) of every person living in the district on the date (a current membership of one of
        its households), in one pass over the memberships joined to their persons. Asking for persons `IN` the
        members instead made the database list every resident again for each query. A person with overlapping
        memberships (a registry error) comes twice with the same pair, which neither route minds."""
        members = Membership.objects.filter(current_on(self.on), household__dong__parent_id=self.district_code)
        return members.values_list("person__rrn_hash", "person_id")


class RegistryIndex:
    """Every (rrn_hash, person id) of the registry, ordered by the hash's first 16 hex digits read as an unsigned
    64-bit integer: 64 bytes + 16 per person.

    A lookup binary-searches those integers, several times cheaper to sort and compare than 64-byte strings, and
    checks the whole hash where it landed. Residents whose hashes share the 16 digits (odds about one in 10^7 at
    a million residents) sit side by side and are compared one by one.
    """

    def __init__(self, hashes: np.ndarray, ids: np.ndarray) -> None:
        prefixes = _prefixes(hashes)
        order = np.argsort(prefixes, kind="stable")
        self.prefixes = prefixes[order]
        self.hashes = hashes[order]
        self.ids = ids[order]

    @classmethod
    def load(cls, pairs: QuerySet[Any], *, limit: int) -> RegistryIndex | None:
        """Read the (rrn_hash, id) pairs of a `values_list` queryset; None if there are more than `limit` (the
        index would cost too much memory: the caller asks the database instead)."""
        hash_chunks, id_chunks, count = [], [], 0
        sql, params = pairs.order_by()[: limit + 1].query.sql_with_params()
        row_type = pa.struct([("rrn_hash", pa.string()), ("id", pa.int64())])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH):
                count += len(rows)
                if count > limit:
                    return None
                chunk_hashes, chunk_ids = pa.array(rows, type=row_type).flatten()
                hash_chunks.append(fixed_width(chunk_hashes))
                id_chunks.append(chunk_ids.to_numpy())
        if not hash_chunks:
            return cls(np.empty(0, dtype=HASH_DTYPE), np.empty(0, dtype=np.int64))
        return cls(np.concatenate(hash_chunks), np.concatenate(id_chunks))

    def lookup(self, hashes: list[str] | pa.Array) -> np.ndarray:
        keys = fixed_width(pa.array(hashes, pa.string()))
        found = np.full(len(keys), -1, dtype=np.int64)
        if len(self.hashes) == 0 or len(keys) == 0:
            return found
        prefixes = _prefixes(keys)
        position = np.minimum(np.searchsorted(self.prefixes, prefixes), len(self.hashes) - 1)
        hit = self.hashes[position] == keys
        found[hit] = self.ids[position[hit]]
        after = np.minimum(position + 1, len(self.hashes) - 1)
        for i in np.flatnonzero(~hit & (self.prefixes[after] == prefixes) & (after > position)):
            j = after[i]  # the run of residents sharing this key's 16 digits
            while j < len(self.hashes) and self.prefixes[j] == prefixes[i]:
                if self.hashes[j] == keys[i]:
                    found[i] = self.ids[j]
                    break
                j += 1
        return found


def fixed_width(hashes: pa.Array) -> np.ndarray:
    """Hex hashes (Arrow strings, 64 characters each) as a NumPy array of 64-byte strings, without a Python object
    per hash when every one is 64 characters: their bytes are then already laid out as that array, which is read
    in place (read-only, holding on to the Arrow buffer)."""
    hashes = hashes.fill_null("")
    offsets = np.frombuffer(hashes.buffers()[1], dtype=np.int32)[hashes.offset : hashes.offset + len(hashes) + 1]
    if len(hashes) and (np.diff(offsets) == 64).all():
        data = hashes.buffers()[2]
        return np.frombuffer(data, dtype=HASH_DTYPE, count=len(hashes), offset=int(offsets[0]))
    return np.array(hashes.to_pylist(), dtype=HASH_DTYPE)


_NIBBLE = np.zeros(256, dtype=np.uint8)
_NIBBLE[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)


def _prefixes(hashes: np.ndarray) -> np.ndarray:
    """The first 16 hex digits of each hash (lowercase, as `hexdigest` writes them) as an unsigned 64-bit integer;
    lowercase hex sorts as the number it writes, so these sort as the hashes do."""
    nibbles = _NIBBLE[hashes.view(np.uint8).reshape(len(hashes), 64)[:, :16]]
    packed = np.ascontiguousarray((nibbles[:, 0::2] << 4) | nibbles[:, 1::2])
    return packed.view(">u8").ravel().astype(np.uint64)


def person_ids_by_hash(pairs: QuerySet[Any], hashes: list[str]) -> dict[str, int]:
    """{hash: person id} for the hashes found among the (rrn_hash, person id) `pairs` (hashes nobody has are left
    out), asked in chunks of bound parameters."""
    found: dict[str, int] = {}
    for start in range(0, len(hashes), QUERY_CHUNK):
        chunk = hashes[start : start + QUERY_CHUNK]
        found.update(pairs.filter(person__rrn_hash__in=chunk).order_by())
    return found
