"""Case conference pages: the list, planning one, the conference itself (attendees, agenda, held, a decision per
case, the minutes closed) and the minutes as a PDF.

Every change is a form posted to its own address; a refusal comes back on the conference page with the form, its
errors and what was typed (422). The choices a form offers come from the page (`conference_form_choices`), so a
hand-made POST naming something not offered is the form's own error; the services check scope and state again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.cases.models import ClosureReason, ConferenceKind, ConferenceStatus, Outcome, Proposal
from dolbom.cases.services import conference_pages as pages
from dolbom.cases.services import conferences as services
from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField
from dolbom.core.http import REFUSED, requires, show_errors, valid_data
from dolbom.core.permissions import can

TEXT = forms.Textarea(attrs={"rows": 3})
NOT_OFFERED = _("Choose one of the options offered on the page.")


def _choice(label: Any, choices: list[tuple[Any, Any]], **kwargs: Any) -> forms.ChoiceField:
    """A choice among what the page offers: anything else (a hand-made POST) is the form's own error."""
    field = forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False, **kwargs)
    field.error_messages["invalid_choice"] = NOT_OFFERED
    return field


# --------------------------------------------------------------------------------------------------------- forms
class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of conference"), required=False, widget=forms.RadioSelect)
    district = forms.ChoiceField(label=_("District"), required=False)
    dong = forms.ChoiceField(label=_("Dong"), required=False)
    held_on = KoreanDateField(label=_("Date"), required=False)
    place = forms.CharField(label=_("Place"), required=False, max_length=100)
    chair = forms.CharField(label=_("Chair"), required=False, max_length=60)

    def __init__(self, *args: Any, choices: pages.PlanChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = choices.kinds
        self.fields["district"].choices = [(d.code, d.name) for d in choices.districts]
        self.fields["dong"].choices = [("", "—"), *((d.code, d.name) for d in choices.dongs)]
        for name in ("kind", "district", "dong"):
            self.fields[name].error_messages["invalid_choice"] = NOT_OFFERED

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("kind") and not self.errors.get("kind"):
            self.add_error("kind", _("Choose the kind of conference."))
        if data.get("kind") == ConferenceKind.DONG and not data.get("dong") and not self.errors.get("dong"):
            self.add_error("dong", _("Choose the dong whose conference it is."))
        return data


class AttendeeForm(forms.Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=60)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    agency_name = forms.CharField(label=_("Agency not in the list"), required=False, max_length=100)

    def __init__(self, *args: Any, page: pages.ConferencePage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"] = _choice(_("Agency"), [(a.pk, a.name) for a in page.agencies])


class AgendaForm(forms.Form):
    # An id, not a choice: the service tells why a case cannot go on this agenda (another dong, closed, there
    # already), which says more than "not offered".
    case = IdField(label=_("Case"), required=False)
    proposal = forms.ChoiceField(label=_("For"), choices=[("", "—"), *Proposal.choices], required=False)
    presenter = forms.CharField(label=_("Presented by"), required=False, max_length=60)


class HoldForm(forms.Form):
    notes = forms.CharField(label=_("General discussion"), required=False, max_length=4000, widget=TEXT)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices, required=False, widget=forms.RadioSelect)
    discussion = forms.CharField(label=_("Discussion"), required=False, max_length=4000, widget=TEXT)
    note = forms.CharField(label=_("Reasons for the decision"), required=False, max_length=4000, widget=TEXT)
    case_type = forms.ChoiceField(label=_("Case type"), required=False)
    lead_agency = forms.ChoiceField(label=_("Lead agency"), required=False)
    lead_worker = forms.ChoiceField(label=_("Lead worker"), required=False)
    to_dong = forms.ChoiceField(label=_("To dong"), required=False)
    closure_reason = forms.ChoiceField(label=_("Closure reason"), required=False)

    def __init__(
        self, *args: Any, page: pages.ConferencePage, row: pages.AgendaRow | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if row is not None and page.can_act:
            # While the minutes are open, the decisions the case's state allows; once closed, the service
            # refuses any decision for that reason.
            self.fields["outcome"].choices = row.outcomes
            self.fields["outcome"].error_messages["invalid_choice"] = NOT_OFFERED
        self.fields["case_type"] = _choice(_("Case type"), [(t.pk, t.name) for t in page.case_types])
        self.fields["lead_agency"] = _choice(_("Lead agency"), [(a.pk, a.name) for a in page.agencies])
        # Grouped by agency, so that the worker chosen is plainly one of the lead agency's staff.
        groups: dict[str, list[tuple[int, str]]] = {}
        for worker in page.workers:
            groups.setdefault(worker.agency.name, []).append((worker.pk, worker.display_name))
        self.fields["lead_worker"] = _choice(_("Lead worker"), list(groups.items()))
        self.fields["to_dong"] = _choice(_("To dong"), [(d.code, d.name) for d in page.dongs])
        reasons = [c for c in ClosureReason.choices if c[0] != ClosureReason.NOT_SELECTED]
        self.fields["closure_reason"] = _choice(_("Closure reason"), reasons)

    # The fields each outcome takes; the others are left out of the decision, so that a lead chosen and then
    # abandoned for a deferral is not recorded in the minutes.
    USES: ClassVar[dict[str, set[str]]] = {
        Outcome.SELECT: {"case_type", "lead_agency", "lead_worker"},
        Outcome.TRANSFER: {"lead_agency", "lead_worker", "to_dong"},
        Outcome.CLOSE: {"closure_reason"},
    }

    def entry(self) -> services.DecisionEntry:
        data = valid_data(self)
        used = self.USES.get(data.get("outcome", ""), set())

        def value(name: str) -> str:
            return data.get(name, "") if name in used else ""

        def number(name: str) -> int | None:
            return int(value(name)) if value(name) else None

        return services.DecisionEntry(
            outcome=data.get("outcome", ""),
            note=data.get("note", ""),
            discussion=data.get("discussion", ""),
            case_type_id=number("case_type"),
            lead_agency_id=number("lead_agency"),
            lead_worker_id=number("lead_worker"),
            to_dong_code=value("to_dong"),
            closure_reason=value("closure_reason"),
        )


# --------------------------------------------------------------------------------------------------------- pages
@require_safe
def conference_list(request: HttpRequest) -> HttpResponse:
    listing = pages.open_conference_list(user=request.user)
    context = {
        "listing": listing,
        "can_plan": can(request.user, "cases.conference"),
        "today": today_kst(),
        "active_nav": "cases",
    }
    return render(request, "cases/conference_list.html", context)


@requires("cases.conference")
def conference_new(request: HttpRequest) -> HttpResponse:
    choices = pages.plan_choices(request.user)
    kinds = choices.kinds
    initial = {"held_on": today_kst(), "kind": kinds[0][0] if len(kinds) == 1 else ""}
    if len(choices.districts) == 1:
        initial["district"] = choices.districts[0].code
    if len(choices.dongs) == 1:
        initial["dong"] = choices.dongs[0].code
    form = PlanForm(request.POST if request.method == "POST" else None, initial=initial, choices=choices)
    status = 200
    if request.method == "POST":
        try:
            data = valid_data(form)
            conference = services.plan_conference(
                user=request.user,
                kind=data.get("kind", ""),
                held_on=data.get("held_on"),
                # One district: the user's own, whether or not the form showed it.
                district_code=data.get("district") or (choices.districts[0].code if choices.districts else ""),
                dong_code=data.get("dong", ""),
                place=data.get("place", ""),
                chair=data.get("chair", ""),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = REFUSED
        else:
            return redirect("conference_detail", conference_id=conference.pk)
    context = {"form": form, "choices": choices, "active_nav": "cases"}
    return render(request, "cases/conference_new.html", context, status=status)


def _detail(
    request: HttpRequest,
    conference_id: int,
    refused: tuple[str, forms.Form] | None = None,
    *,
    page: pages.ConferencePage | None = None,
) -> HttpResponse:
    """The conference page; with `refused`, the form a service refused (or found invalid), at its place, 422."""
    page = page or pages.open_conference(user=request.user, conference_id=conference_id)
    forms_: dict[str, Any] = {
        "attendee_form": AttendeeForm(page=page),
        "agenda_form": AgendaForm(initial={"proposal": Proposal.SELECTION}),
        "hold_form": HoldForm(initial={"notes": page.conference.notes}),
        "close_form": forms.Form(),
    }
    decisions = {row.item.pk: DecisionForm(page=page, row=row, prefix=f"item{row.item.pk}") for row in page.agenda}
    name, form = refused or ("", None)
    if name.startswith("item"):
        decisions[int(name[4:])] = form
    elif name:
        forms_[name] = form
    context = {
        "page": page,
        "conference": page.conference,
        "rows": [(row, decisions[row.item.pk]) for row in page.agenda],
        "statuses": ConferenceStatus,
        "refused": form,
        "active_nav": "cases",
        **forms_,
    }
    return render(request, "cases/conference_detail.html", context, status=REFUSED if refused else 200)


@require_safe
def conference_detail(request: HttpRequest, conference_id: int) -> HttpResponse:
    return _detail(request, conference_id)


def _change(
    request: HttpRequest,
    conference_id: int,
    name: str,
    make_form: Callable[[pages.ConferencePage], forms.Form],
    act: Callable[[forms.Form], Any],
    *,
    anchor: str = "",
) -> HttpResponse:
    """Parse the form built against the page's choices, run the service; a refusal back on the page (422)."""
    page = pages.conference_form_choices(user=request.user, conference_id=conference_id)
    form = make_form(page)
    try:
        act(form)
    except ValidationError as refused:
        show_errors(form, refused)
        # The page as it is now (the refused change wrote nothing), with the refused form in its place.
        page = pages.open_conference(user=request.user, conference_id=conference_id)
        return _detail(request, conference_id, (name, form), page=page)
    response = redirect("conference_detail", conference_id=conference_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
@requires("cases.conference")
def add_attendee(request: HttpRequest, conference_id: int) -> HttpResponse:
    def act(form: forms.Form) -> None:
        data = valid_data(form)
        services.add_attendee(
            user=request.user,
            conference_id=conference_id,
            name=data.get("name", ""),
            agency_id=int(data["agency"]) if data.get("agency") else None,
            agency_name=data.get("agency_name", ""),
        )

    return _change(
        request, conference_id, "attendee_form", lambda page: AttendeeForm(request.POST, page=page), act,
        anchor="attendees",
    )  # fmt: skip


@require_POST
@requires("cases.conference")
def put_on_agenda(request: HttpRequest, conference_id: int) -> HttpResponse:
    def act(form: forms.Form) -> None:
        data = valid_data(form)
        services.put_on_agenda(
            user=request.user,
            conference_id=conference_id,
            case_id=data.get("case"),
            proposal=data.get("proposal", ""),
            presenter=data.get("presenter", ""),
        )

    return _change(request, conference_id, "agenda_form", lambda page: AgendaForm(request.POST), act, anchor="agenda")


@require_POST
@requires("cases.conference")
def hold(request: HttpRequest, conference_id: int) -> HttpResponse:
    def act(form: forms.Form) -> None:
        services.hold_conference(
            user=request.user, conference_id=conference_id, notes=valid_data(form).get("notes", "")
        )

    return _change(request, conference_id, "hold_form", lambda page: HoldForm(request.POST), act)


@require_POST
@requires("cases.conference")
def decide(request: HttpRequest, conference_id: int, item_id: int) -> HttpResponse:
    prefix = f"item{item_id}"

    def act(form: forms.Form) -> None:
        assert isinstance(form, DecisionForm)
        services.decide(user=request.user, item_id=item_id, entry=form.entry(), conference_id=conference_id)

    def make_form(page: pages.ConferencePage) -> DecisionForm:
        row = next((r for r in page.agenda if r.item.pk == item_id), None)
        return DecisionForm(request.POST, page=page, row=row, prefix=prefix)

    return _change(request, conference_id, prefix, make_form, act, anchor=f"item-{item_id}")


@require_POST
@requires("cases.conference")
def close_minutes(request: HttpRequest, conference_id: int) -> HttpResponse:
    def act(form: forms.Form) -> None:
        valid_data(form)
        services.close_minutes(user=request.user, conference_id=conference_id)

    return _change(request, conference_id, "close_form", lambda page: forms.Form(request.POST), act)


@require_safe
def minutes_pdf(request: HttpRequest, conference_id: int) -> HttpResponse:
    pdf = pages.conference_minutes_pdf(user=request.user, conference_id=conference_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    # Opened in the browser's viewer; the name is for "save as". The minutes name households (masked): no cache.
    response["Content-Disposition"] = f'inline; filename="{pages.minutes_filename(conference_id)}"'
    response["Cache-Control"] = "private, no-store"
    return response
