"""Service linkage, closed loop: requested by the case's worker, answered by the provider (a partner agency on its
own pages; the worker for a provider that has no login), delivered once or periodically with the won value of
each delivery, ended. Each move is a `LinkageStep`, checked against `LINKAGE_MOVES`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dolbom.cases.models import (
    OPEN_LINKAGE_STATES,
    SERVING_STATES,
    CaseState,
    Frequency,
    Linkage,
    LinkageMove,
    LinkageState,
)
from dolbom.cases.selectors import household_consented_to, linkages_visible_to
from dolbom.cases.services.cases import locked_case
from dolbom.cases.services.linkage_steps import step, withdraw_request
from dolbom.core.dates import today_kst
from dolbom.core.needs import NeedDomain
from dolbom.core.permissions import ensure_can
from dolbom.core.scope import scope_for, visible_or_404
from dolbom.core.text import visible_length, visible_text
from dolbom.registry.models import Agency, Sector
from dolbom.resources.selectors import services_for_linkage

# Services are linked once the case is being planned (an urgent need does not wait for the conference's
# approval) and while it is served.
LINKABLE = frozenset({CaseState.PLANNING}) | SERVING_STATES
MAX_WON = 10**12  # one trillion won: a figure beyond any single service, refused as a typing error


@dataclass(frozen=True)
class LinkageEntry:
    domain: str
    service: str
    frequency: str
    requested_on: date | None
    provider_id: int | None = None
    provider_name: str = ""
    sector: str = ""  # for a provider named by hand; an agency's own sector otherwise
    planned_won: int = 0
    goal_id: int | None = None
    note: str = ""
    # A service picked from the resource directory: provider, service, sector and (unless typed) the planned value
    # are then the directory's.
    directory_service_id: int | None = None


@dataclass(frozen=True)
class DirectoryFill:
    """What a service of the directory puts on a linkage: its provider (the provider's agency in Dolbom when it
    has an active one, so that a partner answers on its own pages; its name otherwise), name, sector and the won
    value of one unit."""

    provider_id: int | None
    provider_name: str
    service: str
    sector: str
    planned_won: int


def directory_fill(service: Any) -> DirectoryFill:
    """What picking `service` (a directory service, with its organization) puts on the form and the linkage."""
    organization = service.organization
    agency = organization.agency if organization.agency_id and organization.agency.active else None
    return DirectoryFill(
        provider_id=agency.pk if agency else None,
        provider_name="" if agency else organization.name[:100],
        service=service.name[:200],
        sector=service.sector,
        planned_won=service.unit_won,
    )


def picked_service(user: Any, *, service_id: int, domain: str, dong_code: str) -> Any:
    """The directory service a linkage picks, if it is one the form offers: active, answering the need domain and
    serving the household's dong. A hand-edited id of another district's service (or of an inactive one) is
    refused, so that a linkage never names a service the household cannot get."""
    service = services_for_linkage(user, domain=domain, area=dong_code).filter(pk=service_id).first()
    if service is None:
        raise ValidationError(
            {"directory_service": _("Choose one of the directory's services listed for this need and the "
                                    "household's dong, or name the provider by hand.")}
        )  # fmt: skip
    return service


def _with_directory(user: Any, entry: LinkageEntry, dong_code: str) -> tuple[LinkageEntry, Any]:
    """The entry with the picked service's values in place of what was typed; the service itself."""
    if entry.directory_service_id is None:
        return entry, None
    if entry.domain not in NeedDomain.values:
        raise ValidationError({"domain": _("Choose the domain of need.")})
    service = picked_service(user, service_id=entry.directory_service_id, domain=entry.domain, dong_code=dong_code)
    fill = directory_fill(service)
    entry = replace(
        entry,
        provider_id=fill.provider_id,
        provider_name=fill.provider_name,
        service=fill.service,
        sector=fill.sector,
        planned_won=entry.planned_won or fill.planned_won,
    )
    return entry, service


def _entry_errors(entry: LinkageEntry) -> dict[str, str]:
    if entry.domain not in NeedDomain.values:
        return {"domain": _("Choose the domain of need.")}
    if visible_length(entry.service) < 2:
        return {"service": _("Name the service.")}
    if entry.frequency not in Frequency.values:
        return {"frequency": _("Choose once or periodically.")}
    if entry.requested_on is None or entry.requested_on > today_kst():
        return {"requested_on": _("Enter the request's date; it cannot be in the future.")}
    if not 0 <= entry.planned_won < MAX_WON:
        return {"planned_won": _("Enter the value in won, without a minus sign.")}
    if entry.provider_id is None and visible_length(entry.provider_name) < 2:
        return {"provider": _("Choose the provider, or name it if it is not in the list.")}
    if entry.provider_id is None and entry.sector not in Sector.values:
        return {"sector": _("Say whether the provider is public or private.")}
    return {}


def request_linkage(*, user: Any, case_id: int, entry: LinkageEntry) -> Linkage:
    """A service requested for the household, named by hand or picked from the resource directory (among the
    services the form offers for the need and the household's dong; see `picked_service`). A private partner only
    receives a household that consented to share with it; the same service already requested from the same
    provider (or the same directory service) and still open is refused."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        case = locked_case(user, case_id)
        entry, directory_service = _with_directory(user, entry, case.household.dong_id)
        errors = _entry_errors(entry)
        if errors:
            raise ValidationError(errors)
        if case.state not in LINKABLE:
            raise ValidationError(
                {"service": _("Services are linked once the case is being planned; this case is %(state)s.")
                 % {"state": case.get_state_display()}}
            )  # fmt: skip
        provider = None
        if entry.provider_id is not None:
            provider = Agency.objects.filter(pk=entry.provider_id, active=True).first()
            if provider is None:
                raise ValidationError({"provider": _("Choose an active agency.")})
            # In force on the request's date and today as well: a request dated back to before a withdrawal
            # would otherwise reach the partner after the household took its consent back.
            if provider.sector == Sector.PRIVATE and not all(
                household_consented_to(case.household, provider.pk, on) for on in {entry.requested_on, today_kst()}
            ):
                raise ValidationError(
                    {"provider": _("The household has not consented to share its data with %(agency)s: record the "
                                   "consent on the household's page first.") % {"agency": provider.name}}
                )  # fmt: skip
        service = visible_text(entry.service)[:200]
        same = case.linkages.filter(service=service, state__in=OPEN_LINKAGE_STATES)
        same = same.filter(provider=provider) if provider else same.filter(provider_name=entry.provider_name.strip())
        if directory_service is not None:
            same = same | case.linkages.filter(directory_service=directory_service, state__in=OPEN_LINKAGE_STATES)
        if same.exists():
            raise ValidationError({"service": _("This service is already requested from this provider and open.")})
        goal = case.plans.order_by("-version").first()
        goals = {g.pk: g for g in goal.goals.all()} if goal else {}
        if entry.goal_id is not None and entry.goal_id not in goals:
            raise ValidationError({"goal": _("Choose one of the plan's goals.")})
        linkage = Linkage(
            case=case,
            household=case.household,
            goal=goals.get(entry.goal_id),
            domain=entry.domain,
            provider=provider,
            provider_name="" if provider else visible_text(entry.provider_name)[:100],
            directory_service=directory_service,
            service=service,
            # A directory service says itself whether the help is public or private (a public voucher delivered by
            # a private centre counts as public); otherwise the agency's sector, or what was chosen by hand.
            sector=entry.sector if directory_service or not provider else provider.sector,
            frequency=entry.frequency,
            planned_won=entry.planned_won,
            state="",
            requested_on=entry.requested_on,
            note=visible_text(entry.note),
            requested_by=user,
        )
        linkage.save()
        step(linkage, LinkageMove.REQUEST, user=user, on=entry.requested_on, note=linkage.note)
    return linkage


def _answerable(user: Any, linkage_id: int) -> Linkage:
    """The linkage, locked, if this user answers for its provider: a provider with its own staff in Dolbom
    answers on its own pages, and only its staff; the case's public staff answer for any other."""
    linkage = visible_or_404(linkages_visible_to(user).select_for_update(of=("self",)), linkage_id)
    scope = scope_for(user)
    answers_itself = linkage.provider_id is not None and linkage.provider.sector == Sector.PRIVATE
    if answers_itself and scope.agency_id != linkage.provider_id:
        raise PermissionDenied("cases.answer_linkage: the provider answers for itself")
    if not answers_itself and scope.sees_by_consent:
        raise PermissionDenied("cases.answer_linkage: not this agency's linkage")
    return linkage


def _date(on: date | None, after: date, field: str = "on") -> date:
    if on is None or on > today_kst():
        raise ValidationError({field: _("Enter the date; it cannot be in the future.")})
    if on < after:
        raise ValidationError({field: _("The date cannot be before %(day)s.") % {"day": after.isoformat()}})
    return on


def answer_linkage(*, user: Any, linkage_id: int, accept: bool | None, on: date | None, note: str = "") -> Linkage:
    """The provider's answer: accepted, or declined with the reason."""
    ensure_can(user, "cases.answer_linkage")
    with transaction.atomic():
        linkage = _answerable(user, linkage_id)
        if accept is None:
            raise ValidationError({"answer": _("Choose to accept or decline.")})
        note = visible_text(note)
        if not accept and visible_length(note) < 4:
            raise ValidationError({"note": _("Say why the request is declined, in at least four characters.")})
        on = _date(on, linkage.requested_on)
        step(linkage, LinkageMove.ACCEPT if accept else LinkageMove.DECLINE, user=user, on=on, note=note)
        linkage.answered_on = on
        linkage.save(update_fields=["answered_on"])
    return linkage


def record_delivery(*, user: Any, linkage_id: int, on: date | None, won: int, note: str = "") -> Linkage:
    """A delivery, with its won value. A one-off service ends with its delivery."""
    ensure_can(user, "cases.answer_linkage")
    with transaction.atomic():
        linkage = _answerable(user, linkage_id)
        if not 0 <= won < MAX_WON:
            raise ValidationError({"won": _("Enter the value in won, without a minus sign.")})
        if linkage.state not in (LinkageState.ACCEPTED, LinkageState.DELIVERING):
            raise ValidationError({"move": _("A service is delivered after it was accepted.")})
        on = _date(on, linkage.answered_on or linkage.requested_on)
        step(linkage, LinkageMove.DELIVER, user=user, on=on, won=won, note=visible_text(note))
        linkage.delivered_won += won
        linkage.save(update_fields=["delivered_won"])
        if linkage.frequency == Frequency.ONCE:
            step(linkage, LinkageMove.END, user=user, on=on)
            linkage.ended_on = on
            linkage.save(update_fields=["ended_on"])
    return linkage


def end_linkage(*, user: Any, linkage_id: int, on: date | None, note: str = "") -> Linkage:
    ensure_can(user, "cases.answer_linkage")
    with transaction.atomic():
        linkage = _answerable(user, linkage_id)
        # Not before its last delivery either: an end dated before it would leave won delivered after the end.
        delivered = linkage.steps.filter(move=LinkageMove.DELIVER).aggregate(last=Max("on"))["last"]
        on = _date(on, max(d for d in (linkage.answered_on or linkage.requested_on, delivered) if d is not None))
        step(linkage, LinkageMove.END, user=user, on=on, note=visible_text(note))
        linkage.ended_on = on
        linkage.save(update_fields=["ended_on"])
    return linkage


def cancel_linkage(*, user: Any, linkage_id: int, reason: str) -> Linkage:
    """A request withdrawn by the case's worker before it was answered (sent to the wrong provider, a need
    gone)."""
    ensure_can(user, "cases.work")
    with transaction.atomic():
        linkage = visible_or_404(linkages_visible_to(user).select_for_update(of=("self",)), linkage_id)
        locked_case(user, linkage.case_id)  # the case's own worker, not the provider
        reason = visible_text(reason)
        if visible_length(reason) < 4:
            raise ValidationError({"reason": _("Say why, in at least four characters.")})
        withdraw_request(linkage, user=user, on=today_kst(), note=reason)
    return linkage
