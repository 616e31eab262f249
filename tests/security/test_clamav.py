"""Ingested files are scanned by a real clamd; the EICAR test file is caught and refused.

There is no network for freshclam, so the test writes a one-line signature database for the
EICAR string (ClamAV's .ndb format) and starts clamd on a temporary socket with it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from accord.audit.models import Event
from accord.catalog.models import DataFile
from accord.catalog.scanning import ping
from accord.catalog.services import InfectedFilesError, IngestError, variant_ingest
from tests import factories
from tests.tools import need_executable

# The EICAR anti-virus test file: harmless, recognised by every scanner as a test "virus".
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    binary = need_executable("clamd", "malware scanning of ingested files")
    root = tmp_path_factory.mktemp("clamd")
    db = root / "db"
    db.mkdir()
    (db / "accord-test.ndb").write_text(f"Accord.Test.EICAR:0:*:{EICAR.hex()}\n")
    sock = root / "clamd.sock"
    conf = root / "clamd.conf"
    conf.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {db}\nForeground yes\n"
        f"LogFile {root / 'clamd.log'}\nPidFile {root / 'clamd.pid'}\n"
        "StreamMaxLength 10M\n"
    )
    output = (root / "clamd.out").open("wb")  # a file, not a pipe: clamd may talk a lot
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ping(str(sock), timeout=1):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = (root / "clamd.out").read_text(errors="replace")
            log = (root / "clamd.log").read_text() if (root / "clamd.log").exists() else ""
            pytest.fail(f"clamd did not start: {out}\n{log}")
        time.sleep(0.2)
    yield str(sock)
    proc.terminate()
    proc.wait(timeout=20)
    output.close()


@pytest.fixture
def variant(dataset):
    return factories.VariantFactory(dataset=dataset)


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "incoming"
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


@pytest.mark.django_db
def test_eicar_is_caught_and_nothing_is_ingested(clamd, settings, variant, tmp_path, staff):
    settings.CLAMD_ADDRESS = clamd
    folder = _folder(
        tmp_path, {"clean.csv": b"a,b\n1,2\n", "sub/payload.bin": b"junk" + EICAR + b"junk"}
    )
    with pytest.raises(InfectedFilesError) as refused:
        variant_ingest(variant=variant, folder=folder, actor=staff)
    message = str(refused.value)
    assert "sub/payload.bin" in message and "Accord.Test.EICAR" in message
    assert "Remove or replace" in message
    assert not DataFile.objects.filter(variant=variant).exists()
    from accord.core.storage import protected_storage

    assert not protected_storage().exists(f"{variant.storage_prefix}clean.csv")
    event = Event.objects.get(event_type="catalog:variant:ingest-refused")
    assert event.details["infected"]["sub/payload.bin"].startswith("ClamAV: Accord.Test.EICAR")


@pytest.mark.django_db
def test_clean_files_are_marked_clean(clamd, settings, variant, tmp_path):
    settings.CLAMD_ADDRESS = clamd
    variant_ingest(variant=variant, folder=_folder(tmp_path, {"clean.csv": b"a,b\n"}))
    f = DataFile.objects.get(variant=variant)
    assert f.scan_status == DataFile.ScanStatus.CLEAN


@pytest.mark.django_db
def test_file_over_the_scanner_limit_is_recorded_not_passed_as_clean(
    clamd, settings, variant, tmp_path
):
    settings.CLAMD_ADDRESS = clamd
    variant_ingest(variant=variant, folder=_folder(tmp_path, {"big.bin": b"\0" * (11 << 20)}))
    f = DataFile.objects.get(variant=variant)
    assert f.scan_status == DataFile.ScanStatus.ERROR
    assert "StreamMaxLength" in f.scan_detail


@pytest.mark.django_db
def test_without_a_scanner_files_are_marked_skipped(settings, variant, tmp_path):
    settings.CLAMD_ADDRESS = ""
    variant_ingest(variant=variant, folder=_folder(tmp_path, {"x.csv": EICAR}))
    f = DataFile.objects.get(variant=variant)
    assert f.scan_status == DataFile.ScanStatus.SKIPPED
    assert "no virus scanner configured" in f.scan_detail


@pytest.mark.django_db
def test_configured_scanner_that_is_down_refuses_the_ingest(settings, variant, tmp_path):
    settings.CLAMD_ADDRESS = str(tmp_path / "no-such.sock")
    with pytest.raises(IngestError, match=r"did not answer.*Start clamd"):
        variant_ingest(variant=variant, folder=_folder(tmp_path, {"x.csv": b"1"}))
    assert not DataFile.objects.filter(variant=variant).exists()
