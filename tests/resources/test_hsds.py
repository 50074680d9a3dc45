"""The service directory as Open Referral HSDS 3.0: what `dolbom directory export` writes validates against the
HSDS schema, an export read into an empty directory and exported again gives the same documents, the official
example imports, and a bad file is refused whole, naming the file and the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dolbom.cli import main
from dolbom.core.models import AuditEvent
from dolbom.resources.models import Agreement, Organization, Service
from dolbom.resources.services.hsds import SCHEMA

DATA = Path(__file__).parent / "data" / "hsds"


def _schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))}


def _export(tmp_path: Path, name: str) -> dict[str, str]:
    out = tmp_path / name
    assert main(["directory", "export", "--out", str(out), "--as", "admin1"]) == 0
    return _files(out)


def _empty_directory() -> None:
    Agreement.objects.all().delete()
    Service.objects.all().delete()
    Organization.objects.all().delete()


def test_the_export_is_valid_hsds_3(directory_city, tmp_path):
    files = _export(tmp_path, "out")
    assert len(files) == 3
    validator = _schema_validator()
    for name, text in files.items():
        doc = json.loads(text)
        assert not list(validator.iter_errors(doc)), name
        assert name == f"{doc['id']}.json"
    meals = json.loads(files[f"{directory_city['meals'].hsds_id}.json"])
    assert meals["organization"]["name"] == "중앙종합사회복지관"
    assert meals["cost_options"] == [
        {"id": meals["cost_options"][0]["id"], "currency": "KRW", "amount": 30000, "amount_description": "월 1회"}
    ]
    assert [a["extent"] for a in meals["service_areas"]] == ["9911051000", "9911052000"]
    assert [a["name"] for a in meals["service_areas"]] == ["가온동", "나래동"]
    terms = [a["taxonomy_term"] for a in meals["attributes"]]
    domains = [t["code"] for t in terms if t["taxonomy"] == "dolbom:need_domain"]
    assert domains == ["daily_living", "health"]
    assert AuditEvent.objects.filter(action="resources.export_directory").count() == 1


def test_export_import_export_gives_the_same_documents(directory_city, tmp_path):
    first = _export(tmp_path, "first")
    _empty_directory()
    assert main(["directory", "import", str(tmp_path / "first"), "--as", "admin1"]) == 0
    assert Service.objects.count() == 3 and Organization.objects.count() == 2
    second = _export(tmp_path, "second")
    assert second == first


def test_the_official_example_imports(city, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "service_full.json", folder)
    assert main(["directory", "import", str(folder), "--as", "admin1"]) == 0
    service = Service.objects.select_related("organization").get()
    assert service.name == "Community Counselling"
    assert str(service.hsds_id) == "ac148810-d857-441c-9679-408f346de14b"
    assert service.organization.name == "Example Organization Inc."
    assert service.eligibility.startswith("This service is intended")
    assert service.unit_won == 0  # its cost is in pounds: no won value to add up
    assert service.district_id == city.districts[0].code
    # And it exports again as valid HSDS.
    files = _export(tmp_path, "out")
    assert not list(_schema_validator().iter_errors(json.loads(next(iter(files.values())))))


def test_a_bad_file_is_refused_whole_naming_the_file_and_field(directory_city, tmp_path, capsys):
    first = _export(tmp_path, "first")
    _empty_directory()
    folder = tmp_path / "first"
    broken = json.loads(first[sorted(first)[0]])
    del broken["name"]
    broken["status"] = "open"
    (folder / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    (folder / "notjson.json").write_text("{", encoding="utf-8")
    assert main(["directory", "import", str(folder), "--as", "admin1"]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "name" in err and "status" in err
    assert "notjson.json" in err
    assert Service.objects.count() == 0 and Organization.objects.count() == 0  # the good files were not kept


def test_a_won_value_must_be_whole(directory_city, tmp_path, capsys):
    first = _export(tmp_path, "first")
    folder = tmp_path / "first"
    name = f"{directory_city['meals'].hsds_id}.json"
    doc = json.loads(first[name])
    doc["cost_options"][0]["amount"] = 1.5
    (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    assert main(["directory", "import", str(folder), "--as", "admin1"]) == 2
    assert f"{name}" in capsys.readouterr().err
    assert Service.objects.get(pk=directory_city["meals"].pk).unit_won == 30_000


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker", "analyst"])
def test_only_district_staff_exchange_the_directory(directory_city, tmp_path, role, city):
    username = city.users[role].username
    assert main(["directory", "export", "--out", str(tmp_path / "x"), "--as", username]) == 2
    assert not (tmp_path / "x").exists()


def test_administrators_exchange_the_directory_through_the_pages(client, city, directory_city):
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(city.users["district_admin"])
    response = client.post(reverse("resources_hsds_export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        documents = {name: archive.read(name) for name in archive.namelist()}
    assert len(documents) == 3
    validator = _schema_validator()
    assert all(not list(validator.iter_errors(json.loads(data))) for data in documents.values())
    _empty_directory()
    uploads = [SimpleUploadedFile(name, data, "application/json") for name, data in documents.items()]
    response = client.post(reverse("resources_hsds"), {"files": uploads})
    assert response.status_code == 200 and "서비스 3개" in response.content.decode()
    assert Service.objects.count() == 3
    # A wrong file: the page names it and its field, and nothing is imported.
    _empty_directory()
    bad = json.loads(next(iter(documents.values())))
    bad["status"] = "open"
    uploads = [SimpleUploadedFile("bad.json", json.dumps(bad).encode(), "application/json")]
    uploads += [SimpleUploadedFile(name, data, "application/json") for name, data in documents.items()]
    response = client.post(reverse("resources_hsds"), {"files": uploads})
    assert response.status_code == 422
    assert "bad.json 파일, status 항목" in response.content.decode()
    assert Service.objects.count() == 0


@pytest.mark.parametrize("role", ["dong_officer", "agency_worker"])
def test_readers_do_not_exchange_the_directory_through_the_pages(client, city, directory_city, role):
    from django.urls import reverse

    client.force_login(city.users[role])
    assert client.get(reverse("resources_hsds")).status_code == 403
    assert client.post(reverse("resources_hsds_export")).status_code == 403
