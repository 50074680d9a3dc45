"""The statistics page's case work per dong: each figure from its domain's selector, in the user's areas, small
cells (and the won beside them) suppressed for analysts."""

from __future__ import annotations

import re

from django.urls import reverse

from dolbom.cases.services.linkages import LinkageEntry, answer_linkage, record_delivery, request_linkage
from dolbom.core.dates import today_kst
from tests.cases.support import in_service


def _row(html: str, dong: str) -> list[str]:
    table = re.search(r'<table class="data case-work">(.*?)</table>', html, flags=re.S).group(1)
    row = re.search(rf"<th scope=\"row\">{dong}</th>(.*?)</tr>", table, flags=re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]


def test_case_work_per_dong_with_small_cells_suppressed_for_analysts(client, city, settings):
    settings.SMALL_CELL = 3
    case = in_service(city)
    manager = city.users["district_manager"]
    entry = LinkageEntry(
        domain="economy", service="생계비 지원", frequency="once", requested_on=today_kst(),
        provider_id=city.agencies["district"].pk,
    )  # fmt: skip
    linkage = request_linkage(user=manager, case_id=case.pk, entry=entry)
    answer_linkage(user=manager, linkage_id=linkage.pk, accept=True, on=today_kst())
    record_delivery(user=manager, linkage_id=linkage.pk, on=today_kst(), won=500_000)

    client.force_login(manager)
    html = client.get(reverse("statistics")).content.decode()
    assert _row(html, "가온동") == ["0", "1", "1", "0", "500,000원", "0원"]
    assert _row(html, "나래동") == ["0", "0", "0", "0", "0원", "0원"]
    assert "다솜동" not in html  # the other district

    client.force_login(city.users["analyst"])
    html = client.get(reverse("statistics")).content.decode()
    # One case and one linkage are small cells; the won beside the suppressed linkage count is hidden with it.
    assert _row(html, "가온동") == ["0", "&lt;3", "&lt;3", "0", "&lt;3", "0원"]
