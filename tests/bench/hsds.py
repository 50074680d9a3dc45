"""The service directory as Open Referral HSDS 3.0: exporting N services to JSON files, and importing them, validated,
into an empty directory — each beside a baseline measured in the same run on the same documents: plain `json.dumps`
for the export, `jsonschema` validation alone for the import.

It runs on a database holding nothing but one district and its administrator (who exports and imports, as on the
command line), before the other benchmarks load their cities, and takes its rows away afterwards.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command

from dolbom.core.roles import Role
from dolbom.registry.models import AdministrativeArea, Agency, Staff
from dolbom.resources.models import Organization, Service, ServiceArea, ServiceDomain
from dolbom.resources.services.hsds import export_directory, import_directory, service_validator
from dolbom.synth.resources.catalogue import SERVICES
from tests.bench.report import Section

DISTRICT, DONG = "9811000000", "9811051000"
SERVICES_PER_PROVIDER = 10


def _administrator() -> Any:
    """One district of its own (no other benchmark's codes or names) and its administrator."""
    city = AdministrativeArea.objects.create(code="9800000000", name="벤치시", level="sido")
    district = AdministrativeArea.objects.create(code=DISTRICT, name="벤치구", level="sigungu", parent=city)
    AdministrativeArea.objects.create(code=DONG, name="벤치1동", level="eupmyeondong", parent=district)
    unit = Agency.objects.create(name="벤치구 희망복지지원단", sector="public", kind="district_unit", area=district)
    user = get_user_model().objects.create_user(username="bench_hsds_admin")
    Staff.objects.create(user=user, agency=unit, role=Role.DISTRICT_ADMIN, display_name="벤치 관리자").areas.add(
        district
    )
    return user


def _directory(n: int) -> None:
    """N services in the shape of the demo city's (its catalogue, numbered), ten per provider, in bulk."""
    providers = Organization.objects.bulk_create(
        Organization(name=f"벤치 제공기관 {i + 1:05d}", sector="private", description="벤치마크용 제공기관")
        for i in range(-(-n // SERVICES_PER_PROVIDER))
    )
    services = []
    for i in range(n):
        spec = SERVICES[i % len(SERVICES)]
        name = spec.name.format(city="벤치시", district="벤치구", dong="벤치1동")
        services.append(
            Service(
                district_id=DISTRICT,
                organization=providers[i // SERVICES_PER_PROVIDER],
                name=f"{name} {i + 1:05d}",
                description=spec.description,
                eligibility=spec.eligibility,
                status=spec.status,
                sector=spec.sector,
                capacity=spec.capacity,
                unit_won=spec.unit_won,
                unit_label=spec.unit_label,
                phone=f"039-800-{i % 9000 + 1000:04d}",
                email=f"service{i + 1}@bench.example" if i % 3 == 0 else "",
            )
        )
    Service.objects.bulk_create(services)
    ServiceDomain.objects.bulk_create(
        ServiceDomain(service=s, domain=d) for s, i in zip(services, range(n), strict=True)
        for d in sorted(set(SERVICES[i % len(SERVICES)].domains))
    )  # fmt: skip
    ServiceArea.objects.bulk_create(
        ServiceArea(service=s, code=DONG if i % 2 else DISTRICT, name="벤치1동" if i % 2 else "벤치구")
        for i, s in enumerate(services)
    )


def _empty_directory() -> None:
    Service.objects.all().delete()  # with their need domains and areas
    Organization.objects.all().delete()


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _one_size(home: Path, user: Any, n: int) -> tuple[list[str], list[str], float, float]:
    folder = home / f"hsds-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    _empty_directory()
    _directory(n)
    export_seconds, exported = _timed(lambda: export_directory(user=user, out=folder))
    assert exported.services == n
    files = sorted(folder.glob("*.json"))
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    # The baseline of the export: the same documents serialised as the export writes them, nothing else.
    dumps_seconds, _ = _timed(
        lambda: [json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n" for doc in documents]
    )
    _empty_directory()
    import_seconds, imported = _timed(lambda: import_directory(user=user, folder=folder))
    assert imported.services == n == Service.objects.count()
    # The baseline of the import: the same documents validated against the HSDS schema, nothing else.
    validator = service_validator()
    validate_seconds, problems = _timed(lambda: sum(1 for doc in documents for _ in validator.iter_errors(doc)))
    assert problems == 0
    shutil.rmtree(folder)
    export_row = [
        "export to HSDS JSON files", f"{n:,}", f"{export_seconds:.2f}", f"{n / export_seconds:,.0f}",
        f"{dumps_seconds:.2f} (`json.dumps`)", f"{export_seconds / dumps_seconds:.1f}×",
    ]  # fmt: skip
    import_row = [
        "validated import into an empty directory", f"{n:,}", f"{import_seconds:.2f}", f"{n / import_seconds:,.0f}",
        f"{validate_seconds:.2f} (`jsonschema` alone)", f"{import_seconds / validate_seconds:.1f}×",
    ]  # fmt: skip
    return export_row, import_row, export_seconds, import_seconds


def run(home: Path, *, quick: bool) -> Section:
    small, large = (100, 1_000) if quick else (1_000, 10_000)
    call_command("migrate", verbosity=0)
    user = _administrator()
    service_validator()  # built once, outside every timing (the import and the baseline share it)
    section = Section(
        title=f"Service directory as HSDS 3.0 at {small:,} and {large:,} services",
        command="make bench (tests/bench/hsds.py)",
        header=["what", "services", "seconds", "services/s", "baseline seconds", "ratio to baseline"],
    )
    times = {}
    try:
        for n in (small, large):
            export_row, import_row, export_seconds, import_seconds = _one_size(home, user, n)
            section.rows += [export_row, import_row]
            times[n] = (export_seconds, import_seconds)
    finally:
        _empty_directory()
    growth = large // small
    section.notes += [
        f"{growth}× the services took {times[large][0] / times[small][0]:.1f}× the time to export and "
        f"{times[large][1] / times[small][1]:.1f}× to import ({growth:.1f} would be exactly linear).",
        "Export: the directory read with its providers, need domains and areas, each service built as an HSDS "
        "`service` document with its organization nested, written one file per service, and the export audited. "
        "Its baseline serialises the same documents with `json.dumps` (same options) and writes nothing.",
        "Import: the files read and parsed, each document validated against the HSDS 3.0 schema (`jsonschema`, "
        "formats checked), mapped onto the directory's fields and checked, then every provider and service written "
        "in one transaction and the import audited. Its baseline is the schema validation of the same documents "
        "alone. The database holds one district and its administrator, and the directory is emptied before.",
    ]
    return section
