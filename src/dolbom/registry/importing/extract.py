"""Read every row of both files of a registry export and check it, then the rules across rows: the result is a
`Snapshot` of the district as of a date, or the problems found, each with file, row, column and reason.

Nothing is written here, and the whole export is read before anything is decided (all or nothing): the service
writes a snapshot only when no problem was found. Rows are held in memory as small objects; a district's registry
(a few hundred thousand rows) takes a few hundred megabytes while it is checked.
"""

from __future__ import annotations

import hashlib
import itertools
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from dolbom.core.numbers import redact as redact_numbers
from dolbom.core.rrn import ResidentNumber
from dolbom.core.tabular import excel
from dolbom.core.tabular.limits import Limits
from dolbom.core.tabular.readers import FORMATS_BY_SUFFIX, ReadError, check_size, open_source
from dolbom.registry.importing import cells
from dolbom.registry.importing.cells import CellError
from dolbom.registry.importing.layout import FileLayout, Layout, folded
from dolbom.registry.models import AreaLevel, Relationship

LISTED = 200  # problems listed in the report; all are counted
EXCEL_LAST_ROW = 1_048_576  # a sheet that reaches Excel's last row was probably cut off when it was saved
MAX_SHEETS_XML = 1 << 20


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str
    message: str


@dataclass
class Problems:
    errors: list[Problem] = field(default_factory=list)
    count: int = 0
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0

    def add(self, file: str, row: int | None, column: str, message: str) -> None:
        self.count += 1
        if len(self.errors) < LISTED:
            self.errors.append(_redacted(file, row, column, message))

    def warn(self, file: str, row: int | None, column: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < LISTED:
            self.warnings.append(_redacted(file, row, column, message))


def _redacted(file: str, row: int | None, column: str, message: str) -> Problem:
    """A problem whose texts cannot carry a number from the file: a file without its header row makes the first
    row's values (a resident number among them) the "unknown columns", and shifted columns put a number where a
    label is quoted. Every resident, phone or card number, however typed, is replaced by its label."""
    return Problem(file, row, redact_numbers(column), redact_numbers(message))


@dataclass(frozen=True)
class FileRead:
    """What the audit log keeps of a file: never its content."""

    name: str
    sha256: str
    size: int
    file_format: str
    encoding: str
    rows: int

    def audit(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256,
            "bytes": self.size,
            "format": self.file_format,
            "encoding": self.encoding,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    level: str
    row: int


@dataclass
class MemberRow:
    row: int
    household_number: str
    dong_code: str
    road_address: str
    detail: str
    postal_code: str
    tong: int | None
    ban: int | None
    registered_on: date
    name: str
    number: ResidentNumber
    nationality: str
    phone: str  # digits, or ""
    disability: str  # "", or a Disability value when the cell is filled
    disability_given: bool
    date_of_death: date | None
    relationship: str
    moved_in: date
    moved_out: date | None
    ended_by: str


@dataclass
class Snapshot:
    district: str
    as_of: date
    areas: list[AreaRow]  # the district's active areas, 시도 and 시군구 first
    members: list[MemberRow]
    files: list[FileRead]
    warnings: Problems


# ------------------------------------------------------------------------------------------------------- the files


def find_file(folder: Path, stem: str, problems: Problems) -> Path | None:
    """The one file of the folder named `stem` with a readable extension. File names are compared in NFC: a folder
    copied from a Mac names its Korean files in decomposed form."""
    found = [
        p
        for p in sorted(folder.iterdir())
        if p.is_file()
        and unicodedata.normalize("NFC", p.stem) == stem
        and p.suffix.lower() in FORMATS_BY_SUFFIX | {".xls": ""}
    ]
    if not found:
        message = _("The folder has no file %(stem)s (.csv, .xlsx or .parquet).") % {"stem": stem}
        problems.add(stem, None, "", message)
        return None
    if len(found) > 1:
        names = ", ".join(unicodedata.normalize("NFC", p.name) for p in found)
        problems.add(stem, None, "", _("Keep only one of these files: %(names)s.") % {"names": names})
        return None
    return found[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sheet_count(path: Path, limits: Limits) -> int:
    """How many sheets the workbook has, from its workbook part alone (after the zip directory's own checks), so that
    a workbook whose data could be on several sheets is refused rather than read from the first one silently."""
    with path.open("rb") as handle:
        excel.check_package(handle, limits.as_dict())
        handle.seek(0)
        with zipfile.ZipFile(handle) as package:
            info = package.getinfo("xl/workbook.xml")
            if info.file_size > MAX_SHEETS_XML:
                return 0
            return package.read(info).count(b"<sheet ")


def read_rows(
    path: Path,
    layout: FileLayout,
    problems: Problems,
    limits: Limits,
    files: list[FileRead],
    written: dict[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row, {field: text}) of every row of a file whose header is right; header and reading problems go to
    `problems`, the file's hash and counts to `files`, and each field's header as the file writes it to `written`
    (so that a problem names the column as the person sees it in their file)."""
    name = unicodedata.normalize("NFC", path.name)
    rows = 0
    file_format = encoding = ""
    try:
        check_size(path, original_name=name, limits=limits)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            sheets = _sheet_count(path, limits)
            if sheets != 1:
                message = _(
                    "The workbook has %(n)s sheets. Keep only the sheet with the data (delete the others) and save it "
                    "again."
                )
                problems.add(name, None, "", message % {"n": sheets})
                return

        def bad_row(row: int, expected: int, actual: int) -> None:
            message = _("The row has %(actual)s cells where the header has %(expected)s.")
            problems.add(name, row, "", message % {"actual": actual, "expected": expected})

        source = open_source(path, original_name=name, on_bad_row=bad_row, limits=limits)
        try:
            file_format, encoding = source.file_format, source.encoding
            columns = _columns(name, source.header, layout, problems)
            if columns is None:
                return
            if written is not None:
                written.update({key: source.header[i].strip() for i, key in columns.items()})
            for batch in source.batches():
                values = [batch.table.column(i).to_pylist() for i in range(batch.table.num_columns)]
                numbers = batch.rows.tolist()
                if file_format == "xlsx" and numbers and max(numbers) >= EXCEL_LAST_ROW:
                    message = _(
                        "The sheet reaches Excel's last row (%(last)s): it was probably cut off. Export the data as "
                        "CSV instead."
                    )
                    problems.add(name, EXCEL_LAST_ROW, "", message % {"last": f"{EXCEL_LAST_ROW:,}"})
                for j, row in enumerate(numbers):
                    rows += 1
                    yield row, {key: values[i][j] or "" for i, key in columns.items()}
        finally:
            source.close()
    except ReadError as refused:
        problems.add(name, refused.row, "", refused.reason)
    except excel.Refused as refused:
        problems.add(name, refused.row, "", _(refused.message) % refused.values)
    except (zipfile.BadZipFile, KeyError, OSError):
        problems.add(name, None, "", _("The Excel file cannot be opened (it is not an .xlsx file, or it is damaged)."))
    finally:
        files.append(
            FileRead(
                name=name,
                sha256=_sha256(path),
                size=path.stat().st_size,
                file_format=file_format,
                encoding=encoding,
                rows=rows,
            )
        )


def _columns(name: str, header: list[str], layout: FileLayout, problems: Problems) -> dict[int, str] | None:
    """Column index → field, or None when the header is refused: a column the layout does not have (shifted
    columns, or data that must not be uploaded), a column twice, a required column missing."""
    known = layout.by_header()
    columns: dict[int, str] = {}
    before = problems.count
    for i, raw in enumerate(header):
        column = known.get(folded(raw))
        shown = raw.strip() or _("(empty header)")
        if column is None:
            message = _(
                "This column is not in the registry layout. Remove it from the file: only the columns of the layout "
                "are accepted (docs/operations.md)."
            )
            problems.add(name, 1, shown, message)
        elif column.key in columns.values():
            problems.add(name, 1, shown, _("This column appears twice."))
        else:
            columns[i] = column.key
    for column in layout.columns:
        if column.required and column.key not in columns.values():
            problems.add(name, 1, column.header, _("This required column is missing."))
    return columns if problems.count == before else None


# ------------------------------------------------------------------------------------------------------- the areas


def read_areas(
    path: Path, layout: Layout, district: str, as_of: date, problems: Problems, limits: Limits, files: list[FileRead]
) -> tuple[dict[str, AreaRow], dict[str, date]]:
    """The district's areas active on `as_of` (its 시도, itself and its 읍면동), and the district's retired codes
    with the day they were retired. Rows of other districts are skipped: KIKcd_H lists the whole country."""
    name = unicodedata.normalize("NFC", path.name)
    active: dict[str, AreaRow] = {}
    retired: dict[str, date] = {}
    sido = district[:2] + "00000000"
    for row, cells_of in read_rows(path, layout.areas, problems, limits, files):  # KIKcd_H's headers are fixed
        try:
            code = cells.area_code(cells_of["code"])
        except CellError as refused:
            problems.add(name, row, layout.areas.header_of("code"), str(refused))
            continue
        if code != sido and code[:5] != district[:5]:
            continue
        level, name_key = _level(code)
        if level is None:
            message = _(
                "Not the code of a province, a district or an administrative dong (the code of an administrative dong "
                "ends in 00)."
            )
            problems.add(name, row, layout.areas.header_of("code"), message)
            continue
        dates: dict[str, date | None] = {}
        for key in ("created_on", "retired_on"):
            try:
                dates[key] = cells.a_date(cells_of.get(key, ""))
            except CellError as refused:
                problems.add(name, row, layout.areas.header_of(key), str(refused))
                dates[key] = None
        area_name = cells.text(cells_of.get(name_key, ""))
        if not area_name:
            problems.add(name, row, layout.areas.header_of(name_key), _("This column is required: the cell is empty."))
            continue
        if len(area_name) > 50:
            problems.add(
                name, row, layout.areas.header_of(name_key), _("Too long: at most %(n)s characters.") % {"n": 50}
            )
            continue
        if dates["retired_on"] is not None and dates["retired_on"] <= as_of:
            retired[code] = dates["retired_on"]
            continue
        if dates["created_on"] is not None and dates["created_on"] > as_of:
            continue
        if code in active:
            message = _("This code is listed twice as active (also on row %(row)s).")
            problems.add(name, row, layout.areas.header_of("code"), message % {"row": active[code].row})
            continue
        active[code] = AreaRow(code=code, name=area_name, level=level, row=row)
    if district not in active and not any(p.file == name for p in problems.errors):
        message = _("The district %(code)s is not in the file as an active district on %(date)s.")
        problems.add(name, None, layout.areas.header_of("code"), message % {"code": district, "date": as_of})
    return active, retired


def _level(code: str) -> tuple[str | None, str]:
    if code[2:] == "00000000":
        return AreaLevel.SIDO, "sido"
    if code[5:] == "00000":
        return AreaLevel.SIGUNGU, "sigungu"
    if code[8:] == "00":
        return AreaLevel.EUPMYEONDONG, "dong"
    return None, ""


# ----------------------------------------------------------------------------------------------------- the members


HOUSEHOLD_FIELDS = ("dong_code", "road_address", "detail", "postal_code", "tong", "ban", "registered_on")
PERSON_FIELDS = ("name", "nationality", "phone", "disability", "date_of_death")


HeaderOf = Callable[[str], str]


class _Row:
    """One member row being parsed: each cell through its parser, each refusal a problem at its column."""

    def __init__(self, file: str, row: int, values: dict[str, str], header_of: HeaderOf, problems: Problems) -> None:
        self.file, self.row, self.values, self.header_of, self.problems = file, row, values, header_of, problems
        self.ok = True

    def error(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.add(self.file, self.row, self.header_of(key), message)

    def cell(self, key: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        raw = self.values.get(key, "")
        try:
            value = parse(raw)
            if required and (value is None or value == ""):
                raise CellError(_("This column is required: the cell is empty."))
            return value
        except CellError as refused:
            self.error(key, str(refused))
            return None


def read_members(
    path: Path,
    layout: Layout,
    district: str,
    as_of: date,
    dongs: dict[str, AreaRow] | None,
    retired: dict[str, date],
    problems: Problems,
    limits: Limits,
    files: list[FileRead],
) -> list[MemberRow]:
    name = unicodedata.normalize("NFC", path.name)
    members: list[MemberRow] = []
    written: dict[str, str] = {}

    def header_of(key: str) -> str:
        return written.get(key) or layout.members.header_of(key)

    for row, values in read_rows(path, layout.members, problems, limits, files, written):
        parsed = _member(name, row, values, layout, header_of, district, as_of, dongs, retired, problems)
        if parsed is not None:
            members.append(parsed)
    if problems.count == 0:
        _across_rows(name, members, header_of, as_of, problems)
    return members


def _member(
    file: str,
    row: int,
    values: dict[str, str],
    layout: Layout,
    header_of: HeaderOf,
    district: str,
    as_of: date,
    dongs: dict[str, AreaRow] | None,
    retired: dict[str, date],
    problems: Problems,
) -> MemberRow | None:
    r = _Row(file, row, values, header_of, problems)
    text = cells.text

    def bounded(limit: int) -> Callable[[str], str]:
        return lambda v: cells.bounded(text(v), limit)

    number = r.cell("rrn", cells.resident_number, required=True)
    household_number = r.cell("household_number", bounded(40), required=True)
    dong_code = r.cell("dong_code", cells.area_code, required=True)
    if dong_code:
        _check_dong(r, dong_code, district, dongs, retired, layout.areas.stem)
    road_address = r.cell("road_address", bounded(200), required=True)
    detail = " ".join((r.cell("detail", bounded(100)) or "").split())
    postal_code = r.cell("postal_code", cells.postal_code) or ""
    tong = r.cell("tong", cells.small_number)
    ban = r.cell("ban", cells.small_number)
    registered_on = r.cell("registered_on", cells.a_date, required=True)
    person_name = r.cell("name", bounded(60), required=True)
    relationship = r.cell("relationship", lambda v: cells.label(required_text(v), layout.relationships))
    moved_in = r.cell("moved_in", cells.a_date, required=True)
    moved_out = r.cell("moved_out", cells.a_date)
    ended_by = r.cell("ended_by", lambda v: cells.label(v, layout.end_reasons) if text(v) else "") or ""
    nationality = r.cell("nationality", lambda v: cells.nationality(v, layout.nationalities)) or ""
    phone = r.cell("phone", cells.phone) or ""
    disability = r.cell("disability", lambda v: cells.label(v, layout.disability) if text(v) else "") or ""
    date_of_death = r.cell("date_of_death", cells.a_date)
    birth_date = r.cell("birth_date", cells.a_date)
    sex = r.cell("sex", lambda v: cells.label(v, layout.sexes) if text(v) else "")
    if not r.ok or number is None:
        return None
    if birth_date is not None and birth_date != number.birth_date:
        r.error("birth_date", _("The birth date differs from the one in the resident registration number."))
    if sex and sex != number.sex:
        r.error("sex", _("The sex differs from the one in the resident registration number."))
    if number.foreign and nationality in ("", "KR"):
        r.error(
            "nationality",
            _("A foreign registration number needs the person's nationality (not KR): write it in this column."),
        )
    nationality = nationality or "KR"
    if moved_in < number.birth_date:
        r.error("moved_in", _("The move-in date is before the birth date."))
    if moved_in > as_of:
        r.error("moved_in", _("The move-in date is after the import's date (--as-of)."))
    if registered_on > as_of:
        r.error("registered_on", _("The household's date is after the import's date (--as-of)."))
    if moved_out is not None:
        if moved_out < moved_in:
            r.error("moved_out", _("The move-out date is before the move-in date."))
        elif moved_out > as_of:
            r.error("moved_out", _("The move-out date is after the import's date (--as-of)."))
    elif ended_by:
        r.error("ended_by", _("A reason for leaving is given without a move-out date."))
    if date_of_death is not None:
        if date_of_death < number.birth_date or date_of_death > as_of:
            r.error("date_of_death", _("The date of death must lie between the birth date and the import's date."))
        elif moved_out is None:
            r.error("moved_out", _("The person died: a membership cannot stay open after the date of death."))
        elif moved_in > date_of_death:
            r.error("moved_in", _("The move-in date is after the date of death."))
    if not r.ok:
        return None
    return MemberRow(
        row=row,
        household_number=household_number,
        dong_code=dong_code,
        road_address=road_address,
        detail=detail,
        postal_code=postal_code,
        tong=tong,
        ban=ban,
        registered_on=registered_on,
        name=person_name,
        number=number,
        nationality=nationality,
        phone=phone,
        disability=disability,
        disability_given=bool(text(values.get("disability", ""))),
        date_of_death=date_of_death,
        relationship=relationship,
        moved_in=moved_in,
        moved_out=moved_out,
        ended_by=ended_by,
    )


def required_text(value: str) -> str:
    return cells.required(cells.text(value))


def _check_dong(
    r: _Row, code: str, district: str, dongs: dict[str, AreaRow] | None, retired: dict[str, date], areas_file: str
) -> None:
    if code[:5] != district[:5]:
        r.error("dong_code", _("This code is outside the district %(district)s.") % {"district": district})
    elif code in retired:
        message = _("This dong code was retired on %(date)s: the household needs its current code.")
        r.error("dong_code", message % {"date": retired[code]})
    elif dongs is not None and (code not in dongs or dongs[code].level != AreaLevel.EUPMYEONDONG):
        message = _(
            "Not an active administrative dong in the file %(file)s (a legal dong code is not accepted: the registry "
            "is kept by administrative dong)."
        )
        r.error("dong_code", message % {"file": areas_file})


def _across_rows(file: str, members: list[MemberRow], header_of: HeaderOf, as_of: date, problems: Problems) -> None:
    """The rules between rows: one person per number, one set of household and address values per household, one
    current head per household, no person in two households at once."""
    persons: dict[str, MemberRow] = {}
    households: dict[str, MemberRow] = {}
    by_person: dict[str, list[MemberRow]] = defaultdict(list)
    by_household: dict[str, list[MemberRow]] = defaultdict(list)
    for m in members:
        first = persons.setdefault(m.number.digits, m)
        for key in PERSON_FIELDS:
            mine, theirs = getattr(m, key), getattr(first, key)
            if key == "disability" and not (m.disability_given and first.disability_given):
                continue
            if mine != theirs:
                message = _("The same resident registration number is on row %(row)s with a different value here.")
                problems.add(file, m.row, header_of(key), message % {"row": first.row})
        home = households.setdefault(m.household_number, m)
        for key in HOUSEHOLD_FIELDS:
            if getattr(m, key) != getattr(home, key):
                message = _("The same household number is on row %(row)s with a different value here.")
                problems.add(file, m.row, header_of(key), message % {"row": home.row})
        by_person[m.number.digits].append(m)
        by_household[m.household_number].append(m)
    for rows in by_person.values():
        rows.sort(key=lambda m: m.moved_in)
        current = [m for m in rows if m.moved_out is None]
        if len(current) > 1:
            message = _("The same person is a current member on rows %(rows)s: a person lives in one household.")
            for m in current[1:]:
                problems.add(file, m.row, header_of("moved_out"), message % {"rows": _rows(current)})
        for before, after in itertools.pairwise(rows):
            if before.moved_out is None or before.moved_out > after.moved_in:
                if before.moved_out is None and after.moved_out is None:
                    continue  # reported above
                message = _("This membership overlaps the same person's membership on row %(row)s.")
                problems.add(file, after.row, header_of("moved_in"), message % {"row": before.row})
    addresses: dict[tuple[str, str], MemberRow] = {}
    for rows in by_household.values():
        current = [m for m in rows if m.moved_out is None]
        if not current:
            continue
        heads = [m for m in current if m.relationship == Relationship.HEAD]
        if len(heads) != 1:
            message = _("The household of rows %(rows)s has %(n)s current heads on %(date)s; it must have exactly one.")
            values = {"rows": _rows(current), "n": len(heads), "date": as_of}
            problems.add(file, current[0].row, header_of("relationship"), message % values)
        place = (current[0].road_address, current[0].detail)
        other = addresses.setdefault(place, current[0])
        if other.household_number != current[0].household_number:
            message = _("Two current households at the same address and unit (rows %(first)s and %(second)s).")
            problems.warn(
                file,
                current[0].row,
                header_of("detail"),
                message % {"first": other.row, "second": current[0].row},
            )


def _rows(members: list[MemberRow]) -> str:
    shown = ", ".join(str(m.row) for m in members[:10])
    return shown + (", …" if len(members) > 10 else "")


# ------------------------------------------------------------------------------------------------------ the export


def read_export(
    folder: Path, *, layout: Layout, district: str, as_of: date, limits: Limits
) -> tuple[Snapshot, Problems]:
    """Every row of both files checked; the snapshot is only meant to be written when `problems.count` is 0."""
    problems = Problems()
    files: list[FileRead] = []
    areas_path = find_file(folder, layout.areas.stem, problems)
    members_path = find_file(folder, layout.members.stem, problems)
    active: dict[str, AreaRow] = {}
    retired: dict[str, date] = {}
    if areas_path is not None:
        active, retired = read_areas(areas_path, layout, district, as_of, problems, limits, files)
    members: list[MemberRow] = []
    if members_path is not None:
        # Without a readable areas file every dong would be "unknown": its own problems say enough.
        dongs = active if areas_path is not None and problems.count == 0 else None
        members = read_members(members_path, layout, district, as_of, dongs, retired, problems, limits, files)
    order = {AreaLevel.SIDO: 0, AreaLevel.SIGUNGU: 1, AreaLevel.EUPMYEONDONG: 2}
    areas = sorted(active.values(), key=lambda a: (order[a.level], a.code))
    snapshot = Snapshot(district=district, as_of=as_of, areas=areas, members=members, files=files, warnings=problems)
    return snapshot, problems
