"""Ed25519 private keys kept in files outside the database: created on first use (mode 0600),
parsed once per file version. The manifest signing key and the audit key both come from here."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.core.exceptions import ImproperlyConfigured


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written whole to a private temporary file, then linked into place: two processes
    # starting together never both install a key (the loser reads the winner's), and nobody
    # reads a half-written one. The mode is set at creation so the key is never readable by
    # others.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def ed25519_key_file(path: Path, *, setting: str, create: bool = True) -> Ed25519PrivateKey:
    """The key in ``path`` (named ``setting`` in errors), created first if ``create``.

    Without ``create`` a missing file raises FileNotFoundError: whoever checks signatures
    (verify, restore) must not mint a fresh key that then matches nothing."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not create:
            raise
        _create(path)
        stat = path.stat()
    # The stat keys the cache, so a replaced key (or a test's own key file) is picked up
    # without a restart.
    return _load(str(path), setting, stat.st_mtime_ns, stat.st_ino, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, setting: str, _mtime_ns: int, _inode: int, _size: int) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"{setting} ({path}) is not an unencrypted PEM private key: {exc}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{setting} ({path}) is not an Ed25519 key.")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint naming a public key in signed statements and messages."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
