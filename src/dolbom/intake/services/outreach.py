"""Outreach events and survey campaigns: recording a village tour or a market-day booth and the households met
there, and defining and launching a sweep over a group of the registry. Every household that needs follow-up lands
on its dong's worklist as a `WorkItem` (source event or campaign). One transaction per action, the audit event
inside it; the audit log keeps counts and codes, never a name or what a person asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.core.jobs.runtime import Progress
from dolbom.core.jobs.services import start_job
from dolbom.core.masking import mask_name
from dolbom.core.models import Job
from dolbom.core.money import parse_won
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import district_of, scope_for, visible_or_404
from dolbom.core.text import visible_text
from dolbom.intake.models import (
    CampaignStatus,
    CampaignTarget,
    EventContact,
    EventKind,
    OutreachEvent,
    SurveyCampaign,
    WorkItem,
    WorkSource,
)
from dolbom.intake.selectors import (
    CampaignPage,
    EventFigures,
    EventPage,
    campaign_new_households,
    campaign_page,
    campaigns_visible_to,
    event_agencies_for,
    event_dongs_for,
    event_figures,
    event_page,
    outreach_events_visible_to,
)
from dolbom.registry import services as registry_services
from dolbom.registry.models import AdministrativeArea
from dolbom.registry.selectors import households_visible_to

PLACE_MAX, NOTE_MAX, ASKED_MAX, NAME_MAX, CAMPAIGN_NAME_MAX = 200, 4000, 1000, 40, 100
ADDRESS_MAX, BUILDING_MAX = 200, 40
# Figures of one event: far above any booth's day, low enough to catch a slip of the keyboard.
COUNT_MAX = 100_000
OLDEST_AGE, LARGEST_HOUSEHOLD = 130, 30
# The kind of job that launches a campaign (intake.jobs).
LAUNCH_KIND = "campaign_launch"


def _text(value: str, *, field: str, label: str, limit: int, required: bool, errors: dict[str, str]) -> str:
    """Free text as it reads on screen; a refusal names the field and says how long it may be."""
    text = visible_text(value or "")
    if required and not text:
        errors[field] = _("Enter %(field)s.") % {"field": label}
    elif len(text) > limit:
        message = _("%(field)s is too long: at most %(limit)s characters (now %(length)s). Shorten it.")
        errors[field] = message % {"field": label, "limit": f"{limit:,}", "length": f"{len(text):,}"}
    return text


def _count(value: Any, *, field: str, label: str, errors: dict[str, str]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = parse_won(str(value))  # the same reading as an amount: digits, commas, full-width
    except ValueError:
        number = None
    if number is None or number > COUNT_MAX:
        errors[field] = _("%(field)s: enter a whole number from 0 to %(max)s.") % {
            "field": label,
            "max": f"{COUNT_MAX:,}",
        }
        return 0
    return number


def _won(value: Any, *, field: str, label: str, errors: dict[str, str]) -> int:
    try:
        amount = parse_won(str(value if value is not None else ""))
    except ValueError:
        errors[field] = _("%(field)s: enter the amount in won, such as 1,500,000.") % {"field": label}
        return 0
    return amount or 0


# ---------------------------------------------------------------------------------------------------- events


def _event_values(
    *, kind: str, held_on: date | None, place: str, visitors: Any, consultations: Any, help_count: Any,
    help_won: Any, note: str, errors: dict[str, str],
) -> dict[str, Any]:  # fmt: skip
    if kind not in EventKind.values:
        errors["kind"] = _("Choose the kind of event.")
    if held_on is None:
        errors["held_on"] = _("Enter the date of the event, such as 2026-11-30.")
    return {
        "kind": kind,
        "held_on": held_on,
        "place": _text(place, field="place", label=_("Place"), limit=PLACE_MAX, required=True, errors=errors),
        "visitors": _count(visitors, field="visitors", label=_("Visitors"), errors=errors),
        "consultations": _count(consultations, field="consultations", label=_("Consultations held"), errors=errors),
        "help_count": _count(help_count, field="help_count", label=_("Help given (count)"), errors=errors),
        "help_won": _won(help_won, field="help_won", label=_("Help given (won)"), errors=errors),
        "note": _text(note, field="note", label=_("Note"), limit=NOTE_MAX, required=False, errors=errors),
    }


def create_event(
    *,
    user: Any,
    kind: str,
    held_on: date | None,
    place: str,
    dongs: Iterable[str],
    agencies: Iterable[int] = (),
    visitors: Any = 0,
    consultations: Any = 0,
    help_count: Any = 0,
    help_won: Any = 0,
    note: str = "",
) -> OutreachEvent:
    """Record a village tour or a market-day booth held in one or more dongs of one district, with the agencies
    that took part and its figures (which can be completed later, see `update_event_figures`)."""
    ensure_can(user, "intake.record_events")
    errors: dict[str, str] = {}
    values = _event_values(
        kind=kind, held_on=held_on, place=place, visitors=visitors, consultations=consultations,
        help_count=help_count, help_won=help_won, note=note, errors=errors,
    )  # fmt: skip
    codes = sorted({str(code) for code in dongs})
    chosen = list(AdministrativeArea.objects.filter(pk__in=codes))
    if not codes:
        errors["dongs"] = _("Choose the dong or dongs where the event is held.")
    elif len(chosen) != len(codes) or any(not scope_for(user).covers_area(area.code) for area in chosen):
        raise PermissionDenied("intake.record_events: a dong outside the user's area")
    elif len({district_of(code) for code in codes}) > 1:
        errors["dongs"] = _("The dongs of one event must belong to one district.")
    agency_ids = sorted({int(pk) for pk in agencies})
    taking_part = list(event_agencies_for(user).filter(pk__in=agency_ids))
    if len(taking_part) != len(agency_ids):
        errors["agencies"] = _("Choose agencies of your district from the list.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = OutreachEvent.objects.create(district_id=district_of(codes[0]), created_by=user, **values)
        event.dongs.set(chosen)
        event.agencies.set(taking_part)
        audit.record(
            user, "intake.create_event", event,
            detail={"kind": kind, "dongs": codes, "agencies": agency_ids, "visitors": values["visitors"]},
        )  # fmt: skip
    return event


def update_event_figures(
    *, user: Any, event_id: int, visitors: Any, consultations: Any, help_count: Any, help_won: Any
) -> OutreachEvent:
    """The figures counted at the end of the day: visitors, consultations held, help given (count and won)."""
    ensure_can(user, "intake.record_events")
    errors: dict[str, str] = {}
    figures = {
        "visitors": _count(visitors, field="visitors", label=_("Visitors"), errors=errors),
        "consultations": _count(consultations, field="consultations", label=_("Consultations held"), errors=errors),
        "help_count": _count(help_count, field="help_count", label=_("Help given (count)"), errors=errors),
        "help_won": _won(help_won, field="help_won", label=_("Help given (won)"), errors=errors),
    }
    with transaction.atomic():
        event = outreach_events_visible_to(user).select_for_update(of=("self",)).filter(pk=event_id).first()
        if event is None:
            raise Http404
        if errors:
            raise ValidationError(errors)
        before = {key: getattr(event, key) for key in figures}
        for key, value in figures.items():
            setattr(event, key, value)
        event.save(update_fields=list(figures))
        audit.record(user, "intake.change_event_figures", event, detail={"before": before, "after": figures})
    return event


def add_event_contact(
    *,
    user: Any,
    event_id: int,
    asked: str,
    follow_up: bool,
    household_id: int | None = None,
    name: str = "",
    dong_code: str = "",
) -> EventContact:
    """A household met at the event: a registered one (found through the registry's search, so within the user's
    scope), or a person not yet registered — kept as a masked name, a dong and what they asked, nothing more. One
    that needs follow-up goes on its dong's worklist."""
    ensure_can(user, "intake.record_events")
    event = outreach_events_visible_to(user).filter(pk=event_id).first()
    if event is None:
        raise Http404
    errors: dict[str, str] = {}
    asked_text = _text(asked, field="asked", label=_("What they asked"), limit=ASKED_MAX, required=True,
                       errors=errors)  # fmt: skip
    household = None
    masked = ""
    if household_id is not None:
        # A household outside the user's scope (a hand-edited form) is refused like a page they may not open.
        household = households_visible_to(user).filter(pk=household_id).first()
        if household is None or not scope_for(user).covers_area(household.dong_id):
            raise PermissionDenied("intake.record_events: a household outside the user's area")
        if district_of(household.dong_id) != event.district_id:
            errors["household"] = _("This household lives in another district than the event's.")
        dong_id = household.dong_id
    else:
        person = _text(name, field="name", label=_("Name"), limit=NAME_MAX, required=True, errors=errors)
        masked = mask_name(person)
        event_dongs = set(event.dongs.values_list("code", flat=True))
        if not dong_code:
            errors["dong"] = _("Choose the dong where the person lives.")
        elif dong_code not in event_dongs or not scope_for(user).covers_area(dong_code):
            raise PermissionDenied("intake.record_events: a dong outside the event or the user's area")
        dong_id = dong_code
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = None
        if follow_up:
            item = WorkItem.objects.create(dong_id=dong_id, household=household, source=WorkSource.EVENT)
        contact = EventContact.objects.create(
            event=event, dong_id=dong_id, household=household, masked_name=masked, asked=asked_text,
            follow_up=follow_up, work_item=item, recorded_by=user,
        )  # fmt: skip
        audit.record(
            user, "intake.add_event_contact", contact,
            detail={"event": event.pk, "dong": dong_id, "registered": household is not None,
                    "work_item": item.pk if item else None},
        )  # fmt: skip
    return contact


def open_event(*, user: Any, event_id: int) -> EventPage:
    """An event with the households met there, the reading audited: it names households in need."""
    ensure_can(user, "intake.view_events")
    page = event_page(user, event_id)
    audit.record(user, "intake.view_event", page.event, detail={"contacts": len(page.contacts)})
    return page


def figures_for(*, user: Any, start: date, end: date, dong: str = "") -> EventFigures:
    """The events' figures over a period, for reports: counts only, nothing personal."""
    ensure_can(user, "intake.view_events")
    if start > end:
        raise ValidationError({"end": _("The end of the period comes before its start.")})
    if dong and dong not in set(event_dongs_for(user).values_list("code", flat=True)):
        raise PermissionDenied("intake.view_events: a dong outside the user's area")
    return event_figures(user, start, end, dong=dong)


# ------------------------------------------------------------------------------------------------- campaigns

CRITERIA = ("elderly_alone", "disabled_only", "address_text", "building", "min_age", "max_age", "min_size", "max_size")


def create_campaign(
    *,
    user: Any,
    name: str,
    starts_on: date | None,
    ends_on: date | None,
    district_code: str,
    dong_code: str = "",
    elderly_alone: bool = False,
    disabled_only: bool = False,
    address_text: str = "",
    building: str = "",
    min_age: int | None = None,
    max_age: int | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
) -> SurveyCampaign:
    """Define a campaign of the user's district (or one of its dongs) by criteria over the registry. Nothing goes
    on a worklist until it is launched."""
    ensure_can(user, "intake.manage_campaigns")
    scope_for(user).ensure_district(district_code)
    errors: dict[str, str] = {}
    values = {
        "name": _text(name, field="name", label=_("Name"), limit=CAMPAIGN_NAME_MAX, required=True, errors=errors),
        "address_text": _text(address_text, field="address_text", label=_("Road-name address contains"),
                              limit=ADDRESS_MAX, required=False, errors=errors),
        "building": _text(building, field="building", label=_("Building"), limit=BUILDING_MAX, required=False,
                          errors=errors),
    }  # fmt: skip
    if starts_on is None or ends_on is None:
        errors["starts_on"] = _("Enter the first and the last day of the campaign.")
    elif ends_on < starts_on:
        errors["ends_on"] = _("The last day comes before the first.")
    if dong_code:
        dong = AdministrativeArea.objects.filter(pk=dong_code, parent_id=district_code).first()
        if dong is None:
            errors["dong"] = _("Choose a dong of the district.")
    for low, high, limit, field in ((min_age, max_age, OLDEST_AGE, "min_age"),
                                    (min_size, max_size, LARGEST_HOUSEHOLD, "min_size")):  # fmt: skip
        if any(v is not None and not 0 <= v <= limit for v in (low, high)):
            errors[field] = _("Enter a number from 0 to %(max)s.") % {"max": limit}
        elif low is not None and high is not None and low > high:
            errors[field] = _("The lower bound is above the upper one.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        campaign = SurveyCampaign.objects.create(
            district_id=district_code, dong_id=dong_code or None, starts_on=starts_on, ends_on=ends_on,
            elderly_alone=elderly_alone, disabled_only=disabled_only, min_age=min_age, max_age=max_age,
            min_size=min_size, max_size=max_size, created_by=user, **values,
        )  # fmt: skip
        criteria = {key: getattr(campaign, key) for key in CRITERIA if getattr(campaign, key) not in (None, "", False)}
        audit.record(user, "intake.create_campaign", campaign, detail={"dong": dong_code, "criteria": criteria})
    return campaign


def _ensure_confirmed(count: int, confirm: bool) -> None:
    """A group larger than the district's bound (DOLBOM_CAMPAIGN_CONFIRM_ABOVE) goes on the worklists only once
    someone has checked the criteria and said so."""
    limit = settings.CAMPAIGN_CONFIRM_ABOVE
    if count > limit and not confirm:
        message = _(
            "This campaign would put %(count)s households on the worklists, more than %(limit)s. Check the "
            "criteria; if the number is right, tick the confirmation and launch again."
        )
        raise ValidationError({"confirm": message % {"count": f"{count:,}", "limit": f"{limit:,}"}})


def launch_campaign(*, user: Any, campaign_id: int, confirm: bool = False, progress: Progress | None = None) -> int:
    """Put every household of the campaign's group on its dong's worklist: one target and one work item each.
    Launching again adds only households not yet targets (none twice); a group larger than the district's bound
    (DOLBOM_CAMPAIGN_CONFIRM_ABOVE) needs `confirm`. Returns how many households were added.

    Run as a job (intake.jobs), `progress` hears of each phase (LAUNCH_PHASES) and may stop the launch before
    anything is written. The group is read before the transaction, so that the job's page sees the progress while
    the writes wait; inside it, households that became targets meanwhile (another launch) are left out."""
    ensure_can(user, "intake.manage_campaigns")
    campaign = visible_or_404(campaigns_visible_to(user), campaign_id)
    scope_for(user).ensure_district(campaign.district_id)
    if progress is not None:
        progress.phase("choosing")
    chosen = list(campaign_new_households(campaign, today_kst()).values_list("pk", "dong_id").order_by("pk"))
    _ensure_confirmed(len(chosen), confirm)
    if progress is not None:
        progress.phase("listing")
    with transaction.atomic():
        campaign = campaigns_visible_to(user).select_for_update(of=("self",)).filter(pk=campaign_id).first()
        if campaign is None:
            raise Http404
        done = set(campaign.targets.values_list("household_id", flat=True))
        households = [(pk, dong) for pk, dong in chosen if pk not in done]
        items = WorkItem.objects.bulk_create(
            [WorkItem(dong_id=dong, household_id=pk, source=WorkSource.CAMPAIGN) for pk, dong in households],
            batch_size=1000,
        )
        CampaignTarget.objects.bulk_create(
            [
                CampaignTarget(campaign=campaign, household_id=pk, dong_id=dong, work_item=item)
                for (pk, dong), item in zip(households, items, strict=True)
            ],
            batch_size=1000,
        )
        first = campaign.status == CampaignStatus.DRAFT
        if first:
            campaign.status = CampaignStatus.LAUNCHED
            campaign.launched_at = timezone.now()
            campaign.save(update_fields=["status", "launched_at"])
        per_dong: dict[str, int] = {}
        for _pk, dong in households:
            per_dong[dong] = per_dong.get(dong, 0) + 1
        audit.record(
            user, "intake.launch_campaign", campaign,
            detail={"added": len(households), "first": first, "per_dong": per_dong, "confirmed": bool(confirm)},
        )  # fmt: skip
    return len(households)


def queue_campaign_launch(*, user: Any, campaign_id: int, confirm: bool = False) -> Job:
    """Queue the launch of a campaign as a job (its page follows it). A group too large without `confirm` is
    refused at once, on the campaign's page; JobBusy while a launch of the same campaign waits or runs."""
    ensure_can(user, "intake.manage_campaigns")
    campaign = visible_or_404(campaigns_visible_to(user), campaign_id)
    scope_for(user).ensure_district(campaign.district_id)
    _ensure_confirmed(campaign_new_households(campaign, today_kst()).count(), confirm)
    return start_job(
        user=user,
        kind=LAUNCH_KIND,
        target=f"campaign:{campaign.pk}",
        district_code=campaign.district_id,
        params={"campaign": campaign.pk, "confirm": bool(confirm)},
    )


def open_campaign(*, user: Any, campaign_id: int) -> CampaignPage:
    """A campaign with its completion per dong, the reading audited."""
    ensure_can(user, "intake.view_campaigns")
    page = campaign_page(user, campaign_id, confirm_above=settings.CAMPAIGN_CONFIRM_ABOVE, today=today_kst())
    audit.record(user, "intake.view_campaign", page.campaign, detail={"targets": page.total.total})
    return page


def find_households(*, user: Any, text: str) -> Any:
    """The registry's scoped search, audited there, for picking a household met at an event."""
    ensure_can(user, "intake.record_events")
    return registry_services.search(user=user, text=text)
