"""`accord manifest verify FILE` offline, as a subprocess without Django settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accord.downloads.manifests import manifest_payload, sign
from accord.downloads.signing import public_key_pem
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = pytest.mark.django_db

ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.fixture
def signed(tmp_path, settings, dataset):
    settings.SIGNING_KEY_FILE = tmp_path / "server" / "key.pem"
    variant = variant_with_files(dataset, tmp_path, {"a.bin": b"a", "b/c.txt": b"c"})
    member = factories.UserFactory()
    licence = licence_for(variants=[variant], members=[member])
    entitlement = licence.entitlements.get(user=member)
    folder = tmp_path / "laptop"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(sign(manifest_payload(entitlement=entitlement)))
    (folder / "portal-key.pem").write_bytes(public_key_pem())
    return folder


def verify(folder: Path, name: str = "manifest.json", *extra: str):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [ACCORD, "manifest", "verify", name, "--key", "portal-key.pem", *extra],
        cwd=folder, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


def test_valid_manifest_verifies_offline(signed):
    result = verify(signed)
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout
    assert "2 files" in result.stdout
    assert not (signed / "var").exists()  # no Django settings were loaded


@pytest.mark.parametrize("where", ["value", "layout", "signature"])
def test_one_changed_byte_fails(signed, where):
    data = bytearray((signed / "manifest.json").read_bytes())
    if where == "value":
        i = data.index(b'"a.bin"') + 1
        data[i] = ord("x")
    elif where == "layout":
        i = data.index(b"\n  ")
        data[i + 1] = ord("\t")
    else:
        i = data.index(b'"value": "') + 12
        data[i] = ord("A") if data[i] != ord("A") else ord("B")
    (signed / "tampered.json").write_bytes(bytes(data))
    result = verify(signed, "tampered.json")
    assert result.returncode == 1
    assert "FAILED" in result.stderr


def test_wrong_key_is_named(signed, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "other.pem"
    (signed / "portal-key.pem").write_bytes(public_key_pem())
    result = verify(signed)
    assert result.returncode == 1
    assert "Signed by key" in result.stderr


def test_data_folder_check_names_the_bad_file(signed):
    data = signed / "data"
    (data / "b").mkdir(parents=True)
    (data / "a.bin").write_bytes(b"a")
    (data / "b" / "c.txt").write_bytes(b"C")
    result = verify(signed, "manifest.json", "--data", "data")
    assert result.returncode == 1
    assert "b/c.txt: SHA-256 differs" in result.stdout


def test_output_to_a_log_file_is_not_wrapped(signed):
    # Piped into a log (no terminal), a long path must not be broken across lines.
    deep = signed / ("a-rather-long-folder-name-for-a-project-" * 3) / "manifest.json"
    deep.parent.mkdir()
    deep.write_bytes((signed / "manifest.json").read_bytes())
    result = verify(signed, str(deep))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"OK: {deep} is signed by key")
    assert "2 files, issued" in first
