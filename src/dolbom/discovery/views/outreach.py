"""The dong officer's outreach list: households to visit, why, who goes, and what they found."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dolbom.core.http import REFUSED, error_text, parse_query
from dolbom.core.permissions import can
from dolbom.discovery.models import Outcome, OutreachItem
from dolbom.discovery.selectors import latest_round_for, outreach_row, rounds_visible_to
from dolbom.discovery.services import outreach as services


class ListQuery(forms.Form):
    round = forms.IntegerField(required=False, min_value=1)
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)


class ListContext(forms.Form):
    """Which round's list a row was changed from, so that the answer goes back to that list (a visit of an earlier
    round is worked on from a later round's page)."""

    list = forms.IntegerField(required=False, min_value=1)


class AssignForm(forms.Form):
    visitor = forms.IntegerField(required=False, min_value=1)
    # Who the list showed as assigned when the officer chose: empty for nobody.
    seen = forms.IntegerField(required=False, min_value=1)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


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
        "active_nav": "discovery",
    }
    return render(request, "discovery/home.html", context)


def outreach_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ListQuery)
    page = services.open_outreach_list(user=request.user, round_id=query["round"], dong_code=query["dong"])
    can_work = can(request.user, "discovery.work_outreach")
    list_round = page.round.pk if page.round else None
    context = {
        "round": page.round,
        "rounds": page.rounds,
        "dongs": page.dongs,
        "dong_code": page.dong_code,
        "rows": [_row(item, list_round) for item in page.items],
        "earlier_rows": [_row(item, list_round) for item in page.earlier],
        "list_round": list_round,
        "can_work": can_work,
        "active_nav": "discovery",
    }
    return render(request, "discovery/outreach_list.html", context)


def _row(item: OutreachItem, list_round: int | None) -> dict[str, object]:
    return {
        "item": item,
        "visitors": item.visitors,
        "outcome_form": OutcomeForm(initial={"outcome": item.outcome, "note": item.outcome_note}, prefix=f"i{item.pk}"),
        "earlier": list_round is not None and item.round_id != list_round,
    }


def _answer(request: HttpRequest, item_id: int, error: str = "") -> HttpResponse:
    """htmx gets the updated row (with the refusal, status 422); a plain form post goes back to the list."""
    item = outreach_row(request.user, item_id)
    context_form = ListContext(request.POST)
    list_round = (context_form.cleaned_data["list"] if context_form.is_valid() else None) or item.round_id
    if request.headers.get("HX-Request"):
        context = {"row": _row(item, list_round), "can_work": True, "error": error, "list_round": list_round}
        return render(request, "discovery/_outreach_row.html", context, status=REFUSED if error else 200)
    return redirect(reverse("outreach_list") + f"?round={list_round}&dong={item.dong_id}#item-{item.pk}")


@require_POST
def assign(request: HttpRequest, item_id: int) -> HttpResponse:
    form = AssignForm(request.POST)
    form.is_valid()  # a malformed value counts as none given: the service refuses it, after checking the role
    try:
        services.assign_visit(
            user=request.user,
            item_id=item_id,
            visitor_id=form.cleaned_data.get("visitor"),
            seen_assigned_id=form.cleaned_data.get("seen"),
        )
    except ValidationError as refused:
        return _answer(request, item_id, error=error_text(refused))
    return _answer(request, item_id)


@require_POST
def outcome(request: HttpRequest, item_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST, prefix=f"i{item_id}")
    form.is_valid()  # the service refuses a missing outcome, after checking the role
    try:
        services.record_outcome(
            user=request.user,
            item_id=item_id,
            outcome=form.cleaned_data.get("outcome", ""),
            note=form.cleaned_data.get("note", ""),
        )
    except ValidationError as refused:
        return _answer(request, item_id, error=error_text(refused))
    return _answer(request, item_id)
