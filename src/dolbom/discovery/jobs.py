"""The discovery's long work, run as jobs (core.jobs): importing a signal file, a screening round, and training the
learned model."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.core.jobs.runtime import JobFailed, JobKind, Progress, register
from dolbom.core.models import Job
from dolbom.discovery.importing.report import report_from_dict
from dolbom.discovery.learning.train import TrainingRefused
from dolbom.discovery.services.learning import train_model, train_pooled_model
from dolbom.discovery.services.rounds import run_round
from dolbom.discovery.services.signal_jobs import IMPORT_KIND, run_import, upload_kept

ROUND_PHASES = {
    "planning": _("Checking the signal files and the scorecard"),
    "snapshot": _("Reading the district's households"),
    "scoring": _("Scoring and ranking"),
    "writing": _("Writing each dong's list"),
}


TRAINING_PHASES = {
    "labels": _("Gathering the recorded outcomes of the district's rounds"),
    "fitting": _("Training the model"),
    "gate": _("Checking it against the scorecard on the held-out round"),
    "saving": _("Saving the model"),
}


def round_target(district_code: str) -> str:
    return f"round:{district_code}"


def _run_round(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    screening_round = run_round(
        user=job.started_by,
        district_code=params["district"],
        period=params["period"],
        scorer=params["scorer"],
        cooldown_days=params["cooldown_days"],
        # The warning was shown and confirmed on the page before the job was queued.
        confirm_few_files=params.get("confirm_few_files", False),
        progress=progress,
    )
    if screening_round.status != "done":
        raise JobFailed(screening_round.error or f"round {screening_round.pk} failed")
    return {"round_id": screening_round.pk, "listed": screening_round.stats.get("listed", 0)}


def _round_url(result: dict[str, Any]) -> str | None:
    return reverse("round_detail", args=[result["round_id"]]) if "round_id" in result else None


SCREENING_ROUND = register(
    JobKind(
        key="screening_round",
        label=_("Running a screening round"),
        permission="discovery.run_round",
        phases=ROUND_PHASES,
        run=_run_round,
        result_url=_round_url,
        nav="discovery",
    )
)


def training_target(district_code: str) -> str:
    return f"model:{district_code}"


def _train(job: Job, progress: Progress) -> dict[str, Any]:
    try:
        model = train_model(user=job.started_by, district_code=job.params["district"], progress=progress)
    except TrainingRefused as refused:  # too few outcomes: said in its own words, with the counts
        raise JobFailed(str(refused)) from refused
    return {"model_id": model.pk, "labels": model.labels}


MODEL_TRAINING = register(
    JobKind(
        key="model_training",
        label=_("Training the learned model"),
        permission="discovery.train_model",
        phases=TRAINING_PHASES,
        run=_train,
        result_url=lambda result: reverse("model_list") if "model_id" in result else None,
        nav="discovery",
    )
)


def pooled_training_target(city_code: str) -> str:
    return f"model:{city_code}"


def _train_pooled(job: Job, progress: Progress) -> dict[str, Any]:
    try:
        model = train_pooled_model(user=job.started_by, city_code=job.params["city"], progress=progress)
    except TrainingRefused as refused:
        raise JobFailed(str(refused)) from refused
    return {"model_id": model.pk, "labels": model.labels}


POOLED_TRAINING = register(
    JobKind(
        key="pooled_model_training",
        label=_("Training a pooled model on the districts' shared outcomes"),
        permission="discovery.train_pooled_model",
        phases=TRAINING_PHASES,
        run=_train_pooled,
        result_url=lambda result: reverse("model_list") if "model_id" in result else None,
        nav="discovery",
    )
)


IMPORT_PHASES = {
    "opening": _("Opening the uploaded file"),
    "waiting": _("Taking its turn among the imports"),
    "checking": _("Checking every row and matching it to the registry"),
    "storing": _("Storing the file"),
}


def _import_detail(job: Job) -> dict[str, Any]:
    report = job.result.get("report")
    # A refused file's report says what went wrong and what to do, in place of the page's general failure box; a
    # period question is not a failure to the importer, who has a question to answer.
    refused = report_from_dict(report) if report else None
    context: dict[str, Any] = {
        "report": refused,
        "imported": job.result.get("imported"),
        "failure_explained": bool(report),
    }
    if refused is not None and refused.needs_confirmation:
        context["status_text"] = _("Waiting for the period to be confirmed")
    return context


def _imported_url(result: dict[str, Any]) -> str | None:
    imported = result.get("imported")
    return f"{reverse('signal_files')}?period={imported['period']}" if imported else None


SIGNAL_IMPORT = register(
    JobKind(
        key=IMPORT_KIND,
        label=_("Importing a signal file"),
        permission="discovery.import_signals",
        phases=IMPORT_PHASES,
        run=run_import,
        result_url=_imported_url,
        nav="discovery",
        detail_template="discovery/_import_job.html",
        detail_context=_import_detail,
        retryable=upload_kept,
    )
)
