"""API endpoints of access (mounted by accord.api.routers)."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema

from accord.access import selectors
from accord.api.auth import token_or_session
from accord.api.pagination import PAGES_DOC, link_paginated

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


def _out(pair) -> EntitlementOut:
    e, is_usable = pair
    return EntitlementOut(
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


class _UsableThenEnded:
    """The usable entitlements, then the ended ones, as one list the paginator counts and
    slices: a page reads only its own rows from one or both querysets."""

    def __init__(self, usable, ended):
        self.usable, self.ended = usable, ended

    def count(self) -> int:
        self._usable_count = self.usable.count()
        return self._usable_count + self.ended.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list:
        n = getattr(self, "_usable_count", None)
        if n is None:
            n = self.usable.count()
        start, stop = item.start or 0, item.stop
        rows = [(e, True) for e in self.usable[min(start, n) : min(stop, n)]]
        if stop > n:
            rows += [(e, False) for e in self.ended[max(start - n, 0) : stop - n]]
        return rows


@router.get(
    "/access/entitlements",
    response=list[EntitlementOut],
    auth=token_or_session,
    description=(
        "What you may download now (usable, first) and what you held before, with why it "
        "ended." + PAGES_DOC.format(size=100)
    ),
)
@link_paginated(to_out=_out)
def my_entitlements(request, response: HttpResponse):
    """What you may download now (usable) and what you held before, with why it ended."""
    return _UsableThenEnded(*selectors.entitlements_of(request.user))
