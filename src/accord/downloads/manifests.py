"""Building and signing a manifest for one licence and variant."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.access.models import Entitlement
from accord.access.policy import servable_files
from accord.audit.services import audit_record
from accord.client.manifest import ALGORITHM, FORMAT, document_bytes, key_id, signing_bytes
from accord.downloads import documents
from accord.downloads.signing import signing_key


def manifest_payload(*, entitlement: Entitlement, now=None) -> dict[str, Any]:
    licence = entitlement.licence
    variant = entitlement.variant
    dataset = variant.dataset
    version = entitlement.license_version
    files = servable_files(variant.files.all()).select_related("subject").order_by("path")
    entries = [
        {"path": f.path, "size": f.size, "sha256": f.sha256, "subject": f.subject_code}
        for f in files
    ]
    return {
        "format": FORMAT,
        "portal": settings.SITE_URL,
        "issued_at": (now or timezone.now()).isoformat(timespec="seconds"),
        "dataset": {
            "slug": dataset.slug,
            "name": dataset.name,
            "custodian": str(dataset.custodian),
        },
        "variant": {"slug": variant.slug, "name": variant.name, "release": variant.release},
        "withdrawn": withdrawn_files(variant),
        "license_version": {
            "version": version.version,
            "title": version.title,
            "effective_date": version.effective_date.isoformat(),
        },
        "licence": {
            "reference": licence.reference,
            "signer": {"name": licence.signer.get_full_name(), "email": licence.signer.email},
            "expires_at": licence.expires_at.isoformat() if licence.expires_at else None,
        },
        "licensee": {
            "name": entitlement.user.get_full_name(),
            "email": entitlement.user.email,
        },
        "files": entries,
        "total_size": sum(e["size"] for e in entries),
        # CITATION.cff and TERMS.md, served at .../documents/<path> (generated, so the same
        # bytes as hashed here); the client saves them next to the files.
        "documents": documents.manifest_entries(entitlement),
    }


def sign(payload: dict[str, Any]) -> bytes:
    """The manifest file's bytes: the payload and its detached Ed25519 signature."""
    key = signing_key()
    signature = key.sign(signing_bytes(payload))
    return document_bytes(
        {
            "manifest": payload,
            "signature": {
                "alg": ALGORITHM,
                "key_id": key_id(key.public_key()),
                "value": base64.b64encode(signature).decode("ascii"),
            },
        }
    )


@transaction.atomic
def manifest_issue(*, entitlement: Entitlement, actor) -> bytes:
    payload = manifest_payload(entitlement=entitlement)
    data = sign(payload)
    audit_record(
        event_type="downloads:manifest:issue",
        actor=actor,
        target=entitlement.variant,
        custodian_id=entitlement.variant.dataset.custodian_id,
        dataset_id=entitlement.variant.dataset_id,
        licence_id=entitlement.licence_id,
        details={"files": len(payload["files"]), "issued_at": payload["issued_at"]},
    )
    return data


def withdrawn_files(variant) -> list[dict[str, Any]]:
    """Files earlier releases of ``variant`` held and a later one removed for a consent
    withdrawal: what `accord fetch` reports as stale local copies (this exact shape is the
    client's contract). ``subject`` is the subject who withdrew (also for a shared sheet's old
    copy that held their rows), ``release`` the release that removed the file, ``withdrawn_on``
    the day consent was withdrawn (as staff recorded it)."""
    from accord.catalog.releases import withdrawn_entries  # here: keeps this hunk apart

    def entry_dict(entry) -> dict[str, Any]:
        withdrawal = entry.release.withdrawal
        subject = withdrawal.subject if withdrawal else None
        when = (subject.withdrawn_at if subject else None) or entry.release.published_at
        return {
            "path": entry.path,
            "sha256": entry.sha256,
            "subject": subject.code if subject else None,
            "release": entry.release.label,
            "withdrawn_on": timezone.localdate(when).isoformat(),
        }

    return [entry_dict(entry) for entry in withdrawn_entries(variant)]
