"""The learned model from the district's side: which models were trained on what, and training a new one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dolbom.core.http import requires
from dolbom.discovery.learning.train import TrainingRefused
from dolbom.discovery.selectors import scoring_models_visible_to
from dolbom.discovery.services import learning
from dolbom.registry.selectors import districts_visible_to


class TrainForm(forms.Form):
    district = forms.RegexField(regex=r"^\d{10}$")


@requires("discovery.train_model")
def model_list(request: HttpRequest) -> HttpResponse:
    context = {
        "models": scoring_models_visible_to(request.user)[:20],
        "districts": list(districts_visible_to(request.user)),
        "active_nav": "discovery",
    }
    return render(request, "discovery/model_list.html", context)


@require_POST
def train(request: HttpRequest) -> HttpResponse:
    form = TrainForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the district."))
    try:
        model = learning.train_model(user=request.user, district_code=form.cleaned_data["district"])
    except (TrainingRefused, ValidationError) as refused:
        messages.error(request, _("The model was not trained: %(reason)s") % {"reason": refused})
    else:
        messages.success(
            request,
            _("Model #%(id)s trained on %(labels)s recorded outcomes.") % {"id": model.pk, "labels": model.labels},
        )
    return redirect("model_list")
