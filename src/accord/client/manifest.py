"""Signed manifests: their exact byte form, and offline verification (no Django).

A manifest file is ``{"manifest": {...}, "signature": {...}}`` written in one canonical form
(sorted keys, two-space indent, UTF-8, final newline). The Ed25519 signature covers the
canonical compact JSON of ``manifest``; the verifier also insists the file is byte for byte
in canonical form, so *any* changed byte, even layout, fails verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "accord-manifest/1"
ALGORITHM = "Ed25519"


class ManifestError(Exception):
    """The manifest cannot be trusted; the message says why."""


def signing_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def document_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ManifestError(f"The signing key is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ManifestError("The signing key is not an Ed25519 public key.")
    return key


def verify_document(data: bytes, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The verified ``manifest`` part of a manifest file's bytes, or ManifestError."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"Not a manifest (invalid JSON: {exc}).") from exc
    if not isinstance(document, dict) or set(document) != {"manifest", "signature"}:
        raise ManifestError("Not a manifest: expected exactly 'manifest' and 'signature'.")
    manifest, signature = document["manifest"], document["signature"]
    if not isinstance(manifest, dict) or not isinstance(signature, dict):
        raise ManifestError("Not a manifest: 'manifest' and 'signature' must be objects.")
    if signature.get("alg") != ALGORITHM:
        raise ManifestError(f"Unsupported signature algorithm {signature.get('alg')!r}.")
    if signature.get("key_id") != key_id(public_key):
        raise ManifestError(
            f"Signed by key {signature.get('key_id')!r}, not by the key given "
            f"({key_id(public_key)}). Check you have this portal's signing key."
        )
    try:
        raw_signature = base64.b64decode(str(signature.get("value", "")), validate=True)
        public_key.verify(raw_signature, signing_bytes(manifest))
    except (InvalidSignature, ValueError) as exc:
        raise ManifestError("The signature does not match: the manifest was altered.") from exc
    if data != document_bytes(document):
        raise ManifestError("The file differs from its signed canonical form: it was altered.")
    if manifest.get("format") != FORMAT:
        raise ManifestError(f"Unknown manifest format {manifest.get('format')!r}.")
    _check_files(manifest)
    return manifest


def _check_files(manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ManifestError("The manifest lists no files.")
    # "documents" (CITATION.cff, TERMS.md) and "withdrawn" are absent from older portals'.
    documents = manifest.get("documents", [])
    withdrawn = manifest.get("withdrawn", [])
    if not isinstance(documents, list) or not isinstance(withdrawn, list):
        raise ManifestError("The manifest's documents and withdrawn files must be lists.")
    for entry in withdrawn:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("sha256"), str)
            and len(entry["sha256"]) == 64
        ):
            raise ManifestError(f"Malformed withdrawn entry in the manifest: {entry!r}")
    for entry in files + documents:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and len(entry["sha256"]) == 64
        ):
            raise ManifestError(f"Malformed file entry in the manifest: {entry!r}")
