"""`accord fetch` as a researcher runs it: a subprocess against a live portal."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from accord.accounts.services import api_token_create
from accord.audit.models import Event, JournalEntry
from accord.core.storage import protected_storage
from accord.downloads import ranges
from tests import factories
from tests.access.factories import licence_for, variant_with_files

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ACCORD = str(Path(sys.executable).with_name("accord"))
FILES = {
    "video/s01.bin": hashlib.sha256(b"one").digest() * (4 * 1024 * 1024 // 32),
    "video/s02.bin": hashlib.sha256(b"two").digest() * (3 * 1024 * 1024 // 32) + b"odd",
    "emg/s01.csv": b"t,emg\n" + b"0.1,0.2\n" * 5000,
    "README.txt": b"Synthetic test data.\n",
}


@pytest.fixture
def portal(live_portal, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "server-key.pem"
    dataset = factories.DatasetFactory(slug="casmemg", name="CASMEMG")
    variant = variant_with_files(dataset, tmp_path, FILES, slug="casmemg-v1", name="CASMEMG")
    member = factories.UserFactory()
    licence_for(variants=[variant], members=[member])
    token_file = tmp_path / "token"
    token_file.write_text(api_token_create(user=member, name="laptop").secret + "\n")
    token_file.chmod(0o600)
    return {
        "url": live_portal.url,
        "token_file": token_file,
        "variant": variant,
        "settle": live_portal.settle,
    }


def fetch_cmd(portal, dest: Path, *extra: str) -> list[str]:
    return [
        ACCORD, "fetch", "casmemg-v1", "--to", str(dest), "--portal", portal["url"],
        "--token-file", str(portal["token_file"]), *extra,
    ]  # fmt: skip


def run(cmd, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_PROXY": "*"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


GATE = 1536 * 1024  # bytes of each file served at full speed before the gate holds


def gated_reads(monkeypatch) -> threading.Event:
    """The live server (a thread of this process) serves the first 1.5 MB of each file, then
    only trickles one byte at a time until the returned event is set. So an interrupt always
    lands mid-file, however busy the machine: the download cannot finish before the test has
    interrupted it, and the client still sees bytes arriving (it notices its stop flag)."""
    released = threading.Event()

    def gated(fh, size):
        if not released.is_set() and fh.tell() >= GATE:
            released.wait(0.02)
            return fh.read(1)
        return fh.read(min(size, 64 * 1024))

    monkeypatch.setattr(ranges, "read_chunk", gated)
    return released


@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_interrupted_fetch_resumes_and_ends_verified(portal, tmp_path, monkeypatch, how):
    dest = tmp_path / "data" / "casmemg"
    released = gated_reads(monkeypatch)
    env = {**os.environ, "NO_PROXY": "*"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        fetch_cmd(portal, dest, "--parallel", "2"),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    partial = dest / ".accord" / "partial"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = list(partial.glob("*.part")) if partial.exists() else []
        if any(p.stat().st_size >= 1024 * 1024 for p in parts):
            break
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.02)
    if how == "killed":
        proc.kill()  # no chance to clean up: the partial file is whatever reached the disk
        proc.wait()
    else:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0].decode()
        assert proc.returncode == 130, output
        assert "run the same command to resume" in output
    released.set()
    monkeypatch.undo()
    portal["settle"]()
    # Both large files were held at the gate, so neither can have completed.
    assert not (dest / "video" / "s01.bin").exists()
    assert not (dest / "video" / "s02.bin").exists()

    second = run(fetch_cmd(portal, dest, "--parallel", "2"), tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    portal["settle"]()
    assert "OK:" in second.stdout
    for rel, content in FILES.items():
        assert (dest / rel).read_bytes() == content
        assert stat.S_IMODE((dest / rel).stat().st_mode) == 0o600
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    resumed = [
        e.details["range"]
        for e in JournalEntry.objects.filter(event_type="downloads:file:serve")
        if e.details["range"] and not e.details["range"].startswith("0-")
    ]
    assert resumed, "the second run should have resumed a partial file with a Range request"
    assert not list(partial.glob("*.part"))
    assert not (tmp_path / "var").exists()  # the client never touched Django settings

    links_before = JournalEntry.objects.filter(event_type="downloads:link:issue").count()
    third = run(fetch_cmd(portal, dest), tmp_path)
    assert third.returncode == 0, third.stdout + third.stderr
    portal["settle"]()
    assert "nothing to fetch" in third.stderr
    assert JournalEntry.objects.filter(event_type="downloads:link:issue").count() == links_before

    verify = run([ACCORD, "manifest", "verify", str(dest / ".accord" / "manifest.json"),
                  "--data", str(dest)], tmp_path)  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "every file" in verify.stdout


def test_locally_tampered_file_is_named_and_fetched_again(portal, tmp_path):
    dest = tmp_path / "mine"
    assert run(fetch_cmd(portal, dest), tmp_path).returncode == 0
    target = dest / "emg" / "s01.csv"
    data = bytearray(target.read_bytes())
    data[100] ^= 1
    target.write_bytes(bytes(data))
    again = run(fetch_cmd(portal, dest), tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "changed on disk: emg/s01.csv" in again.stderr
    assert target.read_bytes() == FILES["emg/s01.csv"]


def test_file_that_does_not_match_the_manifest_fails_and_is_named(portal, tmp_path):
    stored = portal["variant"].files.get(path="video/s02.bin").storage_name
    path = Path(protected_storage().path(stored))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed on the server
    path.write_bytes(bytes(data))
    result = run(fetch_cmd(portal, tmp_path / "d"), tmp_path)
    assert result.returncode == 1
    assert "FAILED: 1 file(s)" in result.stdout
    assert "video/s02.bin: SHA-256 mismatch" in result.stdout
    assert not (tmp_path / "d" / "video" / "s02.bin").exists()
    assert (tmp_path / "d" / "video" / "s01.bin").read_bytes() == FILES["video/s01.bin"]


def test_dry_run_lists_and_writes_nothing(portal, tmp_path):
    dest = tmp_path / "dry"
    result = run(fetch_cmd(portal, dest, "--dry-run"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "video/s01.bin" in result.stdout
    assert "fetch" in result.stdout
    assert not dest.exists()


def test_shared_location_is_warned_about(portal, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    result = run(fetch_cmd(portal, shared / "data", "--dry-run"), tmp_path)
    assert "writable by every user" in result.stderr
    assert "/tmp" in result.stderr  # pytest's tmp_path lives under /tmp


def test_unentitled_user_is_told_so(portal, tmp_path):
    stranger = factories.UserFactory()
    token = tmp_path / "stranger-token"
    token.write_text(api_token_create(user=stranger, name="x").secret)
    token.chmod(0o600)
    cmd = fetch_cmd({**portal, "token_file": token}, tmp_path / "x")
    result = run(cmd, tmp_path)
    assert result.returncode == 1
    assert "not entitled to 'casmemg-v1'" in result.stderr


def test_bad_token_says_how_to_get_one(portal, tmp_path):
    token = tmp_path / "bad"
    token.write_text("acc_wrong")
    token.chmod(0o644)
    result = run(fetch_cmd({**portal, "token_file": token}, tmp_path / "x"), tmp_path)
    assert result.returncode == 1
    assert "/account/tokens/" in result.stderr
    assert "chmod 600" in result.stderr


def test_destination_that_is_a_file_gives_a_clear_error(portal, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    result = run(fetch_cmd(portal, tmp_path / "taken"), tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_fetch_asks_in_segments_and_each_is_checked_and_served_with_the_token(
    portal, tmp_path, settings
):
    """With a cap on what one authorisation may carry, the client asks for one segment per
    request (each re-checked by the portal) and still ends with verified files; every file
    request carried the token the link is bound to (or it would have been refused)."""
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    dest = tmp_path / "seg"
    result = run(fetch_cmd(portal, dest, "--parallel", "2"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    portal["settle"]()
    for rel, content in FILES.items():
        assert (dest / rel).read_bytes() == content
    served = JournalEntry.objects.filter(event_type="downloads:file:serve")
    assert all(e.details["bytes"] <= 1024 * 1024 for e in served)
    assert served.count() == 4 + 4 + 1 + 1  # s01: 4 MiB, s02: 3 MiB and 3 bytes
    assert not Event.objects.filter(event_type="downloads:file:refuse").exists()


def test_fetch_stops_at_the_next_segment_once_access_ends(portal, tmp_path, settings, monkeypatch):
    from tests.access.factories import revoke_licence

    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    licence = portal["variant"].entitlements.first().licence

    def revoke_during_a_second_segment(fh, size):
        if (
            fh.tell() >= 1024 * 1024
            and not licence.entitlements.filter(revoked_at__isnull=False).exists()
        ):
            revoke_licence(licence, reason="consent withdrawn")
        return fh.read(size)

    monkeypatch.setattr(ranges, "read_chunk", revoke_during_a_second_segment)
    result = run(fetch_cmd(portal, tmp_path / "cut", "--parallel", "1"), tmp_path)
    assert result.returncode == 1
    assert "has ended" in result.stdout
    assert not (tmp_path / "cut" / "video" / "s01.bin").exists()
    assert not (tmp_path / "cut" / "video" / "s02.bin").exists()
