"""The dong officer's outreach list: households to visit, why, who goes, and what they found."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.permissions import can, ensure_can
from dolbom.discovery.models import Outcome, OutreachItem
from dolbom.discovery.selectors import (
    latest_round_for,
    outreach_items_visible_to,
    rounds_visible_to,
    visitors_for,
)
from dolbom.discovery.services import outreach as services
from dolbom.registry.models import Membership, current_on
from dolbom.registry.selectors import areas_visible_to


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
    user = request.user
    ensure_can(user, "discovery.view_outreach")
    rounds = rounds_visible_to(user)
    screening_round = (
        get_object_or_404(rounds, pk=request.GET["round"]) if request.GET.get("round") else latest_round_for(user)
    )
    dongs = list(areas_visible_to(user).order_by("code"))
    dong_code = request.GET.get("dong") or (dongs[0].code if dongs else "")
    items = []
    if screening_round is not None:
        items = list(outreach_items_visible_to(user).filter(round=screening_round, dong_id=dong_code).order_by("rank"))
        _attach_heads(items)
        audit.record(
            user,
            "discovery.view_outreach_list",
            screening_round,
            detail={"dong": dong_code, "items": len(items)},
        )
    context = {
        "round": screening_round,
        "dongs": dongs,
        "dong_code": dong_code,
        "rows": [_row(item, user) for item in items],
        "can_work": can(user, "discovery.work_outreach"),
        "active_nav": "discovery",
    }
    return render(request, "discovery/outreach_list.html", context)


def _attach_heads(items: list[OutreachItem]) -> None:
    """One query for the heads' masked names of the whole list, rather than one per row."""
    if not items:
        return
    heads = Membership.objects.filter(
        current_on(today_kst()), relationship="head", household_id__in=[i.household_id for i in items]
    ).select_related("person")
    by_household = {m.household_id: m.person.masked_name for m in heads}
    for item in items:
        item.head_name = by_household.get(item.household_id, "")


def _row(item: OutreachItem, user: object) -> dict[str, object]:
    return {
        "item": item,
        "visitors": list(visitors_for(item)) if can(user, "discovery.work_outreach") else [],
        "outcome_form": OutcomeForm(initial={"outcome": item.outcome, "note": item.outcome_note}, prefix=f"i{item.pk}"),
    }


def _answer(request: HttpRequest, item: OutreachItem, error: str = "") -> HttpResponse:
    """htmx gets the updated row; a plain form post goes back to the list."""
    if request.headers.get("HX-Request"):
        fresh = outreach_items_visible_to(request.user).get(pk=item.pk)
        _attach_heads([fresh])
        context = {"row": _row(fresh, request.user), "can_work": True, "error": error}
        return render(request, "discovery/_outreach_row.html", context, status=422 if error else 200)
    url = reverse("outreach_list") + f"?round={item.round_id}&dong={item.dong_id}#item-{item.pk}"
    return redirect(url)


def assign(request: HttpRequest, item_id: int) -> HttpResponse:
    ensure_can(request.user, "discovery.work_outreach")
    item = get_object_or_404(outreach_items_visible_to(request.user), pk=item_id)
    if request.method != "POST":
        return redirect(reverse("outreach_list") + f"?round={item.round_id}&dong={item.dong_id}")
    visitor = visitors_for(item).filter(pk=request.POST.get("visitor") or 0).first()
    if visitor is None:
        return _answer(request, item, error=str(_("Choose an officer of this dong.")))
    try:
        services.assign_visit(user=request.user, item_id=item.pk, visitor=visitor)
    except ValidationError as exc:
        return _answer(request, item, error=" ".join(exc.messages))
    return _answer(request, item)


def outcome(request: HttpRequest, item_id: int) -> HttpResponse:
    ensure_can(request.user, "discovery.work_outreach")
    item = get_object_or_404(outreach_items_visible_to(request.user), pk=item_id)
    if request.method != "POST":
        return redirect(reverse("outreach_list") + f"?round={item.round_id}&dong={item.dong_id}")
    form = OutcomeForm(request.POST, prefix=f"i{item.pk}")
    if not form.is_valid():
        return _answer(request, item, error=str(_("Choose the outcome.")))
    try:
        services.record_outcome(
            user=request.user, item_id=item.pk, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        return _answer(request, item, error=" ".join(exc.messages))
    return _answer(request, item)
