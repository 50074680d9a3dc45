"""The reference-data admin speaks Korean in its column headers and wears the application's colours."""

import re

import pytest
from django.urls import reverse


@pytest.fixture
def admin_client(client, city):
    client.force_login(city.users["district_admin"])
    return client


@pytest.mark.parametrize(
    ("model", "headers"),
    [
        ("administrativearea", ["코드", "이름", "단계", "상위 지역", "차수별 방문 가능 가구 수"]),
        ("agency", ["이름", "구분", "종류", "소재지", "사용 중"]),
        ("staff", ["이름", "계정", "역할", "기관", "사용 중"]),
    ],
)
def test_column_headers_are_korean(admin_client, model, headers):
    html = admin_client.get(reverse(f"admin:registry_{model}_changelist")).content.decode()
    thead = html.split('<table id="result_list">', 1)[1].split("</thead>", 1)[0]
    for header in headers:
        assert header in thead, header
    shown = re.sub(r"<[^>]+>", " ", thead)
    assert not re.search(r"[A-Za-z]", shown), shown  # no English (nor field name) left in a header


def test_the_admin_uses_the_application_s_style_and_stays_light(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "dolbom/tokens.css" in html and "dolbom/admin.css" in html
    assert "dark_mode.css" not in html and "theme-toggle" not in html
    assert 'href="/">돌봄으로 돌아가기</a>' in html
