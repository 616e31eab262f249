"""Licences, members and variants with real files, for access and download tests.

Licence and member rows are made directly here (the agreements services build them in
production) and then synced through the real entitlements service, as those services do.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from django.utils import timezone

from accord.access.services import entitlements_sync_for_licence
from accord.catalog.services import variant_ingest
from accord.licences.models import Licence, LicenceMember
from tests import factories

_refs = itertools.count(1)


def variant_with_files(dataset, tmp_path: Path, files: dict[str, bytes], **kwargs):
    """A variant of ``dataset`` whose files went through the real ingest service."""
    variant = factories.VariantFactory(dataset=dataset, **kwargs)
    folder = tmp_path / f"ingest-{variant.slug}"
    for rel, content in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    variant_ingest(variant=variant, folder=folder)
    return variant


def licence_for(
    *, variants, signer=None, members=(), status=Licence.Status.ACTIVE, expires_at=None
) -> Licence:
    """An approved licence over ``variants`` with ``members`` active, entitlements synced."""
    variants = list(variants)
    dataset = variants[0].dataset
    version = dataset.license_versions.order_by("-version").first()
    if version is None:
        version = factories.LicenseVersionFactory(dataset=dataset)
    licence = Licence.objects.create(
        reference=f"LIC-TEST-{next(_refs):04d}",
        dataset=dataset,
        license_version=version,
        signer=signer or factories.UserFactory(),
        status=status,
        expires_at=expires_at,
    )
    licence.variants.set(variants)
    for user in members:
        add_member(licence, user, sync=False)
    entitlements_sync_for_licence(licence=licence, reason="approved")
    return licence


def add_member(licence: Licence, user, *, sync: bool = True) -> LicenceMember:
    member = LicenceMember.objects.create(
        licence=licence,
        user=user,
        email=user.email,
        full_name=user.full_name,
        status=LicenceMember.Status.ACTIVE,
        accepted_at=timezone.now(),
        accepted_license_version=licence.license_version,
    )
    if sync:
        entitlements_sync_for_licence(licence=licence, reason="member joined")
    return member


def remove_member(licence: Licence, user, *, sync: bool = True) -> None:
    """What the signer's "remove" does: the row first, the sync in the same action."""
    LicenceMember.objects.filter(licence=licence, user=user).update(
        status=LicenceMember.Status.REMOVED, removed_at=timezone.now()
    )
    if sync:
        entitlements_sync_for_licence(licence=licence, reason="removed by the signer")


def revoke_licence(licence: Licence, *, sync: bool = True, reason: str = "revoked") -> None:
    Licence.objects.filter(pk=licence.pk).update(
        status=Licence.Status.REVOKED, ended_at=timezone.now(), end_reason=reason
    )
    licence.refresh_from_db()
    if sync:
        entitlements_sync_for_licence(licence=licence, reason=reason)
