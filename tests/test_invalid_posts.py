"""No form is dropped without a word: every address of intake, the registry, resources and eligibility that takes a
POST answers an empty or malformed one with a 4xx (the form and its errors, or 405 for a page that is only read),
never with a success that silently ignored what was sent.

The addresses are found by walking the URLconf, so a new view is checked without being listed here; each is posted
to as a role that may use it, about an object inside that role's scope (the scope matrix's world and pages)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.core import test_scope_matrix
from tests.core.test_scope_matrix import DETAIL_PAGES

world = test_scope_matrix.world  # the fixture: an object of every kind inside and outside each scope

DOMAINS = ("dolbom.intake.", "dolbom.registry.", "dolbom.resources.", "dolbom.eligibility.")
# Forms of other domains covered one by one, by route name.
ALSO = {"screening_settings"}
# Open without login and answered by their own rules (rate limits before the form, a challenge): tested in
# tests/intake/test_public_form.py.
PUBLIC = {"public_report", "public_status", "captcha-image", "public_challenge_audio"}
# A search loses nothing: an empty one shows the empty search page (tests/registry cover its refusals).
SEARCH = {"household_search"}


def _covered(entry: URLPattern) -> bool:
    return entry.callback.__module__.startswith(DOMAINS) or entry.name in ALSO


def _routes() -> set[str]:
    found: set[str] = set()

    def walk(patterns: list[Any]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.app_name != "admin":  # the reference-data admin: Django's own forms (tests/registry)
                    walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and entry.name and _covered(entry):
                found.add(entry.name)

    walk(get_resolver().url_patterns)
    return found


ROUTES = sorted(_routes() - PUBLIC - SEARCH)
PAGES = {page.name: page for page in DETAIL_PAGES}
# Pages without an object, and who uses them.
NO_OBJECT = {
    "referral_new": "dong_officer",
    "household_new": "dong_officer",
    "safety_net_new": "dong_officer",
    "referrals": "dong_officer",
    "worklist": "dong_officer",
    "emergency_list": "dong_officer",
    "safety_net": "dong_officer",
    "safety_net_activity": "dong_officer",
    "worklist_export": "dong_officer",
    "worklist_print": "dong_officer",
    "referrals_export": "dong_officer",
    "referrals_print": "dong_officer",
    "event_list": "dong_officer",
    "event_new": "dong_officer",
    "campaign_list": "district_manager",
    "campaign_new": "district_manager",
    "conference_list": "district_manager",
    "conference_new": "district_manager",
    "resources_directory": "dong_officer",
    "resources_service_new": "district_manager",
    "resources_organization_new": "district_manager",
    "resources_agreements": "district_manager",
    "resources_agreement_new": "district_manager",
    "resources_ledger": "district_manager",
    "resources_hsds": "district_admin",
    "resources_hsds_export": "district_admin",
    "resources_donation_new": "district_manager",
    "resources_donor_new": "district_manager",
    "resources_allocation_new": "district_manager",
    "resources_sponsorship_new": "district_manager",
    "resources_sponsorships_pay": "district_manager",
    "resources_food_bank": "agency_worker",
    "resources_stock_new": "agency_worker",
    "resources_give": "agency_worker",
    "resources_volunteers": "dong_officer",
    "resources_volunteer_new": "dong_officer",
    "resources_volunteer_export": "dong_officer",
    "reguidance_list": "district_manager",
    "aftercare": "dong_officer",
    "aftercare_look": "dong_officer",
    "screening_settings": "district_manager",
}
# An empty POST that is the action itself: launching a campaign (survey or re-guidance) is its button (a second
# launch adds nothing), the directory's export and after-care's look for changes take nothing but the button.
ACTIONS = {"campaign_launch", "reguidance_launch", "resources_hsds_export", "aftercare_look"}
MALFORMED = {"note": "가" * 5000, "reason": "가" * 5000, "version": "x", "on": "어제쯤"}


def test_every_route_is_posted_to():
    assert set(ROUTES) <= set(PAGES) | set(NO_OBJECT), "say who posts to a new page without an object"


def _url_and_user(name: str, rows: dict[str, Any], city: Any) -> tuple[str, Any]:
    if name in NO_OBJECT:
        return reverse(name), city.users[NO_OBJECT[name]]
    page = PAGES[name]
    role = "dong_officer" if "dong_officer" in page.allowed else sorted(page.allowed)[0]
    return reverse(name, args=page.args(rows[page.inside])), city.users[role]


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("data", [{}, MALFORMED], ids=["empty", "malformed"])
def test_an_empty_or_malformed_post_is_answered_with_its_errors(client, city, world, name, data):
    if name in ACTIONS:
        pytest.skip("an empty post is this page's action, and it has no text to malform")
    url, user = _url_and_user(name, world.rows, city)
    client.force_login(user)
    response = client.post(url, data)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.get("Location"))
    if response.status_code == 405:
        return  # a page that is only read
    page = response.content.decode()
    assert 'class="error' in page, name
