"""Eligibility's long work, run as jobs (core.jobs): launching a re-guidance campaign, which reads every household
of the district (seconds at a hundred thousand households) before it writes the worklists."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.core.jobs.runtime import JobKind, Progress, register
from dolbom.core.models import Job
from dolbom.eligibility.services import LAUNCH_KIND, launch_reguidance

LAUNCH_PHASES = {
    "choosing": _("Choosing the households (lines, earlier refusals, changes since)"),
    "listing": _("Putting them on each dong's worklist"),
}


def _launch(job: Job, progress: Progress) -> dict[str, Any]:
    campaign = job.params["campaign"]
    progress.phase("choosing", campaign_id=campaign)  # the page links to the campaign from the start
    added = launch_reguidance(user=job.started_by, campaign_id=campaign, progress=progress)
    return {"campaign_id": campaign, "added": added}


REGUIDANCE_LAUNCH = register(
    JobKind(
        key=LAUNCH_KIND,
        label=_("Launching a re-guidance campaign"),
        permission="eligibility.manage_reguidance",
        phases=LAUNCH_PHASES,
        run=_launch,
        result_url=lambda result: (
            reverse("reguidance_detail", args=[result["campaign_id"]]) if "campaign_id" in result else None
        ),
        nav="discovery",
    )
)
