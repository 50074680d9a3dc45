"""Serving behind a proxy: forwarded headers believed only from trusted proxies, /healthz, the JSON access log,
every setting documented, and the refusal to serve without collected static files."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from dolbom.cli import main
from dolbom.core import crypto
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
HTTPS = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def behind_proxy(settings):
    """Production's HTTPS settings, with one trusted proxy."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    return settings


def test_https_from_the_trusted_proxy_is_not_redirected_again(client, db, behind_proxy):
    response = client.get("/accounts/login/", REMOTE_ADDR="10.0.0.5", **dict([HTTPS]))
    assert response.status_code == 200
    # Plain HTTP through the proxy is still sent to HTTPS.
    response = client.get("/accounts/login/", REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_a_client_reaching_the_server_directly_cannot_claim_https(client, db, behind_proxy):
    response = client.get("/accounts/login/", REMOTE_ADDR="192.0.2.7", **dict([HTTPS]))
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_login_through_the_proxy_lands_on_the_home_page(client, city, behind_proxy):
    proxy = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_PROTO": "https"}
    response = client.post(
        "/accounts/login/", {"username": "officer", "password": PASSWORD}, secure=False, follow=False, **proxy
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.cookies["sessionid"]["secure"]
    page = client.get("/", **proxy)
    assert page.status_code == 200 and page.wsgi_request.user.username == "officer"


def test_healthz_answers_without_login_and_names_only_its_checks(client, db, behind_proxy):
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1")  # plain HTTP, as a monitor asks: no redirect
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "keys": "ok", "storage": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_says_which_check_failed(client, db, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.HOME = blocker  # nothing can be created inside a file, even by root
    settings.RRN_HMAC_KEY = "c2hvcnQ="  # base64 of 5 bytes
    try:
        response = client.get("/healthz")
    finally:
        crypto.reset_key_cache()
    assert response.status_code == 503
    assert response.json() == {"status": "failed", "checks": {"database": "ok", "keys": "failed", "storage": "failed"}}
    assert "c2hvcnQ" not in response.content.decode() and str(tmp_path) not in response.content.decode()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_lines():
    logger = logging.getLogger("dolbom.access")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_access_log_is_one_json_object_per_request_without_personal_data(client, city, access_lines):
    user = city.users["dong_officer"]
    client.force_login(user)
    client.get("/search/", {"q": "김민준 800101-1234567"})
    client.get("/households/800101-1234567/")
    assert len(access_lines) == 2
    entries = [json.loads(line) for line in access_lines]
    assert set(entries[0]) == {"time", "method", "path", "status", "duration_ms", "user"}
    assert entries[0]["method"] == "GET" and entries[0]["path"] == "/search/" and entries[0]["user"] == user.pk
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entries[0]["time"])
    assert entries[1]["status"] == 404
    text = "\n".join(access_lines)
    assert "김민준" not in text and "1234567" not in text


def test_every_setting_read_by_the_code_is_in_the_operations_guide():
    names = set()
    for path in (ROOT / "src" / "dolbom").rglob("*.py"):
        names |= set(re.findall(r"DOLBOM_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")))
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in guide)
    assert not missing, f"not in docs/operations.md: {missing}"
    settings_doc = (ROOT / "src" / "dolbom" / "settings.py").read_text(encoding="utf-8").split('"""')[1]
    read_in_settings = set(re.findall(r"DOLBOM_[A-Z0-9_]*[A-Z0-9]", (ROOT / "src/dolbom/settings.py").read_text()))
    assert not sorted(read_in_settings - set(re.findall(r"DOLBOM_[A-Z0-9_]*[A-Z0-9]", settings_doc)))


def test_the_production_server_refuses_to_start_without_collected_static_files(db, settings, tmp_path, capsys):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert main(["serve", "--prod", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "dolbom install" in error and "staticfiles.json" in error

    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    del manifest["paths"]["dolbom/app.css"]  # collected by an older version that did not have the file
    (tmp_path / "static" / "staticfiles.json").write_text(json.dumps(manifest))
    assert main(["serve", "--prod", "--port", "1"]) == 2
    assert "dolbom/app.css" in capsys.readouterr().err


def test_staff_add_creates_an_account_that_can_log_in(client, city, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Gaon-Harbor-4417\n"))
    code = main(
        [
            "staff",
            "add",
            "lee.officer",
            "--name",
            "이새봄",
            "--role",
            "dong_officer",
            "--agency",
            "가온동 행정복지센터",
            "--area",
            "9911051000",
            "--as",
            "admin1",
        ]
    )
    assert code == 0, capsys.readouterr()
    assert client.login(username="lee.officer", password="Gaon-Harbor-4417")
    from dolbom.core.models import AuditEvent

    event = AuditEvent.objects.filter(action="registry.add_reference_data").latest("seq")
    assert event.actor == city.users["district_admin"]
    assert "Gaon-Harbor-4417" not in json.dumps(event.detail)


def test_staff_add_keeps_a_district_administrator_to_their_district(city, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Gaon-Harbor-4417\n"))
    code = main(
        [
            "staff",
            "add",
            "park.officer",
            "--name",
            "박다솜",
            "--role",
            "dong_officer",
            "--agency",
            "강변푸드뱅크",
            "--area",
            "9912051000",
            "--as",
            "admin1",
        ]
    )
    assert code == 2
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="park.officer").exists()


def test_staff_add_refuses_a_weak_password(city, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("12345678\n"))
    code = main(
        [
            "staff",
            "add",
            "lee.officer",
            "--name",
            "이새봄",
            "--role",
            "dong_officer",
            "--agency",
            "가온동 행정복지센터",
            "--area",
            "9911051000",
            "--as",
            "admin1",
        ]
    )
    assert code == 2
    assert "12345678" not in capsys.readouterr().err
