"""The district's service directory: providers (the registry's agencies where the city has them, the directory's
own otherwise) and their services in the ten need domains, with areas, capacity and won values; and the district's
agreements (협약) with its private partners."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dolbom.intake.amounts import load_amounts
from dolbom.registry.models import AdministrativeArea, Agency, AgencyKind, Sector
from dolbom.resources.models import Agreement, Organization, Service, ServiceArea, ServiceDomain
from dolbom.synth.resources import catalogue as data
from dolbom.synth.resources.common import DIRECTORY, NAMESPACE, DistrictPart, landline
from dolbom.synth.resources.draw import Draw


class Directory(DistrictPart):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.per_dong_providers: set[str] = set()
        self.emergency = load_amounts()
        # This year's figures, or the latest year the file has before it.
        self.emergency_year = max((y for y in self.emergency.years if y <= self.today.year), default=self.today.year)

    def run(self) -> None:
        self.directory(self.draw(DIRECTORY))

    def _agencies(self, role: str) -> list[Agency]:
        """The registry's agencies that play a role in this district (the city's, for city-wide roles)."""
        local = self.local
        welfare = [a for a in local if a.kind == AgencyKind.WELFARE_CENTRE and a.sector == Sector.PRIVATE]
        general = [a for a in welfare if "노인" not in a.name and "장애인" not in a.name]

        def citywide(kind: str) -> list[Agency]:
            return [a for a in self.d.agencies if a.kind == kind][:1]

        by_role: dict[str, Callable[[], list[Agency]]] = {
            data.DISTRICT_UNIT: lambda: [a for a in local if a.kind == AgencyKind.DISTRICT_UNIT][:1],
            data.DONG_CENTRE: lambda: [a for a in local if a.kind == AgencyKind.DONG_CENTRE],
            data.HEALTH_CENTRE: lambda: [a for a in local if a.kind == AgencyKind.OTHER and "보건소" in a.name][:1],
            data.WELFARE_GENERAL: lambda: (general or welfare)[:1],
            data.WELFARE_ELDERLY: lambda: [a for a in welfare if "노인" in a.name][:1],
            data.WELFARE_DISABLED: lambda: [a for a in welfare if "장애인" in a.name][:1],
            data.SELF_SUFFICIENCY: lambda: [a for a in local if a.kind == AgencyKind.SELF_SUFFICIENCY][:1],
            data.FOUNDATION: lambda: citywide(AgencyKind.FOUNDATION),
            data.FOOD_BANK: lambda: citywide(AgencyKind.FOOD_BANK),
            data.FAMILY_CENTRE: lambda: citywide(AgencyKind.MULTICULTURAL),
            data.HOUSING: lambda: citywide(AgencyKind.HOUSING_OFFICE),
            data.MEDICAL: lambda: citywide(AgencyKind.MEDICAL),
        }
        return by_role[role]()

    def _organization(self, name: str, sector: str, *, agency: Agency | None, description: str) -> Organization:
        found = self.rows.organizations.get(name)
        if found is None:  # the city's providers serve both districts: one provider, each district's services
            found = self.rows.organizations[name] = Organization(
                hsds_id=uuid.uuid5(NAMESPACE, f"{self.seed}:organization:{name}"),
                name=name,
                description=description,
                sector=sector,
                agency=agency,
            )
        return found

    def directory(self, draw: Draw) -> None:
        kept: dict[str, list[Service]] = defaultdict(list)  # provider's name → its services kept by the district
        for spec in data.SERVICES:
            for organization, number, dong in self._providers(spec):
                kept[organization.name].append(self._service(spec, organization, number, dong))
        for name, services in kept.items():
            organization = self.rows.organizations[name]
            # Agreements with the private partners (a dong's children's centre is covered by its association's).
            if organization.sector != Sector.PRIVATE or name in self.per_dong_providers:
                continue
            kind = organization.agency.kind if organization.agency else "other"
            scope = data.AGREEMENT_SCOPE.get(
                "welfare" if kind == AgencyKind.WELFARE_CENTRE else kind, data.AGREEMENT_SCOPE["other"]
            )
            signed = self.today - timedelta(days=draw.between(30, 700))
            agreement = Agreement(
                district=self.d.area,
                organization=organization,
                signed_on=signed,
                ends_on=None if draw.chance(0.2) else signed + timedelta(days=3 * 365),
                scope=scope,
                created_by=self.recorder,
            )
            self.rows.agreements.append((agreement, services))

    def _providers(self, spec: data.ServiceSpec) -> list[tuple[Organization, str, AdministrativeArea | None]]:
        found: list[tuple[Organization, str, AdministrativeArea | None]] = []
        if spec.provider.startswith("own:"):
            own = data.OWN_PROVIDERS[spec.provider]
            for dong in self.d.dongs if own.per_dong else [None]:
                name = self.fill(own.name, dong)
                description = self.fill(own.description, dong)
                found.append((self._organization(name, own.sector, agency=None, description=description),
                              landline(self.seed, name), dong))  # fmt: skip
                if own.per_dong:
                    self.per_dong_providers.add(name)
            return found
        for agency in self._agencies(spec.provider):
            description = str(AgencyKind(agency.kind).label)
            organization = self._organization(agency.name, agency.sector, agency=agency, description=description)
            dong = next((d for d in self.d.dongs if d.code == agency.area_id), None)
            found.append((organization, agency.phone, dong))
        return found

    def _service(
        self, spec: data.ServiceSpec, organization: Organization, phone: str, dong: AdministrativeArea | None
    ) -> Service:
        name = self.fill(spec.name, dong)
        unit_won = spec.unit_won
        if spec.emergency:
            figure = self.emergency.suggest(spec.emergency, self.emergency_year, 1)
            unit_won = (figure.won or 0) if figure else 0
        capacity = None
        if spec.capacity is not None:
            capacity = max(1, round(spec.capacity * min(max(self.scale, 0.3), 30)))
        service = Service(
            hsds_id=uuid.uuid5(NAMESPACE, f"{self.seed}:service:{self.code}:{organization.name}:{name}"),
            district=self.d.area,
            organization=organization,
            name=name,
            description=spec.description,
            eligibility=spec.eligibility,
            status=spec.status,
            sector=spec.sector,
            capacity=capacity,
            unit_won=unit_won,
            unit_label=spec.unit_label,
            phone=phone,
        )
        self.rows.services.append(service)
        self.rows.service_domains += [ServiceDomain(service=service, domain=d) for d in sorted(set(spec.domains))]
        if spec.area == "district":
            self.rows.service_areas.append(ServiceArea(service=service, code=self.code, name=self.d.area.name))
        elif spec.area == "dong" and dong is not None:
            self.rows.service_areas.append(ServiceArea(service=service, code=dong.code, name=dong.name))
        return service
