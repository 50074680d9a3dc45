"""Intake's long work, run as jobs (core.jobs): launching a survey campaign (전수조사), which may put every household
of a district on the worklists (tens of thousands of rows written in one transaction)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dolbom.core.jobs.runtime import JobKind, Progress, register
from dolbom.core.models import Job
from dolbom.intake.services.outreach import LAUNCH_KIND, launch_campaign

LAUNCH_PHASES = {
    "choosing": _("Choosing the households that match and are not on the campaign yet"),
    "listing": _("Putting them on each dong's worklist"),
}


def _launch(job: Job, progress: Progress) -> dict[str, Any]:
    campaign = job.params["campaign"]
    progress.phase("choosing", campaign_id=campaign)  # the page links to the campaign from the start
    added = launch_campaign(
        user=job.started_by, campaign_id=campaign, confirm=bool(job.params.get("confirm")), progress=progress
    )
    return {"campaign_id": campaign, "added": added}


CAMPAIGN_LAUNCH = register(
    JobKind(
        key=LAUNCH_KIND,
        label=_("Launching a survey campaign"),
        permission="intake.manage_campaigns",
        phases=LAUNCH_PHASES,
        run=_launch,
        result_url=lambda result: (
            reverse("campaign_detail", args=[result["campaign_id"]]) if "campaign_id" in result else None
        ),
        nav="discovery",
    )
)
