"""A failed or refused ingest never loses the copy being served and leaves no file it did not
record: new copies are content-addressed, rows swap in one transaction, superseded copies go
only after it commits."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.catalog.ingest_files import state_paths
from accord.catalog.models import DataFile
from accord.catalog.services import InfectedFilesError, content_name, variant_ingest
from accord.core.storage import protected_storage
from tests import factories
from tests.clamav import EICAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(db):
    return factories.VariantFactory(slug="smic-e")


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _stored_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _journal_names(variant) -> set[str]:
    journal, _lock = state_paths(variant.slug)
    lines = journal.read_text().splitlines() if journal.exists() else []
    return {json.loads(line)["n"] for line in lines}


def _served(data_file: DataFile) -> bytes:
    with protected_storage().open(data_file.storage_name, "rb") as fh:
        return fh.read()


def test_changed_file_then_infected_file_keeps_the_live_copy(
    clamd, settings, variant, tmp_path, django_capture_on_commit_callbacks
):
    settings.CLAMD_ADDRESS = clamd
    folder = _write(tmp_path / "release", {"a/s01.csv": b"old frames", "b/s02.csv": b"clean"})
    variant_ingest(variant=variant, folder=folder)
    before = DataFile.objects.get(path="a/s01.csv")
    stored_before = _stored_files(settings.PROTECTED_ROOT)

    # Re-ingest: the first file changed, a later one is now infected.
    _write(folder, {"a/s01.csv": b"new frames", "b/s02.csv": EICAR})
    with pytest.raises(InfectedFilesError):
        variant_ingest(variant=variant, folder=folder)

    after = DataFile.objects.get(path="a/s01.csv")
    assert (after.sha256, after.storage_name) == (before.sha256, before.storage_name)
    assert _served(after) == b"old frames"  # the live copy is still there and still served
    # Nothing new was left but the finished copy the journal records for the next run ...
    new_copy = content_name(variant, "a/s01.csv", hashlib.sha256(b"new frames").hexdigest())
    assert _stored_files(settings.PROTECTED_ROOT) == stored_before | {new_copy}
    assert new_copy in _journal_names(variant)

    # ... which uses it once the infected file is replaced, and then leaves nothing stray.
    _write(folder, {"b/s02.csv": b"clean again"})
    with django_capture_on_commit_callbacks(execute=True):
        report = variant_ingest(variant=variant, folder=folder)
    assert report.resumed == 1
    assert DataFile.objects.get(path="a/s01.csv").storage_name == new_copy
    assert _stored_files(settings.PROTECTED_ROOT) == set(
        DataFile.objects.values_list("storage_name", flat=True)
    )


def test_changed_file_replaces_the_old_copy_after_commit(
    variant, tmp_path, settings, django_capture_on_commit_callbacks
):
    folder = _write(tmp_path / "release", {"s01.csv": b"version one"})
    variant_ingest(variant=variant, folder=folder)
    old_name = DataFile.objects.get().storage_name
    _write(folder, {"s01.csv": b"version two"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        variant_ingest(variant=variant, folder=folder)
    assert protected_storage().exists(old_name)  # served until the swap has committed
    for callback in callbacks:
        callback()
    row = DataFile.objects.get()
    assert row.storage_name != old_name
    assert _served(row) == b"version two"
    assert not protected_storage().exists(old_name)
    assert _stored_files(settings.PROTECTED_ROOT) == {row.storage_name}


def test_identical_files_share_a_copy_and_pruning_one_keeps_the_other(variant, tmp_path):
    folder = _write(tmp_path / "release", {"x/one.csv": b"same", "y/two.csv": b"same"})
    variant_ingest(variant=variant, folder=folder)
    one, two = DataFile.objects.order_by("path")
    assert one.storage_name == two.storage_name
    (folder / "x" / "one.csv").unlink()
    variant_ingest(variant=variant, folder=folder, prune=True)
    assert _served(DataFile.objects.get(path="y/two.csv")) == b"same"


def test_damaged_leftover_under_the_content_name_is_replaced(variant, tmp_path):
    folder = _write(tmp_path / "release", {"s01.csv": b"the real bytes"})
    variant_ingest(variant=variant, folder=folder)
    row = DataFile.objects.get()
    path = Path(protected_storage().path(row.storage_name))
    path.write_bytes(b"the re")  # an interrupted copy from some earlier run
    row.delete()
    variant_ingest(variant=variant, folder=folder)
    assert _served(DataFile.objects.get()) == b"the real bytes"


@pytest.fixture
def small_disk(tmp_path, settings):
    """Protected storage on a real 1 MB filesystem (tmpfs), so copies run out of space."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    root = mount / "protected"
    settings.STORAGES = {
        **settings.STORAGES,
        "protected": {
            **settings.STORAGES["protected"],
            "OPTIONS": {**settings.STORAGES["protected"]["OPTIONS"], "location": str(root)},
        },
    }
    from django.core.files.storage import storages

    storages._storages = {}
    yield root
    storages._storages = {}
    subprocess.run(["umount", str(mount)], check=False)


def test_disk_full_mid_ingest_says_so_in_one_line_and_leaves_no_stray_file(
    variant, tmp_path, small_disk
):
    folder = _write(
        tmp_path / "release",
        {"a.bin": os.urandom(300_000), "b.bin": os.urandom(900_000), "c.bin": b"small"},
    )
    with pytest.raises(CommandError) as caught:
        call_command("ingest", variant.slug, str(folder), "--quiet", "--jobs", "1")
    message = str(caught.value)
    assert "\n" not in message
    assert "b.bin" in message
    assert os.strerror(errno.ENOSPC) in message
    assert "run the same command again" in message
    assert not DataFile.objects.exists()
    # No partial copy of b.bin; the finished copies (a.bin's, and c.bin's if it was done
    # before b.bin failed) stay, recorded for the next run.
    recorded = _journal_names(variant)
    assert _stored_files(small_disk) == recorded
    assert 1 <= len(recorded) <= 2

    # Space is freed (here: the filesystem grows): the same command finishes the job
    # without copying a.bin again, and leaves exactly the copies the rows name.
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk.parent)], check=True)
    out = io.StringIO()
    call_command("ingest", variant.slug, str(folder), stdout=out, stderr=io.StringIO())
    done = len(recorded)
    assert f"resumed: {done} files already recorded, hashing {3 - done}" in out.getvalue()
    assert DataFile.objects.count() == 3
    assert _stored_files(small_disk) == set(DataFile.objects.values_list("storage_name", flat=True))
