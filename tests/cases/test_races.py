"""Two officers at once on PostgreSQL: a household gets one open case in a district however the requests
interleave (the household row is locked, and a partial unique index stands behind the lock)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from dolbom.cases.models import Case, CaseState
from dolbom.cases.services.cases import propose_case
from dolbom.core.dates import today_kst
from tests.row_locks import ROW_LOCKS, in_transaction_elsewhere, release_once_waiting


@ROW_LOCKS
@pytest.mark.django_db(transaction=True)
def test_two_officers_opening_a_case_for_one_household_at_once_open_one(city):
    household = city.household_in(0)

    def propose(user_key: str) -> Case:
        return propose_case(
            user=city.users[user_key],
            household_id=household.pk,
            intake_on=today_kst() - timedelta(days=1),
            reason="같은 가구, 동시에 접수",
        )

    held, release = threading.Event(), threading.Event()
    first = in_transaction_elsewhere(lambda: propose("dong_officer"), held, release)
    watcher = release_once_waiting(release)
    try:
        with pytest.raises(ValidationError) as refused:
            propose("district_manager")
    finally:
        release.set()  # had the second not waited, the test fails here rather than hangs
    first.join()
    watcher.join()
    assert "household" in refused.value.message_dict
    assert list(Case.objects.filter(household=household).values_list("state", flat=True)) == [CaseState.CANDIDATE]
