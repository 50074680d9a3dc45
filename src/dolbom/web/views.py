from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from dolbom.cases.services.pages import open_case_today
from dolbom.core import audit
from dolbom.core.access_audit import set_reason
from dolbom.core.input_limits import InputTooLong
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import TodayRow, Urgency, referral_dongs_for, referrals_visible_to
from dolbom.intake.services.today import open_today
from dolbom.registry.forms import reveal_form, reveal_household_form
from dolbom.registry.selectors import areas_visible_to, households_visible_to
from dolbom.web.forms import LockoutAuthenticationForm
from dolbom.web.household import household_page


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LockoutAuthenticationForm
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: LockoutAuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(
            self.request.user, "auth.login", detail={"address": getattr(self.request, "axes_ip_address", None)}
        )
        return response


def today(request: HttpRequest) -> HttpResponse:
    """오늘 할 일: what is waiting for this user today."""
    user = request.user
    scope = scope_for(user)
    # Officers, managers and analysts work in areas; a safety-net member or an agency worker sees no area's
    # households, but reports about the dongs where they may file: that is the area their page names.
    files_only = scope.sees_own_filings_only or scope.sees_by_consent
    areas = referral_dongs_for(user) if files_only else areas_visible_to(user)
    context = {
        "scope": scope,
        "areas": list(areas.values_list("name", flat=True)[:20]),
        "areas_are_for_reports": files_only,
        "recent_referrals": list(referrals_visible_to(user)[:10]) if can(user, "intake.view_referrals") else [],
        "can_view_referrals": can(user, "intake.view_referrals"),
        "can_file_referral": can(user, "intake.file_referral"),
        "household_count": households_visible_to(user).count() if scope.sees_persons else None,
        **_due_and_overdue(request),
    }
    return render(request, "web/today.html", {**context, "active_nav": "today"})


def _due_and_overdue(request: HttpRequest) -> dict[str, object]:
    """The clocks of 오늘 할 일 (web/_today_clocks.html): overdue first, then due today, then the emergency clocks
    still running. A district case manager sees the district's, as the team's lead; an officer their own and what
    nobody has yet in their dongs."""
    user = request.user
    if not (can(user, "intake.view_today") or can(user, "cases.work")):
        return {"board": None}
    board = open_today(user=user)
    case_rows = open_case_today(user=user)
    if case_rows:
        # Case management's deadlines, monitoring, follow-up checks and unanswered linkages join the same board.
        board.overdue = sorted([*board.overdue, *(r for r in case_rows if r.urgency == Urgency.OVERDUE)], key=_due)
        board.due_today = sorted([*board.due_today, *(r for r in case_rows if r.urgency == Urgency.TODAY)], key=_due)
    return {"board": board, "today_fixed": settings.TODAY_OVERRIDE, "emergency": can(user, "intake.view_emergency")}


def _due(row: TodayRow) -> tuple[object, ...]:
    return (row.due_on, row.kind, row.object_id)


# The error pages (urls.py handler400/403/404/500): the application's own Korean pages inside its navigation, so
# that a refused officer can carry on from the menu. They render with the request, so the menu is the user's own;
# the 500 page renders without it (below).


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = ""
    if isinstance(exception, InputTooLong):
        set_reason(request, "too_long")
        message = exception.user_message
    elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        set_reason(request, "too_many_fields")
        message = _("The form sent has far too many entries. Reload the page and send the form again.")
    elif isinstance(exception, RequestDataTooBig):
        set_reason(request, "too_large")
        message = _("What was sent is too large. Shorten what you typed, or send files one at a time, and try again.")
    return render(request, "400.html", {"message": message}, status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    set_reason(request, "forbidden", permission=str(exception))
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: usually a page left open past the session, or opened before a new
    login. Django's reason is for developers; the page says what to do."""
    set_reason(request, "csrf")
    message = _("This page was open too long or you signed in again elsewhere. Reload the page and try again.")
    return render(request, "403.html", {"message": message}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Renders without the request, so without context processors: no session, no user, no query. It has to work
    when the database is what failed. The menu is reduced to the way back to the start page.

    Called by Django inside its handler of the uncaught exception, so the exception is still at hand: a database
    that cannot be reached (a restart, a network cut) is not an error of the application but a short outage, and
    gets 503 with a page that says to wait. The kept connections are checked before they are used again
    (CONN_HEALTH_CHECKS), so the first requests after the database returns succeed."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())


@require_safe
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    """가구: the address to find the door, the members (head first) and everything the user may see that
    happened to the household, across domains (web/household.py)."""
    page = household_page(request.user, household_id)
    context = {
        "page": page,
        "household": page.household,
        "members": [(m, consents, reveal_form(m.person_id)) for m, consents in page.members],
        "reveal_household_form": reveal_household_form(),
        # The registry's actions and consent list (registry/_household_actions.html, _household_consents.html).
        "may": page.may,
        "acting_members": [m for m, _consents in page.members],
        "consents": page.consents,
        "active_nav": "consultation",
    }
    return render(request, "web/household.html", context)
