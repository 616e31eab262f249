"""`accord ingest`: sizes and checksums, re-runs, changed files, and symlinks that escape."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from accord.catalog.models import DataFile
from tests import factories


@pytest.fixture
def variant(db):
    return factories.VariantFactory(slug="smic-e")


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "release"
    (root / "HS" / "s1").mkdir(parents=True)
    (root / "HS" / "s1" / "a.png").write_bytes(b"frame-a" * 100)
    (root / "HS" / "s1" / "b.png").write_bytes(b"frame-b" * 50)
    (root / "annotations.csv").write_text("Subject,Filename,OnsetF,OffsetF,Emotion\n")
    return root


def _ingest(variant, folder, *extra):
    call_command("ingest", variant.slug, str(folder), *extra)


def test_ingest_records_size_and_sha256_of_every_file(variant, folder):
    _ingest(variant, folder)
    files = {f.path: f for f in DataFile.objects.filter(variant=variant)}
    assert set(files) == {"HS/s1/a.png", "HS/s1/b.png", "annotations.csv"}
    a = files["HS/s1/a.png"]
    assert a.size == 700
    assert a.sha256 == hashlib.sha256(b"frame-a" * 100).hexdigest()
    assert a.media_type == "image/png"
    with storages["protected"].open(a.storage_name) as fh:
        assert fh.read() == b"frame-a" * 100


def test_rerun_changes_nothing(variant, folder, capsys):
    _ingest(variant, folder)
    before = list(DataFile.objects.values_list("id", "sha256", "updated"))
    _ingest(variant, folder)
    assert list(DataFile.objects.values_list("id", "sha256", "updated")) == before
    assert "0 added, 0 changed, 3 unchanged" in capsys.readouterr().out


def test_changed_file_is_detected_not_duplicated(variant, folder, capsys):
    _ingest(variant, folder)
    (folder / "HS" / "s1" / "a.png").write_bytes(b"new content")
    _ingest(variant, folder)
    out = capsys.readouterr().out
    assert "changed   HS/s1/a.png" in out
    assert DataFile.objects.filter(variant=variant, path="HS/s1/a.png").count() == 1
    a = DataFile.objects.get(variant=variant, path="HS/s1/a.png")
    assert a.sha256 == hashlib.sha256(b"new content").hexdigest()
    assert a.size == len(b"new content")
    with storages["protected"].open(a.storage_name) as fh:
        assert fh.read() == b"new content"


def test_symlink_leaving_the_folder_is_refused_and_nothing_is_recorded(variant, folder, tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("not part of the release")
    os.symlink(secret, folder / "HS" / "escape.txt")
    with pytest.raises(CommandError, match=r"escape\.txt"):
        _ingest(variant, folder)
    assert not DataFile.objects.filter(variant=variant).exists()


def test_symlinked_directory_escaping_is_refused(variant, folder, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.bin").write_bytes(b"x")
    os.symlink(outside, folder / "linked")
    with pytest.raises(CommandError, match="linked"):
        _ingest(variant, folder)


def test_symlink_inside_the_folder_is_followed(variant, folder):
    os.symlink(folder / "annotations.csv", folder / "HS" / "annotations-link.csv")
    _ingest(variant, folder)
    link = DataFile.objects.get(variant=variant, path="HS/annotations-link.csv")
    assert link.size == len("Subject,Filename,OnsetF,OffsetF,Emotion\n")


def test_special_files_are_reported_not_silently_skipped(variant, folder, capsys):
    os.mkfifo(folder / "pipe")
    _ingest(variant, folder)
    err = capsys.readouterr().err
    assert "skipped   pipe: not a regular file" in err


def test_missing_files_are_reported_and_pruned_only_when_asked(variant, folder, capsys):
    _ingest(variant, folder)
    (folder / "HS" / "s1" / "b.png").unlink()
    _ingest(variant, folder)
    assert "missing   HS/s1/b.png" in capsys.readouterr().err
    assert DataFile.objects.filter(path="HS/s1/b.png").exists()
    _ingest(variant, folder, "--prune")
    assert not DataFile.objects.filter(path="HS/s1/b.png").exists()


def test_unknown_variant_names_the_known_ones(variant, folder):
    with pytest.raises(CommandError, match="smic-e"):
        call_command("ingest", "nope", str(folder))
