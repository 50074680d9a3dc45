"""The reserved share of a learned model's lists, through the round service on the real database: which slots are
reserved, who fills them, the seed, what the scorecard's rounds and the setting's page do."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.discovery.models import OutreachItem, ScreeningRound, ScreeningSettings
from dolbom.discovery.selectors import screening_settings_of
from dolbom.discovery.services import rounds as service
from dolbom.discovery.services.screening_settings import set_screening_settings
from dolbom.intake.models import Referral
from dolbom.registry.models import Address, Household
from tests.conftest import make_person
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom, stand_in_scores


class Contrary:
    """A stand-in learned model: in the second dong it ranks the fewest months of arrears first, the contrary of
    the scorecard; in the first dong it agrees with the scorecard."""

    name = "model"
    version = "test"
    scoring_model = None

    def __init__(self, agreeing_dong: str) -> None:
        self.agreeing_dong = agreeing_dong

    def score(self, features: pa.Table) -> pa.Table:
        rows = features.to_pylist()
        signs = [1 if r["dong_code"] == self.agreeing_dong else -1 for r in rows]
        return stand_in_scores(features, [s * (r["telecom_arrears__months"] or 0) for s, r in zip(signs, rows,
                               strict=True)], text="모형 ")  # fmt: skip


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.HOME = tmp_path / "home"


@pytest.fixture
def manager(city):
    return city.users["district_manager"]


@pytest.fixture
def world(city, manager, tmp_path, monkeypatch):
    """Room for ten visits per dong; in the first dong 12 households in arrears (the model agrees with the
    scorecard), in the second 15 (the model ranks them the other way). Months of arrears by household id."""
    # The district's chosen model is the stand-in (which model is chosen, and the gate, are tested elsewhere).
    monkeypatch.setattr(service, "_chosen_model", lambda district_code, balanced: None)
    monkeypatch.setattr(service, "model_scorer", lambda *args, **kwargs: Contrary(city.dongs[0].code))
    months: dict[int, int] = {}
    arrears = []
    for index, (dong, count) in enumerate([(city.dongs[0], 12), (city.dongs[1], 15)]):
        dong.visit_capacity = 10
        dong.save(update_fields=["visit_capacity"])
        for i in range(count):
            address = Address.objects.create(dong=dong, road_address=f"한빛시 중앙구 나래로 {index}-{i}")
            household = Household.objects.create(address=address, dong=dong, registered_on=date(2020, 1, 1))
            person = make_person(f"주민{index}{i}", date(1960, 1 + index, 1 + i), "M", serial=400 + 20 * index + i)
            household.memberships.create(person=person, relationship="head", moved_in=date(2020, 1, 1))
            arrears.append((person, 6 + i))
            months[household.pk] = 6 + i
    import_telecom(manager, tmp_path, arrears)
    return months


def run(manager, district, **kwargs) -> ScreeningRound:
    kwargs = {"as_of": AS_OF, "scorer": "model", **kwargs}
    screening_round = service.run_round(user=manager, district_code=district.code, period=PERIOD, **kwargs)
    assert screening_round.status == "done", screening_round.error
    return screening_round


def listed(screening_round, dong) -> list[tuple[int, int, str]]:
    rows = OutreachItem.objects.filter(round=screening_round, dong=dong).order_by("rank")
    return list(rows.values_list("household_id", "rank", "selection"))


def by_months(months: dict[int, int], dong, *, fewest_first: bool) -> list[int]:
    ids = [h for h in months if Household.objects.get(pk=h).dong_id == dong.code]
    return sorted(ids, key=lambda h: (months[h] if fewest_first else -months[h], h))


def share(district, value: int) -> None:
    ScreeningSettings.objects.update_or_create(district=district, defaults={"reserved_share": value})


def test_a_share_of_zero_lists_exactly_the_models_ranking(city, manager, world):
    share(city.districts[0], 0)
    screening_round = run(manager, city.districts[0], reserve_seed=7)
    model_second = by_months(world, city.dongs[1], fewest_first=True)[:10]
    assert listed(screening_round, city.dongs[1]) == [(h, i, "ranked") for i, h in enumerate(model_second, 1)]
    model_first = by_months(world, city.dongs[0], fewest_first=False)[:10]
    assert listed(screening_round, city.dongs[0]) == [(h, i, "ranked") for i, h in enumerate(model_first, 1)]
    assert "reserved_per_dong" not in screening_round.stats
    assert screening_round.params["reserve"] == {"share": 0, "seed": 7, "referred_households": 0}


def test_ten_percent_of_ten_reserves_one_slot_drawn_below_the_models_cut(city, manager, world):
    share(city.districts[0], 10)
    screening_round = run(manager, city.districts[0], reserve_seed=7)

    second = listed(screening_round, city.dongs[1])
    model = by_months(world, city.dongs[1], fewest_first=True)
    assert [row[:2] for row in second[:9]] == [(h, i) for i, h in enumerate(model[:9], 1)]
    assert {row[2] for row in second[:9]} == {"ranked"}
    drawn, rank, selection = second[9]
    # Below the model's cut (its ranks 11 to 15) and on the scorecard's own list of ten (the most months).
    assert drawn in model[10:] and drawn in by_months(world, city.dongs[1], fewest_first=False)[:10]
    assert (rank, selection) == (10, "reserved_scorecard")
    item = OutreachItem.objects.get(round=screening_round, household_id=drawn)
    assert item.reserved and item.reasons == [{"text": f"모형 {world[drawn]}", "points": world[drawn],
                                              "code": "telecom_arrears"}]  # fmt: skip

    # The first dong: the model agrees with the scorecard, so nobody below its cut is marked: the slot goes back.
    first = by_months(world, city.dongs[0], fewest_first=False)[:10]
    assert listed(screening_round, city.dongs[0]) == [(h, i, "ranked") for i, h in enumerate(first, 1)]

    stats = screening_round.stats
    assert stats["reserved"] == 1 and stats["reserved_per_dong"] == {city.dongs[1].code: 1}
    assert stats["reserve_candidates_per_dong"] == {city.dongs[1].code: 5}
    assert stats["listed_per_dong"] == {city.dongs[0].code: 10, city.dongs[1].code: 10}
    assert screening_round.params["reserve"]["seed"] == 7 and screening_round.params["reserve"]["share"] == 10
    assert stats["summary"].endswith("; 1 in reserved slots")


def test_an_open_referral_below_the_cut_is_a_candidate_and_says_so(city, manager, world):
    share(city.districts[0], 10)
    below = by_months(world, city.dongs[0], fewest_first=False)[10:]  # neither the model's nor the scorecard's
    referred = Household.objects.get(pk=below[-1])
    Referral.objects.create(channel="phone", dong=city.dongs[0], household=referred, address_text="-", concern="-")
    closed = Household.objects.get(pk=below[0])
    Referral.objects.create(
        channel="phone", dong=city.dongs[0], household=closed, address_text="-", concern="-", status="closed"
    )
    screening_round = run(manager, city.districts[0], reserve_seed=3)
    first = listed(screening_round, city.dongs[0])
    assert first[-1] == (referred.pk, 10, "reserved_referral")
    assert closed.pk not in [h for h, _rank, _selection in first]
    assert screening_round.params["reserve"]["referred_households"] == 1


def test_the_same_seed_draws_the_same_list(city, manager, world):
    share(city.districts[0], 30)  # three slots among the five below the cut in the second dong
    one = run(manager, city.districts[0], reserve_seed=12345)
    two = run(manager, city.districts[0], reserve_seed=12345)
    assert listed(one, city.dongs[1]) == listed(two, city.dongs[1])
    assert [s for _h, _r, s in listed(one, city.dongs[1])].count("reserved_scorecard") == 3
    seeds = {run(manager, city.districts[0], reserve_seed=seed).pk: seed for seed in range(4)}
    draws = {tuple(listed(ScreeningRound.objects.get(pk=pk), city.dongs[1])) for pk in seeds}
    assert len(draws) > 1  # the seed does choose: four seeds among ten possible draws do not all agree


def test_a_seed_is_drawn_and_recorded_when_none_is_given(city, manager, world):
    screening_round = run(manager, city.districts[0])
    assert screening_round.params["reserve"]["share"] == 10  # the default, nobody changed it
    assert isinstance(screening_round.params["reserve"]["seed"], int)


def test_a_scorecard_round_reserves_nothing(city, manager, world):
    share(city.districts[0], 0)
    before = run(manager, city.districts[0], scorer="scorecard")
    share(city.districts[0], 30)
    after = run(manager, city.districts[0], scorer="scorecard")
    for dong in city.dongs[:2]:
        assert listed(after, dong) == listed(before, dong)
        assert {s for _h, _r, s in listed(after, dong)} == {"ranked"} and len(listed(after, dong)) == 10
    assert "reserve" not in after.params and "reserved" not in after.stats


# ------------------------------------------------------------------------------------------------- the setting


def test_district_staff_set_the_share_and_it_is_audited(city, manager):
    assert screening_settings_of(city.districts[0].code).reserved_share == 10
    row = set_screening_settings(user=manager, district_code=city.districts[0].code, share="20", balanced=True)
    assert row.reserved_share == 20 and screening_settings_of(city.districts[0].code).reserved_share == 20
    set_screening_settings(
        user=city.users["district_admin"], district_code=city.districts[0].code, share=0, balanced=True
    )
    events = AuditEvent.objects.filter(action="discovery.set_screening_settings").order_by("pk")
    assert [e.detail["reserved_share"] for e in events] == [{"before": 10, "after": 20}, {"before": 20, "after": 0}]


@pytest.mark.parametrize("value", ["31", "-1", "abc", "2.5", "", None, 100])
def test_a_bad_share_is_refused_in_korean(city, manager, value):
    with pytest.raises(ValidationError, match="탐색 배정 비율은 0에서 30 사이의 정수"):
        set_screening_settings(user=manager, district_code=city.districts[0].code, share=value, balanced=True)
    assert not ScreeningSettings.objects.exists()


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "safety_net", "analyst"])
def test_only_district_staff_change_the_setting(city, role):
    with pytest.raises(PermissionDenied):
        set_screening_settings(user=city.users[role], district_code=city.districts[0].code, share=20, balanced=True)


def test_another_districts_setting_is_refused(city, manager):
    with pytest.raises(PermissionDenied):
        set_screening_settings(user=manager, district_code=city.districts[1].code, share=20, balanced=True)
    assert not ScreeningSettings.objects.exists()


def test_the_settings_page(city, client, manager):
    url = reverse("screening_settings")
    client.force_login(city.users["dong_officer"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"district": city.districts[0].code, "reserved_share": "20"}).status_code == 403
    assert not ScreeningSettings.objects.exists()

    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200 and "탐색 배정" in page.content.decode()
    district = city.districts[0].code
    refused = client.post(url, {"district": district, "reserved_share": "45"})
    assert refused.status_code == 422 and "0에서 30 사이의 정수" in refused.content.decode()
    assert client.post(url, {"district": district, "reserved_share": "15"}).status_code == 302
    assert screening_settings_of(city.districts[0].code).reserved_share == 15


def test_the_pages_say_why_a_household_is_listed(city, client, manager, world):
    share(city.districts[0], 10)
    screening_round = run(manager, city.districts[0], reserve_seed=7)
    drawn = OutreachItem.objects.get(round=screening_round, selection="reserved_scorecard")
    client.force_login(manager)

    detail = client.get(reverse("round_detail", args=[screening_round.pk])).content.decode()
    assert "탐색 배정 비율" in detail and "추첨 시드 7" in detail and "그중 탐색 배정" in detail

    url = f"{reverse('outreach_list')}?round={screening_round.pk}&dong={city.dongs[1].code}"
    listing = client.get(url).content.decode()
    assert listing.count("탐색 배정: 점수표 상위") == 1 and f"모형 {world[drawn.household_id]}" in listing

    work_item = drawn.work_item
    page = client.get(reverse("work_item", args=[work_item.pk])).content.decode()
    assert "명단에 오른 이유" in page and "탐색 배정: 점수표 상위" in page
    ranked = OutreachItem.objects.filter(round=screening_round, selection="ranked").first()
    assert "탐색 배정" not in client.get(reverse("work_item", args=[ranked.work_item.pk])).content.decode()
