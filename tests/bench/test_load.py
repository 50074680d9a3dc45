"""The load benchmark's pages (tests/bench/load.py) are the ones a dong officer opens: every path locust is given
answers 200 to the officer of the tiny city, with a household and a worklist item of their dong."""

from __future__ import annotations

from urllib.parse import quote

from dolbom.intake.models import WorkItem, WorkSource
from tests.bench.load import PAGES, page_paths


def test_every_page_of_the_load_answers_a_dong_officer(city, client):
    household = city.household_in(0)
    item = WorkItem.objects.create(dong=city.dongs[0], household=household, source=WorkSource.WALK_IN)
    client.force_login(city.users["dong_officer"])
    paths = page_paths()
    assert set(paths) == set(PAGES)
    values = {"household_id": household.pk, "work_item_id": item.pk, "q": quote(city.persons[0].name)}
    for name, template in paths.items():
        response = client.get(template.format(**values))
        assert response.status_code == 200, (name, template, response.status_code)
