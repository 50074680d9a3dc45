"""Signal files of periods past their retention (docs/operations.md, "Retention"): counted for `dolbom retention
report`; their Parquet files under DOLBOM_HOME and their `SignalFile` rows deleted by `dolbom retention purge
--confirm`. The rounds, their outreach lists and the outcomes recorded stay (the next model learns from them);
only the delivered signal rows go. A district with a round running is left for the next purge."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from dolbom.core import audit
from dolbom.core.files import remove_if_abandoned
from dolbom.discovery.importing import store
from dolbom.discovery.models import RoundStatus, ScreeningRound, SignalFile

PURGE_ACTION = "discovery.retention_purge"


def _before(period: str) -> QuerySet[SignalFile]:
    running = ScreeningRound.objects.filter(status=RoundStatus.RUNNING).values("district_id")
    return SignalFile.objects.filter(period__lt=period).exclude(district_id__in=running)


def signal_files_before(period: str) -> tuple[int, int]:
    """How many signal files (standing, and withdrawn ones kept as rows) are of periods before `period` (YYYY-MM),
    and how many rows of signals the standing ones hold."""
    files = _before(period)
    standing = files.filter(withdrawn_at__isnull=True)
    return files.count(), sum(standing.values_list("rows", flat=True))


def purge_signal_files(*, period_before: str, operator: str, rule_version: str) -> tuple[int, int]:
    """Delete the signal files of periods before `period_before`: the rows in one transaction with the audit
    event, the Parquet files once it has committed (a file whose row is gone is no longer part of the system, and
    `dolbom cleanup` removes any this process could not). Returns (files, signal rows)."""
    with transaction.atomic():
        files = list(_before(period_before).select_for_update())
        if not files:
            return 0, 0
        paths = [f.storage_path for f in files if f.withdrawn_at is None and f.storage_path]
        signal_rows = sum(f.rows for f in files if f.withdrawn_at is None)
        SignalFile.objects.filter(pk__in=[f.pk for f in files]).delete()
        detail = {
            "period_before": period_before,
            "files": len(files),
            "signal_rows": signal_rows,
            "periods": sorted({f.period for f in files}),
            "rules": rule_version,
            "operator": operator,
        }
        audit.record(None, PURGE_ACTION, detail=detail)
        transaction.on_commit(lambda: _remove(paths))
    return len(files), signal_rows


def _remove(paths: list[str]) -> None:
    for relative in paths:
        remove_if_abandoned(store.under_home(relative))
