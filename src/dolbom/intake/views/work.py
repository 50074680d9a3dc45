"""The worklist pages: the dong's households to reach, and one item with its visits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.dates import today_kst
from dolbom.core.fields import IdField, KoreanDateField
from dolbom.core.http import parse_query, requires, show_errors, valid_data
from dolbom.core.permissions import can
from dolbom.intake.models import ContactKind, VisitResult, WorkOutcome, WorkSource
from dolbom.intake.selectors import SORTS, WorkItemPage, WorklistFilter
from dolbom.intake.services import referrals, work
from dolbom.intake.worklist_rows import worklist_rows
from dolbom.registry.forms import RevealForm


class WorklistQuery(forms.Form):
    dong = forms.RegexField(regex=r"^\d{10}$", required=False)
    mine = forms.BooleanField(required=False)
    unassigned = forms.BooleanField(required=False)
    closed = forms.BooleanField(required=False)
    source = forms.ChoiceField(choices=[("", "—"), *WorkSource.choices], required=False)
    tong = forms.IntegerField(required=False, min_value=1, max_value=9999)
    campaign = IdField(required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False)
    page = forms.IntegerField(required=False, min_value=1)


class VersionedForm(forms.Form):
    # The item's version when the page was shown: a change made by someone else since is refused and named.
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class AssignForm(VersionedForm):
    visitor = IdField(required=False)


class VisitForm(VersionedForm):
    visitor = IdField(label=_("Officer"), required=False)
    on = KoreanDateField(label=_("Date"), required=False)
    kind = forms.ChoiceField(label=_("Contact"), choices=ContactKind.choices, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=[("", "—"), *VisitResult.choices], required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class CloseForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *WorkOutcome.choices], required=False)
    on = KoreanDateField(label=_("Date"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(VersionedForm):
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)


class LinkForm(VersionedForm):
    household = IdField()


def worklist_filters(request: HttpRequest) -> tuple[WorklistFilter, str, dict[str, object]]:
    """The worklist's filters and sort from the query string (the page, its printout and its export read the same)."""
    query = parse_query(request, WorklistQuery)
    filters = WorklistFilter(
        dong=query["dong"],
        mine=query["mine"],
        unassigned=query["unassigned"],
        open_only=not query["closed"],
        source=query["source"],
        tong=query["tong"],
        campaign=query["campaign"],
    )
    return filters, query["sort"] or "age", query


@require_safe
def worklist(request: HttpRequest) -> HttpResponse:
    filters, sort, query = worklist_filters(request)
    page = work.open_worklist(user=request.user, filters=filters, sort=sort, page=query["page"])
    context = {
        "page": page,
        "rows": worklist_rows(page.items, today_kst()),
        "query": query,
        "query_string": request.GET.urlencode(),
        "sources": WorkSource.choices,
        "can_work": can(request.user, "intake.work"),
        "active_nav": "discovery",
    }
    return render(request, "intake/worklist.html", context)


def _item_page(
    request: HttpRequest,
    work_item_id: int,
    forms_: dict[str, object] | None = None,
    *,
    correcting: int | None = None,
    page: WorkItemPage | None = None,
    numbers_refused: tuple[RevealForm, str] | None = None,
) -> HttpResponse:
    numbers_shown = page is not None
    page = page or work.open_item(user=request.user, work_item_id=work_item_id)
    item = page.item
    me = getattr(request.user, "staff", None)
    # The signed-in officer by default: the one recording is most often the one who went.
    default_visitor = (me.pk if me and any(o.pk == me.pk for o in page.officers) else None) or item.assigned_to_id
    initial = {"version": item.version}
    visit_initial = {**initial, "visitor": default_visitor, "on": today_kst(), "kind": "visit"}
    wrong = next((v for v in page.visits if v.pk == correcting and not v.is_corrected), None)
    if wrong is not None:
        visit_initial.update(
            visitor=wrong.visitor_id, on=wrong.on, kind=wrong.kind, result=wrong.result, note=wrong.note
        )
    context = {
        "page": page,
        "item": item,
        "can_work": can(request.user, "intake.work"),
        "correcting": wrong.pk if wrong is not None else None,
        "assign_form": AssignForm(initial={**initial, "visitor": default_visitor}),
        "visit_form": VisitForm(initial=visit_initial),
        "close_form": CloseForm(initial={**initial, "on": today_kst()}),
        "reopen_form": ReopenForm(initial=initial),
        "numbers_form": numbers_refused[0] if numbers_refused else RevealForm(auto_id="numbers-%s"),
        "numbers_error": numbers_refused[1] if numbers_refused else "",
        "numbers_shown": numbers_shown,
        "active_nav": "discovery",
        "refused": next((f for f in (forms_ or {}).values() if isinstance(f, forms.Form)), None),
        **(forms_ or {}),
    }
    status = 422 if forms_ or numbers_refused else 200
    return render(request, "intake/work_item.html", context, status=status)


class ItemQuery(forms.Form):
    correct = IdField(required=False)


@require_safe
def work_item(request: HttpRequest, work_item_id: int) -> HttpResponse:
    query = parse_query(request, ItemQuery)
    return _item_page(request, work_item_id, correcting=query["correct"])


def _done(request: HttpRequest, work_item_id: int) -> HttpResponse:
    return redirect("work_item", work_item_id=work_item_id)


def _change(
    request: HttpRequest,
    work_item_id: int,
    form: forms.Form,
    name: str,
    act: Callable[[dict[str, Any]], object],
    **page: object,
) -> HttpResponse:
    """One change to the item: the form parsed, the service run with its data; a refusal (the form's own or the
    service's) comes back on the item's page with the form as typed (422), a success goes back to the item."""
    try:
        act(valid_data(form))
    except ValidationError as refused:
        show_errors(form, refused)
        return _item_page(request, work_item_id, {name: form, **page})
    return _done(request, work_item_id)


@require_POST
@requires("intake.work")
def assign(request: HttpRequest, work_item_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return work.assign(
            user=request.user,
            work_item_id=work_item_id,
            visitor_id=data.get("visitor"),
            seen_version=data.get("version"),
        )

    return _change(request, work_item_id, AssignForm(request.POST), "assign_form", act)


def _visit_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "visitor_id": data.get("visitor"),
        "on": data.get("on"),
        "kind": data.get("kind", ""),
        "result": data.get("result", ""),
        "note": data.get("note", ""),
        "seen_version": data.get("version"),
    }


@require_POST
@requires("intake.work")
def record_visit(request: HttpRequest, work_item_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return work.record_visit(user=request.user, work_item_id=work_item_id, **_visit_fields(data))

    return _change(request, work_item_id, VisitForm(request.POST), "visit_form", act)


@require_POST
@requires("intake.work")
def correct_visit(request: HttpRequest, work_item_id: int, visit_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return work.correct_visit(user=request.user, visit_id=visit_id, **_visit_fields(data))

    return _change(request, work_item_id, VisitForm(request.POST), "visit_form", act, correcting=visit_id)


@require_POST
@requires("intake.work")
def close(request: HttpRequest, work_item_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return work.close(
            user=request.user,
            work_item_id=work_item_id,
            outcome=data.get("outcome", ""),
            note=data.get("note", ""),
            on=data.get("on"),
            seen_version=data.get("version"),
        )

    return _change(request, work_item_id, CloseForm(request.POST), "close_form", act)


@require_POST
@requires("intake.work")
def reopen(request: HttpRequest, work_item_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return work.reopen(
            user=request.user,
            work_item_id=work_item_id,
            reason=data.get("reason", ""),
            seen_version=data.get("version"),
        )

    return _change(request, work_item_id, ReopenForm(request.POST), "reopen_form", act)


@require_POST
@requires("intake.work")
def link_household(request: HttpRequest, work_item_id: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return referrals.link_household(
            user=request.user,
            work_item_id=work_item_id,
            household_id=data.get("household") or 0,
            seen_version=data.get("version"),
        )

    return _change(request, work_item_id, LinkForm(request.POST), "link_form", act)


@require_POST
def show_numbers(request: HttpRequest, work_item_id: int) -> HttpResponse:
    """The item's page with the numbers written in it unmasked, for a reason (audited)."""
    form = RevealForm(request.POST, auto_id="numbers-%s")
    reason, preset = form.reason_and_preset()
    try:
        page = work.open_item_with_numbers(user=request.user, work_item_id=work_item_id, reason=reason, preset=preset)
    except ValidationError as refused:
        return _item_page(request, work_item_id, numbers_refused=(form, refused.messages[0]))
    return _item_page(request, work_item_id, page=page)
