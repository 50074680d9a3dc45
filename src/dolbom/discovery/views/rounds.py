"""Screening rounds for district staff: the list of rounds, the form to run one (with its warning when the period
has too few files), a round's page with its parameters, statistics and each dong's progress, and the withdrawal of
a round run by mistake."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dolbom.core.http import requires, show_errors
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.services import start_job
from dolbom.discovery.jobs import SCREENING_ROUND, round_target
from dolbom.discovery.models import Scorer
from dolbom.discovery.screening.rounds_inputs import scorecard_for
from dolbom.discovery.screening.scorecard import ScorecardError
from dolbom.discovery.selectors import round_page, rounds_visible_to, screening_settings_of, signal_periods_for
from dolbom.discovery.services.rounds import WITHDRAW_REASON_MIN, plan_round, visits_assigned, withdraw_round
from dolbom.registry.selectors import districts_visible_to

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

    def __init__(self, *args: Any, districts: list[Any], periods: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d.code, d.name) for d in districts]
        self.fields["period"].choices = [(p, p) for p in periods]
        if len(districts) == 1:
            self.fields["district"].widget = forms.HiddenInput()
            self.fields["district"].initial = districts[0].code


class FewFilesConfirmation(forms.Form):
    """The box ticked under the few-files warning: its value is the period it was shown for."""

    confirm_few_files = forms.CharField(required=False, max_length=7)


class WithdrawRoundForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the round withdrawn?"),
        max_length=500,
        help_text=_("At least five characters, e.g. 'run for the wrong period'. Recorded."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


@requires("discovery.run_round")
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = list(rounds_visible_to(request.user).select_related("started_by")[:100])
    jobs = recent_jobs(request.user, SCREENING_ROUND.key)
    return render(request, "discovery/round_list.html", {"rounds": rounds, "jobs": jobs, "active_nav": "discovery"})


@requires("discovery.run_round")
def new_round(request: HttpRequest) -> HttpResponse:
    user = request.user
    districts, periods = list(districts_visible_to(user)), signal_periods_for(user)
    scorecard, scorecard_error = None, ""
    if districts:
        try:
            scorecard = scorecard_for(districts[0].code)
        except ScorecardError as exc:
            scorecard_error = str(exc)
    initial = {"cooldown_days": scorecard.cooldown_days if scorecard else 180}
    if periods:
        initial["period"] = periods[0]
    form = RoundForm(
        request.POST if request.method == "POST" else None, districts=districts, periods=periods, initial=initial
    )
    warning = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        confirmation = FewFilesConfirmation(request.POST)
        # The warning is confirmed for the period it was shown for: choosing another period asks again.
        confirmed = confirmation.is_valid() and confirmation.cleaned_data["confirm_few_files"] == data["period"]
        try:
            # Checked here, so that a mistake is shown on this form at once; the worker checks again when it runs.
            plan_round(
                user=user,
                district_code=data["district"],
                period=data["period"],
                scorer=data["scorer"],
                engine="duckdb",
                cooldown_days=data["cooldown_days"],
                as_of=None,
                confirm_few_files=confirmed,
            )
            job = start_job(
                user=user,
                kind=SCREENING_ROUND.key,
                target=round_target(data["district"]),
                district_code=data["district"],
                params={
                    "district": data["district"],
                    "period": data["period"],
                    "scorer": data["scorer"],
                    "cooldown_days": data["cooldown_days"],
                    "confirm_few_files": confirmed,
                },
            )
        except ValidationError as refused:
            few_files = getattr(refused, "error_dict", {}).get("confirm_few_files")
            if few_files:
                warning = " ".join(few_files[0].messages)
            else:
                show_errors(form, refused)
        else:
            return redirect("job_detail", job_id=job.pk)
    context = {
        "form": form,
        "periods": periods,
        "scorecard": scorecard,
        "scorecard_error": scorecard_error,
        "screening_settings": screening_settings_of(districts[0].code) if districts else None,
        "warning": warning,
        "warned_period": form.cleaned_data.get("period", "") if warning else "",
        "active_nav": "discovery",
    }
    return render(request, "discovery/round_new.html", context)


@requires("discovery.run_round")
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    page = round_page(request.user, round_id)
    context = {
        "round": page.round,
        "params": page.params,
        "stats": page.stats,
        "excluded": page.stats.get("excluded", {}),
        "seconds": [(PHASES.get(k, k), v) for k, v in page.stats.get("seconds", {}).items()],
        "dongs": page.dongs,
        "acted": page.acted,
        "active_nav": "discovery",
    }
    return render(request, "discovery/round_detail.html", context)


@requires("discovery.withdraw_round")
def withdraw(request: HttpRequest, round_id: int) -> HttpResponse:
    """The confirmation page of a round's withdrawal (what it does, the reason asked), and the withdrawal."""
    page = round_page(request.user, round_id)
    form = WithdrawRoundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                withdraw_round(user=request.user, round_id=round_id, reason=form.cleaned_data["reason"])
            except ValidationError as refused:
                show_errors(form, refused)
            else:
                message = gettext("Round %(round)s was withdrawn: its list is no longer shown.")
                messages.success(request, message % {"round": f"{page.round.period} #{page.round.pk}"})
                return redirect("round_detail", round_id=round_id)
        status = 422
    context = {
        "round": page.round,
        "form": form,
        "listed": sum(d.listed for d in page.dongs),
        "acted": page.acted,
        "acted_text": visits_assigned(page.acted) if page.acted else "",
        "reason_min": WITHDRAW_REASON_MIN,
        "active_nav": "discovery",
    }
    return render(request, "discovery/round_withdraw.html", context, status=status)
