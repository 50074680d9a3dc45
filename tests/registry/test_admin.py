"""The reference-data admin from the outside, as a district administrator would try to widen their reach: each
district's administrator edits their own district's areas, agencies and staff only, and every change is audited."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dolbom.core.models import AuditEvent
from dolbom.core.roles import Role
from dolbom.registry.models import AdministrativeArea, Agency, Staff


@pytest.fixture
def admin_client(client, city):
    client.force_login(city.users["district_admin"])
    return client


@pytest.fixture
def other_staff(city):
    """A dong officer of the other district."""
    user = get_user_model().objects.create_user(username="officer2", password="x" * 12)
    staff = Staff.objects.create(
        user=user, agency=city.agencies["other"], role=Role.DONG_OFFICER, display_name="강변동 담당자"
    )
    staff.areas.set([city.dongs[2]])
    return staff


def _staff_form(staff, *, areas, **changes):
    data = {
        "user": staff.user_id,
        "agency": staff.agency_id,
        "role": staff.role,
        "display_name": staff.display_name,
        "active": "on" if staff.active else "",
        "areas": [a.code for a in areas],
    }
    data.update(changes)
    return data


def test_administrator_cannot_give_their_own_account_another_district(admin_client, city):
    """The takeover the attack showed: own district + another district in one POST."""
    me = Staff.objects.get(user=city.users["district_admin"])
    url = reverse("admin:registry_staff_change", args=[me.pk])
    response = admin_client.post(url, _staff_form(me, areas=[city.districts[0], city.districts[1]]))
    assert response.status_code == 200  # the form again, refused
    assert set(me.areas.values_list("code", flat=True)) == {city.districts[0].code}
    # and so the other district's households stay out of reach
    assert admin_client.get(reverse("household_detail", args=[city.household_in(2).pk])).status_code == 404


def test_administrator_cannot_widen_a_colleagues_scope_either(admin_client, city):
    officer = Staff.objects.get(user=city.users["dong_officer"])
    url = reverse("admin:registry_staff_change", args=[officer.pk])
    response = admin_client.post(url, _staff_form(officer, areas=[city.dongs[0], city.dongs[2]]))
    assert response.status_code == 200
    assert set(officer.areas.values_list("code", flat=True)) == {city.dongs[0].code}
    # nor move them to an agency of the other district
    response = admin_client.post(url, _staff_form(officer, areas=[city.dongs[0]], agency=city.agencies["other"].pk))
    assert response.status_code == 200
    officer.refresh_from_db()
    assert officer.agency == city.agencies["dong0"]


def test_other_districts_reference_data_is_neither_listed_nor_editable(admin_client, city, other_staff):
    staff_list = admin_client.get(reverse("admin:registry_staff_changelist")).content.decode()
    # Names no random token can hold by chance (a CSRF token once held "o2").
    assert "officer2" not in staff_list and "강변동 담당자" not in staff_list and "officer" in staff_list
    areas = admin_client.get(reverse("admin:registry_administrativearea_changelist")).content.decode()
    assert city.dongs[2].code not in areas and city.dongs[0].code in areas
    agencies = admin_client.get(reverse("admin:registry_agency_changelist")).content.decode()
    assert "강변푸드뱅크" not in agencies and "중앙종합사회복지관" in agencies
    for url in (
        reverse("admin:registry_staff_change", args=[other_staff.pk]),
        reverse("admin:registry_administrativearea_change", args=[city.dongs[2].pk]),
        reverse("admin:registry_agency_change", args=[city.agencies["other"].pk]),
    ):
        page = admin_client.get(url)
        assert page.status_code == 302, url  # Django's admin: "does not exist", back to the index
    before = other_staff.display_name
    admin_client.post(
        reverse("admin:registry_staff_change", args=[other_staff.pk]),
        _staff_form(other_staff, areas=[city.dongs[0]], display_name="빼앗김"),
    )
    other_staff.refresh_from_db()
    assert other_staff.display_name == before
    assert set(other_staff.areas.values_list("code", flat=True)) == {city.dongs[2].code}


def test_a_new_area_or_agency_goes_only_under_the_own_district(admin_client, city):
    response = admin_client.post(
        reverse("admin:registry_administrativearea_add"),
        {
            "code": "9912099000",
            "name": "몰래동",
            "level": "eupmyeondong",
            "parent": city.districts[1].code,
            "visit_capacity": "5",
        },
    )
    assert response.status_code == 200 and not AdministrativeArea.objects.filter(code="9912099000").exists()
    response = admin_client.post(
        reverse("admin:registry_agency_add"),
        {
            "name": "몰래복지관",
            "sector": "private",
            "kind": "welfare_centre",
            "area": city.dongs[2].code,
            "active": "on",
        },
    )
    assert response.status_code == 200 and not Agency.objects.filter(name="몰래복지관").exists()


def test_a_new_staff_record_is_never_for_a_superusers_account(admin_client, city):
    """A staff record on the installation's superuser would give that account a district role it was never meant
    to carry; an administrator creates staff records for ordinary accounts without one."""
    root = get_user_model().objects.create_superuser(username="root", password="x" * 12)
    response = admin_client.post(
        reverse("admin:registry_staff_add"),
        {
            "user": root.pk,
            "agency": city.agencies["dong0"].pk,
            "role": Role.DONG_OFFICER,
            "display_name": "x",
            "active": "on",
            "areas": [city.dongs[0].code],
        },
    )
    assert response.status_code == 200
    assert not Staff.objects.filter(user=root).exists()


def test_a_district_administrator_cannot_appoint_the_citys_officer(admin_client, city):
    """The city's officer works above every district: the role is not offered, and a hand-made POST is refused."""
    form = admin_client.get(reverse("admin:registry_staff_add")).content.decode()
    assert 'value="city_officer"' not in form and 'value="dong_officer"' in form
    account = get_user_model().objects.create_user(username="newcomer", password="x" * 12)
    response = admin_client.post(
        reverse("admin:registry_staff_add"),
        {"user": account.pk, "agency": city.agencies["district"].pk, "role": Role.CITY_OFFICER, "display_name": "x",
         "active": "on", "areas": [city.districts[0].code]},
    )  # fmt: skip
    assert response.status_code == 200 and not Staff.objects.filter(user=account).exists()


def test_every_change_is_an_audit_event_with_before_and_after(admin_client, city):
    dong = city.dongs[0]
    response = admin_client.post(
        reverse("admin:registry_administrativearea_change", args=[dong.pk]), {"name": dong.name, "visit_capacity": "12"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="registry.change_reference_data")
    assert event.actor == city.users["district_admin"] and event.object_id == dong.code
    assert event.detail["changes"] == {"visit_capacity": [0, 12]}

    officer = Staff.objects.get(user=city.users["dong_officer"])
    admin_client.post(
        reverse("admin:registry_staff_change", args=[officer.pk]), _staff_form(officer, areas=[city.dongs[1]])
    )
    event = AuditEvent.objects.filter(action="registry.change_reference_data").order_by("-seq").first()
    assert event.detail["changes"] == {"areas": [[city.dongs[0].code], [city.dongs[1].code]]}


@pytest.mark.parametrize(
    ("code", "parent_index", "level"),
    [
        ("9912099000", 0, "eupmyeondong"),  # a code in the other district's range, under the own district
        ("../../zz", 0, "eupmyeondong"),  # a path, not a code
        ("９９１１０５９０００", 0, "eupmyeondong"),  # full-width digits
        ("9911059000", None, "eupmyeondong"),  # no parent
        ("9915000000", None, "sigungu"),  # a new district
        ("9911059012", 0, "eupmyeondong"),  # a 리 code where a dong is meant
    ],
)
def test_a_new_area_has_a_code_of_the_own_district(admin_client, city, code, parent_index, level):
    data = {"code": code, "name": "새동", "level": level, "visit_capacity": "5"}
    if parent_index is not None:
        data["parent"] = city.districts[parent_index].code
    response = admin_client.post(reverse("admin:registry_administrativearea_add"), data)
    assert response.status_code == 200
    assert not AdministrativeArea.objects.filter(name="새동").exists()


def test_a_proper_new_dong_is_added(admin_client, city):
    data = {"code": "9911059000", "name": "새동", "level": "eupmyeondong", "parent": city.districts[0].code,
            "visit_capacity": "5"}  # fmt: skip
    assert admin_client.post(reverse("admin:registry_administrativearea_add"), data).status_code == 302
    assert AdministrativeArea.objects.get(code="9911059000").parent == city.districts[0]


@pytest.mark.parametrize(
    "name", ["admin:index", "admin:registry_staff_changelist", "admin:registry_staff_add", "admin:registry_agency_add"]
)
def test_the_admin_is_under_the_same_content_security_policy(admin_client, name):
    import re

    response = admin_client.get(reverse(name))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and " style=" not in html and "<style" not in html
