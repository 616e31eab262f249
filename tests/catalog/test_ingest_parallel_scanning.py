"""clamd under a parallel ingest (a real clamd): each worker streams its file on its own
connection while hashing and copying it, and every verdict lands on the right file."""

from __future__ import annotations

import hashlib
import os

import pytest

from accord.catalog.models import DataFile
from accord.catalog.services import InfectedFilesError, variant_ingest
from accord.core.storage import protected_storage
from tests import factories
from tests.clamav import EICAR, STREAM_MAX_LENGTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(db):
    return factories.VariantFactory(slug="smic-e")


def _release(root, infected: set[int]) -> dict[str, bytes]:
    files = {}
    for i in range(24):
        data = EICAR if i in infected else os.urandom(50_000 + 1000 * i)
        files[f"s{i % 3:02d}/clip{i:02d}.bin"] = data
        (root / f"s{i % 3:02d}").mkdir(parents=True, exist_ok=True)
        (root / f"s{i % 3:02d}" / f"clip{i:02d}.bin").write_bytes(data)
    return files


def test_parallel_scans_name_exactly_the_infected_files(
    clamd, settings, variant, tmp_path, django_capture_on_commit_callbacks
):
    settings.CLAMD_ADDRESS = clamd
    folder = tmp_path / "release"
    files = _release(folder, infected={5, 17})
    with pytest.raises(InfectedFilesError) as caught:
        variant_ingest(variant=variant, folder=folder, jobs=4)
    assert sorted(rel for rel, _what in caught.value.infected) == [
        "s02/clip05.bin",
        "s02/clip17.bin",
    ]
    assert not DataFile.objects.exists()

    for rel in ("s02/clip05.bin", "s02/clip17.bin"):
        files[rel] = b"replaced by a clean copy"
        (folder / rel).write_bytes(files[rel])
    with django_capture_on_commit_callbacks(execute=True):
        report = variant_ingest(variant=variant, folder=folder, jobs=4)
    assert report.resumed == 22  # the clean files were scanned once, not again
    rows = {f.path: f for f in DataFile.objects.all()}
    assert set(rows) == set(files)
    for rel, data in files.items():
        assert rows[rel].scan_status == DataFile.ScanStatus.CLEAN, rel
        assert rows[rel].sha256 == hashlib.sha256(data).hexdigest()
        with protected_storage().open(rows[rel].storage_name, "rb") as fh:
            assert fh.read() == data


def test_a_file_over_the_scanner_limit_is_still_copied_whole(clamd, settings, variant, tmp_path):
    """clamd hangs up part-way through a stream longer than its limit; the copy carries on."""
    settings.CLAMD_ADDRESS = clamd
    folder = tmp_path / "release"
    folder.mkdir()
    big = os.urandom(STREAM_MAX_LENGTH + (3 << 20))
    (folder / "big.bin").write_bytes(big)
    (folder / "small.bin").write_bytes(b"small")
    variant_ingest(variant=variant, folder=folder, jobs=2)
    row = DataFile.objects.get(path="big.bin")
    assert row.scan_status == DataFile.ScanStatus.ERROR
    assert "too large" in row.scan_detail
    assert row.sha256 == hashlib.sha256(big).hexdigest()
    with protected_storage().open(row.storage_name, "rb") as fh:
        assert fh.read() == big
    assert DataFile.objects.get(path="small.bin").scan_status == DataFile.ScanStatus.CLEAN
