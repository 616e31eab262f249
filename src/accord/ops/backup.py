"""``accord backup`` and ``accord restore``: one archive that brings a fresh install back to
the same state, with its audit chain intact.

Why Django's ``dumpdata`` and not pg_dump or SQLite's backup API: one format for both
databases (a SQLite demo can move to PostgreSQL), primary keys are kept exactly (audit events
hash the ids they refer to), and only our data is saved, not tables that ``migrate`` rebuilds
(content types, permissions) or that are transient (sessions, login-throttling records).
Consistency comes from dumping inside one transaction: REPEATABLE READ READ ONLY on
PostgreSQL (one snapshot, writers go on), and on SQLite the IMMEDIATE transaction holds the
write lock for the few seconds of the dump.

The archive (tar.gz) holds ``manifest.json`` (format, audit head and the checkpoint signed
over it, SHA-256 of every member), ``manifest.sig``, ``database.json``, ``files-index.json``
(name, size, SHA-256 of every protected file), ``files/...`` (agreements and other protected
files; dataset files only with ``--include-datasets``, as custodians keep their originals and
re-ingest them), and the signing key's public half. No private key is ever in a backup:
escrow the signing key and the audit key apart.

The manifest is signed with the audit key, not a key of its own: a backup is evidence of the
same history the audit checkpoints vouch for, restore must trust exactly the key that verifies
them, and one escrowed key is one fewer to lose. Checksums alone prove nothing against someone
who edits the archive (they recompute them); the signature does, and restore refuses an
archive whose signature or audit checkpoints do not verify with the installed audit key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from accord.audit.checkpoints import checkpoint_write, parse_items, sign
from accord.audit.keys import SETTING as AUDIT_KEY_SETTING
from accord.audit.keys import trusted_keys
from accord.audit.models import Checkpoint
from accord.audit.verify import chain_head, verify_chain
from accord.catalog.ingest_files import PARTIAL_FOLDER
from accord.core.storage import protected_storage, sha256_of

FORMAT = "accord-backup/2"
UNSIGNED_FORMAT = "accord-backup/1"
# Domain separation: a manifest signature can never pass for a checkpoint's, or back.
CONTEXT = b"accord backup manifest\n"
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]
DATASET_PREFIX = "datasets/"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says what to do."""


@dataclass
class BackupReport:
    path: Path
    audit_seq: int
    audit_hash: str
    audit_ok: bool
    files_indexed: int
    files_stored: int


def _walk_storage(storage, folder: str = "") -> Iterator[str]:
    """Every stored file, except the copies of an ingest under way or interrupted (they are
    not the portal's until the ingest records them, and can be large)."""
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}{name}"
    for d in sorted(dirs):
        if not folder and d == PARTIAL_FOLDER:
            continue
        yield from _walk_storage(storage, f"{folder}{d}/")


def _public_key_pem() -> bytes | None:
    from cryptography.hazmat.primitives import serialization

    path = Path(settings.SIGNING_KEY_FILE)
    if not path.is_file():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> str:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _snapshot():
    """One consistent read of the whole database (see the module docstring). Inside a
    caller's transaction (tests) we read in its snapshot."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def backup(dest: Path, *, include_datasets: bool = False) -> BackupReport:
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new file name.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    storage = protected_storage()
    # A checkpoint over the head as backed up (refused, and so absent, if the chain is broken:
    # the manifest then says the trail did not verify).
    checkpoint_write()
    with tempfile.TemporaryDirectory(prefix="accord-backup-") as tmp:
        db_file = Path(tmp) / "database.json"
        with _snapshot():
            call_command(
                "dumpdata",
                natural_foreign=True,
                exclude=EXCLUDE,
                output=str(db_file),
                verbosity=0,
            )
            head = chain_head()
            verified = verify_chain()
            latest = Checkpoint.objects.order_by("-number").first()

        members: dict[str, str] = {}
        index: list[dict] = []
        partial = dest.with_name(dest.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        stored = 0
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                with db_file.open("rb") as fh:
                    members["database.json"] = sha256_of(fh)[0]
                tar.add(db_file, arcname="database.json")
                for name in _walk_storage(storage):
                    with storage.open(name, "rb") as fh:
                        digest, size = sha256_of(fh)
                    entry = {"name": name, "size": size, "sha256": digest}
                    if include_datasets or not name.startswith(DATASET_PREFIX):
                        info = tarfile.TarInfo(f"files/{name}")
                        info.size, info.mode = size, 0o600
                        with storage.open(name, "rb") as fh:
                            tar.addfile(info, fh)
                        entry["in_archive"] = True
                        members[f"files/{name}"] = digest
                        stored += 1
                    index.append(entry)
                members["files-index.json"] = _add_bytes(
                    tar, "files-index.json", json.dumps(index, indent=1).encode()
                )
                pem = _public_key_pem()
                if pem is not None:
                    members["signing_public_key.pem"] = _add_bytes(
                        tar, "signing_public_key.pem", pem
                    )
                manifest = {
                    "format": FORMAT,
                    "created": datetime.now(UTC).isoformat(),
                    "database_vendor": connection.vendor,
                    "audit_head": {"seq": head.seq, "hash": head.hash, "count": head.count},
                    "audit_verified": verified.ok,
                    "audit_problem": "" if verified.ok else str(verified),
                    "audit_checkpoint": (
                        {"statement": latest.statement, "signature": latest.signature}
                        if latest is not None
                        else None
                    ),
                    "audit_key_id": trusted_keys().current_id,
                    "datasets_included": include_datasets,
                    "members": members,
                }
                manifest_bytes = json.dumps(manifest, indent=1).encode()
                _add_bytes(tar, "manifest.json", manifest_bytes)
                _add_bytes(tar, "manifest.sig", sign(manifest_bytes, context=CONTEXT).encode())
            partial.rename(dest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupReport(dest, head.seq, head.hash, verified.ok, len(index), stored)


# --- Restore ---------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    audit_seq: int
    audit_hash: str
    files_restored: int
    files_missing: list[str]
    key_note: str
    audit_key_id: str
    checkpoints: int


def _is_fresh() -> bool:
    from accord.accounts.models import User
    from accord.audit.models import Event
    from accord.catalog.models import Custodian

    return not (User.objects.exists() or Event.objects.exists() or Custodian.objects.exists())


def _extract(src: Path, into: Path) -> dict:
    try:
        with tarfile.open(src, "r:gz") as tar:
            tar.extractall(into, filter="data")  # refuses absolute paths, .., links out
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{src} is not a readable Accord backup: {exc}") from exc
    manifest_path = into / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{src} has no manifest.json: it is not an Accord backup.")
    manifest_bytes = manifest_path.read_bytes()
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise BackupError(
            f"{src}'s manifest.json is not JSON: it is not an Accord backup."
        ) from exc
    if manifest.get("format") == UNSIGNED_FORMAT:
        raise BackupError(
            f"{src} was written before backups were signed, so nothing proves it was not "
            "edited; restore it with the Accord version that wrote it, then make a new backup."
        )
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is in format {manifest.get('format')!r}, not {FORMAT}.")
    _check_signature(src, into / "manifest.sig", manifest_bytes, manifest)
    for name, expected in manifest["members"].items():
        path = into / name
        if not path.is_file():
            raise BackupError(f"The backup lacks {name}, listed in its manifest: incomplete.")
        with path.open("rb") as fh:
            if sha256_of(fh)[0] != expected:
                raise BackupError(
                    f"{name} in the backup does not match its checksum: the archive was "
                    "damaged or altered. Use another copy."
                )
    return manifest


def _check_signature(src: Path, sig_path: Path, manifest_bytes: bytes, manifest: dict) -> None:
    """The manifest (and so every checksum in it) must be signed by the installed audit key."""
    keys = trusted_keys()
    if not keys.current_id:
        raise BackupError(
            f"Install the audit key from your escrow at {settings.AUDIT_KEY_FILE} "
            f"({AUDIT_KEY_SETTING}, mode 600) before restoring: a backup is restored only if "
            "its signature verifies with that key."
        )
    if not sig_path.is_file():
        raise BackupError(
            f"{src} has no manifest.sig: it is not signed, so it may have been edited; refused."
        )
    named = manifest.get("audit_key_id") or "none"
    public = keys.public[keys.current_id]
    try:
        public.verify(
            base64.b64decode(sig_path.read_bytes(), validate=True), CONTEXT + manifest_bytes
        )
    except (InvalidSignature, ValueError) as exc:
        raise BackupError(
            f"{src}: the manifest's signature does not verify with the audit key "
            f"{keys.current_id} (the backup names key {named}): the archive was altered after "
            "it was written, or signed with another key. Nothing was restored; use another copy."
        ) from exc


def _key_note(archive_pem: Path) -> str:
    if not archive_pem.is_file():
        return "The backup holds no signing public key (the source had no key yet)."
    current = _public_key_pem()
    if current is None:
        return (
            f"Install the signing private key from your escrow at {settings.SIGNING_KEY_FILE} "
            "(mode 600); its public half must match signing_public_key.pem in the backup."
        )
    if current.strip() != archive_pem.read_bytes().strip():
        return (
            f"WARNING: the signing key at {settings.SIGNING_KEY_FILE} is not the one the "
            "backup was made with; manifests signed before will not verify with it. Install "
            "the escrowed key."
        )
    return "The installed signing key matches the backup."


def restore(src: Path) -> RestoreReport:
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"{src} does not exist.")
    call_command("migrate", interactive=False, verbosity=0)
    if not _is_fresh():
        raise BackupError(
            "This install already has users, custodians or audit events; restore only into "
            "a fresh one: create an empty database, point ACCORD_DATABASE_URL at it and run "
            "`accord restore` again."
        )
    storage = protected_storage()
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="accord-restore-") as tmp:
        root = Path(tmp)
        manifest = _extract(src, root)
        index = json.loads((root / "files-index.json").read_text())
        try:
            with transaction.atomic():
                call_command("loaddata", str(root / "database.json"), verbosity=0)
                signed = manifest.get("audit_checkpoint")
                given = parse_items([signed], source=f"{src.name}'s manifest") if signed else []
                result = verify_chain(checkpoints=given)
                expected = manifest["audit_head"]
                if manifest.get("audit_verified") and not result.ok:
                    raise BackupError(
                        f"The restored audit trail does not verify against its checkpoints, so "
                        f"nothing was restored: {result}"
                    )
                if (result.last_seq, result.last_hash) != (expected["seq"], expected["hash"]):
                    raise BackupError(
                        f"The restored audit head #{result.last_seq} differs from the backup's "
                        f"#{expected['seq']}; nothing was restored."
                    )
                missing = []
                for entry in index:
                    if not entry.get("in_archive"):
                        if not storage.exists(entry["name"]):
                            missing.append(entry["name"])
                        continue
                    with (root / "files" / entry["name"]).open("rb") as fh:
                        saved = storage.save(entry["name"], fh)
                    written.append(saved)
                    if saved != entry["name"]:
                        raise BackupError(
                            f"Protected storage already holds {entry['name']}; restore into "
                            "an empty storage (ACCORD_PROTECTED_ROOT)."
                        )
        except BaseException:
            for name in written:
                storage.delete(name)
            raise
        note = _key_note(root / "signing_public_key.pem")
    head = chain_head()
    return RestoreReport(
        head.seq,
        head.hash,
        len(written),
        missing,
        note,
        manifest["audit_key_id"],
        result.checkpoints,
    )
