"""Screening rounds for district staff: the list of rounds, the form to run one, and a round's page with its
parameters, statistics and each dong's progress."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.permissions import ensure_can
from dolbom.core.roles import scope_for
from dolbom.discovery.models import RoundStatus, Scorer, SignalFile
from dolbom.discovery.screening.rounds_inputs import scorecard_for
from dolbom.discovery.screening.scorecard import ScorecardError
from dolbom.discovery.selectors import round_progress_by_dong, rounds_visible_to
from dolbom.discovery.services.rounds import run_round
from dolbom.registry.models import AdministrativeArea, AreaLevel

PHASES = {
    "snapshot": _("Registry snapshot"),
    "scoring": _("Scoring"),
    "model": _("Learned model"),
    "selection": _("Lists and reasons"),
    "statistics": _("Counting"),
    "write": _("Writing the lists"),
    "total": _("Total"),
}


class RoundForm(forms.Form):
    district = forms.ChoiceField(label=_("District"))
    period = forms.ChoiceField(label=_("Period"), help_text=_("Periods for which crisis-signal files were imported."))
    scorer = forms.ChoiceField(label=_("Scorer"), choices=Scorer.choices, initial=Scorer.SCORECARD)
    cooldown_days = forms.IntegerField(
        label=_("Cool-down (days)"),
        min_value=0,
        max_value=3650,
        help_text=_("Households whose outreach outcome was recorded within this many days are not listed again."),
    )

    def __init__(self, *args: Any, districts: list[AdministrativeArea], periods: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d.code, d.name) for d in districts]
        self.fields["period"].choices = [(p, p) for p in periods]
        if len(districts) == 1:
            self.fields["district"].widget = forms.HiddenInput()
            self.fields["district"].initial = districts[0].code


def _districts(user: Any) -> list[AdministrativeArea]:
    codes = scope_for(user).area_codes
    return list(AdministrativeArea.objects.filter(code__in=codes, level=AreaLevel.SIGUNGU).order_by("code"))


def _periods() -> list[str]:
    return list(SignalFile.objects.order_by("-period").values_list("period", flat=True).distinct())


def round_list(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "discovery.run_round")
    rounds = list(rounds_visible_to(request.user).select_related("started_by")[:100])
    return render(request, "discovery/round_list.html", {"rounds": rounds, "active_nav": "discovery"})


def new_round(request: HttpRequest) -> HttpResponse:
    user = request.user
    ensure_can(user, "discovery.run_round")
    districts, periods = _districts(user), _periods()
    scorecard, scorecard_error = None, ""
    if districts:
        try:
            scorecard = scorecard_for(districts[0].code)
        except ScorecardError as exc:
            scorecard_error = str(exc)
    initial = {"cooldown_days": scorecard.cooldown_days if scorecard else 180}
    if periods:
        initial["period"] = periods[0]
    form = RoundForm(request.POST or None, districts=districts, periods=periods, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            screening_round = run_round(
                user=user,
                district_code=data["district"],
                period=data["period"],
                scorer=data["scorer"],
                cooldown_days=data["cooldown_days"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if screening_round.status == RoundStatus.DONE:
                listed = screening_round.stats.get("listed", 0)
                messages.success(
                    request, gettext("The round is done: %(count)s households listed.") % {"count": f"{listed:,}"}
                )
            else:
                messages.error(request, gettext("The round failed; no list was written."))
            return redirect("round_detail", round_id=screening_round.pk)
    context = {
        "form": form,
        "periods": periods,
        "scorecard": scorecard,
        "scorecard_error": scorecard_error,
        "active_nav": "discovery",
    }
    return render(request, "discovery/round_new.html", context)


def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    ensure_can(request.user, "discovery.run_round")
    screening_round = get_object_or_404(rounds_visible_to(request.user).select_related("started_by"), pk=round_id)
    params, stats = screening_round.params or {}, screening_round.stats or {}
    capacities = params.get("capacities", {})
    progress = {row["dong__code"]: row for row in round_progress_by_dong(request.user, screening_round)}
    names = dict(
        AdministrativeArea.objects.filter(code__in=list(capacities) + list(progress)).values_list("code", "name")
    )
    dongs = []
    for code in sorted(set(capacities) | set(progress)):
        row = progress.get(code, {})
        dongs.append(
            {
                "code": code,
                "name": names.get(code, code),
                "capacity": capacities.get(code),
                "listed": row.get("listed", 0),
                "assigned": row.get("assigned", 0),
                "done": row.get("done", 0),
                "helped": row.get("helped", 0),
            }
        )
    context = {
        "round": screening_round,
        "params": params,
        "stats": stats,
        "excluded": stats.get("excluded", {}),
        "seconds": [(PHASES.get(k, k), v) for k, v in stats.get("seconds", {}).items()],
        "dongs": dongs,
        "active_nav": "discovery",
    }
    return render(request, "discovery/round_detail.html", context)
