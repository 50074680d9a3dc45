"""`dolbom retention report` and `purge --confirm` on a real database: a closed case is kept through the last day
of its retention and purged the day after, with everything recorded under it; the report and an unconfirmed purge
change nothing; every purge is one audit event of counts, never of what was deleted."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.apps import apps

from dolbom.cases.models import AgendaItem, Case, CasePlan, CaseState, Goal, Transition
from dolbom.cases.services.cases import close_case
from dolbom.cli import main
from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.discovery.models import SignalFile
from dolbom.ops.retention import load_rules, months_before, years_before
from dolbom.registry.models import Consent, Household
from tests.cases.support import in_service

KEEP_YEARS = 5


@pytest.fixture
def closed_case(city):
    """A case taken through service and closed for good (the household moved away: no follow-up check)."""
    case = in_service(city)
    close_case(user=city.users["dong_officer"], case_id=case.pk, reason="moved", on=today_kst())
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closed_on == today_kst()
    return case


def _on(settings, day: date) -> None:
    settings.TODAY_OVERRIDE = day


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}


def _purges() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__endswith=".retention_purge").order_by("seq"))


def test_the_rules_name_their_sources_and_the_case_period_is_five_years():
    rules = load_rules()
    assert rules["rules"]["closed_cases"]["keep_years"] == KEEP_YEARS
    for rule in [*rules["rules"].values(), *rules["kept"].values()]:
        assert rule["sources"] and rule["certainty"] in ("verified", "secondary", "inferred", "unverified")
        for source in rule["sources"]:
            assert rules["sources"][source]["url"].startswith("https://")


def test_horizon_arithmetic():
    assert years_before(date(2031, 3, 1), 5) == date(2026, 3, 1)
    assert years_before(date(2032, 2, 29), 5) == date(2027, 2, 28)
    assert months_before(date(2026, 12, 1), 24) == "2024-12"
    assert months_before(date(2026, 1, 31), 1) == "2025-12"


def test_a_closed_case_is_kept_on_its_last_day_and_purged_the_day_after(settings, city, closed_case, capsys):
    household = closed_case.household
    last_day = years_before(closed_case.closed_on, -KEEP_YEARS)  # closed_on + 5 years

    _on(settings, last_day)
    assert main(["retention", "purge", "--confirm"]) == 0
    assert Case.objects.filter(pk=closed_case.pk).exists()
    assert not AuditEvent.objects.filter(action="cases.retention_purge").exists()

    _on(settings, last_day + timedelta(days=1))
    capsys.readouterr()
    assert main(["retention", "report"]) == 0
    assert "종결된 통합사례관리 사례? — " in capsys.readouterr().out
    assert main(["retention", "purge", "--confirm"]) == 0
    assert not Case.objects.filter(pk=closed_case.pk).exists()
    for model in (Transition, CasePlan, AgendaItem):
        assert not model.objects.filter(case_id=closed_case.pk).exists()
    assert not Goal.objects.filter(plan__case_id=closed_case.pk).exists()
    # The household is the registry's: it stays.
    assert Household.objects.filter(pk=household.pk).exists()

    (event,) = AuditEvent.objects.filter(action="cases.retention_purge")
    assert event.actor is None and event.actor_name == "system"
    assert event.detail["cases"] == 1 and event.detail["rows"]["cases.transition"] >= 4
    assert event.detail["closed_before"] == years_before(last_day + timedelta(days=1), KEEP_YEARS).isoformat()
    assert event.detail["operator"] and event.detail["rules"] == load_rules()["version"]
    # Counts only: nothing of the household or the case's content.
    text = json.dumps(event.detail, ensure_ascii=False)
    head = household.memberships.get(relationship="head").person
    assert head.name not in text and "생계 안정" not in text and str(closed_case.pk) not in event.object_id
    assert main(["audit", "verify"]) == 0


def test_a_case_in_follow_up_is_not_purged_however_old(settings, city):
    case = in_service(city)
    close_case(user=city.users["dong_officer"], case_id=case.pk, reason="goals_met", on=today_kst())
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOW_UP
    _on(settings, today_kst() + timedelta(days=365 * 20))
    assert main(["retention", "purge", "--confirm"]) == 0
    assert Case.objects.filter(pk=case.pk).exists()


def test_report_and_an_unconfirmed_purge_change_nothing(settings, city, closed_case, capsys):
    Consent.objects.filter(person=city.persons[0]).update(withdrawn_on=date(2025, 6, 1))
    _on(settings, today_kst() + timedelta(days=365 * 10))
    before = _counts()
    assert main(["retention", "report"]) == 0
    out = capsys.readouterr().out
    assert ": 1" in out  # the closed case, and the withdrawn consent, are counted
    assert main(["retention", "purge"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert _counts() == before
    assert _purges() == []


def test_withdrawn_consents_and_old_signal_files_are_purged_with_their_files(
    settings, city, tmp_path, django_capture_on_commit_callbacks
):
    settings.HOME = tmp_path
    consent = Consent.objects.get(person=city.persons[0])
    Consent.objects.filter(pk=consent.pk).update(withdrawn_on=date(2026, 1, 10))
    kept = Consent.objects.create(
        person=city.persons[1], recipient=city.agencies["welfare"], purpose="case_management", given_on=date(2026, 1, 1)
    )
    files = {}
    for period in ("2024-11", "2024-12"):
        relative = f"signals/{city.districts[0].code}/{period}/{period}.parquet"
        (tmp_path / relative).parent.mkdir(parents=True)
        (tmp_path / relative).write_bytes(b"PAR1")
        files[period] = SignalFile.objects.create(
            district=city.districts[0],
            agency_code="kepco",
            period=period,
            sha256=period.replace("-", "") * 4,
            original_name="kepco.csv",
            file_format="csv",
            catalogue_version="1",
            rows=10,
            matched_rows=10,
            unmatched_rows=0,
            storage_path=relative,
        )

    _on(settings, date(2026, 12, 1))  # signals kept 24 months: 2024-11 is past, 2024-12 is not; consents 3 years
    with django_capture_on_commit_callbacks(execute=True):
        assert main(["retention", "purge", "--confirm"]) == 0
    assert not SignalFile.objects.filter(pk=files["2024-11"].pk).exists()
    assert not (tmp_path / files["2024-11"].storage_path).exists()
    assert (tmp_path / files["2024-12"].storage_path).exists()
    assert Consent.objects.filter(pk=consent.pk).exists()  # withdrawn in 2026: kept until 2029

    _on(settings, date(2029, 1, 11))
    with django_capture_on_commit_callbacks(execute=True):
        assert main(["retention", "purge", "--confirm"]) == 0
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert Consent.objects.filter(pk=kept.pk).exists()
    actions = [e.action for e in _purges()]
    assert actions == ["discovery.retention_purge", "registry.retention_purge", "discovery.retention_purge"]
    first = _purges()[0].detail
    assert first["files"] == 1 and first["signal_rows"] == 10 and first["periods"] == ["2024-11"]
