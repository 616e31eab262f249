"""The portal's Ed25519 signing key: created on first use (mode 0600), never leaves the
server; its public half is published at /.well-known/accord-signing-key."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: two workers starting together must not both write a key; the loser reads the
    # winner's. The mode is set at creation so the key is never readable by others.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def signing_key() -> Ed25519PrivateKey:
    path = Path(settings.SIGNING_KEY_FILE)
    try:
        stat = path.stat()
    except FileNotFoundError:
        _create(path)
        stat = path.stat()
    # Parsed once per file version, not on every manifest or key request: the stat keys the
    # cache, so a replaced key (or a test's own key file) is picked up without a restart.
    return _load(str(path), stat.st_mtime_ns, stat.st_ino, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, _mtime_ns: int, _inode: int, _size: int) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"ACCORD_SIGNING_KEY_FILE ({path}) is not an unencrypted PEM private key: {exc}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"ACCORD_SIGNING_KEY_FILE ({path}) is not an Ed25519 key.")
    return key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> bytes:
    return public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
