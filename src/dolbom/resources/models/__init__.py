"""The resources domain's tables, one module per activity, re-exported here (with the registry's `Sector`, public
or private, which the domain's views offer)."""

from dolbom.resources.models.directory import (
    Agreement,
    Organization,
    Sector,
    Service,
    ServiceArea,
    ServiceDomain,
    ServiceStatus,
)
from dolbom.resources.models.donations import (
    Allocation,
    Designation,
    Donation,
    Donor,
    DonorKind,
    Fund,
    GiftKind,
    Sponsorship,
)
from dolbom.resources.models.foodbank import Distribution, Lot
from dolbom.resources.models.receipts import GiftCode, ReceiptIssuer
from dolbom.resources.models.volunteers import Skill, Volunteer, VolunteerHours, VolunteerSkill

__all__ = [
    "Agreement",
    "Allocation",
    "Designation",
    "Distribution",
    "Donation",
    "Donor",
    "DonorKind",
    "Fund",
    "GiftCode",
    "GiftKind",
    "Lot",
    "Organization",
    "ReceiptIssuer",
    "Sector",
    "Service",
    "ServiceArea",
    "ServiceDomain",
    "ServiceStatus",
    "Skill",
    "Sponsorship",
    "Volunteer",
    "VolunteerHours",
    "VolunteerSkill",
]
