"""`import_registry`: a district's registry, as of a date, from the national system's export.

All or nothing: every row of both files is checked before anything is written (`extract`), and the writing is one
transaction. A re-import is a new snapshot of the same district: people are found again by the lookup hash of
their resident number (never by name), households by (district, 세대번호), addresses by (road address, unit); a
current membership of the district that the new snapshot does not have is closed on the snapshot's date; nothing
is deleted, since cases and visits point at that history. `check=True` does all of it inside the transaction and
rolls it back, so that what it reports is exactly what the import would do.

The audit log keeps the files' hashes, sizes and row counts and what changed, never a row's content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.crypto import encrypt_rrn, rrn_hashes
from dolbom.core.dates import today_kst
from dolbom.core.permissions import ensure_can
from dolbom.core.planner import refresh_statistics
from dolbom.core.scope import scope_for
from dolbom.core.tabular.limits import Limits, busy_reason, import_turn
from dolbom.registry.importing.extract import MemberRow, Problem, Problems, Snapshot, read_export
from dolbom.registry.importing.layout import load_layout
from dolbom.registry.models import (
    Address,
    AdministrativeArea,
    AreaLevel,
    Household,
    Membership,
    MembershipEnd,
    Person,
    nfc,
)
from dolbom.registry.revision import bulk_registry_write

BATCH = 2_000
ACTION = "registry.import_registry"


class RegistryImportRefused(Exception):
    """The export was not imported; `report()` lists the problems (file, row, column, reason)."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(f"{problems.count} problems")
        self.problems = problems

    def report(self) -> str:
        lines = [
            _("The registry export was not imported: %(n)s problem(s) found. Nothing was changed.")
            % {"n": f"{self.problems.count:,}"}
        ]
        lines += [f"  {_where(p)}: {p.message}" for p in self.problems.errors]
        more = self.problems.count - len(self.problems.errors)
        if more > 0:
            lines.append("  " + _("… and %(n)s more not listed.") % {"n": f"{more:,}"})
        return "\n".join(lines)


def _where(p: Problem) -> str:
    parts = [p.file]
    if p.row is not None:
        parts.append(_("row %(row)s") % {"row": f"{p.row:,}"})
    if p.column:
        parts.append(p.column)
    return ", ".join(parts)


@dataclass
class Counts:
    areas_added: int = 0
    areas_renamed: int = 0
    addresses_added: int = 0
    addresses_changed: int = 0
    households_added: int = 0
    households_changed: int = 0
    persons_added: int = 0
    persons_changed: int = 0
    memberships_added: int = 0
    memberships_changed: int = 0
    memberships_closed: int = 0
    # Current members of households registered on the pages whom the export does not list: kept, for review.
    memberships_kept: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ImportResult:
    district: str
    as_of: date
    check: bool
    rows: int
    counts: Counts
    warnings: list[Problem] = field(default_factory=list)
    warning_count: int = 0

    def render(self) -> str:
        c = self.counts
        values = {
            "district": self.district,
            "date": self.as_of.isoformat(),
            "rows": f"{self.rows:,}",
            "areas": c.areas_added,
            "renamed": c.areas_renamed,
            "households": f"{c.households_added:,}",
            "households_changed": f"{c.households_changed:,}",
            "persons": f"{c.persons_added:,}",
            "persons_changed": f"{c.persons_changed:,}",
            "memberships": f"{c.memberships_added:,}",
            "memberships_changed": f"{c.memberships_changed:,}",
            "closed": f"{c.memberships_closed:,}",
            "kept": f"{c.memberships_kept:,}",
            "addresses": f"{c.addresses_added:,}",
        }
        if self.check:
            head = _("Check only, nothing was written. Importing the registry of %(district)s as of %(date)s would:")
        else:
            head = _("Imported the registry of %(district)s as of %(date)s (%(rows)s rows):")
        lines = [
            head % values,
            "  " + _("areas: %(areas)s added, %(renamed)s renamed") % values,
            "  " + _("addresses: %(addresses)s added") % values,
            "  " + _("households: %(households)s added, %(households_changed)s changed") % values,
            "  " + _("persons: %(persons)s added, %(persons_changed)s changed") % values,
            "  "
            + _(
                "memberships: %(memberships)s added, %(memberships_changed)s changed, %(closed)s closed (not in this "
                "export)"
            )
            % values,
        ]
        if c.memberships_kept:
            kept = _(
                "%(kept)s current member(s) of households registered on the pages are not in this export: kept as "
                "they are. Check them on the households' pages (moved away, or registered under another number)."
            )
            lines.append("  " + kept % values)
        if self.warning_count:
            lines.append(_("%(n)s warning(s):") % {"n": f"{self.warning_count:,}"})
            lines += [f"  {_where(w)}: {w.message}" for w in self.warnings]
        return "\n".join(lines)


def import_registry(*, user: Any, folder: Path, district_code: str, as_of: date, check: bool = False) -> ImportResult:
    """Import the export in `folder` (files 행정구역 and 세대원) as the registry of one district on `as_of`; raise
    RegistryImportRefused listing every problem, PermissionDenied outside the user's district."""
    district_code = (district_code or "").strip()
    if not re.fullmatch(r"\d{5}00000", district_code):
        raise ValidationError({"district": _("A district code has 10 digits and ends in 00000.")})
    _ensure_may_import(user, district_code)
    if as_of > today_kst():
        raise ValidationError({"as_of": _("The export's date (--as-of) cannot be in the future.")})
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError({"folder": _("%(folder)s is not a folder.") % {"folder": folder}})
    # The rows are held in memory while they are checked: the import takes one of the machine's import turns.
    with import_turn() as mine:
        if not mine:
            raise ValidationError({"folder": busy_reason()})
        return _import(user, folder, district_code, as_of, check)


def _import(user: Any, folder: Path, district_code: str, as_of: date, check: bool) -> ImportResult:
    snapshot, problems = read_export(
        folder, layout=load_layout(), district=district_code, as_of=as_of, limits=Limits.from_settings()
    )
    detail = {
        "district": district_code,
        "as_of": as_of.isoformat(),
        "check": check,
        "files": [f.audit() for f in snapshot.files],
    }
    if problems.count:
        _refuse(user, detail, problems)
    rows = len(snapshot.members)
    try:
        with transaction.atomic(), bulk_registry_write():
            counts = _Writer(user, snapshot).run()
            if check:
                transaction.set_rollback(True)
            else:
                audit.record(
                    user, ACTION, _district(district_code), detail={**detail, "rows": rows, **counts.as_dict()}
                )
    except _Refused as refused:
        _refuse(user, detail, refused.problems)
    if check:
        with transaction.atomic():
            audit.record(user, "registry.import_registry_check", detail={**detail, "rows": rows, **counts.as_dict()})
    else:
        refresh_statistics()  # a district's registry written at once: the planner must know the new sizes
    return ImportResult(
        district=district_code,
        as_of=as_of,
        check=check,
        rows=rows,
        counts=counts,
        warnings=problems.warnings,
        warning_count=problems.warning_count,
    )


def _ensure_may_import(user: Any, district_code: str) -> None:
    """A superuser (setting up a new installation, whose district may not exist yet) or the district's own
    administrator."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return
    ensure_can(user, ACTION)
    scope_for(user).ensure_district(district_code)


def _district(code: str) -> AdministrativeArea | None:
    return AdministrativeArea.objects.filter(code=code).first()


def _refuse(user: Any, detail: dict[str, Any], problems: Problems) -> None:
    """The refusal is audited too: the files were read, with the counts of what was wrong."""
    with transaction.atomic():
        audit.record(
            user,
            "registry.import_registry_refused",
            detail={**detail, "problems": problems.count, "first": _first_kinds(problems)},
        )
    raise RegistryImportRefused(problems)


def _first_kinds(problems: Problems) -> list[dict[str, Any]]:
    """Where the first problems are (file, row, column), never their text: a reason may name a value."""
    return [{"file": p.file, "row": p.row, "column": p.column} for p in problems.errors[:20]]


class _Refused(Exception):
    def __init__(self, problems: Problems) -> None:
        self.problems = problems


def _batches(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


class _Writer:
    """The snapshot written over the district's registry, inside the caller's transaction."""

    def __init__(self, user: Any, snapshot: Snapshot) -> None:
        self.user = user
        self.snapshot = snapshot
        self.district = snapshot.district
        self.file = snapshot.files[-1].name if snapshot.files else ""
        self.counts = Counts()
        self.problems = Problems()

    def run(self) -> Counts:
        # One import of a district at a time: the second waits here for the first to commit.
        list(AdministrativeArea.objects.select_for_update().filter(code=self.district))
        self._areas()
        if self.problems.count:
            raise _Refused(self.problems)
        addresses = self._addresses()
        households = self._households(addresses)
        persons = self._persons()
        self._memberships(households, persons)
        if self.problems.count:
            raise _Refused(self.problems)
        return self.counts

    # areas --------------------------------------------------------------------------------------------------------

    def _areas(self) -> None:
        rows = self.snapshot.areas
        existing = {a.code: a for a in AdministrativeArea.objects.filter(code__in=[r.code for r in rows])}
        superuser = getattr(self.user, "is_superuser", False)
        for r in rows:
            area = existing.get(r.code)
            if area is not None:
                if area.level != r.level:
                    message = _("The code %(code)s is already an area of another level in Dolbom.")
                    self.problems.add(self.snapshot.files[0].name, r.row, "", message % {"code": r.code})
                elif area.name != r.name and (r.level != AreaLevel.SIDO or superuser):
                    # A 시도 is shared by every district: only the superuser renames it.
                    area.name = r.name
                    area.save(update_fields=["name"])
                    self.counts.areas_renamed += 1
                continue
            if r.level != AreaLevel.EUPMYEONDONG and not superuser:
                message = _("Only the administrator (superuser) adds a province or a district: %(code)s is missing.")
                self.problems.add(self.snapshot.files[0].name, r.row, "", message % {"code": r.code})
                continue
            parent = None
            if r.level == AreaLevel.SIGUNGU:
                parent = existing.get(r.code[:2] + "00000000")
            elif r.level == AreaLevel.EUPMYEONDONG:
                parent = existing.get(self.district)
            if r.level != AreaLevel.SIDO and parent is None:
                message = _("The area %(code)s has no parent area (its province or district) in the file or in Dolbom.")
                self.problems.add(self.snapshot.files[0].name, r.row, "", message % {"code": r.code})
                continue
            existing[r.code] = AdministrativeArea.objects.create(code=r.code, name=r.name, level=r.level, parent=parent)
            self.counts.areas_added += 1
        self.areas = existing

    # addresses and households -------------------------------------------------------------------------------------

    def _first_rows(self, key: Any) -> dict[Any, MemberRow]:
        found: dict[Any, MemberRow] = {}
        for m in self.snapshot.members:
            found.setdefault(key(m), m)
        return found

    def _addresses(self) -> dict[tuple[str, str], Address]:
        wanted = self._first_rows(lambda m: (nfc(m.road_address), m.detail))
        found: dict[tuple[str, str], Address] = {}
        roads = sorted({road for road, _ in wanted})
        for chunk in _batches(roads):
            query = Address.objects.filter(road_address__in=chunk, dong__code__startswith=self.district[:5])
            for address in query.order_by("pk"):
                found.setdefault((address.road_address, address.detail), address)
        new, changed = [], []
        for key, m in wanted.items():
            address = found.get(key)
            values = {"dong_id": m.dong_code, "postal_code": m.postal_code, "tong": m.tong, "ban": m.ban}
            if address is None:
                found[key] = Address(road_address=key[0], detail=key[1], **values)
                new.append(found[key])
                continue
            # An empty cell does not erase what is known (a postal code typed on the page, say).
            update = {k: v for k, v in values.items() if v not in ("", None) and getattr(address, k) != v}
            if update:
                for k, v in update.items():
                    setattr(address, k, v)
                changed.append(address)
        for chunk in _batches(new):
            Address.objects.bulk_create(chunk)
        for chunk in _batches(changed):
            Address.objects.bulk_update(chunk, ["dong_id", "postal_code", "tong", "ban"])
        self.counts.addresses_added, self.counts.addresses_changed = len(new), len(changed)
        return found

    def _households(self, addresses: dict[tuple[str, str], Address]) -> dict[str, Household]:
        wanted = self._first_rows(lambda m: m.household_number)
        found: dict[str, Household] = {}
        for chunk in _batches(sorted(wanted)):
            query = Household.objects.filter(registry_district=self.district, registry_number__in=chunk)
            found.update({h.registry_number: h for h in query})
        new, changed = [], []
        for number, m in wanted.items():
            address = addresses[(nfc(m.road_address), m.detail)]
            household = found.get(number)
            if household is None:
                household = Household(
                    address=address,
                    dong_id=m.dong_code,
                    registered_on=m.registered_on,
                    registry_district=self.district,
                    registry_number=number,
                )
                found[number] = household
                new.append(household)
            elif (household.address_id, household.dong_id, household.registered_on) != (
                address.pk,
                m.dong_code,
                m.registered_on,
            ):
                household.address, household.dong_id, household.registered_on = address, m.dong_code, m.registered_on
                changed.append(household)
        for chunk in _batches(new):
            Household.objects.bulk_create(chunk)
        for chunk in _batches(changed):
            Household.objects.bulk_update(chunk, ["address", "dong", "registered_on"])
        self.counts.households_added, self.counts.households_changed = len(new), len(changed)
        return found

    # persons --------------------------------------------------------------------------------------------------------

    def _persons(self) -> dict[str, Person]:
        """By resident number (13 digits) → the person, found by every configured lookup hash (a rotation of the
        lookup key may be under way) or created with the number encrypted."""
        wanted = self._first_rows(lambda m: m.number.digits)
        hashes = {digits: rrn_hashes(digits) for digits in wanted}
        by_hash: dict[str, Person] = {}
        every = [h for hs in hashes.values() for h in hs]
        for chunk in _batches(every):
            by_hash.update({p.rrn_hash: p for p in Person.objects.filter(rrn_hash__in=chunk)})
        found: dict[str, Person] = {}
        new, changed = [], []
        fields = ["name", "nationality", "phone", "phone_last4", "disability", "date_of_death"]
        for digits, m in wanted.items():
            person = next((by_hash[h] for h in hashes[digits] if h in by_hash), None)
            if person is None:
                person = Person(
                    name=nfc(m.name).strip(),
                    birth_date=m.number.birth_date,
                    sex=m.number.sex,
                    nationality=m.nationality,
                    disability=m.disability,
                    date_of_death=m.date_of_death,
                    rrn_cipher=encrypt_rrn(digits),
                    rrn_hash=hashes[digits][0],
                    rrn_seventh=digits[6],
                )
                person.set_phone(m.phone)
                new.append(person)
            else:
                before = [getattr(person, f) for f in fields]
                person.name, person.nationality = nfc(m.name).strip(), m.nationality
                # An empty cell does not erase what officers recorded (a phone number, a disability, a death).
                if m.phone:
                    person.set_phone(m.phone)
                if m.disability_given:
                    person.disability = m.disability
                if m.date_of_death is not None:
                    person.date_of_death = m.date_of_death
                if [getattr(person, f) for f in fields] != before:
                    changed.append(person)
            found[digits] = person
        for chunk in _batches(new):
            Person.objects.bulk_create(chunk)
        for chunk in _batches(changed):
            Person.objects.bulk_update(chunk, fields)
        self.counts.persons_added, self.counts.persons_changed = len(new), len(changed)
        return found

    # memberships ----------------------------------------------------------------------------------------------------

    def _memberships(self, households: dict[str, Household], persons: dict[str, Person]) -> None:
        as_of = self.snapshot.as_of
        person_ids = [p.pk for p in persons.values()]
        existing: list[Membership] = []
        for chunk in _batches(person_ids):
            existing += Membership.objects.filter(person_id__in=chunk).select_related("household__dong")
        # The district's current memberships of people the export does not have at all (filtered here rather than
        # with a NOT IN of every person: SQLite caps the parameters of one query).
        # Only households of an earlier export are the export's to close: one registered on the pages (a walk-in, a
        # household entered before the registry was loaded) may hold people the registry has elsewhere or not at
        # all, with open work; closing them would drop them from every list. They are kept and counted instead.
        known = set(person_ids)
        in_district: list[Membership] = []
        kept = 0
        for m in (
            Membership.objects.filter(moved_out__isnull=True, household__dong__code__startswith=self.district[:5])
            .select_related("household")
            .iterator(chunk_size=BATCH)
        ):
            if m.person_id in known:
                continue
            if m.household.registry_number:
                in_district.append(m)
            else:
                kept += 1
        self.counts.memberships_kept = kept
        by_key = {(m.household_id, m.person_id, m.moved_in): m for m in existing}
        current = {(m.household_id, m.person_id): m for m in existing if m.moved_out is None}
        matched: set[int] = set()
        new: list[Membership] = []
        closing: list[Membership] = []
        opening: list[Membership] = []
        for row in self.snapshot.members:
            household, person = households[row.household_number], persons[row.number.digits]
            membership = by_key.get((household.pk, person.pk, row.moved_in))
            if (membership is None or membership.pk in matched) and row.moved_out is None:
                membership = current.get((household.pk, person.pk))
            if membership is None or membership.pk in matched:
                new.append(
                    Membership(
                        household=household,
                        person=person,
                        relationship=row.relationship,
                        moved_in=row.moved_in,
                        moved_out=row.moved_out,
                        ended_by=row.ended_by,
                    )
                )
                continue
            matched.add(membership.pk)
            values = (row.relationship, row.moved_in, row.moved_out, row.ended_by)
            if (membership.relationship, membership.moved_in, membership.moved_out, membership.ended_by) != values:
                was_open = membership.moved_out is None
                membership.relationship, membership.moved_in, membership.moved_out, membership.ended_by = values
                (closing if row.moved_out is not None or not was_open else opening).append(membership)
        # Current memberships the snapshot does not have: in the district, closed on its date; elsewhere (another
        # district's household), refused when the snapshot gives the person a household here: the move out is that
        # district's to record.
        current_here = {persons[r.number.digits].pk: r for r in self.snapshot.members if r.moved_out is None}
        closed: list[Membership] = []
        for m in existing:
            if m.pk in matched or m.moved_out is not None:
                continue
            if m.household.dong.code[:5] == self.district[:5]:
                closed.append(m)
            elif m.person_id in current_here:
                message = _(
                    "This person is a current member of a household of another district in Dolbom: that district "
                    "records the move out first."
                )
                self.problems.add(self.file, current_here[m.person_id].row, "", message)
        if self.problems.count:
            return
        closed += in_district
        for m in closed:
            m.moved_out, m.ended_by = max(as_of, m.moved_in), MembershipEnd.UNKNOWN
        # Closing first, opening after: one current household per person holds after every statement.
        for group in (closed, closing, opening):
            for chunk in _batches(group):
                Membership.objects.bulk_update(chunk, ["relationship", "moved_in", "moved_out", "ended_by"])
        for chunk in _batches(new):
            Membership.objects.bulk_create(chunk)
        self.counts.memberships_added = len(new)
        self.counts.memberships_changed = len(closing) + len(opening)
        self.counts.memberships_closed = len(closed)
