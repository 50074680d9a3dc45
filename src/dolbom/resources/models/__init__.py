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

__all__ = [
    "Agreement",
    "Organization",
    "Sector",
    "Service",
    "ServiceArea",
    "ServiceDomain",
    "ServiceStatus",
]
