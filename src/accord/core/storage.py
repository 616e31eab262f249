"""The storage interface: protected files (datasets, agreements) never have a public URL."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from django.core.files.storage import Storage, storages

CHUNK = 1024 * 1024


def protected_storage() -> Storage:
    """Callable for FileField(storage=...): resolved at run time so tests and S3 can swap it."""
    return storages["protected"]


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 hex digest and size of a stream, read in constant memory."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
