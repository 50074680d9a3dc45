"""Production settings: refuse to start without keys, and pass Django's deployment checklist."""

import base64
import os
import subprocess
import sys


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
    env.update(DOLBOM_ENV="production", DOLBOM_ALLOWED_HOSTS="dolbom.example.go.kr", **extra)
    return env


def _keys():
    return {
        "DOLBOM_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "DOLBOM_RRN_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DOLBOM_RRN_HMAC_KEY": base64.b64encode(os.urandom(32)).decode(),
        "DOLBOM_AUDIT_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "django", *args, "--settings", "dolbom.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=_production_env(DOLBOM_HOME=str(tmp_path), **_keys()),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_keys(tmp_path):
    result = _manage("check", env=_production_env(DOLBOM_HOME=str(tmp_path)))
    assert result.returncode != 0
    assert "DOLBOM_SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "keys.env").exists()


def test_production_refuses_to_start_without_the_audit_key(tmp_path):
    keys = {k: v for k, v in _keys().items() if k != "DOLBOM_AUDIT_KEY"}
    result = _manage("check", env=_production_env(DOLBOM_HOME=str(tmp_path), **keys))
    assert result.returncode != 0
    assert "DOLBOM_AUDIT_KEY must be set in production" in result.stderr


def test_production_refuses_a_fixed_today(tmp_path):
    """DOLBOM_TODAY moves every deadline: a production server must not start with it rather than count them wrong."""
    result = _manage("check", env=_production_env(DOLBOM_HOME=str(tmp_path), DOLBOM_TODAY="2030-01-01", **_keys()))
    assert result.returncode != 0
    assert "DOLBOM_TODAY is for tests and demonstrations" in result.stderr


def test_a_fixed_today_outside_production_is_every_today(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOLBOM_")}
    env.update(DOLBOM_HOME=str(tmp_path), DOLBOM_TODAY="2026-09-25", DJANGO_SETTINGS_MODULE="dolbom.settings")
    script = "import django; django.setup(); from dolbom.core.dates import today_kst; print(today_kst())"
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "2026-09-25", result.stderr
    env["DOLBOM_TODAY"] = "25/09/2026"
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "DOLBOM_TODAY must be a date" in result.stderr
