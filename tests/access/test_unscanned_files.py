"""Which dataset files are listed and served depends on their malware scan, decided once in
access.policy: an infected (quarantined) file nowhere, to anyone; a file no scanner passed as
clean only where ACCORD_SERVE_UNSCANNED_FILES is on, which by default it is only in the demo
(DEBUG). The public catalogue, the download page and API, the download link and the signed
manifest all agree."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from accord.catalog.models import DataFile
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = pytest.mark.django_db

FILES = {"clean.csv": b"a,b\n1,2\n", "never-scanned.bin": b"\0" * 32, "quarantined.exe": b"MZ"}


@pytest.fixture
def variant(dataset, tmp_path, settings):
    dataset.is_published = True
    dataset.save()
    settings.CLAMD_ADDRESS = ""
    variant = variant_with_files(dataset, tmp_path, FILES, slug="smic-e")
    # As a scanner would have left them: clean, infected, and one ingested without a scanner.
    variant.files.filter(path="clean.csv").update(scan_status=DataFile.ScanStatus.CLEAN)
    variant.files.filter(path="quarantined.exe").update(scan_status=DataFile.ScanStatus.INFECTED)
    return variant


@pytest.fixture
def member(variant, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"
    member = factories.UserFactory()
    licence_for(variants=[variant], members=[member])
    return member


def listed_everywhere(client, variant, member) -> dict[str, set[str]]:
    """Which of FILES each place names (or, for the link, serves)."""
    public = client.get(f"/api/v1/variants/{variant.slug}/files").json()["items"]
    detail = client.get(f"/api/v1/datasets/{variant.dataset.slug}").json()["variants"][0]
    client.force_login(member)
    page = client.get(reverse("downloads:variant_files", args=[variant.slug])).content.decode()
    api = client.get(f"/api/v1/downloads/variants/{variant.slug}/files").json()
    manifest = client.get(f"/api/v1/downloads/variants/{variant.slug}/manifest").content.decode()
    linked = {
        f.path
        for f in variant.files.all()
        if client.post(f"/api/v1/downloads/files/{f.pk}/link").status_code == 200
    }
    client.logout()
    return {
        "public catalogue API": {f["path"] for f in public},
        "public file count": {str(detail["file_count"])},
        "download page": {name for name in FILES if name in page},
        "downloads API": {f["path"] for f in api},
        "signed manifest": {name for name in FILES if name in manifest},
        "download link": linked,
    }


def test_a_quarantined_file_is_listed_and_served_nowhere(client, variant, member, settings):
    settings.SERVE_UNSCANNED_FILES = True
    seen = listed_everywhere(client, variant, member)
    assert seen.pop("public file count") == {"2"}
    for place, names in seen.items():
        assert names == {"clean.csv", "never-scanned.bin"}, place


def test_in_production_a_never_scanned_file_is_listed_and_served_nowhere(
    client, variant, member, settings
):
    settings.SERVE_UNSCANNED_FILES = False
    seen = listed_everywhere(client, variant, member)
    assert seen.pop("public file count") == {"1"}
    for place, names in seen.items():
        assert names == {"clean.csv"}, place


def _setting(tmp_path, **env) -> str:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_SETTINGS"))
    }
    result = subprocess.run(
        [sys.executable, "-c", "import accord.settings as s; print(s.SERVE_UNSCANNED_FILES)"],
        env={**clean, "ACCORD_DATA_DIR": str(tmp_path), "ACCORD_SECRET_KEY": "k" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_never_scanned_files_are_refused_by_default_in_production_and_served_in_the_demo(
    tmp_path,
):
    assert _setting(tmp_path) == "False"
    assert _setting(tmp_path, ACCORD_DEBUG="true") == "True"
    assert _setting(tmp_path, ACCORD_SERVE_UNSCANNED_FILES="true") == "True"
