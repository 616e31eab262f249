"""The portal's Ed25519 signing key: created on first use (mode 0600), never leaves the
server; its public half is published at /.well-known/accord-signing-key."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from accord.core.keys import ed25519_key_file, public_pem


def signing_key() -> Ed25519PrivateKey:
    return ed25519_key_file(Path(settings.SIGNING_KEY_FILE), setting="ACCORD_SIGNING_KEY_FILE")


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> bytes:
    return public_pem(public_key())
