"""Bulk-load a generated city into the database, in one transaction: all of it or nothing.

Resident numbers arrive in clear in `persons.parquet` (the files are synthetic) and are stored only as the
registry stores them: AES-GCM ciphertext, keyed lookup hash and the seventh digit. The large tables go through the
raw cursor in batches read from Parquet (`executemany` on SQLite, `COPY` on PostgreSQL), an order of magnitude
faster than saving model instances; the small ones (areas, agencies, users, staff) through `bulk_create`. Rows
keep the generator's ids, shifted past any rows already in the tables, so that references need no lookup;
PostgreSQL's sequences are moved past them at the end. Administrative areas are natural keys: codes that already
exist are kept as they are.

The districts' resources (directory, ledger, food bank, volunteers) are drawn from the loaded registry and written
in the same transaction (synth/resources.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from dolbom.core import audit
from dolbom.core.crypto import encrypt_rrn, rrn_hash
from dolbom.core.planner import refresh_statistics
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    Agency,
    Consent,
    Household,
    Membership,
    Person,
    Staff,
)
from dolbom.registry.revision import bulk_registry_write
from dolbom.synth.resources import ResourceSummary, populate_resources, resources_present

BATCH_ROWS = 20_000
LOADED_FILES = (
    "areas.parquet",
    "agencies.parquet",
    "staff.parquet",
    "addresses.parquet",
    "households.parquet",
    "persons.parquet",
    "memberships.parquet",
    "consents.parquet",
)


class LoadError(RuntimeError):
    """The city cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class LoadSummary:
    seed: int
    areas: int
    addresses: int
    households: int
    persons: int
    memberships: int
    agencies: int
    staff: int
    consents: int
    manifest_sha256: str
    resources: ResourceSummary

    def __str__(self) -> str:
        return (
            f"loaded city (seed {self.seed}): {self.households:,} households, {self.persons:,} persons, "
            f"{self.memberships:,} memberships, {self.agencies} agencies, {self.staff:,} staff, "
            f"{self.consents:,} consents; resources: {self.resources}"
        )


def load_city(path: Path) -> LoadSummary:
    """Load the generated city in `path` into an empty registry; refuse if households already exist."""
    path = Path(path)
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        raise LoadError(f"{path} is not a complete generated city (no manifest.json); run `dolbom generate` first")
    manifest_bytes = manifest_file.read_bytes()
    manifest = json.loads(manifest_bytes)
    manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
    _verify(path, manifest)

    with transaction.atomic():
        if Household.objects.exists():
            raise LoadError(
                "the database already has households: a city can only be loaded into an empty registry "
                "(use a fresh DOLBOM_HOME or database)"
            )
        loader = _Loader(path)
        with bulk_registry_write():
            counts = loader.run()
        audit.record(
            None,
            "registry.bulk_load",
            detail={
                **counts,
                "seed": manifest["seed"],
                "generator_version": manifest["generator_version"],
                "manifest_sha256": manifest_sha,
            },
        )
        resources = populate_resources(seed=manifest["seed"], districts=manifest["districts"])
    # A city is a bulk load: the planner needs to know the registry grew from nothing to its full size.
    refresh_statistics()
    expected = manifest["counts"]
    for key in ("households", "persons", "memberships", "consents", "staff", "agencies"):
        if counts[key] != expected[key]:  # pragma: no cover - the hashes above make this unreachable
            raise LoadError(f"loaded {counts[key]} {key}, the manifest says {expected[key]}")
    return LoadSummary(seed=manifest["seed"], manifest_sha256=manifest_sha, resources=resources, **counts)


def load_resources(path: Path) -> ResourceSummary | None:
    """Add the resources to a city loaded before they were generated (a demo database kept from an earlier
    version); None when its districts have them already."""
    manifest = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    if resources_present(manifest["districts"]):
        return None
    return populate_resources(seed=manifest["seed"], districts=manifest["districts"])


def _verify(path: Path, manifest: dict[str, Any]) -> None:
    """Every file we load must be the one the generator wrote (a half-copied city fails here, not halfway)."""
    listed = {f["path"]: f for f in manifest.get("files", [])}
    for name in LOADED_FILES:
        entry = listed.get(name)
        if entry is None or not (path / name).is_file():
            raise LoadError(f"{path / name} is missing from the city")
        digest = hashlib.sha256()
        with (path / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != entry["sha256"]:
            raise LoadError(f"{path / name} does not match its hash in manifest.json (corrupt or edited)")


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.sqlite = connection.vendor == "sqlite"
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.user_model = get_user_model()
        # Generator ids are shifted past existing rows, so a database with reference data still loads.
        self.base = {
            model: model.objects.aggregate(m=Max("pk"))["m"] or 0
            for model in (Address, Household, Person, Membership, Agency, Staff, Consent, self.user_model)
        }

    def run(self) -> dict[str, int]:
        if not self.sqlite:
            return self._run()
        # Index maintenance of random keys (the resident-number hash) thrashes SQLite's small default page cache;
        # a larger cache for this connection, during the load only, makes it much faster.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            default = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MiB
        try:
            return self._run()
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(default)}")

    def _run(self) -> dict[str, int]:
        counts = {"areas": self._areas(), "agencies": self._agencies(), "staff": self._staff()}
        counts["addresses"] = self._addresses()
        counts["households"] = self._households()
        counts["persons"] = self._persons()
        counts["memberships"] = self._memberships()
        counts["consents"] = self._consents()
        if connection.vendor == "postgresql":
            models_with_ids = [*self.base, Staff.areas.through]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models_with_ids):
                    cursor.execute(sql)
        return counts

    # small tables ---------------------------------------------------------------------------------------------

    def _areas(self) -> int:
        rows = pq.read_table(self.path / "areas.parquet").to_pylist()
        existing = set(AdministrativeArea.objects.values_list("code", flat=True))
        new = [
            AdministrativeArea(
                code=r["code"],
                name=r["name"],
                level=r["level"],
                parent_id=r["parent_code"],
                visit_capacity=r["visit_capacity"],
            )
            for r in rows
            if r["code"] not in existing
        ]
        # Parents before children: the table lists the city, then districts, then dongs.
        AdministrativeArea.objects.bulk_create(new)
        return len(rows)

    def _agencies(self) -> int:
        rows = pq.read_table(self.path / "agencies.parquet").to_pylist()
        clash = set(Agency.objects.filter(name__in=[r["name"] for r in rows]).values_list("name", flat=True))
        if clash:
            raise LoadError(f"agencies with these names already exist: {', '.join(sorted(clash))}")
        base = self.base[Agency]
        Agency.objects.bulk_create(
            Agency(
                pk=base + r["agency_id"],
                name=r["name"],
                sector=r["sector"],
                kind=r["kind"],
                area_id=r["area_code"],
                phone=r["phone"],
            )
            for r in rows
        )
        return len(rows)

    def _staff(self) -> int:
        rows = pq.read_table(self.path / "staff.parquet").to_pylist()
        usernames = [r["username"] for r in rows]
        clash = set(self.user_model.objects.filter(username__in=usernames).values_list("username", flat=True))
        if clash:
            shown = ", ".join(sorted(clash)[:5])
            raise LoadError(f"{len(clash)} staff user names already exist (e.g. {shown}): load into a fresh database")
        user_base, staff_base, agency_base = self.base[self.user_model], self.base[Staff], self.base[Agency]
        joined = timezone.now()
        # Unusable passwords: no hashing per account (ensure_demo_accounts sets the demo password afterwards).
        self.user_model.objects.bulk_create(
            self.user_model(
                pk=user_base + r["staff_id"], username=r["username"], password=make_password(None), date_joined=joined
            )
            for r in rows
        )
        Staff.objects.bulk_create(
            Staff(
                pk=staff_base + r["staff_id"],
                user_id=user_base + r["staff_id"],
                agency_id=agency_base + r["agency_id"],
                role=r["role"],
                display_name=r["display_name"],
            )
            for r in rows
        )
        through = Staff.areas.through
        through.objects.bulk_create(
            through(staff_id=staff_base + r["staff_id"], administrativearea_id=code)
            for r in rows
            for code in r["area_codes"]
        )
        return len(rows)

    # large tables ---------------------------------------------------------------------------------------------

    def _batches(self, name: str) -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(self.path / name).iter_batches(batch_size=BATCH_ROWS)

    def _dates(self, column: pa.Array) -> list[Any]:
        # SQLite stores dates as ISO text (what Django's adapter would write); PostgreSQL takes date objects.
        return column.cast(pa.string()).to_pylist() if self.sqlite else column.to_pylist()

    def _ids(self, column: pa.Array, model: type[models.Model]) -> list[int]:
        return pc.add(column, self.base[model]).to_pylist()

    def _insert(self, model: type[models.Model], fields: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        # Identifiers come from the models' metadata, quoted; values are always passed as data, never as SQL.
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY is an order of magnitude faster than row-by-row INSERTs on PostgreSQL.
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                cursor.executemany(sql, list(rows))

    def _addresses(self) -> int:
        total = 0
        fields = ["id", "dong", "road_address", "detail", "postal_code", "tong", "ban"]
        for b in self._batches("addresses.parquet"):
            c = b.to_pydict()
            ids = self._ids(b.column("address_id"), Address)
            self._insert(
                Address,
                fields,
                zip(
                    ids,
                    c["dong_code"],
                    c["road_address"],
                    c["detail"],
                    c["postal_code"],
                    c["tong"],
                    c["ban"],
                    strict=True,
                ),
            )
            total += b.num_rows
        return total

    def _households(self) -> int:
        total = 0
        for b in self._batches("households.parquet"):
            ids = self._ids(b.column("household_id"), Household)
            addresses = self._ids(b.column("address_id"), Address)
            dongs = b.column("dong_code").to_pylist()
            registered = self._dates(b.column("registered_on"))
            created = [self.now] * b.num_rows
            self._insert(
                Household,
                ["id", "address", "dong", "registered_on", "created_at"],
                zip(ids, addresses, dongs, registered, created, strict=True),
            )
            total += b.num_rows
        return total

    def _persons(self) -> int:
        total = 0
        fields = [
            "id", "name", "birth_date", "sex", "rrn_cipher", "rrn_hash", "rrn_seventh", "phone", "phone_last4",
            "disability", "nationality", "date_of_death", "created_at",
        ]  # fmt: skip
        for b in self._batches("persons.parquet"):
            digits = pc.replace_substring(b.column("resident_number"), "-", "")
            seventh = pc.utf8_slice_codeunits(digits, 6, 7).to_pylist()
            digit_list = digits.to_pylist()
            # The numbers exist in memory only for this batch; only ciphertext and hash reach the database.
            ciphers = [encrypt_rrn(d) for d in digit_list]
            hashes = [rrn_hash(d) for d in digit_list]
            phone = b.column("phone")
            last4 = pc.utf8_slice_codeunits(phone, -4, 2**31 - 1).to_pylist()
            deaths = self._dates(b.column("date_of_death"))
            self._insert(
                Person,
                fields,
                zip(
                    self._ids(b.column("person_id"), Person),
                    b.column("name").to_pylist(),
                    self._dates(b.column("birth_date")),
                    b.column("sex").to_pylist(),
                    ciphers,
                    hashes,
                    seventh,
                    phone.to_pylist(),
                    last4,
                    b.column("disability").to_pylist(),
                    b.column("nationality").to_pylist(),
                    deaths,
                    [self.now] * b.num_rows,
                    strict=True,
                ),
            )
            del digit_list, digits
            total += b.num_rows
        return total

    def _memberships(self) -> int:
        total = 0
        for b in self._batches("memberships.parquet"):
            self._insert(
                Membership,
                ["id", "household", "person", "relationship", "moved_in", "moved_out"],
                zip(
                    self._ids(b.column("membership_id"), Membership),
                    self._ids(b.column("household_id"), Household),
                    self._ids(b.column("person_id"), Person),
                    b.column("relationship").to_pylist(),
                    self._dates(b.column("moved_in")),
                    self._dates(b.column("moved_out")),
                    strict=True,
                ),
            )
            total += b.num_rows
        return total

    def _consents(self) -> int:
        total = 0
        for b in self._batches("consents.parquet"):
            self._insert(
                Consent,
                ["id", "person", "purpose", "recipient", "given_on", "withdrawn_on", "recorded_by"],
                zip(
                    self._ids(b.column("consent_id"), Consent),
                    self._ids(b.column("person_id"), Person),
                    b.column("purpose").to_pylist(),
                    self._ids(b.column("recipient_agency_id"), Agency),
                    self._dates(b.column("given_on")),
                    self._dates(b.column("withdrawn_on")),
                    self._ids(b.column("recorded_by_staff_id"), Staff),
                    strict=True,
                ),
            )
            total += b.num_rows
        return total
