"""The registry's part of scoping (see `dolbom.core.scope`): what "consented to share with this agency" means for a
person or a household, and the `Reach` of the registry's own models. Other domains build the `Reach` of their
models from these conditions, e.g. `Reach(dong="household__dong", consent=household_consented("household"))`.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from dolbom.core.scope import ConsentCondition, Reach
from dolbom.registry.models import Consent, Membership, consent_active_on, current_on


def consenting_person_ids(agency_id: int, on: date) -> QuerySet[Consent]:
    """The ids of persons with a consent in force on `on` to share their data with the agency (any purpose), as a
    subquery. One level, straight from the consents: nesting it in further person subqueries gave PostgreSQL plans
    that ran for minutes on a freshly loaded registry."""
    return Consent.objects.filter(consent_active_on(on), recipient_id=agency_id).values("person_id")


def person_consented(path: str) -> ConsentCondition:
    """Rows whose person (at `path`, "pk" for persons themselves) consented to share with the agency."""

    def condition(agency_id: int, on: date) -> Q:
        return Q(**{f"{path}__in": consenting_person_ids(agency_id, on)})

    return condition


def household_consented(path: str) -> ConsentCondition:
    """Rows whose household (at `path`, "pk" for households themselves) has a current member who consented to
    share with the agency. The agency then opens the household but sees only the members who consented."""

    def condition(agency_id: int, on: date) -> Q:
        members = Membership.objects.filter(current_on(on), person_id__in=consenting_person_ids(agency_id, on))
        return Q(**{f"{path}__in": members.values("household_id")})

    return condition


HOUSEHOLD = Reach(dong="dong", consent=household_consented("pk"))
# A person is in an area through the membership in force, not through a household they left.
PERSON = Reach(
    dong="memberships__household__dong",
    current=lambda on: current_on(on, "memberships__"),
    consent=person_consented("pk"),
    many=True,
)
# A membership row is seen with its person: an agency sees only the consenting members of a household it opens.
MEMBERSHIP = Reach(dong="household__dong", consent=person_consented("person"))
# A district as a whole (its rounds, files, models) is the work of its district staff.
DISTRICT = Reach(district="")
# A 시도 itself, for the city officer's city-wide work (pooled models).
CITY = Reach(city="")
# A consent is seen with its person, through the person's membership in force.
CONSENT = Reach(
    dong="person__memberships__household__dong",
    current=lambda on: current_on(on, "person__memberships__"),
    consent=person_consented("person"),
    many=True,
)
