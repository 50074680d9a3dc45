"""A round's outreach list: the households it found in a dong, ranked, with the reasons, and where the work on
each stands. The work itself — sending an officer, recording visits and outcomes — is done on the dong's worklist
(intake), where every household to reach is, whatever found it; each row links there."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dolbom.core.fields import IdField
from dolbom.core.http import parse_query
from dolbom.core.permissions import can
from dolbom.discovery.models import OutreachItem
from dolbom.discovery.selectors import latest_round_for, rounds_visible_to
from dolbom.discovery.services import outreach as services


class ListQuery(forms.Form):
    round = IdField(required=False)
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)


def home(request: HttpRequest) -> HttpResponse:
    """발굴: district staff see rounds and imports; dong officers their list; reporters their referrals."""
    user = request.user
    if not can(user, "discovery.view_outreach"):
        return redirect("referrals")
    context = {
        "latest_round": latest_round_for(user),
        "rounds": list(rounds_visible_to(user)[:5]),
        "can_run": can(user, "discovery.run_round"),
        "can_import": can(user, "discovery.import_signals"),
        # Discovery by people rather than data: village tours, market-day booths and survey campaigns (intake).
        "can_events": can(user, "intake.view_events"),
        "can_campaigns": can(user, "intake.view_campaigns"),
        "active_nav": "discovery",
    }
    return render(request, "discovery/home.html", context)


def outreach_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ListQuery)
    page = services.open_outreach_list(user=request.user, round_id=query["round"], dong_code=query["dong"])
    list_round = page.round.pk if page.round else None
    context = {
        "round": page.round,
        "rounds": page.rounds,
        "dongs": page.dongs,
        "dong_code": page.dong_code,
        "rows": [_row(item, list_round) for item in page.items],
        "earlier_rows": [_row(item, list_round) for item in page.earlier],
        "list_round": list_round,
        "active_nav": "discovery",
    }
    return render(request, "discovery/outreach_list.html", context)


def _row(item: OutreachItem, list_round: int | None) -> dict[str, object]:
    return {"item": item, "earlier": list_round is not None and item.round_id != list_round}
