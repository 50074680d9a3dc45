from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from dolbom.core import audit
from dolbom.core.permissions import can
from dolbom.core.scope import scope_for
from dolbom.intake.selectors import referrals_visible_to
from dolbom.registry.selectors import areas_visible_to, households_visible_to
from dolbom.web.forms import LockoutAuthenticationForm


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
    context = {
        "scope": scope,
        "areas": list(areas_visible_to(user).values_list("name", flat=True)[:20]),
        "recent_referrals": list(referrals_visible_to(user)[:10]) if can(user, "intake.view_referrals") else [],
        "can_view_referrals": can(user, "intake.view_referrals"),
        "can_file_referral": can(user, "intake.file_referral"),
        "household_count": households_visible_to(user).count() if scope.sees_persons else None,
    }
    return render(request, "web/today.html", {**context, "active_nav": "today"})
