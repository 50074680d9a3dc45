from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from dolbom.core.access_audit import set_reason
from dolbom.core.http import requires
from dolbom.registry import services
from dolbom.registry.selectors import SEARCH_MAX_LENGTH, active_consents, household_timeline, visible_members


@requires("registry.search_households")
def household_search(request: HttpRequest) -> HttpResponse:
    """The search box posts what was typed: a resident or phone number must not sit in the address bar, the
    browser's history of a shared office PC or a proxy's log. A `?q=` address still searches (bookmarked names)."""
    params = request.POST if request.method == "POST" else request.GET
    text = params.get("q", "").strip()
    context: dict[str, Any] = {
        "q": text,
        "hits": [],
        "truncated": False,
        "searched": bool(text),
        "error": "",
        "search_max_length": SEARCH_MAX_LENGTH,
    }
    status = 200
    if text:
        try:
            outcome = services.search(user=request.user, text=text)
        except ValidationError as exc:
            # Too long to be a search: say so in Korean (400), without echoing a page-long text back.
            context.update(q="", searched=False, error=exc.message_dict["q"][0])
            set_reason(request, "too_long")
            status = 400
        else:
            context.update(hits=outcome.hits, truncated=outcome.truncated, ignored_text=outcome.ignored_text)
    template = "registry/_search_results.html" if request.headers.get("HX-Request") else "registry/search.html"
    return render(request, template, {**context, "active_nav": "consultation"}, status=status)


def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = services.open_household(user=request.user, household_id=household_id)
    members = visible_members(request.user, household)
    context = {
        "household": household,
        "members": [(m, list(active_consents(m.person))) for m in members],
        "timeline": household_timeline(request.user, household),
    }
    return render(request, "registry/household.html", {**context, "active_nav": "consultation"})


@require_POST
def reveal_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Unmask one person for a stated reason. Answers the row fragment for htmx, or the reveal page without it."""
    reason = request.POST.get("reason", "")
    try:
        revealed = services.reveal_person(user=request.user, person_id=person_id, reason=reason)
    except ValidationError as exc:
        context = {"person_id": person_id, "error": exc.message_dict.get("reason", [""])[0]}
        return render(request, "registry/_reveal_form.html", context, status=422)
    template = "registry/_revealed.html" if request.headers.get("HX-Request") else "registry/revealed.html"
    return render(request, template, {"revealed": revealed, "reason": reason})
