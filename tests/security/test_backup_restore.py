"""Backup → wipe → restore brings back the same portal, and the audit chain still verifies
with the same head."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from accord.accounts.models import User
from accord.audit.services import audit_record
from accord.audit.verify import chain_head
from accord.catalog.models import DataFile
from accord.catalog.services import variant_ingest
from accord.core.storage import protected_storage, sha256_of
from tests import factories

AGREEMENT = "agreements/SMIC-2026-0001/License Agreement signed.pdf"


@pytest.fixture
def signing_key(settings, tmp_path):
    path = tmp_path / "keys" / "signing.pem"
    path.parent.mkdir()
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.SIGNING_KEY_FILE = path
    return path


@pytest.fixture
def portal(transactional_db, signing_key, tmp_path):
    """A small portal built through services: staff, a dataset with ingested files, a stored
    signed agreement and audit events."""
    custodian = factories.CustodianFactory(slug="cmvs")
    staff = factories.StaffFactory(custodian=custodian, admin=True).user
    dataset = factories.DatasetFactory(custodian=custodian, slug="smic")
    variant = factories.VariantFactory(dataset=dataset, slug="smic-e")
    folder = tmp_path / "incoming"
    (folder / "s01").mkdir(parents=True)
    (folder / "s01" / "clip.npy").write_bytes(b"\x93NUMPY" + bytes(range(256)) * 8)
    (folder / "labels.csv").write_text("subject,emotion\ns01,positive\n")
    variant_ingest(variant=variant, folder=folder, actor=staff)
    protected_storage().save(AGREEMENT, ContentFile(b"%PDF-1.7\n% synthetic agreement\n"))
    for i in range(5):
        audit_record(
            event_type="agreements:application:approve",
            actor=staff,
            custodian_id=custodian.id,
            dataset_id=dataset.id,
            details={"i": i, "note": "naïve ☃"},
        )
    return staff


def _wipe():
    """A fresh install: empty database (migrated) and empty protected storage."""
    call_command("flush", interactive=False, verbosity=0)
    root = Path(protected_storage().location)
    shutil.rmtree(root, ignore_errors=True)
    storages._storages = {}
    assert not User.objects.exists()


def _snapshot_state():
    return {
        "users": sorted(User.objects.values_list("id", "email", "password")),
        "files": sorted(DataFile.objects.values_list("id", "path", "sha256", "scan_status")),
        "head": chain_head(),
    }


def test_backup_wipe_restore_gives_back_the_same_portal(portal, tmp_path, capsys):
    before = _snapshot_state()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive))
    out = capsys.readouterr().out
    assert f"audit head {before['head'].seq}:{before['head'].hash}" in out
    assert archive.stat().st_mode & 0o077 == 0  # the archive holds personal data

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert f"files/{AGREEMENT}" in names and "signing_public_key.pem" in names
    assert not any(n.startswith("files/datasets/") for n in names)  # indexed only
    assert manifest["audit_head"]["seq"] == before["head"].seq

    _wipe()
    call_command("restore", str(archive))
    out = capsys.readouterr().out
    assert "verified" in out and "re-ingest them" in out and "matches the backup" in out

    after = _snapshot_state()
    assert after == before
    call_command("audit", "verify")
    assert f"{before['head'].seq} events verified" in capsys.readouterr().out
    with protected_storage().open(AGREEMENT) as fh:
        assert fh.read().startswith(b"%PDF-1.7")
    # Passwords came back too: the staff member signs in as before.
    assert User.objects.get(email=portal.email).check_password("correct horse battery staple")


def test_dataset_files_come_back_with_include_datasets(portal, tmp_path):
    archive = tmp_path / "full.tar.gz"
    call_command("backup", str(archive), "--include-datasets")
    sums = dict(DataFile.objects.values_list("storage_name", "sha256"))
    _wipe()
    call_command("restore", str(archive))
    storage = protected_storage()
    for name, digest in sums.items():
        with storage.open(name) as fh:
            assert sha256_of(fh)[0] == digest


def test_restore_refuses_a_non_empty_install(portal, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    with pytest.raises(CommandError, match="restore only into a fresh one"):
        call_command("restore", str(archive))


def test_restore_refuses_an_altered_archive(portal, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(altered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "database.json":
                data = data.replace(b"application:approve", b"application:reject")
                member.size = len(data)
            import io

            dst.addfile(member, io.BytesIO(data))
    _wipe()
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(altered))
    assert not User.objects.exists()


def test_backup_will_not_overwrite(portal, tmp_path):
    archive = tmp_path / "b.tar.gz"
    archive.write_text("precious")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive))
