"""Files holding personal data are 0600 in 0700 folders whatever the umask: uploads, signal files and their
staging, the rounds' work folders and the models, checked on disk after the real operations under umask 022
and 000."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.test import Client

from dolbom.discovery.services import rounds as round_service
from dolbom.discovery.services.learning import train_model
from tests.conftest import PASSWORD
from tests.discovery.learning.test_service import labelled_round  # noqa: F401 - a fixture used below
from tests.discovery.screening.support import AS_OF, PERIOD, import_telecom
from tests.discovery.test_import_files import ktoa_rows, write_csv
from tests.discovery.uploads import upload


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Every folder and file under root (root included), with its permission bits."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def assert_private(root: Path) -> None:
    for name, mode in modes(root).items():
        expected = "0o700" if (root / name).is_dir() else "0o600"
        assert mode == expected, (name, mode)


def test_an_uploaded_file_is_stored_privately(city, settings, tmp_path, umask):
    settings.HOME = tmp_path / "home"
    settings.FILE_UPLOAD_TEMP_DIR = settings.HOME / "uploads"
    client = Client()
    assert client.login(username="manager", password=PASSWORD)
    path = write_csv(tmp_path / "ktoa.csv", ktoa_rows(city))
    assert upload(client, path, period="2026-09").job.status == "done"

    signals = settings.HOME / "signals"
    assert {name for name in modes(signals)} >= {
        ".",
        ".staging",
        city.districts[0].code,
        f"{city.districts[0].code}/2026-09",
    }
    assert_private(signals)
    assert_private(settings.HOME / "uploads")
    assert_private(settings.HOME / "jobs")  # where an upload waits, sealed, for its import job
    assert oct(stat.S_IMODE(settings.HOME.stat().st_mode)) == "0o700"  # created by Dolbom: private too


def test_a_rounds_work_folder_is_private(city, settings, tmp_path, umask):
    settings.HOME = tmp_path / "home"
    manager = city.users["district_manager"]
    elder, worker, *_ = city.persons
    import_telecom(manager, tmp_path / "files", [(elder, 12), (worker, 8)])

    screening_round = round_service.run_round(
        user=manager, district_code=city.districts[0].code, period=PERIOD, as_of=AS_OF
    )

    assert screening_round.status == "done", screening_round.error
    work = settings.HOME / "tmp" / "screening"
    assert modes(work) == {".": "0o700"}  # private, and the round's own folder is gone
    assert_private(settings.HOME / "signals")


@pytest.mark.usefixtures("labelled_round")
def test_a_trained_model_is_stored_privately(city, settings, umask):
    row = train_model(user=city.users["district_manager"], district_code=city.districts[0].code)
    models = Path(settings.HOME) / "models"
    # Relative to DOLBOM_HOME, so that a backup restored into another home finds it.
    assert not Path(row.path).is_absolute() and (Path(settings.HOME) / row.path).parent == models
    assert {name for name in modes(models)} == {".", f"{row.pk}.txt", f"{row.pk}.json"}
    assert_private(models)
