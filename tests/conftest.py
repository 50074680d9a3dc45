"""Shared fixtures: a tiny two-district city with one user per role, built through the real models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dolbom.core.prepared import forget_prepared
from dolbom.core.roles import Role
from dolbom.core.rrn import seventh_digit
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

PASSWORD = "correct-horse-battery"


def work_off_queue() -> None:
    """Run every queued background job here and now with the database worker's own code (core.jobs), then return.

    Its claim and its run of each task, not its loop: the loop closes the database connection between tasks (as a
    long-lived process should), which would end the test's transaction on PostgreSQL."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    while True:
        with exclusive_transaction():
            task = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if task is None:
                return
            task.claim(worker.worker_id)
        worker.run_task(task)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_audit_anchor_file(settings, tmp_path):
    """Anchors of a developer's own var/ must not be checked against a test database's audit log."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Figures kept under the registry's revision (registry/revision.py) must not outlive their test: the next test
    builds another registry, whose revision may come back to the same number. Prepared queries (core.prepared)
    start afresh too, and are checked: each use builds its queryset again and fails if the key left out an input."""
    cache.clear()
    forget_prepared()
    settings.PREPARED_QUERIES_CHECKED = True


def migrate(app: str, target: str) -> Any:
    """The test database migrated to `target` of `app`; the models as they were there (tests of migrations that
    move data)."""
    targets = [(app, target)]
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """After a test that migrated back, every app migrated forward again, for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def make_rrn(birth: date, sex: str, serial: int, foreign: bool = False) -> str:
    return f"{birth:%y%m%d}-{seventh_digit(birth_year=birth.year, sex=sex, foreign=foreign)}{serial:06d}"


def make_person(name: str, birth: date, sex: str, serial: int, phone: str = "", **extra) -> Person:
    person = Person(name=name, birth_date=birth, sex=sex, **extra)
    person.set_resident_number(make_rrn(birth, sex, serial, foreign=extra.get("nationality", "KR") != "KR"))
    person.set_phone(phone)
    person.save()
    return person


@dataclass
class TinyCity:
    sido: AdministrativeArea
    districts: list[AdministrativeArea]
    dongs: list[AdministrativeArea]  # dongs[0], dongs[1] in district 0; dongs[2] in district 1
    agencies: dict[str, Agency]
    users: dict[str, object]
    households: list[Household]
    persons: list[Person] = field(default_factory=list)

    def household_in(self, dong_index: int) -> Household:
        return next(h for h in self.households if h.dong_id == self.dongs[dong_index].code)


def _user(username: str, role: Role, agency: Agency, areas: list[AdministrativeArea]):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    staff = Staff.objects.create(user=user, agency=agency, role=role, display_name=username)
    staff.areas.set(areas)
    return user


@pytest.fixture
def city(db) -> TinyCity:
    sido = AdministrativeArea.objects.create(code="9900000000", name="한빛시", level="sido")
    d1 = AdministrativeArea.objects.create(code="9911000000", name="중앙구", level="sigungu", parent=sido)
    d2 = AdministrativeArea.objects.create(code="9912000000", name="강변구", level="sigungu", parent=sido)
    dongs = [
        AdministrativeArea.objects.create(code="9911051000", name="가온동", level="eupmyeondong", parent=d1),
        AdministrativeArea.objects.create(code="9911052000", name="나래동", level="eupmyeondong", parent=d1),
        AdministrativeArea.objects.create(code="9912051000", name="다솜동", level="eupmyeondong", parent=d2),
    ]
    agencies = {
        "dong0": Agency.objects.create(name="가온동 행정복지센터", sector="public", kind="dong_centre", area=dongs[0]),
        "district": Agency.objects.create(name="중앙구 희망복지지원단", sector="public", kind="district_unit", area=d1),
        "welfare": Agency.objects.create(name="중앙종합사회복지관", sector="private", kind="welfare_centre", area=d1),
        "other": Agency.objects.create(name="강변푸드뱅크", sector="private", kind="food_bank", area=d2),
        "city": Agency.objects.create(name="한빛시청 복지정책과", sector="public", kind="city_office", area=sido),
    }
    users = {
        "dong_officer": _user("officer", Role.DONG_OFFICER, agencies["dong0"], [dongs[0]]),
        "district_manager": _user("manager", Role.DISTRICT_MANAGER, agencies["district"], [d1]),
        "district_admin": _user("admin1", Role.DISTRICT_ADMIN, agencies["district"], [d1]),
        "agency_worker": _user("worker", Role.AGENCY_WORKER, agencies["welfare"], []),
        "safety_net": _user("tongjang", Role.SAFETY_NET, agencies["dong0"], [dongs[0]]),
        "analyst": _user("analyst", Role.ANALYST, agencies["district"], [d1]),
        "city_officer": _user("cityofficer", Role.CITY_OFFICER, agencies["city"], [sido]),
    }
    households, persons = [], []
    people = [
        ("김영희", date(1950, 3, 4), "F", "010-1111-2222"),
        ("이철수", date(1980, 1, 1), "M", "010-3333-4444"),
        ("박민지", date(2001, 12, 31), "F", "010-5555-6666"),
    ]
    for i, (dong, (name, birth, sex, phone)) in enumerate(zip(dongs, people, strict=True)):
        address = Address.objects.create(
            dong=dong,
            road_address=f"한빛시 {dong.parent.name} 시청로 {10 + i}",
            detail="101동 1203호",
            tong=3,
            ban=2,
        )
        household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
        head = make_person(name, birth, sex, serial=100 + i, phone=phone)
        Membership.objects.create(household=household, person=head, relationship="head", moved_in=date(2020, 1, 1))
        households.append(household)
        persons.append(head)
    # A second member in the first household, and a consent of the head only to the private welfare centre.
    spouse = make_person("김민수", date(1948, 7, 8), "M", serial=200, phone="010-7777-8888")
    Membership.objects.create(household=households[0], person=spouse, relationship="spouse", moved_in=date(2020, 1, 1))
    persons.append(spouse)
    Consent.objects.create(
        person=persons[0], recipient=agencies["welfare"], purpose="case_management", given_on=date(2025, 1, 1)
    )
    return TinyCity(sido, [d1, d2], dongs, agencies, users, households, persons)
