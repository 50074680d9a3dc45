"""Every file the synthetic city's agencies deliver to a district imports cleanly when that district imports it,
matches every row against the district's own residents, and reads back with DuckDB the way the district's
screening round reads it."""

from __future__ import annotations

import json

import duckdb
from django.contrib.auth import get_user_model

from dolbom.core.roles import Role
from dolbom.discovery.importing import store
from dolbom.discovery.models import SignalFile
from dolbom.discovery.services.signals import import_signal_file
from dolbom.synth.accounts import ensure_demo_accounts
from dolbom.synth.generate import generate_city
from dolbom.synth.load import load_city


def test_synthetic_city_files_import_into_their_district_and_read_back(db, settings, tmp_path):
    settings.HOME = tmp_path / "home"
    city = generate_city(tmp_path / "city", households=300, seed=11)
    load_city(city.path)
    ensure_demo_accounts()
    manifest = json.loads((city.path / "manifest.json").read_text(encoding="utf-8"))
    expected = {f["path"]: f for f in manifest["files"] if f["path"].startswith("signals/")}
    # Each district's files are imported by that district's first case manager (demo_district in the first).
    users = {
        district: get_user_model()
        .objects.filter(staff__role=Role.DISTRICT_MANAGER, staff__areas__code=district)
        .order_by("pk")
        .first()
        for district in manifest["districts"]
    }
    assert users[manifest["districts"][0]].username == "demo_district"

    for rel, entry in sorted(expected.items()):
        _, district, period, _ = rel.split("/")
        result = import_signal_file(user=users[district], path=city.path / rel, period=period, agency_code=None)
        assert result.signal_file.district_id == district, rel
        assert result.rows == entry["rows"] > 0, rel
        assert result.unmatched == 0, rel
        ascii_only = (city.path / rel).read_bytes().isascii()  # CP949 without Korean text is also UTF-8
        assert result.encoding == entry.get("encoding", "") or (ascii_only and result.encoding == "utf-8"), rel

    for district in manifest["districts"]:
        for period in manifest["periods"]:
            paths = [str(p) for p in store.committed_paths(district, period)]
            assert paths
            total = duckdb.sql(
                f"select count(*), count(person_id), count(distinct signal_file_id) "
                f"from read_parquet({paths!r}, union_by_name = true)"
            ).fetchall()[0]
            rows = sum(e["rows"] for rel, e in expected.items() if rel.split("/")[1:3] == [district, period])
            files = SignalFile.objects.filter(district_id=district, period=period).count()
            assert total == (rows, rows, files)
