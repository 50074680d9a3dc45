"""The household search and the audited reveal of personal details. (The household page itself is the shell's,
`dolbom.web.views.household_detail`: it shows what every domain knows of the household.)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dolbom.core.access_audit import set_reason
from dolbom.core.http import REFUSED, requires
from dolbom.registry import services
from dolbom.registry.forms import RevealForm, SearchForm
from dolbom.registry.selectors import SEARCH_MAX_LENGTH


@requires("registry.search_households")
def household_search(request: HttpRequest) -> HttpResponse:
    """The search box posts what was typed: a resident or phone number must not sit in the address bar, the
    browser's history of a shared office PC or a proxy's log; so do the page buttons, which carry the text in the
    form. A `?q=` address still searches (bookmarked names)."""
    form = SearchForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()
    text = form.cleaned_data.get("q", "").strip()
    context: dict[str, Any] = {
        "q": text,
        "result": None,
        "searched": bool(text),
        "error": "",
        "search_max_length": SEARCH_MAX_LENGTH,
    }
    status = 200
    if text:
        try:
            result = services.search(user=request.user, text=text, page=form.cleaned_data.get("page") or 1)
        except ValidationError as exc:
            # Too long to be a search: say so in Korean (400), without echoing a page-long text back.
            context.update(q="", searched=False, error=exc.message_dict["q"][0])
            set_reason(request, "too_long")
            status = 400
        else:
            context.update(result=result, ignored_text=result.query.ignored_text)
    template = "registry/_search_results.html" if request.headers.get("HX-Request") else "registry/search.html"
    return render(request, template, {**context, "active_nav": "consultation"}, status=status)


@require_POST
def reveal_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Unmask one person for a stated reason. Answers the row fragment for htmx, or the reveal page without it."""
    form = RevealForm(request.POST, auto_id=f"p{person_id}-%s")
    reason, preset = form.reason_and_preset()
    try:
        revealed = services.reveal_person(user=request.user, person_id=person_id, reason=reason, preset=preset)
    except ValidationError as exc:
        context = {"person_id": person_id, "form": form, "error": exc.message_dict.get("reason", [""])[0]}
        return render(request, "registry/_reveal_form.html", context, status=REFUSED)
    template = "registry/_revealed.html" if request.headers.get("HX-Request") else "registry/revealed.html"
    return render(request, template, {"revealed": [revealed], "reason": reason})


@require_POST
def reveal_household(request: HttpRequest, household_id: int) -> HttpResponse:
    """Unmask every member the user may see of one household, for one reason (a visit concerns them all)."""
    form = RevealForm(request.POST, auto_id="household-%s")
    reason, preset = form.reason_and_preset()
    try:
        revealed = services.reveal_household(user=request.user, household_id=household_id, reason=reason, preset=preset)
    except ValidationError as exc:
        context = {"household_id": household_id, "form": form, "error": exc.message_dict.get("reason", [""])[0]}
        return render(request, "registry/_reveal_household_form.html", context, status=REFUSED)
    htmx = request.headers.get("HX-Request")
    template = "registry/_revealed_household.html" if htmx else "registry/revealed.html"
    return render(request, template, {"revealed": revealed, "reason": reason, "household_id": household_id})
