"""The round pages name people and engines in words, and write counts with separators."""

from __future__ import annotations

import re

from django.urls import reverse

from dolbom.discovery.models import RoundStatus, ScreeningRound
from dolbom.registry.models import Staff


def _fact(html: str, label: str) -> str:
    match = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", html, flags=re.S)
    assert match, label
    return match.group(1).strip()


def test_a_round_names_who_ran_it_and_its_engine(client, city):
    manager = city.users["district_manager"]
    Staff.objects.filter(user=manager).update(display_name="노지훈")
    done = ScreeningRound.objects.create(
        district=city.districts[0],
        period="2026-09",
        scorer="scorecard",
        status=RoundStatus.DONE,
        started_by=manager,
        stats={"households_in_district": 10127, "households_with_signals": 5448, "listed": 1234},
    )
    client.force_login(manager)
    html = client.get(reverse("round_detail", args=[done.pk])).content.decode()
    assert _fact(html, "실행자") == "노지훈"
    assert _fact(html, "처리 엔진") == "DuckDB(이 서버에서 처리)"
    assert _fact(html, "시군구 가구 수") == "10,127"
    assert _fact(html, "명단에 오른 가구") == "1,234"

    listing = client.get(reverse("round_list")).content.decode()
    assert "<td>노지훈</td>" in listing and "<td>1,234</td>" in listing and ">manager<" not in listing
