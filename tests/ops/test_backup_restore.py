"""Backup → wipe → restore brings back the same portal, and the audit chain still verifies
with the same head; an archive edited after it was written (even with its checksums
recomputed) is refused."""

from __future__ import annotations

import base64
import hashlib
import io
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
from accord.catalog.ingest_files import PARTIAL_FOLDER
from accord.catalog.models import DataFile
from accord.catalog.services import variant_ingest
from accord.core.storage import protected_storage, sha256_of
from accord.licences.models import Licence
from accord.licences.services import licence_revoke
from tests import factories
from tests.access.factories import licence_for

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
    # The audit key (signs the manifest) stays installed across the wipe, as it would be
    # restored from escrow before `accord restore`.
    settings.AUDIT_KEY_FILE = tmp_path / "keys" / "audit.pem"
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
    member = factories.UserFactory(email="former.member@uni.example.edu")
    licence = licence_for(variants=[variant], members=[member])
    licence_revoke(licence=licence, actor=staff, reason="Data shared outside the group.")
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
        "licences": sorted(Licence.objects.values_list("reference", "status")),
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
    assert "manifest.sig" in names and manifest["audit_checkpoint"]["statement"]
    assert not any(n.startswith("files/datasets/") for n in names)  # indexed only
    assert manifest["audit_head"]["seq"] == before["head"].seq

    _wipe()
    call_command("restore", str(archive))
    out = capsys.readouterr().out
    assert "manifest signature verified with audit key" in out
    assert "re-ingest them" in out and "matches the backup" in out

    after = _snapshot_state()
    assert after == before
    call_command("audit", "verify")
    assert f"{before['head'].seq} events verified" in capsys.readouterr().out
    with protected_storage().open(AGREEMENT) as fh:
        assert fh.read().startswith(b"%PDF-1.7")
    # Passwords came back too: the staff member signs in as before.
    assert User.objects.get(email=portal.email).check_password("correct horse battery staple")


def test_an_interrupted_ingests_partial_copies_stay_out_of_the_backup(portal, tmp_path):
    partial = Path(protected_storage().location) / PARTIAL_FOLDER / "smic-e" / "0001.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half of a large video file")
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), "--include-datasets")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        index = json.load(tar.extractfile("files-index.json"))
    assert f"files/{AGREEMENT}" in names  # the rest is there
    assert not any(PARTIAL_FOLDER in n for n in names)
    assert not any(PARTIAL_FOLDER in entry["name"] for entry in index)


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
    _rewrite(archive, altered, database=lambda d: d.replace(b"application:approve", b"nothing"))
    _wipe()
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(altered))
    assert not User.objects.exists()


def test_backup_will_not_overwrite(portal, tmp_path):
    archive = tmp_path / "b.tar.gz"
    archive.write_text("precious")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive))


def _rewrite(src, dst, *, database=None, manifest=None, signature=None) -> None:
    """Copy an archive, changing members as an attacker with the file would."""
    with tarfile.open(src) as old, tarfile.open(dst, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            change = {"database.json": database, "manifest.json": manifest}.get(member.name)
            if member.name == "manifest.sig" and signature is not None:
                change = signature
            if change is not None:
                data = change(data)
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def _unrevoke(dump: bytes) -> bytes:
    """The revoked licence comes back to life in the database dump."""
    objects = json.loads(dump)
    for obj in objects:
        if obj["model"] == "agreements.licence" and obj["fields"]["status"] == "revoked":
            obj["fields"]["status"] = "active"
            obj["fields"]["ended_at"] = None
    return json.dumps(objects).encode()


def _edited(archive, tmp_path, change, *, sign_with=None):
    """The archive with its database dump changed and the manifest's checksum recomputed, as
    an attacker holding the file would; ``sign_with`` signs the new manifest too."""
    with tarfile.open(archive) as tar:
        dump = change(tar.extractfile("database.json").read())

    def recompute(manifest_bytes: bytes) -> bytes:
        manifest = json.loads(manifest_bytes)
        manifest["members"]["database.json"] = hashlib.sha256(dump).hexdigest()
        return json.dumps(manifest, indent=1).encode()

    edited = tmp_path / "edited.tar.gz"
    _rewrite(archive, edited, database=lambda _d: dump, manifest=recompute)
    if sign_with is None:
        return edited
    with tarfile.open(edited) as tar:
        manifest = tar.extractfile("manifest.json").read()
    signature = sign_with(b"accord backup manifest\n" + manifest)
    resigned = tmp_path / "resigned.tar.gz"
    _rewrite(edited, resigned, signature=lambda _s: base64.b64encode(signature))
    return resigned


def test_restore_refuses_an_archive_edited_to_unrevoke_a_licence(portal, tmp_path):
    assert Licence.objects.get().status == "revoked"
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    edited = _edited(archive, tmp_path, _unrevoke)
    _wipe()
    with pytest.raises(CommandError, match="signature does not verify") as refused:
        call_command("restore", str(edited))
    assert "\n" not in str(refused.value) and "use another copy" in str(refused.value)
    assert not User.objects.exists() and not Licence.objects.exists()

    call_command("restore", str(archive))  # the untouched archive restores
    assert Licence.objects.get().status == "revoked"


def test_restore_refuses_an_archive_re_signed_with_another_key(portal, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    forger = Ed25519PrivateKey.generate()
    resigned = _edited(archive, tmp_path, _unrevoke, sign_with=forger.sign)
    _wipe()
    with pytest.raises(CommandError, match="signed with another key"):
        call_command("restore", str(resigned))
    assert not Licence.objects.exists()


def test_restore_checks_the_audit_trail_itself_not_only_the_signature(portal, tmp_path):
    """Even under a manifest signature that verifies (made with the audit key itself), a dump
    whose audit events were edited does not restore."""
    from accord.audit.keys import audit_key

    def soften_the_revocation(dump: bytes) -> bytes:
        objects = json.loads(dump)
        for obj in objects:
            if obj["model"] == "audit.event" and obj["fields"]["event_type"].endswith("revoke"):
                obj["fields"]["details"] = {"reason": "routine"}
        return json.dumps(objects).encode()

    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    resigned = _edited(archive, tmp_path, soften_the_revocation, sign_with=audit_key().sign)
    _wipe()
    with pytest.raises(CommandError, match="does not verify against its checkpoints") as refused:
        call_command("restore", str(resigned))
    assert "details column was changed" in str(refused.value)
    assert not User.objects.exists()


def test_restore_without_the_audit_key_installed_says_to_install_it(portal, settings, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    _wipe()
    settings.AUDIT_KEY_FILE = tmp_path / "fresh" / "audit.pem"
    with pytest.raises(CommandError, match="Install the audit key from your escrow"):
        call_command("restore", str(archive))
    assert not settings.AUDIT_KEY_FILE.exists() and not User.objects.exists()
