"""CASMEMG clause C3: the client keeps data private and says when a place is shared."""

from __future__ import annotations

import stat

from accord.client.locations import location_warnings, make_private_dir


def safe(path, **kw):
    # tmp_path lives under /tmp: leave /tmp out of the temp roots to test the other rules.
    return location_warnings(path, temp_roots=("/nowhere",), mounts=[], **kw)


def test_private_parent_gives_no_warning(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    home.chmod(0o700)
    # Only what lies above tmp_path (the machine's /tmp) may draw a warning.
    assert [w for w in safe(home / "data") if str(tmp_path) in w] == []


def test_sticky_shared_folder_like_tmp(tmp_path):
    shared = tmp_path / "scratch"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "me").mkdir(mode=0o700)
    assert any("is a shared folder" in w and str(shared) in w for w in safe(shared / "me" / "d"))


def test_temp_folder_is_called_shared(tmp_path):
    warnings = location_warnings(tmp_path / "data", temp_roots=(str(tmp_path),), mounts=[])
    assert any("every user of this machine shares" in w for w in warnings)


def test_world_writable_ancestor(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "inner").mkdir(mode=0o700)
    assert any("writable by every user" in w for w in safe(shared / "inner" / "data"))


def test_group_writable_ancestor(tmp_path):
    group = tmp_path / "group"
    group.mkdir()
    group.chmod(0o770)
    assert any("writable by its group" in w for w in safe(group / "data"))


def test_world_readable_parent(tmp_path):
    parent = tmp_path / "readable"
    parent.mkdir()
    parent.chmod(0o755)
    assert any("can be listed by every user" in w for w in safe(parent / "data"))


def test_network_share(tmp_path):
    warnings = location_warnings(
        tmp_path / "data", temp_roots=(), mounts=[("/", "ext4"), (str(tmp_path), "nfs4")]
    )
    assert any("nfs4" in w for w in warnings)
    fuse = location_warnings(tmp_path / "d", temp_roots=(), mounts=[(str(tmp_path), "fuse.sshfs")])
    assert any("sshfs" in w for w in fuse)


def test_existing_open_folder_is_named_with_the_fix(tmp_path):
    parent = tmp_path / "p"
    parent.mkdir(mode=0o700)
    parent.chmod(0o700)
    open_dir = parent / "open"
    open_dir.mkdir()
    open_dir.chmod(0o755)
    assert any(f"chmod 700 {open_dir}" in w for w in safe(open_dir))


def test_make_private_dir_ignores_a_loose_umask(tmp_path, monkeypatch):
    import os

    old = os.umask(0o000)
    try:
        make_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
