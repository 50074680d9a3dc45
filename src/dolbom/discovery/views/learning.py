"""The learned models: which were trained on whose outcomes, what the gate found, which one each district's rounds
use, and training a new one (a district's own, or the city's pooled one)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dolbom.core.http import error_text, requires
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.services import start_job
from dolbom.core.permissions import can
from dolbom.discovery.jobs import MODEL_TRAINING, POOLED_TRAINING, pooled_training_target, training_target
from dolbom.discovery.selectors import models_page
from dolbom.discovery.services import governance
from dolbom.registry.selectors import cities_visible_to, districts_visible_to


class TrainForm(forms.Form):
    district = forms.RegexField(regex=r"^\d{10}$")


class PooledTrainForm(forms.Form):
    city = forms.RegexField(regex=r"^\d{10}$")


class ChooseForm(forms.Form):
    district = forms.RegexField(regex=r"^\d{10}$")


@require_safe
@requires("discovery.view_models")
def model_list(request: HttpRequest) -> HttpResponse:
    districts = list(districts_visible_to(request.user))
    context = {
        "page": models_page(request.user, districts),
        "districts": districts,
        "cities": list(cities_visible_to(request.user)),
        "may_train": can(request.user, "discovery.train_model"),
        "may_train_pooled": can(request.user, "discovery.train_pooled_model"),
        "jobs": recent_jobs(request.user, MODEL_TRAINING.key, POOLED_TRAINING.key),
        "active_nav": "discovery",
    }
    return render(request, "discovery/model_list.html", context)


def _queue(request: HttpRequest, **job: object) -> HttpResponse:
    try:
        queued = start_job(user=request.user, **job)  # type: ignore[arg-type]
    except ValidationError as refused:
        messages.error(request, _("The model was not trained: %(reason)s") % {"reason": " ".join(refused.messages)})
        return redirect("model_list")
    return redirect("job_detail", job_id=queued.pk)


@require_POST
@requires("discovery.train_model")
def train(request: HttpRequest) -> HttpResponse:
    """Training reads every recorded outcome of the district's rounds, fits the model and checks it at the gate:
    minutes on a large district, so it runs as a job and this answers with the job's page."""
    form = TrainForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the district."))
    district = form.cleaned_data["district"]
    return _queue(
        request,
        kind=MODEL_TRAINING.key,
        target=training_target(district),
        district_code=district,
        params={"district": district},
    )


@require_POST
@requires("discovery.train_pooled_model")
def train_pooled(request: HttpRequest) -> HttpResponse:
    form = PooledTrainForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the city."))
    city = form.cleaned_data["city"]
    if not cities_visible_to(request.user).filter(code=city).exists():
        raise BadRequest(_("Choose the city."))
    return _queue(request, kind=POOLED_TRAINING.key, target=pooled_training_target(city), params={"city": city})


@require_POST
@requires("discovery.choose_model")
def choose(request: HttpRequest, model_id: int) -> HttpResponse:
    form = ChooseForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the district."))
    try:
        governance.choose_model(user=request.user, district_code=form.cleaned_data["district"], model_id=model_id)
    except ValidationError as refused:
        messages.error(request, error_text(refused))
    else:
        messages.success(request, _("The district's rounds now use model #%(model)d.") % {"model": model_id})
    return redirect("model_list")


@require_POST
@requires("discovery.choose_model")
def stop_using(request: HttpRequest) -> HttpResponse:
    form = ChooseForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the district."))
    try:
        governance.stop_using_model(user=request.user, district_code=form.cleaned_data["district"])
    except ValidationError as refused:
        messages.error(request, error_text(refused))
    else:
        messages.success(request, _("The district's rounds use no learned model: the scorecard ranks them."))
    return redirect("model_list")
