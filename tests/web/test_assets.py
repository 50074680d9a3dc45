"""A closed government intranet: every asset comes from the application, and the UI is fully Korean."""

import re
from pathlib import Path

import polib

import dolbom
from dolbom.web.i18n_compile import LOCALE_DIR

SRC = Path(dolbom.__file__).parent


def test_no_template_or_stylesheet_loads_anything_from_outside():
    external = re.compile(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", re.IGNORECASE)
    for path in [*SRC.rglob("templates/**/*.html"), *SRC.rglob("static/dolbom/*.css")]:
        assert not external.search(path.read_text()), f"{path} loads an external resource"


def test_htmx_is_served_locally(client, db):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/htmx/htmx-2.0.8.min.js")


def test_korean_catalogue_is_complete_and_compiled(tmp_path):
    po = polib.pofile(str(LOCALE_DIR / "ko/LC_MESSAGES/django.po"))
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    committed = LOCALE_DIR / "ko/LC_MESSAGES/django.mo"
    assert committed.read_bytes() == fresh.read_bytes(), "django.mo is stale: run `make messages`"


def test_pages_speak_korean(client, city):
    client.force_login(city.users["district_manager"])
    html = client.get("/households/", {"q": "김"}).content.decode()
    assert "가구 검색" in html and "가구 1곳을 찾았습니다" in html


def test_every_block_of_the_stylesheets_is_closed():
    """A block left open swallows every rule after it: an unclosed `@media (max-width: 48rem)` once made the
    deadlines, badges and consultation controls apply on phones only."""
    for path in SRC.rglob("static/dolbom/*.css"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        text = re.sub(r"\"[^\"]*\"|'[^']*'", "", text)
        depth = 0
        for line_number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{path.name}:{line_number} closes a block that was never opened"
        assert depth == 0, f"{path.name}: {depth} block(s) never closed"
