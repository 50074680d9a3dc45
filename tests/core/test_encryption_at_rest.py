"""The resident numbers a registry holds must not appear anywhere in the stored database, in any encoding."""

import re
from datetime import date

import pytest
from django.db import connection

from dolbom.registry.models import Person
from tests.conftest import make_person, make_rrn


def _raw_database_bytes() -> bytes:
    if connection.vendor == "sqlite":
        # The test database lives in memory: serialize() gives the exact bytes of its database file.
        connection.ensure_connection()
        return connection.connection.serialize()
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        raw = cursor.connection.cursor()
        for table in tables:
            with raw.copy(f'COPY "{table}" TO STDOUT') as copy:
                for block in copy:
                    chunks.append(bytes(block))
    return b"".join(chunks)


@pytest.mark.django_db
def test_no_resident_number_is_stored_in_clear():
    numbers = []
    for i in range(20):
        birth = date(1940 + i, 1 + i % 12, 1 + i)
        person = make_person(f"사람{i}", birth, "MF"[i % 2], serial=123450 + i)
        numbers.append(make_rrn(birth, "MF"[i % 2], 123450 + i))
        assert Person.objects.get(pk=person.pk).resident_number() == numbers[-1]
    data = _raw_database_bytes()
    assert b"\xec\x82\xac\xeb\x9e\x8c" in data  # the names (사람) are there: we are reading the right bytes
    for number in numbers:
        digits = number.replace("-", "")
        for form in (digits, number, digits[6:], number.encode("utf-16-le").decode("latin-1")):
            assert form.encode("latin-1") not in data, f"{number} found in clear"
        assert re.search(rb"\b" + digits[6:].encode() + rb"\b", data) is None
