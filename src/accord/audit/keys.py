"""The audit key: signs checkpoints and backup manifests, and keys each event's MAC.

It is a separate key from the manifest signing key (ACCORD_SIGNING_KEY_FILE) on purpose. The
manifest key's public half is published to every researcher's client and may have to be
rotated after a leak; rotating it must not orphan years of audit checkpoints, and a leak of it
must not let anyone forge the trail's history. The audit key's public half (its key id) is
what custodians keep beside their exported checkpoints, and it is escrowed with the backups.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from accord.core.keys import ed25519_key_file, key_id

SETTING = "ACCORD_AUDIT_KEY_FILE"


def audit_key(*, create: bool = True) -> Ed25519PrivateKey:
    """The private key, created on first use when ``create`` (every append needs it)."""
    return ed25519_key_file(Path(settings.AUDIT_KEY_FILE), setting=SETTING, create=create)


@lru_cache(maxsize=4)
def mac_key(private: Ed25519PrivateKey) -> bytes:
    # A MAC key derived from (not equal to) the signing key: the same secret never serves two
    # algorithms directly.
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"accord audit event MAC").derive(
        raw
    )


def event_mac(key: bytes, event_hash: str) -> str:
    return hmac.digest(key, event_hash.encode("ascii"), "sha256").hex()


@dataclass
class TrustedKeys:
    """What a verifier trusts: the installed audit key, for MACs and signatures. The key is
    not rotated: old events' MACs need it, so it is escrowed, never replaced."""

    public: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    mac: bytes | None = None
    current_id: str = ""
    missing: str = ""  # why there is no installed key, for messages


def trusted_keys() -> TrustedKeys:
    keys = TrustedKeys()
    try:
        private = audit_key(create=False)
    except FileNotFoundError:
        keys.missing = (
            f"there is no audit key at {settings.AUDIT_KEY_FILE} ({SETTING}); install the "
            "escrowed key there (mode 600)"
        )
    else:
        keys.mac = mac_key(private)
        keys.current_id = key_id(private.public_key())
        keys.public[keys.current_id] = private.public_key()
    return keys
