"""Find the resident of each signal row by the keyed hash of the resident number.

Only the residents of one district are looked at: the district the file was delivered to. A row whose number
belongs to someone living elsewhere matches nobody, exactly like a number nobody has, so that the import report
tells the district nothing about other districts' residents.

The registry stores no resident number in clear, only `Person.rrn_hash` (HMAC-SHA256 of the 13 digits), so a
number from a file is hashed with the same key and looked up. Work is per distinct number in a batch, never per
row: the numbers are hashed once each, looked up, and the answers spread back over the rows with Arrow's
`index_in`.

Lookup takes one of two routes. A small batch asks the database for its hashes in chunks
(`WHERE rrn_hash IN (…)`). A large one — an agency file of hundreds of thousands of people — would need hundreds
of such queries per batch, so the matcher instead reads the registry's (rrn_hash, id) pairs once, keeps them as a
sorted NumPy array of fixed-width hashes for the rest of the file, and answers by binary search (about 1 s and
70 MB for a million people).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import QuerySet

from dolbom.core import crypto
from dolbom.core.dates import today_kst
from dolbom.registry.models import Membership, Person, current_on

SCAN_AT = 50_000  # distinct numbers in one batch from which reading the whole registry is cheaper
SCAN_MAX_PERSONS = 3_000_000  # above this the registry dictionary would cost too much memory: query instead
QUERY_CHUNK = 900  # bound parameters per query: under SQLite's historical limit of 999
FETCH = 100_000
HASH_DTYPE = "S64"  # hex of HMAC-SHA256: always 64 ASCII characters


class Matcher:
    """Hashes and matches the resident numbers of one file, batch after batch, against one district's residents
    as of a date (today unless given)."""

    def __init__(self, district_code: str, *, on: date | None = None) -> None:
        self.district_code = district_code
        self.on = on or today_kst()
        self._hash = crypto.rrn_hasher()
        # While the lookup key rotates, residents not yet rewritten still have their hash under an old key: a number
        # nobody has under the current key is looked up again under each old one (core.crypto). The hash kept in
        # the signal file stays the current key's.
        self._old_hashes = [hash_one for _, hash_one in crypto.lookup_hashers(crypto.RRN_HASH_PREFIX)[1:]]
        self._registry: RegistryIndex | None = None
        self._registry_too_large = False

    def hash_and_match(self, digits: pa.Array) -> tuple[pa.Array, pa.Array]:
        """For 13-digit numbers (null where invalid): their lookup hashes, and the matched person ids (int64, null
        where nobody in the registry has the number)."""
        distinct = pc.unique(digits).drop_null()
        numbers = distinct.to_pylist()
        hashes = [self._hash(d) for d in numbers]
        ids = self.person_ids(hashes)
        for old_hash in self._old_hashes:
            missing = np.flatnonzero(ids < 0)
            if len(missing):
                ids[missing] = self.person_ids([old_hash(numbers[i]) for i in missing])
        index = pc.index_in(digits, value_set=distinct)
        person_id = pa.array(ids, pa.int64(), mask=ids < 0)
        return pa.array(hashes, pa.string()).take(index), person_id.take(index)

    def person_ids(self, hashes: list[str]) -> np.ndarray:
        """Person id per hash, -1 where none (by the sorted registry index for large sets, by queries else)."""
        if self._registry is None and len(hashes) >= SCAN_AT and not self._registry_too_large:
            residents = self.residents()
            count = residents.count()
            if count <= SCAN_MAX_PERSONS:
                self._registry = RegistryIndex.load(residents, expected=count)
            else:
                self._registry_too_large = True
        if self._registry is not None:
            return self._registry.lookup(hashes)
        found = person_ids_by_hash(self.residents(), hashes)
        return np.array([found.get(h, -1) for h in hashes], dtype=np.int64)

    def residents(self) -> QuerySet[Person]:
        """The persons living in the district on the date (a current membership of one of its households)."""
        members = Membership.objects.filter(current_on(self.on), household__dong__parent_id=self.district_code)
        return Person.objects.filter(pk__in=members.values("person_id"))


class RegistryIndex:
    """Every (rrn_hash, person id) of the registry, sorted by hash: 64 bytes + 8 per person."""

    def __init__(self, hashes: np.ndarray, ids: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.ids = ids[order]

    @classmethod
    def load(cls, persons: QuerySet[Person], expected: int = 0) -> RegistryIndex:
        """Read every (rrn_hash, id) pair of `persons`; `expected` (their number) lets the arrays be filled in
        place instead of concatenated, which halves the memory the load needs on the way."""
        hashes = np.empty(expected, dtype=HASH_DTYPE)
        ids = np.empty(expected, dtype=np.int64)
        filled = 0
        sql, params = persons.order_by().values_list("rrn_hash", "pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH):
                if filled + len(rows) > len(hashes):  # the registry grew since it was counted
                    hashes = np.resize(hashes, filled + len(rows))
                    ids = np.resize(ids, filled + len(rows))
                chunk_hashes, chunk_ids = zip(*rows, strict=True)
                hashes[filled : filled + len(rows)] = chunk_hashes
                ids[filled : filled + len(rows)] = chunk_ids
                filled += len(rows)
        return cls(hashes[:filled], ids[:filled])

    def lookup(self, hashes: list[str]) -> np.ndarray:
        keys = np.array(hashes, dtype=HASH_DTYPE)
        if len(self.hashes) == 0 or len(keys) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.hashes, keys), len(self.hashes) - 1)
        return np.where(self.hashes[position] == keys, self.ids[position], -1)


def person_ids_by_hash(persons: QuerySet[Person], hashes: list[str]) -> dict[str, int]:
    """The persons among `persons` with these resident-number hashes, as {hash: person id} (hashes nobody has are
    left out), asked in chunks of bound parameters."""
    found: dict[str, int] = {}
    for start in range(0, len(hashes), QUERY_CHUNK):
        chunk = hashes[start : start + QUERY_CHUNK]
        found.update(persons.filter(rrn_hash__in=chunk).order_by().values_list("rrn_hash", "pk"))
    return found
