"""`accord fetch` and local files the signed manifest does not list: withdrawn copies are
reported as to be deleted, other files as not in the release, nothing is deleted unless
--remove-withdrawn asks, and then only a withdrawn file whose SHA-256 matches. The manifests
here are built and signed in the test; the portal is a stand-in serving them (no Django)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from accord.client.fetch import Fetcher, find_stale
from accord.client.manifest import ALGORITHM, FORMAT, document_bytes, key_id, signing_bytes
from accord.client.portal import PortalError

KEEP = b"subject 01 clip\n"
GONE = b"subject 02 clip\n"
SHEET_OLD = b"subject,label\n01,pos\n02,neg\n"
SHEET_NEW = b"subject,label\n01,pos\n"
CITATION = b'cff-version: 1.2.0\nmessage: "cite"\n'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(path: str, data: bytes) -> dict:
    return {"path": path, "size": len(data), "sha256": sha(data)}


def withdrawn(path: str, data: bytes, subject: str | None = "02") -> dict:
    return {
        "path": path,
        "sha256": sha(data),
        "subject": subject,
        "release": "1.1",
        "withdrawn_on": "2026-11-20",
    }


def manifest(files, *, documents=None, gone=None) -> dict:
    payload = {
        "format": FORMAT,
        "portal": "https://portal.example",
        "issued_at": "2026-11-30T10:00:00+00:00",
        "dataset": {"slug": "smic", "name": "SMIC", "custodian": "CMVS"},
        "variant": {"slug": "smic-e", "name": "SMIC-E", "release": "1.1"},
        "license_version": {"version": 1, "title": "T", "effective_date": "2024-01-01"},
        "licence": {"reference": "LIC-1", "signer": {"name": "S", "email": "s@x"}},
        "licensee": {"name": "M", "email": "m@x"},
        "files": files,
        "total_size": sum(f["size"] for f in files),
    }
    if documents is not None:
        payload["documents"] = documents
    if gone is not None:
        payload["withdrawn"] = gone
    return payload


class StandInPortal:
    """What Fetcher asks of a portal, answered from a signed manifest and a dict of bytes."""

    url = "https://portal.example"

    def __init__(self, payload: dict, served: dict[str, bytes] | None = None):
        key = Ed25519PrivateKey.generate()
        self.key_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signature = {
            "alg": ALGORITHM,
            "key_id": key_id(key.public_key()),
            "value": base64.b64encode(key.sign(signing_bytes(payload))).decode(),
        }
        self.document = document_bytes({"manifest": payload, "signature": signature})
        self.payload = payload
        self.served = served or {}
        self.asked: list[str] = []

    def get(self, path: str, *, not_found: str = "Not found."):
        self.asked.append(path)
        if path.endswith("/files"):
            body = json.dumps([{**f, "id": i} for i, f in enumerate(self.payload["files"], 1)])
            return _Response(body.encode())
        if path.endswith("/manifest"):
            return _Response(self.document)
        name = path.rsplit("/", 1)[-1]
        if name in self.served:
            return _Response(self.served[name])
        raise PortalError(not_found)

    def signing_key(self) -> bytes:
        return self.key_pem

    def link(self, file_id):  # every file is already in DIR in these tests
        raise AssertionError("nothing should be downloaded here")


class _Response:
    def __init__(self, content: bytes):
        self.content = content

    def json(self):
        return json.loads(self.content)


def put(dest: Path, path: str, data: bytes) -> Path:
    target = dest / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def fetch(portal, dest: Path, **kwargs):
    fetcher = Fetcher(
        portal=portal,
        variant="smic-e",
        dest=dest,
        console=Console(file=io.StringIO()),
        **kwargs,
    )
    return fetcher, fetcher.run()


@pytest.fixture
def dest(tmp_path) -> Path:
    folder = tmp_path / "smic-e"
    put(folder, "HS/s01/clip.bin", KEEP)
    put(folder, "HS/s02/clip.bin", GONE)
    return folder


def test_withdrawn_copy_is_reported_as_to_delete_and_kept_by_default(dest):
    portal = StandInPortal(
        manifest([entry("HS/s01/clip.bin", KEEP)], gone=[withdrawn("HS/s02/clip.bin", GONE)])
    )
    fetcher, outcome = fetch(portal, dest)
    assert [s.path for s in outcome.stale] == ["HS/s02/clip.bin"]
    assert outcome.stale[0].describe(fetcher.release) == (
        "HS/s02/clip.bin: consent withdrawn on 2026-11-20: you must delete this copy "
        "(your licence requires it)"
    )
    assert (dest / "HS/s02/clip.bin").read_bytes() == GONE
    assert not outcome.removed


def test_a_file_the_release_does_not_hold_is_reported_as_not_in_it(dest):
    put(dest, "notes/mine.txt", b"my own notes")
    portal = StandInPortal(
        manifest([entry("HS/s01/clip.bin", KEEP)], gone=[withdrawn("HS/s02/clip.bin", GONE)])
    )
    fetcher, outcome = fetch(portal, dest)
    mine = next(s for s in outcome.stale if s.path == "notes/mine.txt")
    assert mine.describe(fetcher.release) == (
        "notes/mine.txt: not in release 1.1 (Accord leaves it alone)"
    )


def test_remove_withdrawn_deletes_exactly_the_listed_matching_copies_and_records_them(dest):
    put(dest, "notes/mine.txt", b"my own notes")
    put(dest, "HS/s03/clip.bin", b"edited locally")  # listed as withdrawn, other bytes
    portal = StandInPortal(
        manifest(
            [entry("HS/s01/clip.bin", KEEP)],
            gone=[
                withdrawn("HS/s02/clip.bin", GONE),
                withdrawn("HS/s03/clip.bin", b"the served bytes", subject="03"),
                withdrawn("HS/s04/clip.bin", b"never downloaded", subject="04"),
            ],
        )
    )
    _fetcher, outcome = fetch(portal, dest, remove_withdrawn=True)
    assert [r.path for r in outcome.removed] == ["HS/s02/clip.bin"]
    assert not (dest / "HS/s02/clip.bin").exists()
    assert (dest / "HS/s03/clip.bin").read_bytes() == b"edited locally"
    assert (dest / "notes/mine.txt").exists()
    assert (dest / "HS/s01/clip.bin").read_bytes() == KEEP
    assert sorted(s.path for s in outcome.stale) == ["HS/s03/clip.bin", "notes/mine.txt"]
    record = json.loads((dest / ".accord" / "removals.json").read_text())
    assert [(r["path"], r["sha256"], r["subject"], r["withdrawn_on"]) for r in record] == [
        ("HS/s02/clip.bin", sha(GONE), "02", "2026-11-20")
    ]


def test_a_renamed_withdrawn_copy_is_reported_by_its_content_and_not_deleted(dest):
    (dest / "HS/s02/clip.bin").rename(dest / "backup.bin")
    portal = StandInPortal(
        manifest([entry("HS/s01/clip.bin", KEEP)], gone=[withdrawn("HS/s02/clip.bin", GONE)])
    )
    fetcher, outcome = fetch(portal, dest, remove_withdrawn=True)
    assert not outcome.removed
    assert (dest / "backup.bin").exists()
    message = outcome.stale[0].describe(fetcher.release)
    assert message.startswith("backup.bin: a copy of HS/s02/clip.bin, consent withdrawn on")
    assert "you must delete this copy" in message


def test_manifest_of_an_older_portal_without_withdrawn_still_reports_unknown_files(dest):
    portal = StandInPortal(manifest([entry("HS/s01/clip.bin", KEEP)]))
    fetcher, outcome = fetch(portal, dest, remove_withdrawn=True)
    assert [s.describe(fetcher.release) for s in outcome.stale] == [
        "HS/s02/clip.bin: not in release 1.1 (Accord leaves it alone)"
    ]
    assert (dest / "HS/s02/clip.bin").exists()


def test_withdrawn_old_copy_of_a_file_the_release_holds_anew_is_replaced_and_recorded(
    tmp_path, monkeypatch
):
    dest = tmp_path / "d"
    put(dest, "HS/annotations.csv", SHEET_OLD)
    portal = StandInPortal(
        manifest(
            [entry("HS/annotations.csv", SHEET_NEW)],
            gone=[withdrawn("HS/annotations.csv", SHEET_OLD, subject="02")],
        )
    )
    fetched = []

    def download(self, e, progress):
        fetched.append(e.path)
        put(dest, e.path, SHEET_NEW)

    monkeypatch.setattr(Fetcher, "download", download)
    _fetcher, outcome = fetch(portal, dest)
    assert fetched == ["HS/annotations.csv"]
    record = json.loads((dest / ".accord" / "removals.json").read_text())
    assert [(r["path"], r["how"]) for r in record] == [("HS/annotations.csv", "replaced")]
    assert not outcome.stale


def test_documents_are_saved_next_to_the_files_and_verified(dest):
    portal = StandInPortal(
        manifest(
            [entry("HS/s01/clip.bin", KEEP), entry("HS/s02/clip.bin", GONE)],
            documents=[entry("CITATION.cff", CITATION)],
        ),
        served={"CITATION.cff": CITATION},
    )
    _fetcher, outcome = fetch(portal, dest)
    assert (dest / "CITATION.cff").read_bytes() == CITATION
    assert outcome.documents == ["CITATION.cff"] and not outcome.failed and not outcome.stale


def test_a_document_that_does_not_match_the_manifest_fails_and_is_not_saved(dest):
    portal = StandInPortal(
        manifest(
            [entry("HS/s01/clip.bin", KEEP), entry("HS/s02/clip.bin", GONE)],
            documents=[entry("TERMS.md", b"# Terms\n")],
        ),
        served={"TERMS.md": b"# Other terms\n"},
    )
    _fetcher, outcome = fetch(portal, dest)
    assert "SHA-256 mismatch" in outcome.failed["TERMS.md"]
    assert not (dest / "TERMS.md").exists()


def test_the_client_folder_is_never_reported(dest):
    portal = StandInPortal(
        manifest([entry("HS/s01/clip.bin", KEEP), entry("HS/s02/clip.bin", GONE)])
    )
    fetch(portal, dest)
    assert (dest / ".accord" / "manifest.json").exists()
    assert find_stale(dest, portal.payload) == []


def test_help_says_what_happens_to_stale_copies():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    accord = str(Path(sys.executable).with_name("accord"))
    result = subprocess.run(
        [accord, "fetch", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--remove-withdrawn" in text
    assert "you must delete this copy (your licence requires it)" in text
    assert "3 stale files remain" in text
