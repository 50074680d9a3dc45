"""Officer pages at 100 k households, one user at a time through Django's test client (no network, no server):
the time of each page and its number of queries, as the dong officer and as the district manager of the demo,
after both districts' screening rounds have filled the worklists."""

from __future__ import annotations

import statistics
import time
from itertools import zip_longest
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dolbom.core.scope import scope_for
from dolbom.intake.models import WorkItem
from dolbom.registry.models import Household
from dolbom.synth.generate import generate_city
from dolbom.synth.load import load_city
from tests.bench.report import Section
from tests.bench.screening import run_city_rounds

REPEAT = 15
# The pages an officer opens all day; the household page is a different household each time.
PAGES = (
    "/",
    "/households/",
    "HOUSEHOLD",
    "/worklist/",
    "/referrals/",
    "/discovery/",
    "/cases/",
    "/linkages/",
    "/emergency/",
    "/reguidance/",
    "/aftercare/",
    "/statistics/",
)


def _households_of(user: object, count: int) -> list[int]:
    """Households of the user's areas, every other one from the worklist (with signals, a listing and an item in
    its history: the households an officer opens from their list), the others in order."""
    areas = scope_for(user).area_codes
    rows = Household.objects.filter(dong_id__in=areas) | Household.objects.filter(dong__parent_id__in=areas)
    listed = WorkItem.objects.filter(household__in=rows.values("pk")).order_by("pk")
    worked = list(dict.fromkeys(listed.values_list("household_id", flat=True)[: count * 2]))[: (count + 1) // 2]
    others = [pk for pk in rows.order_by("pk").values_list("pk", flat=True)[:count] if pk not in worked]
    mixed = [pk for pair in zip_longest(worked, others) for pk in pair if pk is not None]
    return mixed[:count]


def run(home: Path, *, quick: bool) -> Section:
    households = 5_000 if quick else 100_000
    city = home / "pages-city"
    generate_city(city, households=households, seed=17)
    call_command("migrate", verbosity=0)
    load_city(city)
    # Lists with their day's work in them: both districts' rounds put their lists on the dongs' worklists, and
    # households carry signals, listings and worklist items in their history.
    run_city_rounds(city, home, period="2026-09", tag="pages")
    section = Section(
        title=f"Officer pages at {households:,} households",
        command='make bench BENCH_ARGS="--only pages" (tests/bench/pages.py)',
        header=["page", "role", "p50 ms", "max ms", "queries"],
    )
    for username, role in (("demo_dong", "dong officer"), ("demo_district", "district manager")):
        user = get_user_model().objects.get(username=username)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        household_ids = _households_of(user, REPEAT + 1)
        for page in PAGES:
            urls = [f"/households/{pk}/" for pk in household_ids] if page == "HOUSEHOLD" else [page] * (REPEAT + 1)
            assert client.get(urls[0]).status_code == 200, (page, role)  # warm: templates, caches
            samples, queries = [], 0
            for url in urls[1:]:
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, role, response.status_code)
                queries = max(queries, len(captured))
            label = "/households/<id>/" if page == "HOUSEHOLD" else page
            median = statistics.median(samples)
            section.rows.append([label, role, f"{median:.1f}", f"{max(samples):.1f}", str(queries)])
    section.notes.append(
        f"Each page {REPEAT} times after one warm-up, as one user alone; queries are the most any one request made "
        "(session and audit writes included)."
    )
    return section
