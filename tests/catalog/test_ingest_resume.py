"""`accord ingest` at custodian scale: files read on several threads give the same records as
one at a time, an interrupted ingest resumes without reading finished files again (but does
read a file changed since), and the operator sees progress."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.catalog import ingest_files
from accord.catalog.ingest_files import TEST_SIGNAL_AFTER, ingest_lock, state_paths
from accord.catalog.management.commands import ingest as ingest_command
from accord.catalog.models import DataFile
from accord.core.storage import protected_storage
from tests import factories

pytestmark = pytest.mark.django_db

FILES = 40


@pytest.fixture(params=["processes", "threads"], autouse=True)
def workers(request, monkeypatch):
    """Both ways of reading: forked processes (the command) and threads (inside a process
    that already runs threads, such as a test runner with xdist)."""
    monkeypatch.setattr(ingest_files, "can_fork", lambda: request.param == "processes")
    return request.param


@pytest.fixture
def variant(db):
    return factories.VariantFactory(slug="smic-e")


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "release"
    for i in range(FILES):
        path = root / f"s{i % 4:02d}" / f"frame{i:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 + 997 * i))
    (root / "annotations.csv").write_text("Subject,Filename\n")
    return root


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _ingest(variant, folder, *extra, stdout=None, stderr=None) -> str:
    out = stdout if stdout is not None else io.StringIO()
    call_command(
        "ingest",
        variant.slug,
        str(folder),
        *extra,
        stdout=out,
        stderr=stderr if stderr is not None else io.StringIO(),
    )
    return out.getvalue()


def _rows(variant) -> dict[str, tuple]:
    return {
        f.path: (f.size, f.sha256, f.media_type, f.scan_status, f.storage_name.rsplit("/", 1)[1])
        for f in DataFile.objects.filter(variant=variant)
    }


def _journal(variant) -> dict[str, dict]:
    path, _lock = state_paths(variant.slug)
    return {e["p"]: e for e in map(json.loads, path.read_text().splitlines())}


def _stored(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _interrupt_after(monkeypatch, variant, folder, n: int) -> CommandError:
    monkeypatch.setenv(TEST_SIGNAL_AFTER, f"{n}:INT")
    with pytest.raises(CommandError) as caught:
        _ingest(variant, folder, "--jobs", "3")
    monkeypatch.delenv(TEST_SIGNAL_AFTER)
    return caught.value


def test_parallel_ingest_records_the_same_rows_as_one_file_at_a_time(folder):
    one = factories.VariantFactory(slug="one-at-a-time")
    many = factories.VariantFactory(slug="four-at-once")
    _ingest(one, folder, "--jobs", "1")
    _ingest(many, folder, "--jobs", "4")
    assert len(_rows(many)) == FILES + 1
    assert _rows(many) == _rows(one)
    for f in DataFile.objects.filter(variant=many):
        data = (folder / f.path).read_bytes()
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        with protected_storage().open(f.storage_name, "rb") as fh:
            assert fh.read() == data


def test_ctrl_c_keeps_finished_files_and_the_rerun_reads_only_the_rest(
    monkeypatch, variant, folder, settings, django_capture_on_commit_callbacks
):
    error = _interrupt_after(monkeypatch, variant, folder, 12)
    assert str(error).startswith("Interrupted: 12 files recorded")
    assert error.returncode == 130
    assert not DataFile.objects.exists()  # no row until the whole folder is read
    recorded = _journal(variant)
    assert len(recorded) == 12
    # Only the recorded copies are left: nothing half-written, nothing unrecorded.
    assert _stored(settings.PROTECTED_ROOT) == {e["n"] for e in recorded.values()}

    with django_capture_on_commit_callbacks(execute=True):
        out = _ingest(variant, folder)
    assert f"resumed: 12 files already recorded, hashing {FILES + 1 - 12}" in out
    assert f"read {FILES + 1 - 12} files" in out
    assert f"{FILES + 1} added" in out
    reference = factories.VariantFactory(slug="reference")
    _ingest(reference, folder, "--jobs", "1")
    assert _rows(variant) == _rows(reference)
    assert not state_paths(variant.slug)[0].exists()  # the journal went with the commit


def test_a_file_rewritten_since_the_interruption_is_read_again(
    monkeypatch, variant, folder, django_capture_on_commit_callbacks
):
    _interrupt_after(monkeypatch, variant, folder, 6)
    rel = sorted(_journal(variant))[0]
    path = folder / rel
    before = path.stat()
    new = os.urandom(before.st_size)  # same size, and the old mtime put back: only the
    path.write_bytes(new)  # ctime tells that it was written
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    with django_capture_on_commit_callbacks(execute=True):
        out = _ingest(variant, folder)
    assert f"resumed: 5 files already recorded, hashing {FILES + 1 - 5}" in out
    row = DataFile.objects.get(variant=variant, path=rel)
    assert row.sha256 == hashlib.sha256(new).hexdigest()


def test_restart_forgets_the_interrupted_run_and_its_copies(
    monkeypatch, variant, folder, settings, django_capture_on_commit_callbacks
):
    _interrupt_after(monkeypatch, variant, folder, 6)
    (folder / sorted(_journal(variant))[0]).write_bytes(b"changed for good")
    with django_capture_on_commit_callbacks(execute=True):
        out = _ingest(variant, folder, "--restart")
    assert "resumed:" not in out
    assert f"read {FILES + 1} files" in out
    assert _stored(settings.PROTECTED_ROOT) == set(
        DataFile.objects.values_list("storage_name", flat=True)
    )


def test_a_second_ingest_of_the_same_variant_waits_its_turn(variant, folder):
    with ingest_lock(variant.slug), pytest.raises(CommandError, match="Another accord ingest"):
        _ingest(variant, folder)


PROGRESS = re.compile(
    r"smic-e: \d+/41 files, [\d.]+ [KMG]?B/[\d.]+ [KMG]?B, [\d.]+ [KMG]?B/s, ETA (\d+:\d\d:\d\d|\?)"
)


def test_progress_on_a_terminal_is_one_line_redrawn(variant, folder):
    err = Terminal()
    _ingest(variant, folder, stderr=err)
    text = err.getvalue()
    assert text.count("\r\x1b[K") >= 2  # drawn at the start and redrawn as files finish
    assert text.endswith("\n") and text.count("\n") == 1
    assert PROGRESS.fullmatch(text.rsplit("\r\x1b[K", 1)[1].strip())
    assert "41/41 files" in text.rsplit("\r\x1b[K", 1)[1]


def test_progress_in_a_log_is_plain_lines_now_and_then(monkeypatch, variant, folder):
    monkeypatch.setattr(ingest_command, "PLAIN_EVERY_SECONDS", 0.0)
    err = io.StringIO()
    _ingest(variant, folder, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines and all(PROGRESS.fullmatch(line) for line in lines)
    assert "\r" not in err.getvalue()
    assert "41/41 files" in lines[-1]


def test_a_short_ingest_in_a_log_prints_no_progress(variant, folder):
    err = io.StringIO()
    _ingest(variant, folder, stderr=err)
    assert err.getvalue() == ""


def test_quiet_prints_only_the_summary(variant, folder):
    err = Terminal()
    out = _ingest(variant, folder, "--quiet", stderr=err)
    assert out.strip().splitlines() == [
        "smic-e: 41 added, 0 changed, 0 unchanged, 0 rescanned, 0 removed, 0 missing, 0 skipped."
    ]
    assert err.getvalue() == ""
