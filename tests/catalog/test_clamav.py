"""Ingested files are scanned by a real clamd (``tests.clamav``); the EICAR test file is caught
and refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.audit.models import Event
from accord.catalog.models import DataFile
from accord.catalog.services import InfectedFilesError, IngestError, variant_ingest
from tests import factories
from tests.clamav import EICAR, STREAM_MAX_LENGTH


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
    big = b"\0" * (STREAM_MAX_LENGTH + (1 << 20))
    variant_ingest(variant=variant, folder=_folder(tmp_path, {"big.bin": big}))
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


@pytest.mark.django_db
def test_files_ingested_without_a_scanner_are_scanned_when_ingested_again_with_one(
    clamd, settings, variant, tmp_path
):
    """Only clean files are served in production, so an ingest run once a scanner is set up
    scans what was ingested before it, without copying anything again."""
    folder = _folder(tmp_path, {"a.csv": b"a,b\n", "b.csv": b"c,d\n"})
    settings.CLAMD_ADDRESS = ""
    variant_ingest(variant=variant, folder=folder)
    settings.CLAMD_ADDRESS = clamd
    report = variant_ingest(variant=variant, folder=folder)
    assert sorted(report.rescanned) == ["a.csv", "b.csv"] and not report.changed
    assert set(variant.files.values_list("scan_status", flat=True)) == {"clean"}
    assert variant_ingest(variant=variant, folder=folder).unchanged == ["a.csv", "b.csv"]


def _deploy_findings() -> dict[str, str]:
    from accord.ops.checks import check_malware_scanning

    return {finding.id: finding.msg for finding in check_malware_scanning()}


def test_check_deploy_says_what_is_scanned_and_served(clamd, settings, tmp_path):
    settings.SERVE_UNSCANNED_FILES = False
    settings.CLAMD_ADDRESS = clamd
    assert _deploy_findings() == {}
    settings.CLAMD_ADDRESS = ""
    assert "agreements are stored unscanned" in _deploy_findings()["accord.W030"]
    settings.CLAMD_ADDRESS = str(tmp_path / "gone.sock")
    assert "is refused until it does" in _deploy_findings()["accord.E030"]
    settings.CLAMD_ADDRESS = clamd
    settings.SERVE_UNSCANNED_FILES = True
    assert set(_deploy_findings()) == {"accord.W031"}
