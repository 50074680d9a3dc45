"""Service linkage pages: the request from a case (with what the household already receives), one linkage and its
steps, and the list of linkages — for a private partner, its own requests to answer and services to deliver."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dolbom.cases.models import Frequency, Linkage
from dolbom.cases.services import linkages as services
from dolbom.cases.services import pages
from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField, WonField
from dolbom.core.http import parse_query, requires, run_step, show_errors, valid_data
from dolbom.core.needs import NeedDomain

TEXT = forms.Textarea(attrs={"rows": 3})
SECTORS = [c for c in Linkage._meta.get_field("sector").choices if c[0]]


class LinkageForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain of need"), choices=[("", "—"), *NeedDomain.choices], required=False)
    # Rendered by the template with each service's provider, eligibility, capacity and value; the service checks
    # that the id is one the form offers.
    directory_service = IdField(label=_("Service in the directory"), required=False, widget=forms.HiddenInput)
    goal = IdField(label=_("Goal of the plan"), required=False, widget=forms.Select)
    provider = IdField(label=_("Provider"), required=False, widget=forms.Select)
    provider_name = forms.CharField(label=_("Provider not in the list"), required=False, max_length=100)
    sector = forms.ChoiceField(
        label=_("Public or private (for a provider not in the list)"),
        choices=[("", "—"), *SECTORS],
        required=False,
    )
    service = forms.CharField(label=_("Service"), required=False, max_length=200)
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=Frequency.choices, required=False, widget=forms.RadioSelect
    )
    planned_won = WonField(label=_("Planned value (won)"), required=False)
    requested_on = KoreanDateField(label=pgettext_lazy("linkage", "Requested on"), required=False)
    note = forms.CharField(label=_("Note to the provider"), required=False, max_length=4000, widget=TEXT)

    def __init__(self, *args: Any, page: pages.LinkageFormPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choosing the domain brings the directory's services and the matching volunteers (htmx swaps that part
        # of the page only, so that nothing typed elsewhere in the form is lost).
        self.fields["domain"].widget.attrs.update(
            {
                "hx-get": reverse("linkage_new", args=[page.case.pk]),
                "hx-target": "#directory-choices",
                "hx-select": "#directory-choices",
                "hx-swap": "outerHTML",
            }
        )
        providers = [("", "—")]
        for agency, consented in page.providers:
            label = f"{agency.name} ({agency.get_sector_display()})"
            if not consented:
                label = _("%(agency)s — no consent from the household") % {"agency": label}
            providers.append((str(agency.pk), label))
        self.fields["provider"].widget.choices = providers
        self.fields["goal"].widget.choices = [
            ("", "—"),
            *((str(g.pk), f"{g.get_domain_display()}: {g.goal}") for g in page.goals),
        ]


class ListQuery(forms.Form):
    all = forms.BooleanField(required=False)


class AnswerForm(forms.Form):
    ANSWERS = (("accept", _("Accept")), ("decline", _("Decline")))
    answer = forms.ChoiceField(label=_("Answer"), choices=ANSWERS, required=False, widget=forms.RadioSelect)
    on = KoreanDateField(label=_("Answered on"), required=False)
    note = forms.CharField(label=_("Note (the reason, when declined)"), required=False, max_length=4000, widget=TEXT)


class DeliveryForm(forms.Form):
    on = KoreanDateField(label=_("Delivered on"), required=False)
    won = WonField(label=_("Value (won)"), required=False)
    note = forms.CharField(label=_("What was delivered"), required=False, max_length=4000, widget=TEXT)


class EndForm(forms.Form):
    on = KoreanDateField(label=pgettext_lazy("linkage", "Ended on"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=TEXT)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why the request is withdrawn"), required=False, max_length=1000)


class DomainQuery(forms.Form):
    domain = forms.ChoiceField(choices=[("", ""), *NeedDomain.choices], required=False)


class PickForm(forms.Form):
    directory_service = IdField(required=False)


def _refreshed(request: HttpRequest, page: pages.LinkageFormPage) -> HttpResponse:
    """The form again, for the domain chosen, with the picked directory service's provider, name, sector and unit
    value in place of what was typed: nothing is written. A pick the domain no longer offers is dropped."""
    data = request.POST.copy()
    pick = PickForm(data)
    chosen = page.offered(pick.cleaned_data["directory_service"]) if pick.is_valid() else None
    data["directory_service"] = str(chosen.pk) if chosen else ""
    if chosen is not None:
        fill = services.directory_fill(chosen)
        data["provider"] = str(fill.provider_id or "")
        data["provider_name"] = fill.provider_name
        data["service"] = fill.service
        data["sector"] = fill.sector
        data["planned_won"] = f"{fill.planned_won:,}"
    return _form_page(request, page, LinkageForm(data, page=page))


def _form_page(request: HttpRequest, page: pages.LinkageFormPage, form: LinkageForm, status: int = 200) -> HttpResponse:
    context = {"page": page, "case": page.case, "form": form, "active_nav": "cases"}
    return render(request, "cases/linkage_form.html", context, status=status)


@requires("cases.work")
def linkage_new(request: HttpRequest, case_id: int) -> HttpResponse:
    posted = request.POST if request.method == "POST" else None
    domain = posted.get("domain", "") if posted is not None else parse_query(request, DomainQuery)["domain"]
    page = pages.open_linkage_form(user=request.user, case_id=case_id, domain=domain)
    if posted is not None and "refresh" in posted:
        return _refreshed(request, page)
    initial = {"requested_on": today_kst(), "frequency": Frequency.ONCE, "domain": page.domain}
    form = LinkageForm(posted, page=page, initial=initial)
    status = 200
    if request.method == "POST":
        try:
            data = valid_data(form)
            linkage = services.request_linkage(
                user=request.user,
                case_id=case_id,
                entry=services.LinkageEntry(
                    domain=data.get("domain", ""),
                    service=data.get("service", ""),
                    frequency=data.get("frequency", ""),
                    requested_on=data.get("requested_on"),
                    provider_id=data.get("provider"),
                    provider_name=data.get("provider_name", ""),
                    sector=data.get("sector", ""),
                    planned_won=data.get("planned_won") or 0,
                    goal_id=data.get("goal"),
                    note=data.get("note", ""),
                    directory_service_id=data.get("directory_service"),
                ),
            )
        except ValidationError as refused:
            show_errors(form, refused)
            status = 422
        else:
            return redirect("linkage_detail", linkage_id=linkage.pk)
    return _form_page(request, page, form, status)


@require_safe
def linkage_list(request: HttpRequest) -> HttpResponse:
    query = parse_query(request, ListQuery)
    inbox = pages.open_linkage_inbox(user=request.user, open_only=not query["all"])
    return render(request, "cases/linkage_list.html", {"inbox": inbox, "query": query, "active_nav": "cases"})


def _detail(request: HttpRequest, linkage_id: int, refused: dict[str, forms.Form] | None = None) -> HttpResponse:
    page = pages.open_linkage(user=request.user, linkage_id=linkage_id)
    today = today_kst()
    context = {
        "page": page,
        "linkage": page.linkage,
        "answer_form": AnswerForm(initial={"on": today}),
        "delivery_form": DeliveryForm(initial={"on": today}),
        "end_form": EndForm(initial={"on": today}),
        "cancel_form": CancelForm(),
        "active_nav": "cases",
        "refused": next(iter((refused or {}).values()), None),
        **(refused or {}),
    }
    return render(request, "cases/linkage_detail.html", context, status=422 if refused else 200)


@require_safe
def linkage_detail(request: HttpRequest, linkage_id: int) -> HttpResponse:
    return _detail(request, linkage_id)


def _step(request: HttpRequest, linkage_id: int, form: forms.Form, name: str, act: Any) -> HttpResponse:
    return run_step(
        form,
        act,
        refused=lambda refused_form: _detail(request, linkage_id, {name: refused_form}),
        done=lambda: redirect("linkage_detail", linkage_id=linkage_id),
    )


@require_POST
@requires("cases.answer_linkage")
def answer(request: HttpRequest, linkage_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> None:
        services.answer_linkage(
            user=request.user,
            linkage_id=linkage_id,
            accept={"accept": True, "decline": False}.get(d.get("answer", "")),
            on=d.get("on"),
            note=d.get("note", ""),
        )

    return _step(request, linkage_id, AnswerForm(request.POST), "answer_form", act)


@require_POST
@requires("cases.answer_linkage")
def deliver(request: HttpRequest, linkage_id: int) -> HttpResponse:
    return _step(
        request, linkage_id, DeliveryForm(request.POST), "delivery_form",
        lambda d: services.record_delivery(
            user=request.user, linkage_id=linkage_id, on=d.get("on"), won=d.get("won") or 0, note=d.get("note", "")
        ),
    )  # fmt: skip


@require_POST
@requires("cases.answer_linkage")
def end(request: HttpRequest, linkage_id: int) -> HttpResponse:
    return _step(
        request, linkage_id, EndForm(request.POST), "end_form",
        lambda d: services.end_linkage(
            user=request.user, linkage_id=linkage_id, on=d.get("on"), note=d.get("note", "")
        ),
    )  # fmt: skip


@require_POST
@requires("cases.work")
def cancel(request: HttpRequest, linkage_id: int) -> HttpResponse:
    return _step(
        request, linkage_id, CancelForm(request.POST), "cancel_form",
        lambda d: services.cancel_linkage(user=request.user, linkage_id=linkage_id, reason=d.get("reason", "")),
    )  # fmt: skip
