"""Case pages: the list of cases and candidates, one case with what can be done next in its state (plan,
agreement, monitoring and reassessment, phases, closure, transfer, follow-up, reopening)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dolbom.cases.models import CasePlan, ClosureReason, GoalStatus, Move
from dolbom.cases.services import cases as services
from dolbom.cases.services import pages
from dolbom.cases.services import plans as plan_services
from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField
from dolbom.core.http import parse_query, requires, run_step, show_errors, valid_data
from dolbom.core.needs import NeedDomain

TEXT = forms.Textarea(attrs={"rows": 3})
NEED_LEVELS = (("", "—"), ("none", _("No need")), ("some", _("Some need")), ("serious", _("Serious need")))
CLOSING_REASONS = [(v, label) for v, label in ClosureReason.choices if v != ClosureReason.NOT_SELECTED]
GOAL_ROWS = 5
# How a household agrees: the registry's consent methods, as the plan's own field offers them.
AGREEMENT_METHODS = [c for c in CasePlan._meta.get_field("agreement").choices if c[0]]
GOAL_FIELDS = ("domain", "goal", "target", "services", "agency", "target_on")


class ListQuery(forms.Form):
    closed = forms.BooleanField(required=False)


class CandidateForm(forms.Form):
    decision = IdField()
    case_type = IdField(required=False)


class PlanForm(forms.Form):
    made_on = KoreanDateField(label=_("Drawn up on"), required=False)
    summary = forms.CharField(label=_("Summary"), required=False, max_length=4000, widget=TEXT)
    monitoring_days = forms.IntegerField(
        label=_("Monitor every (days; empty: the district's rule)"), required=False, min_value=1, max_value=366
    )

    def __init__(self, *args: Any, agencies: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_choices = [("", "—"), *((str(a.pk), a.name) for a in agencies)]
        for i in range(GOAL_ROWS):
            self.fields[f"goal_{i}_domain"] = forms.ChoiceField(
                label=_("Domain"), choices=[("", "—"), *NeedDomain.choices], required=False
            )
            self.fields[f"goal_{i}_goal"] = forms.CharField(label=_("Goal"), required=False, max_length=300)
            self.fields[f"goal_{i}_target"] = forms.CharField(
                label=_("Measurable target"), required=False, max_length=300
            )
            self.fields[f"goal_{i}_services"] = forms.CharField(
                label=_("Services to reach it"), required=False, max_length=300
            )
            self.fields[f"goal_{i}_agency"] = forms.ChoiceField(
                label=_("Responsible"), choices=agency_choices, required=False
            )
            self.fields[f"goal_{i}_target_on"] = KoreanDateField(label=_("Target date"), required=False)

    def goal_rows(self) -> list[list[Any]]:
        return [[self[f"goal_{i}_{n}"] for n in GOAL_FIELDS] for i in range(GOAL_ROWS)]

    def goals(self, data: dict[str, Any]) -> list[plan_services.GoalEntry]:
        """The rows filled in; a row with only some of its fields is kept, so the service names what it lacks."""
        entries = []
        for i in range(GOAL_ROWS):
            row = {
                n: data.get(f"goal_{i}_{n}") for n in ("domain", "goal", "target", "services", "agency", "target_on")
            }
            if not any(row.values()):
                continue
            entries.append(
                plan_services.GoalEntry(
                    domain=row["domain"] or "",
                    goal=row["goal"] or "",
                    target=row["target"] or "",
                    target_on=row["target_on"],
                    services=row["services"] or "",
                    responsible_agency_id=int(row["agency"]) if row["agency"] else None,
                )
            )
        return entries


class AgreementForm(forms.Form):
    plan = IdField(required=False, widget=forms.HiddenInput)
    agreed_on = KoreanDateField(label=_("Agreed on"), required=False)
    method = forms.ChoiceField(label=_("How"), choices=AGREEMENT_METHODS, required=False, widget=forms.RadioSelect)
    witness_name = forms.CharField(label=_("Witness (for a spoken agreement)"), required=False, max_length=60)


class MonitoringForm(forms.Form):
    held_on = KoreanDateField(label=pgettext_lazy("monitoring", "Date"), required=False)
    note = forms.CharField(label=_("What was found"), required=False, max_length=4000, widget=TEXT)
    reassessment = forms.BooleanField(label=_("This is a reassessment of needs and crisis level"), required=False)
    crisis_level = forms.ChoiceField(label=_("Crisis level (reassessment)"), required=False)

    def __init__(self, *args: Any, goals: list[Any] = (), levels: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["crisis_level"].choices = [("", "—"), *((name, name) for name in levels)]
        self.goal_list = list(goals)
        for goal in self.goal_list:
            self.fields[f"progress_{goal.pk}"] = forms.ChoiceField(
                label=goal.goal, choices=[("", "—"), *GoalStatus.choices], required=False
            )
            self.fields[f"comment_{goal.pk}"] = forms.CharField(label=_("Comment"), required=False, max_length=500)
        for domain, label in NeedDomain.choices:
            self.fields[f"need_{domain}"] = forms.ChoiceField(label=label, choices=NEED_LEVELS, required=False)

    def progress_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"progress_{g.pk}"], self[f"comment_{g.pk}"]) for g in self.goal_list]

    def need_fields(self) -> list[Any]:
        return [self[f"need_{domain}"] for domain in NeedDomain.values]

    def progress(self, data: dict[str, Any]) -> dict[int, services.Progress]:
        return {
            g.pk: services.Progress(data[f"progress_{g.pk}"], data.get(f"comment_{g.pk}", ""))
            for g in self.goal_list
            if data.get(f"progress_{g.pk}")
        }

    def needs(self, data: dict[str, Any]) -> dict[str, str]:
        return {d: data[f"need_{d}"] for d in NeedDomain.values if data.get(f"need_{d}")}


class PhaseForm(forms.Form):
    how = forms.ChoiceField(
        choices=[(m, m) for m in (Move.START_MONITORING, Move.RESUME_SERVICE, Move.KEEP_PLAN)], required=False
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=1000)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Closure reason"), choices=[("", "—"), *CLOSING_REASONS], required=False)
    on = KoreanDateField(label=_("Closed on"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=TEXT)


class TransferForm(forms.Form):
    to_dong = forms.ChoiceField(label=_("To dong"), required=False)
    lead_agency = forms.ChoiceField(label=_("Lead agency"), required=False)
    lead_worker = forms.ChoiceField(label=_("Lead worker"), required=False)
    reason = forms.CharField(label=_("Why"), required=False, max_length=1000)

    def __init__(self, *args: Any, choices: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = choices or {"dongs": [], "agencies": [], "workers": []}
        self.fields["to_dong"].choices = [("", "—"), *((d.pk, d.name) for d in choices["dongs"])]
        self.fields["lead_agency"].choices = [("", "—"), *((str(a.pk), a.name) for a in choices["agencies"])]
        self.fields["lead_worker"].choices = [
            ("", "—"),
            *((str(w.pk), f"{w.display_name} · {w.agency.name}") for w in choices["workers"]),
        ]


class FollowUpForm(forms.Form):
    check = IdField(required=False, widget=forms.HiddenInput)
    done_on = KoreanDateField(label=_("Done on"), required=False)
    finding = forms.CharField(label=_("Finding"), required=False, max_length=4000, widget=TEXT)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why the case is opened again"), required=False, max_length=1000)


# --------------------------------------------------------------------------------------------------- the list
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ListQuery)
    page = pages.open_case_list(user=request.user, open_only=not query["closed"])
    return render(request, "cases/case_list.html", {"page": page, "query": query, "active_nav": "cases"})


@require_POST
@requires("cases.propose")
def open_candidate(request: HttpRequest) -> HttpResponse:
    """A candidate that intake sent becomes a case (the same form sent twice opens one)."""
    form = CandidateForm(request.POST)
    try:
        data = valid_data(form)
        case = services.propose_from_decision(
            user=request.user, decision_id=data["decision"], case_type_id=data.get("case_type")
        )
    except ValidationError as refused:
        show_errors(form, refused)
        page = pages.open_case_list(user=request.user)
        context = {"page": page, "query": {"closed": False}, "refused": form, "active_nav": "cases"}
        return render(request, "cases/case_list.html", context, status=422)
    return redirect("case_detail", case_id=case.pk)


# ---------------------------------------------------------------------------------------------------- one case
def _detail(request: HttpRequest, case_id: int, refused: dict[str, forms.Form] | None = None) -> HttpResponse:
    page = pages.open_case(user=request.user, case_id=case_id)
    case, today = page.case, today_kst()
    context: dict[str, Any] = {
        "page": page,
        "case": case,
        "monitoring_form": MonitoringForm(
            initial={"held_on": today},
            goals=page.goals,
            levels=pages.crisis_levels(request.user, case) if page.may["monitor"] else [],
        ),
        "agreement_form": AgreementForm(initial={"agreed_on": today, "plan": page.plan.pk if page.plan else None}),
        "close_form": CloseForm(initial={"on": today}),
        "transfer_form": TransferForm(choices=pages.transfer_choices(request.user, case) if page.may["work"] else None),
        "follow_up_form": FollowUpForm(initial={"done_on": today}),
        "reopen_form": ReopenForm(),
        "moves": Move,
        "active_nav": "cases",
        "refused": next(iter((refused or {}).values()), None),
        **(refused or {}),
    }
    return render(request, "cases/case_detail.html", context, status=422 if refused else 200)


@require_safe
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _detail(request, case_id)


def _step(
    request: HttpRequest,
    case_id: int,
    form: forms.Form,
    name: str,
    act: Callable[[dict[str, Any]], Any],
) -> HttpResponse:
    return run_step(
        form,
        act,
        refused=lambda refused_form: _detail(request, case_id, {name: refused_form}),
        done=lambda: redirect("case_detail", case_id=case_id),
    )


@require_POST
@requires("cases.work")
def record_agreement(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, AgreementForm(request.POST), "agreement_form",
        lambda d: plan_services.record_agreement(
            user=request.user, case_id=case_id, plan_id=d.get("plan"), agreed_on=d.get("agreed_on"),
            method=d.get("method", ""), witness_name=d.get("witness_name", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def record_monitoring(request: HttpRequest, case_id: int) -> HttpResponse:
    page = pages.open_case(user=request.user, case_id=case_id)
    form = MonitoringForm(request.POST, goals=page.goals, levels=pages.crisis_levels(request.user, page.case))
    return _step(
        request, case_id, form, "monitoring_form",
        lambda d: services.record_monitoring(
            user=request.user, case_id=case_id, held_on=d.get("held_on"), note=d.get("note", ""),
            progress=form.progress(d), reassessment=bool(d.get("reassessment")), needs=form.needs(d),
            crisis_level=d.get("crisis_level", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def change_phase(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, PhaseForm(request.POST), "phase_form",
        lambda d: services.change_phase(
            user=request.user, case_id=case_id, how=d.get("how", ""), reason=d.get("reason", "")
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def close_case(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, CloseForm(request.POST), "close_form",
        lambda d: services.close_case(
            user=request.user, case_id=case_id, reason=d.get("reason", ""), on=d.get("on"), note=d.get("note", "")
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def transfer_case(request: HttpRequest, case_id: int) -> HttpResponse:
    page = pages.open_case(user=request.user, case_id=case_id)
    form = TransferForm(request.POST, choices=pages.transfer_choices(request.user, page.case))
    return _step(
        request, case_id, form, "transfer_form",
        lambda d: services.transfer_case(
            user=request.user, case_id=case_id, reason=d.get("reason", ""), to_dong_code=d.get("to_dong") or None,
            lead_agency_id=int(d["lead_agency"]) if d.get("lead_agency") else None,
            lead_worker_id=int(d["lead_worker"]) if d.get("lead_worker") else None,
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def record_follow_up(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, FollowUpForm(request.POST), "follow_up_form",
        lambda d: services.record_follow_up(
            user=request.user, case_id=case_id, check_id=d.get("check"), done_on=d.get("done_on"),
            finding=d.get("finding", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def reopen_case(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request, case_id, ReopenForm(request.POST), "reopen_form",
        lambda d: services.reopen_case(user=request.user, case_id=case_id, reason=d.get("reason", "")),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------------ plans
@requires("cases.work")
def plan_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """The next version of the plan: up to five goals, each with its domain, target, date and who is
    responsible; the latest version's goals are offered again."""
    page = pages.open_case(user=request.user, case_id=case_id)
    agencies = pages.transfer_choices(request.user, page.case)["agencies"]
    posted = request.POST if request.method == "POST" else None
    form = PlanForm(posted, agencies=agencies, initial=_plan_initial(page))
    status = 200
    if request.method == "POST":
        try:
            data = valid_data(form)
            plan_services.draft_plan(
                user=request.user,
                case_id=case_id,
                made_on=data.get("made_on"),
                goals=form.goals(data),
                summary=data.get("summary", ""),
                monitoring_days=data.get("monitoring_days"),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("case_detail", case_id=case_id)
    context = {"page": page, "case": page.case, "form": form, "active_nav": "cases"}
    return render(request, "cases/plan_form.html", context, status=status)


def _plan_initial(page: pages.CasePage) -> dict[str, Any]:
    initial: dict[str, Any] = {"made_on": today_kst()}
    if page.plan is not None:
        initial.update(summary=page.plan.summary, monitoring_days=page.plan.monitoring_days)
        for i, goal in enumerate(page.goals[:GOAL_ROWS]):
            initial.update(
                {
                    f"goal_{i}_domain": goal.domain,
                    f"goal_{i}_goal": goal.goal,
                    f"goal_{i}_target": goal.target,
                    f"goal_{i}_services": goal.services,
                    f"goal_{i}_agency": str(goal.responsible_agency_id or ""),
                    f"goal_{i}_target_on": goal.target_on,
                }
            )
    return initial
