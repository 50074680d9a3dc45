"""The consultation pages, made for a tablet on a home visit: the initial consultation (from a worklist item or, for
a walk-in, from the household), one consultation with its assessment and decisions, the assessment form, the
decision form, and a household's consultations."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import KoreanDateField
from dolbom.core.http import requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.intake.models import (
    ConsentAnswer,
    ContactKind,
    CrisisKind,
    DecisionKind,
    NeedDomain,
    NeedLevel,
    RiskKind,
)
from dolbom.intake.services import consultations as services
from dolbom.intake.services.consultations import ConsultationEntry, NeedAnswer, RiskAnswer
from dolbom.registry.forms import RevealForm

YES_NO = [("yes", pgettext_lazy("answer", "Yes")), ("no", pgettext_lazy("answer", "No"))]
TEXT = forms.Textarea(attrs={"rows": 4})


class IdsField(forms.Field):
    """Ids ticked among checkboxes the template draws (the household's members): which ids are allowed is the
    service's to check, against what the user may see."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Choose among the household's registered members.")) from exc


class ConsultationForm(forms.Form):
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    officer = forms.IntegerField(label=_("Officer"), required=False, min_value=1)
    held_on = KoreanDateField(label=_("Date"), required=False)
    contact = forms.ChoiceField(
        label=_("Contact"), choices=ContactKind.choices, required=False, widget=forms.RadioSelect
    )
    members = IdsField(label=_("Registered members living here"), required=False)
    others_present = forms.CharField(
        label=_("People living here who are not registered"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: a partner staying for months, a grandchild. No resident numbers."),
    )
    what_happened = forms.CharField(label=_("What happened"), required=False, max_length=4000, widget=TEXT)
    crisis_kinds = forms.MultipleChoiceField(
        label=_("Kinds of crisis"), choices=CrisisKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    consent = forms.ChoiceField(
        label=_("Consent to share data"), choices=ConsentAnswer.choices, required=False, widget=forms.RadioSelect
    )
    consent_purposes = forms.MultipleChoiceField(
        label=_("Consent given for"),
        choices=services.CONSENT_PURPOSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent_note = forms.CharField(
        label=_("About the consent"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who gave it, to which agency, signed or verbal with a witness."),
    )
    reason = forms.CharField(label=_("What was wrong"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in RiskKind:
            self.fields[f"risk_{kind.value}"] = forms.ChoiceField(
                label=kind.label, choices=YES_NO, required=False, widget=forms.RadioSelect
            )
            self.fields[f"risk_{kind.value}_note"] = forms.CharField(
                label=_("What you saw"), required=False, max_length=500
            )

    def risk_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"risk_{kind.value}"], self[f"risk_{kind.value}_note"]) for kind in RiskKind]

    def entry(self) -> ConsultationEntry:
        data = self.cleaned_data
        risks = {
            kind.value: RiskAnswer(
                present={"yes": True, "no": False}.get(data.get(f"risk_{kind.value}", "")),
                note=data.get(f"risk_{kind.value}_note", ""),
            )
            for kind in RiskKind
        }
        return ConsultationEntry(
            officer_id=data.get("officer"),
            held_on=data.get("held_on"),
            contact=data.get("contact", ""),
            what_happened=data.get("what_happened", ""),
            crisis_kinds=data.get("crisis_kinds", []),
            risks=risks,
            consent=data.get("consent", ""),
            member_ids=data.get("members") or [],
            others_present=data.get("others_present", ""),
            consent_purposes=data.get("consent_purposes", []),
            consent_note=data.get("consent_note", ""),
        )

    @property
    def token(self) -> uuid.UUID:
        return (self.cleaned_data.get("submission") if hasattr(self, "cleaned_data") else None) or uuid.uuid4()


def _me(request: HttpRequest) -> Any:
    return getattr(request.user, "staff", None)


def _default_officer(request: HttpRequest, officers: list[Any], fallback: int | None) -> int | None:
    """The signed-in officer when they are one of the dong's: most often the one recording is the one who went."""
    me = _me(request)
    return me.pk if me is not None and any(o.pk == me.pk for o in officers) else fallback


def _consultation_page(
    request: HttpRequest,
    *,
    form: ConsultationForm | None = None,
    work_item_id: int | None = None,
    household_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        start = services.open_consultation_start(
            user=request.user, work_item_id=work_item_id, household_id=household_id
        )
    except ValidationError as refused:
        # Not ready (nobody met yet, no household tied, a consultation already there): say what to do first.
        context = {"messages_": refused.messages, "work_item_id": work_item_id, "active_nav": "consultation"}
        return render(request, "intake/consultation_not_ready.html", context, status=422 if form else 200)
    if form is None:
        item = start.item
        fallback = item.assigned_to_id if item is not None else None
        form = ConsultationForm(
            initial={
                "submission": services.new_submission(),
                "officer": _default_officer(request, start.officers, fallback),
                "held_on": today_kst(),
                "contact": ContactKind.VISIT if work_item_id else ContactKind.OFFICE,
                "members": [m.person_id for m in start.members],
            }
        )
    context = {
        "start": start,
        "form": form,
        "checked_members": _checked(form, "members"),
        "walk_in": work_item_id is None,
        "active_nav": "consultation",
    }
    return render(request, "intake/consultation_form.html", context, status=status)


def _checked(form: forms.Form, name: str) -> set[int]:
    values = form[name].value() or []
    try:
        return {int(v) for v in values}
    except (TypeError, ValueError):
        return set()


@requires("intake.consult")
def consultation_new(request: HttpRequest, work_item_id: int) -> HttpResponse:
    """The initial consultation of a worklist item whose household was met."""
    return _record(request, work_item_id=work_item_id)


@requires("intake.consult")
def walk_in_new(request: HttpRequest, household_id: int) -> HttpResponse:
    """The initial consultation of a household that came to the office (or was met otherwise)."""
    return _record(request, household_id=household_id)


def _record(request: HttpRequest, **where: int) -> HttpResponse:
    if request.method != "POST":
        return _consultation_page(request, **where)
    form = ConsultationForm(request.POST)
    try:
        valid_data(form)
        consultation = services.record_consultation(
            user=request.user, submission=form.token, entry=form.entry(), **where
        )
    except ValidationError as refused:
        show_errors(form, refused)
        return _consultation_page(request, form=form, status=422, **where)
    return redirect("consultation_detail", consultation_id=consultation.pk)


@require_safe
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    page = services.open_consultation(user=request.user, consultation_id=consultation_id)
    return _detail(request, page)


def _detail(
    request: HttpRequest,
    page: Any,
    *,
    withdraw_error: dict[int, str] | None = None,
    numbers_shown: bool = False,
    numbers_error: str = "",
    numbers_form: RevealForm | None = None,
    withdraw_typed: dict[int, str] | None = None,
) -> HttpResponse:
    context = {
        "page": page,
        "can_consult": can(request.user, "intake.consult"),
        "withdraw_error": withdraw_error or {},
        "numbers_form": numbers_form or RevealForm(auto_id="numbers-%s"),
        "numbers_shown": numbers_shown,
        "numbers_error": numbers_error,
        "withdraw_typed": withdraw_typed or {},
        "active_nav": "consultation",
    }
    status = 422 if withdraw_error or numbers_error else 200
    return render(request, "intake/consultation.html", context, status=status)


@require_POST
def consultation_numbers(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The consultation's page with the numbers written in it unmasked, for a reason (audited)."""
    form = RevealForm(request.POST, auto_id="numbers-%s")
    reason, preset = form.reason_and_preset()
    try:
        page = services.open_consultation_with_numbers(
            user=request.user, consultation_id=consultation_id, reason=reason, preset=preset
        )
    except ValidationError as refused:
        page = services.open_consultation(user=request.user, consultation_id=consultation_id)
        return _detail(request, page, numbers_error=refused.messages[0], numbers_form=form)
    return _detail(request, page, numbers_shown=True)


@requires("intake.consult")
def consultation_correct(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """A new version of the consultation, with what was wrong; the earlier versions stay."""
    page = services.open_consultation_for_work(user=request.user, consultation_id=consultation_id)
    status = 200
    if request.method == "POST":
        form = ConsultationForm(request.POST)
        try:
            data = valid_data(form)
            services.correct_consultation(
                user=request.user,
                consultation_id=consultation_id,
                submission=form.token,
                entry=form.entry(),
                reason=data.get("reason", ""),
                seen_version=data.get("version"),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("consultation_detail", consultation_id=consultation_id)
    else:
        form = ConsultationForm(initial=_as_initial(page))
    household = page.consultation.household
    start = services.open_consultation_start(user=request.user, household_id=household.pk)
    context = {
        "start": start,
        "form": form,
        "page": page,
        "checked_members": _checked(form, "members"),
        "correcting": True,
        "active_nav": "consultation",
    }
    return render(request, "intake/consultation_form.html", context, status=status)


def _as_initial(page: Any) -> dict[str, Any]:
    record = page.record
    initial: dict[str, Any] = {
        "submission": services.new_submission(),
        "version": record.version,
        "officer": record.officer_id,
        "held_on": record.held_on,
        "contact": record.contact,
        "members": [p.pk for p in record.members.all()],
        "others_present": record.others_present,
        "what_happened": record.what_happened,
        "crisis_kinds": record.crisis_kinds,
        "consent": record.consent,
        "consent_purposes": record.consent_purposes,
        "consent_note": record.consent_note,
    }
    for risk in page.risks:
        initial[f"risk_{risk.kind}"] = "yes" if risk.present else "no"
        initial[f"risk_{risk.kind}_note"] = risk.note
    return initial


class AssessmentForm(forms.Form):
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The assessment standing when the page was shown (0: none): one recorded since is named, not replaced.
    replaces = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    officer = forms.IntegerField(label=_("Officer"), required=False, min_value=1)
    assessed_on = KoreanDateField(label=_("Date"), required=False)
    crisis_level = forms.IntegerField(label=_("Crisis level"), required=False, min_value=1)
    crisis_reasons = forms.CharField(
        label=_("Why this level"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for domain in NeedDomain:
            self.fields[f"need_{domain.value}"] = forms.ChoiceField(
                label=domain.label, choices=NeedLevel.choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"need_{domain.value}_note"] = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def need_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"need_{d.value}"], self[f"need_{d.value}_note"]) for d in NeedDomain]

    def needs(self) -> dict[str, NeedAnswer]:
        data = self.cleaned_data
        return {
            d.value: NeedAnswer(level=data.get(f"need_{d.value}", ""), note=data.get(f"need_{d.value}_note", ""))
            for d in NeedDomain
            if data.get(f"need_{d.value}")
        }


@requires("intake.consult")
def assessment_new(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """The needs in the ten domains and the crisis level; a second one replaces the first, which stays."""
    status = 200
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        try:
            data = valid_data(form)
            services.record_assessment(
                user=request.user,
                consultation_id=consultation_id,
                submission=data.get("submission") or uuid.uuid4(),
                officer_id=data.get("officer"),
                assessed_on=data.get("assessed_on"),
                needs=form.needs(),
                crisis_level_id=data.get("crisis_level"),
                crisis_reasons=data.get("crisis_reasons", ""),
                seen_assessment_id=data.get("replaces"),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("consultation_detail", consultation_id=consultation_id)
    start = services.open_assessment_start(user=request.user, consultation_id=consultation_id)
    if request.method != "POST":
        standing = start.page.assessment
        initial: dict[str, Any] = {
            "submission": services.new_submission(),
            "replaces": standing.pk if standing else 0,
            "officer": _default_officer(request, start.officers, start.page.record.officer_id),
            "assessed_on": today_kst(),
        }
        if standing is not None:  # re-doing starts from what stands
            initial.update(crisis_level=standing.crisis_level_id, crisis_reasons=standing.crisis_reasons)
            for need in start.page.needs:
                initial.update({f"need_{need.domain}": need.level, f"need_{need.domain}_note": need.note})
        form = AssessmentForm(initial=initial)
    context = {"start": start, "page": start.page, "form": form, "active_nav": "consultation"}
    return render(request, "intake/assessment_form.html", context, status=status)


class DecisionForm(forms.Form):
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kinds = forms.MultipleChoiceField(
        label=_("Decision"), choices=DecisionKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    decided_on = KoreanDateField(label=_("Date"), required=False)
    service = forms.CharField(label=_("Which service"), required=False, max_length=200)
    partner = forms.CharField(label=_("To whom (agency or person)"), required=False, max_length=200)
    reason = forms.CharField(label=_("Why there is no need"), required=False, max_length=1000)
    note = forms.CharField(
        label=_("For the next step"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@requires("intake.consult")
def decision_new(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """What follows the consultation: one or more decisions, each the next item of its capability."""
    status = 200
    if request.method == "POST":
        form = DecisionForm(request.POST)
        try:
            data = valid_data(form)
            decisions = services.record_decision(
                user=request.user,
                consultation_id=consultation_id,
                submission=data.get("submission") or uuid.uuid4(),
                kinds=data.get("kinds", []),
                decided_on=data.get("decided_on"),
                service=data.get("service", ""),
                partner=data.get("partner", ""),
                reason=data.get("reason", ""),
                note=data.get("note", ""),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            emergency = next((d for d in decisions if d.kind == DecisionKind.EMERGENCY), None)
            if emergency is not None:  # support first: the application, and its clocks, right away
                household = emergency.consultation.household_id
                return redirect(reverse("emergency_new", args=[household]) + f"?consultation={consultation_id}")
            return redirect("consultation_detail", consultation_id=consultation_id)
    page = services.open_consultation_for_work(user=request.user, consultation_id=consultation_id)
    if request.method != "POST":
        form = DecisionForm(initial={"submission": services.new_submission(), "decided_on": today_kst()})
    context = {"page": page, "form": form, "active_nav": "consultation"}
    return render(request, "intake/decision_form.html", context, status=status)


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)


@require_POST
@requires("intake.consult")
def decision_withdraw(request: HttpRequest, decision_id: int) -> HttpResponse:
    form = WithdrawForm(request.POST)
    try:
        data = valid_data(form)
        decision = services.withdraw_decision(user=request.user, decision_id=decision_id, reason=data.get("reason", ""))
    except ValidationError as refused:
        consultation_id = services.consultation_of_decision(user=request.user, decision_id=decision_id)
        page = services.open_consultation(user=request.user, consultation_id=consultation_id)
        return _detail(
            request,
            page,
            withdraw_error={decision_id: " ".join(refused.messages)},
            withdraw_typed={decision_id: form["reason"].value() or ""},
        )
    return redirect("consultation_detail", consultation_id=decision.consultation_id)


@require_safe
def household_consultations(request: HttpRequest, household_id: int) -> HttpResponse:
    """A household's consultations and the decisions waiting for their next step; the household page loads the
    fragment of it."""
    page = services.open_household_consultations(user=request.user, household_id=household_id)
    context = {"page": page, "can_consult": can(request.user, "intake.consult"), "active_nav": "consultation"}
    if request.headers.get("HX-Request"):
        return render(request, "intake/_household_consultations.html", context)
    return render(request, "intake/household_consultations.html", context)
