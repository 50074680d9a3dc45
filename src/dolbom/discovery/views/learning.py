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
from dolbom.core.jobs.selectors import recent_jobs
from dolbom.core.jobs.services import start_job
from dolbom.discovery.jobs import MODEL_TRAINING, training_target
from dolbom.discovery.selectors import scoring_models_visible_to
from dolbom.registry.selectors import districts_visible_to


class TrainForm(forms.Form):
    district = forms.RegexField(regex=r"^\d{10}$")


@requires("discovery.train_model")
def model_list(request: HttpRequest) -> HttpResponse:
    context = {
        "models": scoring_models_visible_to(request.user)[:20],
        "districts": list(districts_visible_to(request.user)),
        "jobs": recent_jobs(request.user, MODEL_TRAINING.key),
        "active_nav": "discovery",
    }
    return render(request, "discovery/model_list.html", context)


@require_POST
@requires("discovery.train_model")
def train(request: HttpRequest) -> HttpResponse:
    """Training reads every recorded outcome of the district's rounds and fits the model: minutes on a large
    district, so it runs as a job and this answers with the job's page."""
    form = TrainForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose the district."))
    district = form.cleaned_data["district"]
    try:
        job = start_job(
            user=request.user,
            kind=MODEL_TRAINING.key,
            target=training_target(district),
            district_code=district,
            params={"district": district},
        )
    except ValidationError as refused:
        messages.error(request, _("The model was not trained: %(reason)s") % {"reason": " ".join(refused.messages)})
        return redirect("model_list")
    return redirect("job_detail", job_id=job.pk)
