"""Every file the synthetic city's agencies deliver imports cleanly, matches everyone, and reads back with DuckDB
the way a screening round reads it."""

from __future__ import annotations

import json

import duckdb
import pytest
from django.contrib.auth import get_user_model

from dolbom.discovery.importing import store
from dolbom.discovery.models import SignalFile
from dolbom.discovery.services.signals import SignalFileRejected, import_signal_file
from dolbom.synth.accounts import ensure_demo_accounts
from dolbom.synth.generate import generate_city
from dolbom.synth.load import load_city


def test_synthetic_city_files_import_and_read_back(db, settings, tmp_path):
    settings.HOME = tmp_path / "home"
    city = generate_city(tmp_path / "city", households=300, seed=11)
    load_city(city.path)
    ensure_demo_accounts()
    user = get_user_model().objects.get(username="demo_district")
    manifest = json.loads((city.path / "manifest.json").read_text(encoding="utf-8"))
    expected = {f["path"]: f for f in manifest["files"] if f["path"].startswith("signals/")}

    seen: set[str] = set()
    for rel, entry in sorted(expected.items()):
        period = rel.split("/")[1]
        if entry["sha256"] in seen:  # a header-only file, byte for byte the one of the other period
            assert entry["rows"] == 0
            with pytest.raises(SignalFileRejected):
                import_signal_file(user=user, path=city.path / rel, period=period, agency_code=None)
            continue
        seen.add(entry["sha256"])
        result = import_signal_file(user=user, path=city.path / rel, period=period, agency_code=None)
        assert result.rows == entry["rows"], rel
        assert result.unmatched == 0, rel
        ascii_only = (city.path / rel).read_bytes().isascii()  # CP949 without Korean text is also UTF-8
        assert result.encoding == entry.get("encoding", "") or (ascii_only and result.encoding == "utf-8"), rel

    for period in manifest["periods"]:
        paths = [str(p) for p in store.committed_paths(period)]
        assert paths
        total = duckdb.sql(
            f"select count(*), count(person_id), count(distinct signal_file_id) "
            f"from read_parquet({paths!r}, union_by_name = true)"
        ).fetchall()[0]
        rows = sum(e["rows"] for rel, e in expected.items() if rel.split("/")[1] == period)
        nonempty = SignalFile.objects.filter(period=period, rows__gt=0).count()
        assert total == (rows, rows, nonempty)
