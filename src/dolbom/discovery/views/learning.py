"""The learned model from the district's side: which models were trained on what, and training a new one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dolbom.core.permissions import ensure_can
from dolbom.core.roles import scope_for
from dolbom.discovery.learning.train import TrainingRefused
from dolbom.discovery.models import ScoringModel
from dolbom.discovery.services import learning


def model_list(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "discovery.train_model")
    models = ScoringModel.objects.select_related("trained_by")[:20]
    context = {"models": models, "districts": sorted(scope_for(request.user).area_codes), "active_nav": "discovery"}
    return render(request, "discovery/model_list.html", context)


@require_POST
def train(request: HttpRequest) -> HttpResponse:
    ensure_can(request.user, "discovery.train_model")
    district = request.POST.get("district", "")
    if district not in scope_for(request.user).area_codes:
        raise PermissionDenied("discovery.train_model")
    try:
        model = learning.train_model(user=request.user, district_code=district)
    except (TrainingRefused, ValidationError) as refused:
        messages.error(request, _("The model was not trained: %(reason)s") % {"reason": refused})
    else:
        messages.success(
            request,
            _("Model #%(id)s trained on %(labels)s recorded outcomes.") % {"id": model.pk, "labels": model.labels},
        )
    return redirect("model_list")
