"""Every read of the resources domain that is more than a get, already scoped to the user.

The service directory is reference data: every staff member who links households to services reads all of it
(`directory_services`, `services_for_linkage`, which case management calls). What belongs to a district — its
agreements, its donations ledger, its volunteers — is seen through a `Reach`, like every other domain's rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from dolbom.core.needs import NeedDomain
from dolbom.core.permissions import can
from dolbom.core.prepared import prepared_list, prepared_values, viewer_key
from dolbom.core.scope import DISTRICT_PREFIX, Reach, district_of, scope_for, scoped, visible_or_404
from dolbom.registry.models import Agency, AgencyKind, Sector
from dolbom.registry.scoping import household_consented
from dolbom.registry.selectors import TimelineEntry
from dolbom.resources.models import (
    Agreement,
    Allocation,
    Distribution,
    Donation,
    Donor,
    Fund,
    Lot,
    Organization,
    Service,
    ServiceArea,
    ServiceDomain,
    ServiceStatus,
    Skill,
    Sponsorship,
    Volunteer,
    VolunteerHours,
    VolunteerSkill,
)

# ------------------------------------------------------------------------------------------------ directory

# Agreements are the district's own records (its 협약 with providers).
AGREEMENT = Reach(district="district")
# Who may change a directory entry: the administrators of the district that keeps it.
SERVICE_KEEPER = Reach(district="district")

NEED_DOMAINS = NeedDomain


def _directory() -> QuerySet[Service]:
    return Service.objects.select_related("organization").prefetch_related(
        Prefetch("domains", queryset=ServiceDomain.objects.order_by("domain")),
        Prefetch("areas", queryset=ServiceArea.objects.order_by("code")),
    )


def serves_area(code: str) -> Q:
    """Services that serve a 읍면동 (named for it, for its district, or for no area in particular), or a district
    (named for it or for any of its dongs, or for no area)."""
    district = district_of(code)
    if code == district:
        named = ServiceArea.objects.filter(service=OuterRef("pk"), code__startswith=district[:DISTRICT_PREFIX])
    else:
        named = ServiceArea.objects.filter(service=OuterRef("pk"), code__in={code, district})
    anywhere = ServiceArea.objects.filter(service=OuterRef("pk"))
    return Q(Exists(named)) | ~Q(Exists(anywhere))


def directory_services(
    user: Any, *, domain: str | None = None, area: str | None = None, text: str = "", active_only: bool = False
) -> QuerySet[Service]:
    """The directory, as every staff member who may read it sees it, searched by need domain, area and words."""
    if not can(user, "resources.view_directory"):
        return Service.objects.none()
    services = _directory()
    if domain:
        services = services.filter(Exists(ServiceDomain.objects.filter(service=OuterRef("pk"), domain=domain)))
    if area:
        services = services.filter(serves_area(area))
    if text:
        words = text.split()[:5]
        for word in words:
            services = services.filter(
                Q(name__icontains=word) | Q(description__icontains=word) | Q(organization__name__icontains=word)
            )
    if active_only:
        services = services.filter(status=ServiceStatus.ACTIVE)
    return services


def services_for_linkage(user: Any, *, domain: str | None = None, area: str | None = None) -> QuerySet[Service]:
    """The active services a linkage may pick from, for a need domain and the household's 읍면동: what case
    management offers when it links a household to a service. Each carries its provider, need domains
    (`domains`), won value per unit (`unit_won`, `unit_label`) and whether it is public or private (`sector`)."""
    return directory_services(user, domain=domain, area=area, active_only=True)


def directory_service(user: Any, service_id: int) -> Service:
    """One entry of the directory (404 for a user who may not read the directory, or an unknown id)."""
    return visible_or_404(directory_services(user), service_id)


def services_kept_by(user: Any) -> QuerySet[Service]:
    """The entries the user may change: those kept by their district."""
    return scoped(Service.objects.all(), user, SERVICE_KEEPER)


def kept_service(user: Any, service_id: int) -> Service:
    """A service the user may change (404 for any other)."""
    return visible_or_404(_directory().filter(pk__in=services_kept_by(user).values("pk")), service_id)


def organizations_for(user: Any) -> QuerySet[Organization]:
    """Providers to choose from when adding a service."""
    if not can(user, "resources.view_directory"):
        return Organization.objects.none()
    return Organization.objects.all()


def agreements_visible_to(user: Any) -> QuerySet[Agreement]:
    return scoped(Agreement.objects.select_related("organization", "district"), user, AGREEMENT)


def with_domain_names(services: list[Service]) -> list[Service]:
    """The services, each with `domain_names`: its need domains as the user reads them."""
    labels = dict(NEED_DOMAINS.choices)
    for service in services:
        service.domain_names = [str(labels.get(d.domain, d.domain)) for d in service.domains.all()]
    return services


# ------------------------------------------------------------------------------------------------ donations

# A district's donors are its district staff's alone: their names and phones never leave those who keep the ledger.
DONOR = Reach(district="district")
# A fund, and the gifts into it and the money out of it, are its district staff's. A fund designated to a dong
# (지정기탁) is also that dong officer's, who gives it to the dong's households: only such a fund names a dong (a
# check constraint on Fund), so an officer's scope yields no general, purpose, group or sponsorship fund, and no
# other dong's or district's.
FUND = Reach(district="district", dong="dong")
DONATION = Reach(district="district", dong="fund__dong")
# What reached a household is seen like the household: by its dong's officer, the district's staff, and an agency
# the household consented to share with.
TO_HOUSEHOLD = Reach(district="district", dong="dong", consent=household_consented("household"))
SPONSORSHIP = Reach(district="district", dong="household__dong", consent=household_consented("household"))
# The ledger's side of an allocation: the fund it came out of. A dong officer sees money given to a household of
# the dong out of the general fund on the household's page (TO_HOUSEHOLD), never in the ledger nor to correct.
OUT_OF_FUND = Reach(district="district", dong="fund__dong")


def donors_visible_to(user: Any) -> QuerySet[Donor]:
    return scoped(Donor.objects.all(), user, DONOR)


def funds_visible_to(user: Any) -> QuerySet[Fund]:
    return scoped(Fund.objects.select_related("dong"), user, FUND)


def donations_visible_to(user: Any) -> QuerySet[Donation]:
    return scoped(Donation.objects.select_related("donor", "fund", "fund__dong"), user, DONATION)


def allocations_visible_to(user: Any) -> QuerySet[Allocation]:
    """Money that reached households (and programmes) as far as the user sees them: for a household's history."""
    return scoped(Allocation.objects.select_related("fund", "fund__dong", "dong"), user, TO_HOUSEHOLD)


def ledger_allocations_visible_to(user: Any) -> QuerySet[Allocation]:
    """Allocations out of the funds the user sees: the ledger's rows, and the ones the user may correct."""
    return scoped(Allocation.objects.select_related("fund", "fund__dong", "dong"), user, OUT_OF_FUND)


def sponsorships_visible_to(user: Any) -> QuerySet[Sponsorship]:
    return scoped(Sponsorship.objects.select_related("donor", "household"), user, SPONSORSHIP)


# ------------------------------------------------------------------------------------------------ food bank

# A food bank's stock is its own agency's record, and the district's staff see every lot of the district.
STOCK = Reach(district="district", agency="agency")
OUT_TO = Reach(district="district", dong="dong", agency="agency", consent=household_consented("household"))
FOOD_BANK_KINDS = (AgencyKind.FOOD_BANK, AgencyKind.WELFARE_CENTRE)


def lots_visible_to(user: Any) -> QuerySet[Lot]:
    return scoped(Lot.objects.select_related("fund", "fund__dong", "agency"), user, STOCK)


def distributions_visible_to(user: Any) -> QuerySet[Distribution]:
    return scoped(Distribution.objects.select_related("lot", "dong", "agency"), user, OUT_TO)


def food_banks_for(user: Any) -> QuerySet[Agency]:
    """The agencies whose stock the user keeps: a food bank's or welfare centre's own worker keeps their agency's;
    the district's staff, every private food bank and welfare centre of the district."""
    scope = scope_for(user)
    banks = Agency.objects.filter(active=True, sector=Sector.PRIVATE, kind__in=FOOD_BANK_KINDS)
    if scope.sees_by_consent and scope.agency_id is not None:
        return banks.filter(pk=scope.agency_id)
    if scope.sees_district:
        return banks.filter(Q(area__in=scope.area_codes) | Q(area__parent__in=scope.area_codes))
    return banks.none()


# ------------------------------------------------------------------------------------------------ volunteers

# Volunteers are the dong's (its officer keeps them) and the district's.
VOLUNTEER = Reach(district="district", dong="dong")

# A need domain of case management and the skills that answer it, for matching a linkage's need to volunteers.
SKILLS_FOR_NEED = {
    "living_environment": {Skill.REPAIRS, Skill.CLEANING},
    "education": {Skill.TUTORING},
    "health": {Skill.MEDICAL, Skill.COMPANIONSHIP},
    "rights": {Skill.LEGAL},
    "daily_living": {Skill.COOKING, Skill.CLEANING, Skill.DRIVING},
    "social": {Skill.COMPANIONSHIP},
    "family": {Skill.COMPANIONSHIP, Skill.TUTORING},
}


def volunteers_visible_to(user: Any) -> QuerySet[Volunteer]:
    return scoped(Volunteer.objects.select_related("dong"), user, VOLUNTEER)


def volunteer_hours_visible_to(user: Any) -> QuerySet[VolunteerHours]:
    return scoped(VolunteerHours.objects.select_related("volunteer", "dong"), user, VOLUNTEER)


# ------------------------------------------------------------------------------------------------ figures
# What the resources gave over a period, per 읍면동 and sector, over the areas whose aggregates the user may read
# (an analyst's district included: sums, not rows). Each is (households reached, won); the key None holds what
# reached no dong (a programme, an event), counted for district roles and analysts only. Corrections are rows
# of their own with a negative amount on the day they were made, so summing every row nets them out.

Figures = dict[str | None, dict[str, tuple[int, int]]]


def _given(model: Any, user: Any, start: date, end: date, won: str) -> Figures:
    def build() -> QuerySet[Any]:
        scope = scope_for(user)
        reached = scope.aggregate_areas("dong") | (Q(dong__isnull=True) & scope.aggregate_districts("district"))
        standing = Q(reverses__isnull=True, reversed_by__isnull=True)
        return (
            model.objects.filter(reached, on__gte=start, on__lte=end)
            .values("dong_id", "sector")
            # Households counted are those whose entries still stand: one reached only by an entry later reversed
            # got nothing, and counting it would let a small cell pass the threshold while its won is one
            # household's.
            .annotate(n=Count("household", distinct=True, filter=standing), w=Sum(won))
            .order_by()
        )

    out: Figures = {}
    for row in prepared_values(
        f"resources.figures.{model._meta.model_name}", build, key=(viewer_key(user), start, end)
    ):
        out.setdefault(row["dong_id"], dict.fromkeys(Sector.values, (0, 0)))[row["sector"]] = (row["n"], row["w"] or 0)
    return out


def money_allocated(user: Any, start: date, end: date) -> Figures:
    """Donated (and public) money given out of the ledger between `start` and `end`: households and won, per dong
    and by the source of the money, corrections netted out."""
    return _given(Allocation, user, start, end, "amount_won")


def goods_given(user: Any, start: date, end: date) -> Figures:
    """The won value of food-bank goods given out between `start` and `end`, per dong and by whether they were
    given or bought with public money, corrections netted out."""
    return _given(Distribution, user, start, end, "value_won")


def volunteers_matching(user: Any, *, need: str = "", skill: str = "", dong: str = "") -> QuerySet[Volunteer]:
    """Active volunteers the user sees whose skills answer a need domain (or who have one skill; a need no skill
    answers, or none asked, matches every one), nearest first: those of `dong`, then the others, by name. The
    database filters and orders (through the index on VolunteerSkill.skill), so a caller slices or pages it."""
    wanted = sorted({skill} if skill else SKILLS_FOR_NEED.get(need, set()))
    found = volunteers_visible_to(user).filter(active=True)
    if wanted:
        found = found.filter(Exists(VolunteerSkill.objects.filter(volunteer=OuterRef("pk"), skill__in=wanted)))
    away = Case(When(dong_id=dong, then=Value(0)), default=Value(1)) if dong else Value(1)
    return (
        found.annotate(away=away)
        .order_by("away", "name", "pk")
        .prefetch_related(Prefetch("skills", queryset=VolunteerSkill.objects.order_by("skill")))
    )


# ------------------------------------------------------------------------------------------ household page


def household_history(user: Any, household: Any) -> list[TimelineEntry]:
    """What reached one household from resources, as far as the user may see it: donated money allocated to it
    (corrections marked), its sponsorships (결연) with their start and end, and goods from a food bank, each with
    its won value. Donors are shown as the ledger shows them (anonymous ones as anonymous, persons masked)."""
    entries: list[TimelineEntry] = []
    # Built once per user and day, the household's id bound at each call (core.prepared).
    key, household_id = viewer_key(user), household.pk
    allocations = prepared_list(
        "resources.household.allocations",
        lambda household_id: (
            allocations_visible_to(user).filter(household_id=household_id).select_related("sponsorship__donor")
        ),
        key=key,
        household_id=household_id,
    )
    for a in allocations:
        if a.sponsorship_id:
            text = _("Sponsorship payment for %(month)s: %(amount)s won (%(donor)s)") % {
                "month": a.month,
                "amount": f"{a.amount_won:,}",
                "donor": a.sponsorship.donor.public_name,
            }
        elif a.reverses_id:
            text = _("Correction of donated money: %(amount)s won") % {"amount": f"{a.amount_won:,}"}
        else:
            text = _("Donated money given: %(amount)s won (%(fund)s)") % {
                "amount": f"{a.amount_won:,}",
                "fund": a.fund.label,
            }
        details = (a.reason,) if a.reason else ()
        entries.append(TimelineEntry(a.on, "resources_allocation", text, details, a.recorded_at))
    sponsorships = prepared_list(
        "resources.household.sponsorships",
        lambda household_id: sponsorships_visible_to(user).filter(household_id=household_id),
        key=key,
        household_id=household_id,
    )
    for s in sponsorships:
        started = _("Sponsorship began: %(amount)s won a month (%(donor)s)") % {
            "amount": f"{s.monthly_won:,}",
            "donor": s.donor.public_name,
        }
        entries.append(TimelineEntry(s.starts_on, "resources_sponsorship", started))
        if s.ends_on:
            entries.append(TimelineEntry(s.ends_on, "resources_sponsorship", _("Sponsorship ended")))
    distributions = prepared_list(
        "resources.household.distributions",
        lambda household_id: distributions_visible_to(user).filter(household_id=household_id),
        key=key,
        household_id=household_id,
    )
    for d in distributions:
        values = {
            "units": d.units,
            "unit": d.lot.unit,
            "item": d.lot.item,
            "value": f"{d.value_won:,}",
            "agency": d.agency.name,
        }
        if d.reverses_id:
            text = _("Correction of goods given: %(item)s %(units)s %(unit)s (%(value)s won)") % values
        else:
            text = _("Goods given by %(agency)s: %(item)s %(units)s %(unit)s (%(value)s won)") % values
        entries.append(TimelineEntry(d.on, "resources_goods", text, (d.reason,) if d.reason else (), d.recorded_at))
    return entries
