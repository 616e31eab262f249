"""API endpoints of access (mounted by accord.api.routers)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from accord.access import selectors
from accord.api.auth import token_or_session

router = Router(tags=["access"])


class EntitlementOut(Schema):
    variant: str
    dataset: str
    licence: str
    license_version: int
    valid_from: datetime
    valid_until: datetime | None
    usable: bool
    revoked_at: datetime | None
    revoke_reason: str


@router.get("/access/entitlements", response=list[EntitlementOut], auth=token_or_session)
def my_entitlements(request):
    """What you may download now (usable) and what you held before, with why it ended."""
    usable, ended = selectors.entitlements_of(request.user)
    return [
        EntitlementOut(
            variant=e.variant.slug,
            dataset=e.variant.dataset.slug,
            licence=e.licence.reference,
            license_version=e.license_version.version,
            valid_from=e.valid_from,
            valid_until=e.valid_until,
            usable=is_usable,
            revoked_at=e.revoked_at,
            revoke_reason=e.revoke_reason,
        )
        for rows, is_usable in ((usable, True), (ended, False))
        for e in rows
    ]
