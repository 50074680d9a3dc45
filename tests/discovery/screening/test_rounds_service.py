"""Running a round through the service, on the real database, with signals imported by the real importer."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dolbom.cases.models import ClosureReason
from dolbom.cases.services.cases import close_case
from dolbom.core import audit as core_audit
from dolbom.core.dates import today_kst
from dolbom.core.models import AuditEvent
from dolbom.discovery import cli
from dolbom.discovery.models import ItemStatus, OutreachItem, ScoringModel, ScreeningRound
from dolbom.discovery.screening.scorecard import DEFAULT_PATH, load_scorecard
from dolbom.discovery.services import rounds as service
from dolbom.discovery.services.outreach import record_outcome
from dolbom.registry.models import Address, Household, Membership
from tests.cases.support import candidate
from tests.conftest import make_person
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom, move

# A verdict that let a model through with both cuts of the lists (the gate is tested in tests/discovery/learning).
PASSED_BOTH_CUTS = {"passed": True, "balanced": {"passed": True}}


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"
    return settings.HOME


@pytest.fixture
def district(city, home):
    """The first district with room for five visits per dong."""
    for dong in city.dongs:
        dong.visit_capacity = 5
        dong.save(update_fields=["visit_capacity"])
    return city.districts[0]


@pytest.fixture
def manager(city):
    return city.users["district_manager"]


def items(screening_round) -> list[tuple[int, str, int]]:
    rows = OutreachItem.objects.filter(round=screening_round).order_by("dong_id", "rank")
    return list(rows.values_list("household_id", "dong_id", "rank"))


def run(manager, district, **kwargs) -> ScreeningRound:
    return service.run_round(user=manager, district_code=district.code, period=PERIOD, **{"as_of": AS_OF, **kwargs})


def test_a_district_manager_runs_a_round_and_each_dong_gets_its_list(city, district, manager, tmp_path):
    elder, worker, other_district, _spouse = city.persons
    signal_file = import_telecom(manager, tmp_path, [(elder, 12), (worker, 8), (other_district, 20)])

    screening_round = run(manager, district)

    assert screening_round.status == "done" and screening_round.error == ""
    assert items(screening_round) == [
        (city.households[0].pk, city.dongs[0].code, 1),
        (city.households[1].pk, city.dongs[1].code, 1),
    ]
    first = OutreachItem.objects.get(round=screening_round, rank=1, dong=city.dongs[0])
    telecom = load_scorecard().kind("telecom_arrears")
    points = telecom.points(3, {"months_overdue": 12, "amount_overdue": 12 * 65_000})
    assert first.reasons == [{"text": f"통신비 12개월 체납 (+{points}점)", "points": points, "code": "telecom_arrears"}]
    assert first.score == points and first.probability is None and first.status == ItemStatus.PENDING

    params = screening_round.params
    assert params["signal_file_ids"] == [signal_file.pk] and params["cooldown_days"] == 180
    assert params["as_of"] == "2026-11-01" and params["engine"] == "duckdb"
    assert params["capacities"] == {city.dongs[0].code: 5, city.dongs[1].code: 5}
    assert screening_round.scorecard_version == load_scorecard().version
    assert screening_round.started_by == manager and screening_round.finished_at is not None

    stats = screening_round.stats
    assert stats["households_in_district"] == 2 and stats["households_with_signals"] == 2
    assert stats["signals_in_files"] == 3 and stats["signals_of_residents"] == 2
    assert stats["listed"] == 2 and stats["listed_per_dong"] == {city.dongs[0].code: 1, city.dongs[1].code: 1}
    assert {"snapshot", "scoring", "selection", "write", "total"} <= set(stats["seconds"])
    assert stats["summary"].startswith(f"round {screening_round.pk} (2026-09, 중앙구): 2 households listed in 2 dongs")

    event = AuditEvent.objects.get(action="discovery.run_round")
    assert event.actor == manager and event.object_id == str(screening_round.pk)
    assert event.detail["status"] == "done" and event.detail["listed"] == 2


def test_a_person_registered_after_the_import_is_screened_on_the_files_signals(city, district, manager, tmp_path):
    from types import SimpleNamespace

    from tests.conftest import make_rrn

    birth = date(1961, 5, 6)
    newcomer = SimpleNamespace(name="정새봄", resident_number=lambda: make_rrn(birth, "F", 777))
    signal_file = import_telecom(manager, tmp_path, [(newcomer, 14)])
    assert signal_file.unmatched_rows == 1

    address = Address.objects.create(dong=city.dongs[1], road_address="한빛시 중앙구 새봄로 7", tong=1, ban=1)
    household = Household.objects.create(address=address, dong=city.dongs[1], registered_on=date(2026, 10, 1))
    person = make_person("정새봄", birth, "F", serial=777)
    Membership.objects.create(household=household, person=person, relationship="head", moved_in=date(2026, 10, 1))

    screening_round = run(manager, district)
    assert items(screening_round) == [(household.pk, city.dongs[1].code, 1)]
    assert screening_round.stats["signals_matched_late"] == 1 and screening_round.stats["signals_unmatched"] == 0


def test_a_district_runs_one_round_at_a_time(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    running = ScreeningRound.objects.create(district=district, period=PERIOD, scorer="scorecard", started_by=manager)

    with pytest.raises(ValidationError, match=f"차수 #{running.pk}가 실행 중입니다"):
        run(manager, district)
    assert ScreeningRound.objects.filter(district=district).count() == 1
    # the other district is not held up
    ScreeningRound.objects.create(district=city.districts[1], period=PERIOD, scorer="scorecard")


def test_a_round_left_running_by_a_stopped_process_is_ended_by_the_next(city, district, manager, tmp_path):
    from django.utils import timezone

    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    stale = ScreeningRound.objects.create(district=district, period=PERIOD, scorer="scorecard")
    started = timezone.now() - service.STALE_AFTER - timedelta(minutes=1)
    ScreeningRound.objects.filter(pk=stale.pk).update(started_at=started)

    assert run(manager, district).status == "done"
    stale.refresh_from_db()
    assert stale.status == "failed" and stale.error.startswith("interrupted: still running after")
    assert AuditEvent.objects.filter(action="discovery.round_interrupted", object_id=str(stale.pk), actor=None).exists()


def test_the_command_line_prints_the_summary(city, district, manager, tmp_path, capsys):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    args = argparse.Namespace(
        acting_user="manager", district=district.code, period=PERIOD, scorer="scorecard", engine="duckdb",
        cooldown_days=None, confirm_few_files=False,
    )  # fmt: skip
    assert cli.cmd_screen(args) == 0
    assert "1 households listed in 1 dongs" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "safety_net", "analyst"])
def test_only_district_staff_run_rounds(city, district, manager, tmp_path, role):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    with pytest.raises(PermissionDenied):
        run(city.users[role], district)
    assert not ScreeningRound.objects.exists()


def test_a_district_outside_the_users_area_is_refused(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[2], 12)])
    with pytest.raises(PermissionDenied):
        run(manager, city.districts[1])
    assert not ScreeningRound.objects.exists()


# ------------------------------------------------------------------------------------------------- refused early


def test_without_signal_files_for_the_period_nothing_runs(city, district, manager):
    with pytest.raises(ValidationError) as caught:
        run(manager, district)
    assert "period" in caught.value.message_dict
    assert not ScreeningRound.objects.exists()


def test_a_malformed_district_scorecard_is_refused_with_its_problems(city, district, manager, home, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    folder = home / "scorecards"
    folder.mkdir(parents=True)
    broken = DEFAULT_PATH.read_text(encoding="utf-8").replace("knots = [[3, 0], [24, 14]]", "knots = [[3, 9], [24, 1]]")
    (folder / f"{district.code}.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        run(manager, district)
    message = " ".join(caught.value.message_dict["scorer"])
    assert "not monotone" in message and f"{district.code}.toml" in message
    assert not ScreeningRound.objects.exists()


def test_a_district_scorecard_replaces_the_packaged_one(city, district, manager, home, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    own = DEFAULT_PATH.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.1-중앙구"')
    (home / "scorecards").mkdir(parents=True)
    (home / "scorecards" / f"{district.code}.toml").write_text(own, encoding="utf-8")
    screening_round = run(manager, district)
    assert screening_round.scorecard_version == "2026.1-중앙구"
    assert screening_round.params["scorecard"]["file"] == f"{district.code}.toml"


def test_the_learned_model_needs_a_chosen_model(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    with pytest.raises(ValidationError) as caught:
        run(manager, district, scorer="model")
    assert "학습 모형" in " ".join(caught.value.message_dict["scorer"])
    # A model that passed the gate is not used until the district's administrator chooses it.
    ScoringModel.objects.create(district=district, city=city.sido, algorithm="lightgbm", path="", gate_passed=True)
    with pytest.raises(ValidationError) as caught:
        run(manager, district, scorer="model")
    assert "선택되지 않았습니다" in " ".join(caught.value.message_dict["scorer"])
    assert not ScreeningRound.objects.exists()


def test_a_negative_cool_down_is_refused(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])
    with pytest.raises(ValidationError):
        run(manager, district, cooldown_days=-1)


# ------------------------------------------------------------------------------------------------- failures


def test_a_failure_while_writing_leaves_no_items(city, district, manager, tmp_path, monkeypatch):
    import_telecom(manager, tmp_path, [(city.persons[0], 12), (city.persons[1], 8)])
    original = core_audit.record

    def record(actor, action, target=None, **kwargs):
        if action == "discovery.run_round" and kwargs.get("detail", {}).get("status") == "done":
            raise OSError("disk full")  # after the items were written, inside their transaction
        return original(actor, action, target, **kwargs)

    monkeypatch.setattr(service.audit, "record", record)
    screening_round = run(manager, district)
    screening_round.refresh_from_db()
    assert screening_round.status == "failed" and "disk full" in screening_round.error
    assert not OutreachItem.objects.exists()
    assert "failed" in screening_round.stats["summary"]
    event = AuditEvent.objects.get(action="discovery.run_round")
    assert event.detail == {"status": "failed", "period": PERIOD, "error": "OSError"}


def test_an_engine_failure_is_recorded_on_the_round(city, district, manager, tmp_path, monkeypatch):
    import_telecom(manager, tmp_path, [(city.persons[0], 12)])

    def broken(*args, **kwargs):
        raise RuntimeError("Out of Memory Error: could not allocate block")

    monkeypatch.setattr(service, "run_screening", broken)
    screening_round = run(manager, district)
    assert screening_round.status == "failed" and "Out of Memory" in screening_round.error
    assert ScreeningRound.objects.get().status == "failed" and not OutreachItem.objects.exists()


# ------------------------------------------------------------------------------------------------- second rounds


def test_a_second_round_leaves_out_households_contacted_within_the_cool_down(city, district, manager, tmp_path):
    elder, worker = city.persons[0], city.persons[1]
    import_telecom(manager, tmp_path, [(elder, 12), (worker, 8)])
    first = service.run_round(user=manager, district_code=district.code, period=PERIOD)
    item = OutreachItem.objects.get(round=first, household=city.households[0])
    record_outcome(user=city.users["dong_officer"], item_id=item.pk, outcome="not_eligible")

    second = service.run_round(user=manager, district_code=district.code, period=PERIOD)
    assert second.pk != first.pk and second.status == "done"
    assert items(second) == [(city.households[1].pk, city.dongs[1].code, 1)]
    assert second.stats["excluded"] == {"cooldown": 1}

    # an outcome recorded 200 days ago is outside the 180-day cool-down, but inside a district's 365 days
    OutreachItem.objects.filter(pk=item.pk).update(outcome_on=today_kst() - timedelta(days=200))
    third = service.run_round(user=manager, district_code=district.code, period=PERIOD)
    assert {h for h, _, _ in items(third)} == {city.households[0].pk, city.households[1].pk}
    fourth = service.run_round(user=manager, district_code=district.code, period=PERIOD, cooldown_days=365)
    assert {h for h, _, _ in items(fourth)} == {city.households[1].pk}
    assert fourth.params["cooldown_days"] == 365


def test_households_already_in_care_are_not_listed_again(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12), (city.persons[1], 8)])
    first = run(manager, district)
    OutreachItem.objects.filter(round=first, household=city.households[1]).update(status=ItemStatus.ASSIGNED)
    second = run(manager, district)
    assert items(second) == [(city.households[0].pk, city.dongs[0].code, 1)]
    assert second.stats["excluded"] == {"in_care": 1}


def test_a_household_with_an_open_case_is_not_listed_until_its_case_is_closed(city, district, manager, tmp_path):
    import_telecom(manager, tmp_path, [(city.persons[0], 12), (city.persons[1], 8)])
    case = candidate(city)  # the first household, in the first dong, never on an earlier round's list

    while_open = run(manager, district)
    assert case.household_id == city.households[0].pk
    assert items(while_open) == [(city.households[1].pk, city.dongs[1].code, 1)]
    assert while_open.stats["excluded"] == {"in_care": 1}

    close_case(user=city.users["dong_officer"], case_id=case.pk, reason=ClosureReason.GOALS_MET, on=today_kst())
    after = run(manager, district)  # closed, its follow-up checks due: a new crisis is an officer's visit again
    assert {h for h, _, _ in items(after)} == {city.households[0].pk, city.households[1].pk}
    assert after.stats["excluded"] == {}


# ------------------------------------------------------------------------------------------------- who counts


def test_deceased_persons_and_moves_as_of_the_rounds_date(city, district, manager, tmp_path):
    _elder, worker, _, spouse = city.persons
    import_telecom(manager, tmp_path, [(worker, 9), (spouse, 14)])
    # the worker moved on 1 October into a new household of the first dong; the spouse died on 20 October
    address = Address.objects.create(dong=city.dongs[0], road_address="한빛시 중앙구 새길 1")
    new_home = Household.objects.create(address=address, dong=city.dongs[0], registered_on=date(2026, 10, 1))
    move(worker, new_home, on=date(2026, 10, 1))
    spouse.date_of_death = date(2026, 10, 20)
    spouse.save(update_fields=["date_of_death"])

    before = run(manager, district, as_of=date(2026, 9, 30))
    assert items(before) == [
        (city.households[0].pk, city.dongs[0].code, 1),
        (city.households[1].pk, city.dongs[1].code, 1),
    ]
    after = run(manager, district, as_of=AS_OF)
    assert items(after) == [(new_home.pk, city.dongs[0].code, 1)]
    assert after.stats["signals_deceased"] == 1


def test_many_households_are_cut_at_each_dongs_capacity(city, district, manager, tmp_path):
    city.dongs[1].visit_capacity = 2
    city.dongs[1].save(update_fields=["visit_capacity"])
    arrears = []
    for i in range(4):
        address = Address.objects.create(dong=city.dongs[1], road_address=f"한빛시 중앙구 나래로 {i}")
        household = Household.objects.create(address=address, dong=city.dongs[1], registered_on=date(2020, 1, 1))
        person = make_person(f"주민{i}", date(1970, 1, 1 + i), "M", serial=300 + i)
        household.memberships.create(person=person, relationship="head", moved_in=date(2020, 1, 1))
        arrears.append((person, 6 + 3 * i))
    import_telecom(manager, tmp_path, arrears)
    screening_round = run(manager, district)
    listed = [h for h, dong, _ in items(screening_round) if dong == city.dongs[1].code]
    by_person = {m.person_id: m.household_id for p, _ in arrears for m in p.memberships.all()}
    assert listed == [by_person[arrears[3][0].pk], by_person[arrears[2][0].pk]]


def test_a_round_ranks_with_the_model_its_administrator_chose(city, district, manager, tmp_path, home):
    """The whole path with a real model file: features of a real round, a model fitted on them and saved as
    training saves it, chosen through the service; the next round scores with it and explains with it."""
    import numpy as np

    from dolbom.discovery.learning.features import feature_columns, to_matrix
    from dolbom.discovery.learning.train import ALGORITHM, fit
    from dolbom.discovery.screening.rounds_inputs import features_for_round
    from dolbom.discovery.services.governance import choose_model

    elder, worker, _other, _spouse = city.persons
    import_telecom(manager, tmp_path, [(elder, 12), (worker, 8)])
    first = run(manager, district)
    features = features_for_round(first, workdir=tmp_path / "features")
    names = feature_columns(features)
    rng = np.random.default_rng(0)
    x = np.repeat(to_matrix(features, names), 40, axis=0) * rng.uniform(0.5, 1.5, (40 * features.num_rows, 1))
    y = (x[:, names.index("telecom_arrears__months")] > 9).astype(int) if "telecom_arrears__months" in names else None
    assert y is not None and 10 <= y.sum() <= len(y) - 10
    model = fit(x, y, names)
    row = ScoringModel.objects.create(district=district, city=city.sido, algorithm=ALGORITHM, path="",
                                      gate=PASSED_BOTH_CUTS, gate_passed=True)  # fmt: skip
    path, sha = model.save(home / "models", str(row.pk))
    row.path, row.metrics = str(path.relative_to(home)), {"model_sha256": sha}
    row.save(update_fields=["path", "metrics"])
    choose_model(user=city.users["district_admin"], district_code=district.code, model_id=row.pk)

    second = run(manager, district, scorer="model", cooldown_days=0)
    assert second.status == "done", second.error
    assert second.scoring_model == row and second.params["model"] == f"model #{row.pk}"
    listed = OutreachItem.objects.filter(round=second)
    assert listed.count() == 2
    # The household 12 months in arrears is explained by what raised its score: the model's own contributions.
    elder_item = listed.get(household=city.households[0])
    assert elder_item.reasons and all("모형 기여" in r["text"] for r in elder_item.reasons), elder_item.reasons
