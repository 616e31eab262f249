"""Where downloaded data may live (CASMEMG clause C3: a safe place with limited access, never
a path others can reach): create the folder private and say when its location is shared."""

from __future__ import annotations

import os
import stat
from pathlib import Path

TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108 - we warn about them, not use them
# Filesystems other machines or users reach: network shares, cluster and VM shared folders.
SHARED_FILESYSTEMS = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
    "gpfs", "beegfs", "davfs", "vboxsf", "vmhgfs", "virtiofs", "drvfs",
}  # fmt: skip


def _mounts(proc_mounts: str = "/proc/mounts") -> list[tuple[str, str]]:
    try:
        lines = Path(proc_mounts).read_text().splitlines()
    except OSError:
        return []
    mounts = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            mounts.append((parts[1].replace("\\040", " "), parts[2]))
    return mounts


def _filesystem_of(path: Path, mounts: list[tuple[str, str]]) -> tuple[str, str] | None:
    best = None
    for point, fstype in mounts:
        p = Path(point)
        if (path == p or p in path.parents) and (best is None or len(point) > len(best[0])):
            best = (point, fstype)
    return best


def _is_shared_fs(fstype: str) -> bool:
    base = fstype.removeprefix("fuse.")
    return base in SHARED_FILESYSTEMS or base in {"sshfs", "rclone", "s3fs", "gcsfuse"}


def location_warnings(
    dest: Path,
    *,
    temp_roots: tuple[str, ...] = TEMP_ROOTS,
    mounts: list[tuple[str, str]] | None = None,
) -> list[str]:
    """Plain-language reasons why ``dest`` is not a private place for licensed data."""
    dest = Path(os.path.abspath(dest))
    existing = dest if dest.exists() else next(p for p in dest.parents if p.exists())
    real = existing.resolve()
    warnings: list[str] = []

    in_temp = False
    for root in temp_roots:
        root_real = Path(root).resolve() if Path(root).exists() else Path(root)
        if real == root_real or root_real in real.parents:
            in_temp = True
            warnings.append(
                f"{dest} is under {root}, a folder every user of this machine shares (and "
                "that may be wiped). Keep licensed data in a private folder of your own."
            )
            break

    # The folders above dest (dest's own mode is checked below).
    ancestors = list(real.parents) if dest.exists() else [real, *real.parents]
    for ancestor in ancestors:
        try:
            mode = ancestor.stat().st_mode
        except OSError:
            continue
        if mode & stat.S_IWOTH:
            if not mode & stat.S_ISVTX:
                warnings.append(
                    f"{ancestor} is writable by every user: others can move or replace folders "
                    "on the way to your data."
                )
            elif not in_temp:  # sticky, like /tmp: others cannot move ours, but it is shared
                warnings.append(
                    f"{ancestor} is a shared folder (writable by every user, like /tmp). Keep "
                    "licensed data in a private folder of your own."
                )
            break
        if mode & stat.S_IWGRP and ancestor.stat().st_uid == os.getuid():
            warnings.append(
                f"{ancestor} is writable by its group: other people in that group can reach "
                "the folders inside it."
            )
            break

    parent = dest.parent if dest.parent.exists() else None
    if parent is not None and parent.stat().st_mode & stat.S_IROTH:
        warnings.append(
            f"{parent} can be listed by every user of this machine. The data folder itself "
            "is private (mode 0700), but a location only you can read is safer."
        )

    fs = _filesystem_of(real, _mounts() if mounts is None else mounts)
    if fs is not None and _is_shared_fs(fs[1]):
        warnings.append(
            f"{dest} is on a shared or network filesystem ({fs[1]} mounted at {fs[0]}); others "
            "may reach it from other machines. Prefer a local private disk."
        )

    if dest.exists():
        mode = stat.S_IMODE(dest.stat().st_mode)
        if mode & 0o077:
            warnings.append(
                f"{dest} is open to others (mode {mode:04o}); run `chmod 700 {dest}` to make it "
                "private."
            )
    return warnings


def make_private_dir(dest: Path) -> None:
    """Create ``dest`` (and missing parents) so that only the user can enter it."""
    if dest.exists():
        return
    missing = [p for p in [dest, *dest.parents] if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
