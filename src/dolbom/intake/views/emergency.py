"""Emergency support pages: open an application from a household or a worklist item, follow it step by step, and
the list of applications with their clocks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField, WonField
from dolbom.core.http import parse_query, requires, run_step, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.intake.models import OPEN_STATES, EmergencyKind, EmergencyState, FollowUpResult, ReviewResult
from dolbom.intake.services import emergency as services
from dolbom.registry.forms import RevealForm

REASON = forms.Textarea(attrs={"rows": 3})


class NewSupportForm(forms.Form):
    requested_on = KoreanDateField(label=_("Requested on"), required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of support requested"),
        choices=EmergencyKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("The crisis"), required=False, max_length=4000, widget=REASON)
    officer = IdField(label=_("Officer in charge"), required=False)
    work_item = IdField(required=False, widget=forms.HiddenInput)
    # The consultation whose emergency-support decision this application carries on.
    consultation = IdField(required=False, widget=forms.HiddenInput)


class CheckForm(forms.Form):
    on = KoreanDateField(label=_("Checked on"), required=False)
    note = forms.CharField(label=_("What you found"), required=False, max_length=4000, widget=REASON)


class DecideForm(forms.Form):
    DECISIONS = (("support", _("Support")), ("no_support", _("No support")))
    on = KoreanDateField(label=_("Decided on"), required=False)
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, required=False, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=4000, widget=REASON)


class GiveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *EmergencyKind.choices], required=False)
    amount = WonField(label=_("Amount (won; a month for monthly kinds)"), required=False)
    months = forms.IntegerField(label=_("Months (empty: a single payment)"), required=False, min_value=1, max_value=12)
    starts_on = KoreanDateField(label=_("From"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=REASON)


class FollowUpForm(forms.Form):
    on = KoreanDateField(label=_("Investigated on"), required=False)
    result = forms.ChoiceField(
        label=_("Result"), choices=FollowUpResult.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("What the investigation found"), required=False, max_length=4000, widget=REASON)


class ReviewForm(forms.Form):
    on = KoreanDateField(label=_("Decided on"), required=False)
    result = forms.ChoiceField(
        label=_("Decision"), choices=ReviewResult.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Decision and who took it"), required=False, max_length=4000, widget=REASON)


class AssignForm(forms.Form):
    officer = IdField(required=False)
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)


class ListQuery(forms.Form):
    closed = forms.BooleanField(required=False)


class NewQuery(forms.Form):
    work_item = IdField(required=False)
    consultation = IdField(required=False)


class DetailQuery(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), *EmergencyKind.choices], required=False)


@require_safe
def support_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ListQuery)
    rows = services.open_support_list(user=request.user, open_only=not query["closed"])
    context = {"rows": rows, "query": query, "active_nav": "consultation", "today": today_kst()}
    return render(request, "intake/emergency_list.html", context)


@requires("intake.emergency")
def support_new(request: HttpRequest, household_id: int) -> HttpResponse:
    query = parse_query(request, NewQuery)
    posted = request.POST if request.method == "POST" else None
    initial = {"requested_on": today_kst(), "work_item": query["work_item"], "consultation": query["consultation"]}
    form = NewSupportForm(posted, initial=initial)
    status = 200
    if request.method == "POST":
        try:
            data = valid_data(form)
            support = services.open_emergency_support(
                user=request.user,
                household_id=household_id,
                requested_on=data.get("requested_on"),
                kinds=data.get("kinds") or [],
                reason=data.get("reason", ""),
                work_item_id=data.get("work_item"),
                consultation_id=data.get("consultation"),
                officer_id=data.get("officer"),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("emergency_detail", support_id=support.pk)
    page = services.open_new_support(
        user=request.user,
        household_id=household_id,
        work_item_id=query["work_item"],
        consultation_id=query["consultation"],
    )
    me = getattr(request.user, "staff", None)
    context = {
        "page": page,
        "form": form,
        "default_officer": me.pk if me and any(o.pk == me.pk for o in page.officers) else None,
        "active_nav": "consultation",
    }
    return render(request, "intake/emergency_new.html", context, status=status)


# The step forms the page shows in each state (intake/emergency_detail.html); a refused form of another step (the
# state moved on meanwhile) is not on the page, so what was typed in it is shown back with its errors.
STEP_FORMS = {
    EmergencyState.REQUESTED: {"check_form"},
    EmergencyState.CHECKED: {"decide_form"},
    EmergencyState.SUPPORTING: {"give_form", "follow_up_form"},
    EmergencyState.UNDER_REVIEW: {"review_form"},
}


def _detail(
    request: HttpRequest,
    support_id: int,
    forms_: dict[str, forms.Form] | None = None,
    *,
    kind: str = "",
    page: Any = None,
    numbers_error: str = "",
    numbers_form: RevealForm | None = None,
) -> HttpResponse:
    numbers_shown = page is not None
    page = page or services.open_support(user=request.user, support_id=support_id)
    support = page.support
    today = today_kst()
    suggestion = next((s for s in page.suggestions if s.kind == kind), None)
    give_initial: dict[str, Any] = {"kind": kind or (support.kinds[0] if support.kinds else ""), "starts_on": today}
    if suggestion is None and not kind and support.kinds:
        # Unasked, only a figure that holds everywhere: a region's figure (housing) waits for the officer's choice.
        suggestion = next((s for s in page.suggestions if s.kind == support.kinds[0] and not s.region), None)
    if suggestion is not None:
        give_initial.update(kind=suggestion.kind, amount=suggestion.won or "", months=suggestion.months)
    me = getattr(request.user, "staff", None)
    context = {
        "page": page,
        "support": support,
        "can_act": can(request.user, "intake.emergency"),
        "is_open": support.state in OPEN_STATES,
        "states": EmergencyState,
        "suggestion": suggestion,
        "check_form": CheckForm(initial={"on": today}),
        "decide_form": DecideForm(initial={"on": today}),
        "give_form": GiveForm(initial=give_initial),
        "follow_up_form": FollowUpForm(initial={"on": today}),
        "review_form": ReviewForm(initial={"on": today}),
        "assign_form": AssignForm(initial={"officer": support.officer_id or (me.pk if me else None)}),
        "active_nav": "consultation",
        # The refused form's messages head the page: its own section may not be shown any more (a step someone
        # else has just taken).
        "refused": next(iter((forms_ or {}).values()), None),
        "numbers_form": numbers_form or RevealForm(auto_id="numbers-%s"),
        "numbers_shown": numbers_shown,
        "numbers_error": numbers_error,
        "keep_refused": bool(forms_) and not set(forms_) & STEP_FORMS.get(support.state, set()),
        **(forms_ or {}),
    }
    status = 422 if forms_ or numbers_error else 200
    return render(request, "intake/emergency_detail.html", context, status=status)


@require_POST
def show_numbers(request: HttpRequest, support_id: int) -> HttpResponse:
    """The application's page with the numbers written in it unmasked, for a reason (audited)."""
    form = RevealForm(request.POST, auto_id="numbers-%s")
    reason, preset = form.reason_and_preset()
    try:
        page = services.open_support_with_numbers(
            user=request.user, support_id=support_id, reason=reason, preset=preset
        )
    except ValidationError as refused:
        return _detail(request, support_id, numbers_error=refused.messages[0], numbers_form=form)
    return _detail(request, support_id, page=page)


@require_safe
def support_detail(request: HttpRequest, support_id: int) -> HttpResponse:
    query = parse_query(request, DetailQuery)
    return _detail(request, support_id, kind=query["kind"])


def _step_view(
    request: HttpRequest, support_id: int, form_class: type[forms.Form], name: str, act: Any
) -> HttpResponse:
    return run_step(
        form_class(request.POST),
        act,
        refused=lambda refused_form: _detail(request, support_id, {name: refused_form}),
        done=lambda: redirect("emergency_detail", support_id=support_id),
    )


@require_POST
@requires("intake.emergency")
def check(request: HttpRequest, support_id: int) -> HttpResponse:
    return _step_view(
        request, support_id, CheckForm, "check_form",
        lambda d: services.record_check(
            user=request.user, support_id=support_id, on=d.get("on"), note=d.get("note", "")
        ),
    )  # fmt: skip


@require_POST
@requires("intake.emergency")
def decide(request: HttpRequest, support_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> None:
        services.decide(
            user=request.user,
            support_id=support_id,
            on=data.get("on"),
            supported={"support": True, "no_support": False}.get(data.get("decision", "")),
            reason=data.get("reason", ""),
        )

    return _step_view(request, support_id, DecideForm, "decide_form", act)


@require_POST
@requires("intake.emergency")
def give(request: HttpRequest, support_id: int) -> HttpResponse:
    return _step_view(
        request, support_id, GiveForm, "give_form",
        lambda d: services.record_given(
            user=request.user, support_id=support_id, kind=d.get("kind", ""), amount=d.get("amount"),
            months=d.get("months"), starts_on=d.get("starts_on"), note=d.get("note", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("intake.emergency")
def follow_up(request: HttpRequest, support_id: int) -> HttpResponse:
    return _step_view(
        request, support_id, FollowUpForm, "follow_up_form",
        lambda d: services.record_follow_up(
            user=request.user, support_id=support_id, on=d.get("on"), result=d.get("result", ""),
            reason=d.get("reason", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("intake.emergency")
def review(request: HttpRequest, support_id: int) -> HttpResponse:
    return _step_view(
        request, support_id, ReviewForm, "review_form",
        lambda d: services.conclude_review(
            user=request.user, support_id=support_id, on=d.get("on"), result=d.get("result", ""),
            reason=d.get("reason", ""),
        ),
    )  # fmt: skip


@require_POST
@requires("intake.emergency")
def assign(request: HttpRequest, support_id: int) -> HttpResponse:
    return _step_view(
        request, support_id, AssignForm, "assign_form",
        lambda d: services.assign_officer(
            user=request.user, support_id=support_id, officer_id=d.get("officer"), reason=d.get("reason", ""),
        ),
    )  # fmt: skip
