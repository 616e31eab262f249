"""Writes for entitlements. Services that change a licence or its members call
``entitlements_sync_for_licence`` inside their transaction so access follows at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accord.access import policy
from accord.access.models import Entitlement
from accord.audit.services import audit_record
from accord.core import clock


@dataclass
class SyncResult:
    granted: list[Entitlement] = field(default_factory=list)
    revoked: list[Entitlement] = field(default_factory=list)
    updated: list[Entitlement] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.granted or self.revoked or self.updated)


def _default_reason(licence) -> str:
    if licence.status != licence.Status.ACTIVE:
        return f"licence {licence.get_status_display().lower()}"
    if licence.expires_at is not None and licence.expires_at <= timezone.now():
        return "licence expired"
    return "no longer covered by the licence"


@transaction.atomic
def entitlements_sync_for_licence(*, licence, actor=None, reason: str = "") -> SyncResult:
    """Make the licence's open entitlements match its current state, variants and members.

    Wanted: one entitlement per (active member or signer) × licensed variant while the licence
    is in force. Extra ones are revoked with ``reason`` (history is kept, rows never deleted);
    missing ones are granted from now until the licence's expiry. A change of terms (the
    licence moved to a new LicenseVersion) closes the old rows and opens new ones so each row
    names the terms it was granted under. Idempotent: a second call changes nothing.
    """
    now = clock.now()
    wanted: set[tuple[int, int]] = set()
    if licence.is_in_force(now):
        user_ids = list(policy.licence_holders(licence, now=now).values_list("pk", flat=True))
        variant_ids = list(licence.variants.values_list("pk", flat=True))
        wanted = {(u, v) for u in user_ids for v in variant_ids}

    result = SyncResult()
    open_rows = list(
        Entitlement.objects.select_for_update().filter(licence=licence, revoked_at__isnull=True)
    )
    have: dict[tuple[int, int], Entitlement] = {}
    for row in open_rows:
        key = (row.user_id, row.variant_id)
        if key not in wanted:
            row.revoked_at = now
            row.revoke_reason = reason or _default_reason(licence)
            row.save(update_fields=["revoked_at", "revoke_reason", "updated"])
            result.revoked.append(row)
        elif row.license_version_id != licence.license_version_id:
            row.revoked_at = now
            row.revoke_reason = reason or "superseded by new licence terms"
            row.save(update_fields=["revoked_at", "revoke_reason", "updated"])
            result.revoked.append(row)
        else:
            have[key] = row
            if row.valid_until != licence.expires_at:
                row.valid_until = licence.expires_at
                row.save(update_fields=["valid_until", "updated"])
                result.updated.append(row)

    for user_id, variant_id in sorted(wanted - have.keys()):
        result.granted.append(
            Entitlement.objects.create(
                user_id=user_id,
                variant_id=variant_id,
                licence=licence,
                license_version_id=licence.license_version_id,
                valid_from=now,
                valid_until=licence.expires_at,
            )
        )

    if result.changed:
        audit_record(
            event_type="access:entitlement:sync",
            actor=actor,
            target=licence,
            custodian_id=licence.dataset.custodian_id,
            dataset_id=licence.dataset_id,
            licence_id=licence.pk,
            details={
                "reason": reason,
                "granted": [[e.user_id, e.variant_id] for e in result.granted],
                "revoked": [[e.user_id, e.variant_id] for e in result.revoked],
                "updated": [[e.user_id, e.variant_id] for e in result.updated],
            },
        )
    return result
