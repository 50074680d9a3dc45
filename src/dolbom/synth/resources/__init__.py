"""The resources of a loaded city: a service directory, agreements, a donations ledger, a food bank and volunteers
for each district, so that the demo's resource pages show a district at work rather than empty tables.

What is drawn, per district, in proportion to its households (a district of SCALE_HOUSEHOLDS gets the base counts):
providers and services in the ten need domains, tied to the registry's agencies where the city has them (welfare
centres, the district's case-management unit, dong centres, health centre, self-sufficiency centre, the city's
foundation and food bank …) and known only to the directory otherwise; agreements with the private ones; donors
(companies, groups, persons who consented to keeping their data, some anonymous, the district's own budget);
gifts of money and goods, general or designated to a dong, a purpose or a group of households; allocations to
households that consented to resource support and to programmes; sponsorships paid month by month; lots of goods
with their expiry, given out first-expiring first; corrections as reversing rows; volunteers and their hours.

Rows are written in bulk (one `bulk_create` per table), not through the services one by one: a service call costs
a permission check, a scope query and an audit event, which would add seconds to the demo's start and minutes to
a large city. Instead the rules are kept by construction, with the domain's own pieces where it has them: every
allocation and distribution is checked with `services.donations.allowed_in` (what a designation allows), fund keys
come from `services.donations.fund_key`, money is simulated day by day so that no fund ever pays out more than it
holds, goods are taken first-expiring first among the lots the recipient may receive and never once expired, and
only households whose member consented to resource support on that day receive anything. tests/synth/
test_resources.py checks these invariants over the written rows. One audit event records the load.

One module per part: `city` reads the registry, `directory`, `ledger` (donors, gifts, allocations, sponsorships,
receipts), `market` (the food bank) and `volunteers` draw, `common` collects the rows and writes them, `catalogue`
holds the Korean names and amounts they draw from.

Dates count back from the day of loading (`today`, DOLBOM_TODAY where set), so that the food bank's expiry alerts
and this month's sponsorship payments are current when the demo is shown; the same seed, city and day give the
same rows. Random draws come from streams derived from (seed, district, purpose), like the generator's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date

from django.db import transaction

from dolbom.core import audit
from dolbom.core.dates import today_kst
from dolbom.resources.models import Donor, Service
from dolbom.synth.resources.city import District
from dolbom.synth.resources.common import RECEIPTS, ResourceSummary, Rows
from dolbom.synth.resources.directory import Directory
from dolbom.synth.resources.ledger import Ledger
from dolbom.synth.resources.market import Market
from dolbom.synth.resources.volunteers import Volunteers

__all__ = ["ResourceSummary", "populate_resources", "resources_present"]


def resources_present(districts: Iterable[str]) -> bool:
    """Whether any of these districts already keeps directory entries or a ledger."""
    codes = list(districts)
    return Service.objects.filter(district__in=codes).exists() or Donor.objects.filter(district__in=codes).exists()


def populate_resources(*, seed: int, districts: Sequence[str], today: date | None = None) -> ResourceSummary:
    """Draw and write the resources of each district (codes of loaded 시군구), in one transaction with one audit
    event. A district without district staff to record them is left out."""
    today = today or today_kst()
    rows = Rows()
    with transaction.atomic():
        for index, code in enumerate(sorted(districts)):
            district = District.read(code, today)
            if district is None:
                continue
            part = {"rows": rows, "district": district, "seed": seed, "index": index, "today": today}
            Directory(**part).run()
            ledger = Ledger(**part)
            Market(**part).run(ledger.run())
            ledger.receipts(ledger.draw(RECEIPTS))
            Volunteers(**part).run()
        summary = rows.write()
        audit.record(
            None,
            "resources.bulk_load",
            detail={**asdict(summary), "seed": seed, "as_of": today.isoformat(), "districts": sorted(districts)},
        )
    return summary
