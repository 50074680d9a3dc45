"""Import a crisis-signal file: the one write of signals, used by `dolbom import signals` and the upload page.

A file is all or nothing. Every row is checked against the catalogue; if any row is wrong the file is refused with a
report (row, field, reason) and nothing of it is kept — no database row, no Parquet. The same bytes twice are
refused, naming the earlier import. An accepted file becomes one `SignalFile` row (with the audit event) and one
Parquet file, committed together; see `importing.store` for how the two are kept in step.

Every refusal, whatever its reason (a row, the size, a zip bomb, a header without rows, a duplicate), is an audit
event `discovery.import_refused` with the file's name, format, the kind of reason and counts: never a row's
content, never a resident number.

The period is checked against the rows' reference dates (`importing.report.PeriodCheck`): a file mostly dated
before the period is refused as another period's; one with some rows dated before it waits for the importer to
confirm the period (`PeriodNotConfirmed`, then `confirm_period`).

An import made by mistake is withdrawn with `withdraw_signal_file`, by its importer or an administrator of the
district, with a reason, before any round read it: the Parquet file is removed, the row stays for the record, and
the same bytes may be imported again.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.files import LockedFile, remove_if_abandoned
from dolbom.core.jobs.runtime import Progress
from dolbom.core.permissions import can, ensure_can
from dolbom.core.scope import scope_for
from dolbom.core.text import visible_length, visible_text
from dolbom.discovery.catalogue import Catalogue, ProvidingAgency, load_catalogue
from dolbom.discovery.importing import match, readers, store
from dolbom.discovery.importing.limits import Limits, busy_reason, import_turn, too_large_reason
from dolbom.discovery.importing.readers import ReadError
from dolbom.discovery.importing.report import ImportReport, Issue, IssueCollector, PeriodCheck, SignalFileRejected
from dolbom.discovery.importing.validate import PERIOD_PATTERN, Validated, Validator
from dolbom.discovery.models import ScreeningRound, SignalFile
from dolbom.discovery.selectors import rounds_that_read, signal_files_visible_to
from dolbom.registry.models import AdministrativeArea, AreaLevel

__all__ = [
    "ImportBusy",
    "ImportReport",
    "ImportResult",
    "PeriodNotConfirmed",
    "SignalFileRejected",
    "UnmatchedRow",
    "import_signal_file",
    "may_withdraw",
    "refuse_oversized_upload",
    "withdraw_signal_file",
]

# A reason for a withdrawal must say something: at least this many visible characters (core.text).
WITHDRAW_REASON_MIN = 5


class PeriodNotConfirmed(SignalFileRejected):
    """Some rows are dated before the period: nothing was kept, and the file is imported again once the importer
    confirms the period. `report.period_check` has the counts, `report.confirmation` the value that confirms it
    (for this file and this period only)."""


class ImportBusy(SignalFileRejected):
    """Every import turn of this machine is taken (DOLBOM_IMPORTS_AT_ONCE): nothing was read; send it again soon."""


UNMATCHED_SAMPLE = 20


@dataclass(frozen=True)
class UnmatchedRow:
    """A row whose resident number matched nobody in the registry: where it is and what it says, never who."""

    row: int
    record_id: str
    kind: str


@dataclass
class ImportResult:
    signal_file: SignalFile
    rows: int
    matched: int
    unmatched: int
    file_format: str
    encoding: str
    agency_name: str = ""
    unmatched_sample: list[UnmatchedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        sf = self.signal_file
        read_as = f"{self.file_format}/{self.encoding}" if self.encoding else self.file_format
        message = _(
            "Imported: %(name)s → %(agency)s %(period)s, signal file #%(id)s · %(rows)s rows (%(matched)s matched · "
            "%(unmatched)s unmatched) · read as %(read_as)s · %(seconds)s s"
        )
        text = message % {
            "name": sf.original_name,
            "agency": sf.agency_code,
            "period": sf.period,
            "id": sf.pk,
            "rows": f"{self.rows:,}",
            "matched": f"{self.matched:,}",
            "unmatched": f"{self.unmatched:,}",
            "read_as": read_as,
            "seconds": f"{self.seconds:.1f}",
        }
        if self.unmatched_sample:
            examples = ", ".join(f"{u.record_id} ({u.kind})" for u in self.unmatched_sample[:3])
            text += " · " + _("unmatched, e.g.: %(examples)s") % {"examples": examples}
        return text


def _audit_refusals(function: Callable[..., ImportResult]) -> Callable[..., ImportResult]:
    """Record every refusal of `import_signal_file` as an audit event, then let it go on to the caller."""

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> ImportResult:
        try:
            return function(**kwargs)
        except SignalFileRejected as rejected:
            record_refusal(kwargs["user"], rejected.report, size=_size(kwargs.get("path")))
            raise

    return wrapper


@_audit_refusals
def import_signal_file(
    *,
    user: Any,
    path: Path,
    period: str,
    agency_code: str | None,
    district_code: str | None = None,
    original_name: str | None = None,
    confirm_period: bool | str = False,
    progress: Progress | None = None,
    wait_for_turn: Callable[[], None] | None = None,
) -> ImportResult:
    """Validate, match and store one agency file delivered to a district for a screening period.

    `district_code` defaults to the user's district when they serve exactly one; `agency_code` defaults to the
    file's name (`nhis.csv` → `nhis`); `original_name` is the name the user gave the file when `path` is a temporary
    copy (an upload). Raises PermissionDenied for roles that may not import or a district outside the user's, and
    SignalFileRejected, with the report, for a file that is not accepted.

    `confirm_period` accepts rows dated before the period (see `PeriodCheck`): True for any file (the command
    line's --confirm-period), or the `report.confirmation` of the PeriodNotConfirmed the importer was shown, which
    holds only for the same bytes and the same period. Without it, such a file raises PeriodNotConfirmed.

    Run as a job (discovery.signal_jobs), `progress` hears of each phase (IMPORT_PHASES) and is asked between
    batches of rows whether to stop; a stop before the commit leaves nothing. While every import turn of the
    machine is taken, `wait_for_turn` is called until one is free (a job waits); without it, ImportBusy at once."""
    ensure_can(user, "discovery.import_signals")
    while True:
        with import_turn() as ours:
            if ours:
                return _import(
                    user=user, path=Path(path), period=period, agency_code=agency_code, district_code=district_code,
                    original_name=original_name, confirm_period=confirm_period, progress=progress,
                )  # fmt: skip
        if wait_for_turn is None:
            name = original_name or Path(path).name
            raise ImportBusy(ImportReport.single(name, busy_reason(), period=period, kind="busy"))
        wait_for_turn()


def _import(
    *,
    user: Any,
    path: Path,
    period: str,
    agency_code: str | None,
    district_code: str | None,
    original_name: str | None,
    confirm_period: bool | str,
    progress: Progress | None,
) -> ImportResult:
    started = time.perf_counter()
    request = check_request(
        user=user, path=Path(path), period=period, agency_code=agency_code, district_code=district_code,
        name=original_name or Path(path).name,
    )  # fmt: skip
    collector = IssueCollector()
    matcher = match.Matcher(request.district.code)
    # A workbook's rows are announced before its sheet is parsed: a large one has the residents read meanwhile.
    source = _open(request, collector, on_announced=matcher.prepare_for)
    staged: Staged | None = None
    try:
        if progress is not None:
            progress.phase("checking")
        on_batch = (lambda: progress.check(source.share_read())) if progress is not None else None
        staged = validate_and_stage(request, source, collector, matcher, on_batch=on_batch)
        _ensure_period_confirmed(request, source, staged.period_check, confirm_period)
        if progress is not None:
            progress.phase("storing")
        signal_file = _commit(user=user, request=request, source=source, staged=staged)
    finally:
        source.close()
        if staged is not None:
            staged.writer.discard()
    return ImportResult(
        signal_file=signal_file,
        rows=staged.counts.rows,
        matched=staged.counts.matched,
        unmatched=staged.counts.rows - staged.counts.matched,
        file_format=source.file_format,
        encoding=source.encoding,
        agency_name=request.agency.name,
        unmatched_sample=staged.counts.unmatched_sample,
        warnings=staged.warnings,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class ImportRequest:
    """What is known of a file before its rows are read: where it goes, who sent it, what it is."""

    district: AdministrativeArea
    agency: ProvidingAgency
    catalogue: Catalogue
    limits: Limits
    path: Path
    name: str
    period: str
    sha256: str

    def refuse(self, reason: str, *, row: int | None = None, kind: str = "rows") -> SignalFileRejected:
        report = ImportReport.single(
            self.name, reason, row=row, period=self.period, kind=kind, agency_code=self.agency.code
        )
        return SignalFileRejected(report)

    @property
    def confirmation(self) -> str:
        """What confirms the period for these bytes and this period, and nothing else."""
        return f"{self.period}/{self.sha256}"


def check_request(
    *, user: Any, path: Path, period: str, agency_code: str | None, district_code: str | None, name: str
) -> ImportRequest:
    """Everything that can be refused before a row is read: the district, the period, the agency, the file's
    size (before hashing: a 10 GB file is not read) and an earlier import of the same bytes."""
    district = _district(user, district_code)
    catalogue = load_catalogue()

    def refuse(reason: str, *, kind: str, agency: str | None = None) -> SignalFileRejected:
        return SignalFileRejected(ImportReport.single(name, reason, period=period, kind=kind, agency_code=agency))

    if not PERIOD_PATTERN.match(period or ""):
        message = _("The period (round) must be written YYYY-MM (entered: %(period)s).")
        raise refuse(message % {"period": repr(period)}, kind="period")
    agency = _agency(catalogue, agency_code, name)
    if agency is None:
        given = agency_code or _guess_code(name)
        codes = ", ".join(a.code for a in catalogue.agencies)
        message = _(
            "The providing agency '%(given)s' is not in the crisis-signal list. Give the agency's code: %(codes)s."
        )
        raise refuse(message % {"given": given, "codes": codes}, kind="agency")
    if not path.is_file():
        raise refuse(_("The file cannot be found."), agency=agency.code, kind="missing")
    limits = Limits.from_settings()
    try:
        readers.check_size(path, original_name=name, limits=limits)
    except ReadError as exc:
        raise refuse(exc.reason, agency=agency.code, kind=exc.kind) from None
    sha256 = _sha256(path)
    earlier = _earlier_import(district, sha256)
    if earlier is not None:
        raise refuse(_duplicate_reason(earlier), agency=agency.code, kind="duplicate")
    return ImportRequest(
        district=district,
        agency=agency,
        catalogue=catalogue,
        limits=limits,
        path=path,
        name=name,
        period=period,
        sha256=sha256,
    )


def _open(
    request: ImportRequest, collector: IssueCollector, *, on_announced: Callable[[int], None] | None = None
) -> readers.Source:
    """The file opened for reading; rows with the wrong number of cells are counted as problems as they come."""

    def bad_row(number: int, expected: int, actual: int) -> None:
        collector.add(
            Issue(
                row=number if number > 0 else None,
                column="",
                label="",
                reason=_("The number of cells differs from the header row (%(actual)s instead of %(expected)s).")
                % {"expected": expected, "actual": actual},
            )
        )

    try:
        return readers.open_source(
            request.path,
            original_name=request.name,
            on_bad_row=bad_row,
            limits=request.limits,
            on_announced=on_announced,
        )
    except ReadError as exc:
        raise request.refuse(exc.reason, row=exc.row, kind=exc.kind) from None


@dataclass
class _Counts:
    rows: int = 0
    matched: int = 0
    unmatched_sample: list[UnmatchedRow] = field(default_factory=list)


@dataclass
class Staged:
    """A file's accepted rows, matched and written to a staging file, waiting for the commit."""

    writer: store.StagingWriter
    counts: _Counts
    warnings: list[str]
    period_check: PeriodCheck


def validate_and_stage(
    request: ImportRequest,
    source: readers.Source,
    collector: IssueCollector,
    matcher: match.Matcher,
    *,
    on_batch: Callable[[], None] | None = None,
) -> Staged:
    """Check every row against the catalogue, match the valid ones to the district's residents (`matcher`, made for
    the request's district) and stage them; refuse the whole file, with the report of every problem, if any row is
    wrong or none is there. `on_batch` is called after each batch (a job's heartbeat, which may stop the work
    there)."""
    validator = Validator(
        catalogue=request.catalogue,
        agency=request.agency,
        header=source.header,
        period=request.period,
        collector=collector,
    )
    counts = _Counts()
    kind = "rows"
    writer: store.StagingWriter | None = None
    try:
        if validator.check_header():
            writer = store.StagingWriter(request.catalogue, store.staging_dir())
            matcher.expected_rows = source.expected_rows()
            try:
                for batch in source.batches():
                    rows = validator.validate(batch)
                    if not collector:  # once the file is refused, only count the remaining problems
                        _stage(rows, matcher, writer, counts)
                    if on_batch is not None:
                        on_batch()
            except ReadError as exc:
                collector.add(Issue(row=exc.row, column="", label="", reason=exc.reason))
                kind = exc.kind
            validator.finish()
            if not collector and counts.rows == 0:
                kind = "no_rows"
                no_rows = _(
                    "The file has no data rows: it has a header row and not a single crisis-signal row. Check that "
                    "this is the file the agency sent and that nothing was cut off, then upload it again."
                )
                collector.add(Issue(row=None, column="", label="", reason=no_rows))
            if not collector and validator.period_check().wrong_period:
                kind = "wrong_period"
                collector.add(Issue(row=None, column="", label="", reason=validator.period_check().refusal()))
        if collector:
            raise SignalFileRejected(
                ImportReport(
                    file_name=request.name,
                    file_format=source.file_format,
                    encoding=source.encoding,
                    errors=collector.issues,
                    error_count=collector.count,
                    kind=kind,
                    agency_code=request.agency.code,
                    period=request.period,
                    period_check=validator.period_check(),
                )
            )
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    assert writer is not None
    writer.close()
    return Staged(writer=writer, counts=counts, warnings=validator.warnings, period_check=validator.period_check())


def _ensure_period_confirmed(
    request: ImportRequest, source: readers.Source, check: PeriodCheck, confirm_period: bool | str
) -> None:
    """Refuse, for now, a file with rows dated before its period unless the importer confirmed that very file."""
    if not check.needs_confirmation or confirm_period is True or confirm_period == request.confirmation:
        return
    report = ImportReport(
        file_name=request.name,
        agency_code=request.agency.code,
        period=request.period,
        file_format=source.file_format,
        encoding=source.encoding,
        errors=[Issue(row=None, column="observed_on", label="", reason=check.question())],
        error_count=1,
        kind="period_unconfirmed",
        period_check=check,
        confirmation=request.confirmation,
    )
    raise PeriodNotConfirmed(report)


def _stage(rows: Validated, matcher: match.Matcher, writer: store.StagingWriter, counts: _Counts) -> None:
    hashes, person_id = matcher.hash_and_match(rows.rrn_digits)
    rows.rrn_digits = None  # type: ignore[assignment]  # the numbers go no further than their hash
    writer.write(rows, hashes, person_id)
    counts.rows += len(rows)
    counts.matched += len(person_id) - person_id.null_count
    missing = UNMATCHED_SAMPLE - len(counts.unmatched_sample)
    if missing > 0 and person_id.null_count:
        index = pc.indices_nonzero(pc.is_null(person_id))[:missing].to_pylist()
        counts.unmatched_sample += [
            UnmatchedRow(row=int(rows.rows[i]), record_id=rows.record_id[i].as_py(), kind=rows.kind[i].as_py())
            for i in index
        ]


def _commit(*, user: Any, request: ImportRequest, source: readers.Source, staged: Staged) -> SignalFile:
    """Create the row, write the Parquet and record the audit event in one transaction; undo the file on failure."""
    district, catalogue, agency, counts = request.district, request.catalogue, request.agency, staged.counts
    period, name, sha256 = request.period, request.name, request.sha256
    relative = store.relative_path(district.code, period, sha256)
    final = store.under_home(relative)
    unmatched = counts.rows - counts.matched
    published = False  # remove only a file this import wrote: the path may be an earlier import's
    held: LockedFile | None = None
    try:
        with transaction.atomic():
            signal_file = SignalFile.objects.create(
                district=district,
                agency_code=agency.code,
                period=period,
                sha256=sha256,
                original_name=name[:255],
                file_format=source.file_format,
                encoding=source.encoding,
                catalogue_version=catalogue.version,
                rows=counts.rows,
                matched_rows=counts.matched,
                unmatched_rows=unmatched,
                storage_path=relative,
                imported_by=user if getattr(user, "is_authenticated", False) else None,
            )
            held = store.publish(
                staged.writer.path,
                final,
                catalogue=catalogue,
                signal_file_id=signal_file.pk,
                metadata={
                    "agency": agency.code,
                    "period": period,
                    "sha256": sha256,
                    "catalogue_version": catalogue.version,
                },
            )
            published = True
            # The file stays locked until the row is visible to others: `dolbom cleanup` must not take it for
            # an orphan in between. After the outermost commit, that is; a rollback drops the callback, and the
            # except clauses below release it.
            transaction.on_commit(held.release)
            audit.record(
                user,
                "discovery.import_signals",
                signal_file,
                detail={
                    "district": district.code,
                    "agency": agency.code,
                    "period": period,
                    "file_name": name,
                    "sha256": sha256,
                    "format": source.file_format,
                    "encoding": source.encoding,
                    "catalogue_version": catalogue.version,
                    "rows": counts.rows,
                    "matched": counts.matched,
                    "unmatched": unmatched,
                },
            )
    except IntegrityError:
        if published:
            final.unlink(missing_ok=True)
        if held is not None:
            held.release()
        earlier = _earlier_import(district, sha256)
        if earlier is None:
            raise
        raise request.refuse(_duplicate_reason(earlier), kind="duplicate") from None
    except BaseException:
        if published:
            final.unlink(missing_ok=True)
        if held is not None:
            held.release()
        raise
    return signal_file


def _district(user: Any, district_code: str | None) -> AdministrativeArea:
    """The district the file is delivered to: the one given, which must be the user's, or the user's only one."""
    scope = scope_for(user)
    if district_code is None:
        own = sorted(scope.area_codes) if scope.sees_district else []
        if len(own) != 1:
            raise ValidationError({"district": _("Choose the district the file was delivered to.")})
        district_code = own[0]
    scope.ensure_district(district_code)
    district = AdministrativeArea.objects.filter(code=district_code, level=AreaLevel.SIGUNGU).first()
    if district is None:
        raise ValidationError({"district": _("No such district.")})
    return district


def _earlier_import(district: AdministrativeArea, sha256: str) -> SignalFile | None:
    """The import of the same bytes that stands (a withdrawn one does not)."""
    earlier = SignalFile.objects.filter(district=district, sha256=sha256, withdrawn_at__isnull=True)
    return earlier.select_related("imported_by").first()


def _agency(catalogue: Catalogue, code: str | None, name: str) -> ProvidingAgency | None:
    known = {a.code: a for a in catalogue.agencies}
    if code:
        return known.get(code.strip().lower())
    stem = Path(name).stem.lower()
    if stem in known:
        return known[stem]
    # "nhis_2026-09.csv", "kepco-202609.xlsx": the code before a separator names the agency too.
    return known.get(_guess_code(name))


def _guess_code(name: str) -> str:
    return re.split(r"[\s_\-.]", Path(name).stem.lower(), maxsplit=1)[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _duplicate_reason(earlier: SignalFile) -> str:
    when = timezone.localtime(earlier.imported_at).strftime("%Y-%m-%d %H:%M")
    who = earlier.imported_by.get_username() if earlier.imported_by else _("the system")
    message = _(
        "This file has already been imported (a file with the same content): on %(when)s %(who)s imported "
        "'%(name)s' as data of %(agency)s for %(period)s (signal file #%(id)s, %(rows)s rows)."
    )
    return message % {
        "when": when,
        "who": who,
        "name": earlier.original_name,
        "period": earlier.period,
        "agency": earlier.agency_code,
        "id": earlier.pk,
        "rows": f"{earlier.rows:,}",
    }


# ------------------------------------------------------------------------------------------------- withdrawal


def may_withdraw(user: Any, signal_file: SignalFile) -> bool:
    """Whether the user may withdraw this import: the person who imported it, or an administrator of the district
    (the file itself must be visible to them: `signal_files_visible_to`)."""
    if can(user, "discovery.withdraw_any_import"):
        return True
    own = user is not None and user.pk is not None and signal_file.imported_by_id == user.pk
    return own and can(user, "discovery.withdraw_own_import")


def withdraw_signal_file(*, user: Any, signal_file_id: int, reason: str) -> SignalFile:
    """Withdraw an import made by mistake (the wrong period, the wrong file), before any round read it.

    The row stays, with who withdrew it, when and why; its Parquet file (personal data) is removed once the
    withdrawal is committed; no round reads it any more, and the same bytes may be imported again. A file a round
    has read cannot be withdrawn: the round's lists stand on it, and the learned model rebuilds that round's
    inputs from it. A round still being planned when the file goes fails and says so; it is run again."""
    ensure_can(user, "discovery.withdraw_own_import")
    reason = visible_text(reason)
    with transaction.atomic():
        signal_file = signal_files_visible_to(user).select_for_update(of=("self",)).filter(pk=signal_file_id).first()
        if signal_file is None:
            raise Http404
        if not may_withdraw(user, signal_file):
            raise PermissionDenied("discovery.withdraw_any_import: not the importer")
        if signal_file.withdrawn:
            message = _("This import was already withdrawn on %(when)s.")
            when = timezone.localtime(signal_file.withdrawn_at).strftime("%Y-%m-%d %H:%M")
            raise ValidationError({NON_FIELD_ERRORS: message % {"when": when}})
        if visible_length(reason) < WITHDRAW_REASON_MIN:
            message = _("Write why the import is withdrawn (at least %(n)s characters), e.g. 'wrong period'.")
            raise ValidationError({"reason": message % {"n": WITHDRAW_REASON_MIN}})
        used = rounds_that_read([signal_file]).get(signal_file.pk, [])
        if used:
            raise ValidationError({NON_FIELD_ERRORS: used_by_rounds(used)})
        signal_file.withdrawn_at = timezone.now()
        signal_file.withdrawn_by = user
        signal_file.withdrawal_reason = reason
        signal_file.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit.record(
            user,
            "discovery.withdraw_signal_file",
            signal_file,
            reason=reason,
            detail={
                "district": signal_file.district_id,
                "agency": signal_file.agency_code,
                "period": signal_file.period,
                "file_name": _safe_name(signal_file.original_name),
                "sha256": signal_file.sha256,
                "rows": signal_file.rows,
            },
        )
        relative = signal_file.storage_path
        transaction.on_commit(lambda: _remove_withdrawn(relative))
    return signal_file


def used_by_rounds(rounds: list[ScreeningRound]) -> str:
    """Why a file read by rounds stays, and what to do instead."""
    names = ", ".join(f"{r.period} #{r.pk}" for r in rounds)
    message = _(
        "Round %(rounds)s has read this file, so the import can no longer be withdrawn: the round's lists stand on "
        "it. If the file was wrong, withdraw the round (before any visit is assigned from it) or run a new round."
    )
    return message % {"rounds": names}


def _remove_withdrawn(relative: str) -> None:
    """Remove the Parquet of a withdrawn import, unless an import of the same bytes that stands holds the same
    path (imported again right after the withdrawal): that one is locked by its writer until its row commits, and
    wanted after. If this process dies first, `dolbom cleanup` removes the file (it has no standing row)."""

    def wanted() -> bool:
        return SignalFile.objects.filter(storage_path=relative, withdrawn_at__isnull=True).exists()

    remove_if_abandoned(store.under_home(relative), keep=wanted)


# --------------------------------------------------------------------------------------------------- refusals


def refuse_oversized_upload(*, user: Any, file_name: str, file_format: str, limit: int, received: int) -> ImportReport:
    """An upload stopped while it was received, because it passed its format's size limit: the report the page
    shows (status 413), recorded like every other refusal. `received` is how much had arrived when it stopped."""
    ensure_can(user, "discovery.import_signals")
    report = ImportReport.single(file_name, too_large_reason(file_format, limit), kind="too_large")
    report.file_format = file_format
    record_refusal(user, report, size=received, limit=limit)
    return report


def record_refusal(user: Any, report: ImportReport, *, size: int | None, limit: int | None = None) -> None:
    detail: dict[str, Any] = {
        "file_name": _safe_name(report.file_name),
        "format": report.file_format or _format_of(report.file_name),
        "reason": report.kind,
        "errors": report.error_count,
        "agency": report.agency_code or "",
        "period": report.period,
    }
    if size is not None:
        detail["bytes"] = size
    if limit is not None:
        detail["limit_bytes"] = limit
    audit.record(user, "discovery.import_refused", object_type="discovery.signalfile", detail=detail)


_LONG_NUMBER = re.compile(r"\d(?:[\s.\-\u2010-\u2015\u2212]*\d){9,}")


def _safe_name(name: str) -> str:
    """The file's name for the audit log, with every run of ten or more digits (a resident, phone or card number,
    whatever its separators or width) masked: people name files after whoever they are about."""
    normal = unicodedata.normalize("NFKC", name)
    return _LONG_NUMBER.sub(lambda m: "*" * len(m.group()), normal)[:255]


def _format_of(name: str) -> str:
    try:
        return readers.file_format_of(name)
    except ReadError:
        return ""


def _size(path: Path | str | None) -> int | None:
    try:
        return Path(path).stat().st_size if path is not None else None
    except OSError:
        return None
