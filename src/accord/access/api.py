"""API endpoints of access (mounted by accord.api.routers)."""

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema

from accord.access import selectors
from accord.api.auth import token_or_session
from accord.api.pagination import UNCOUNTED_PAGES_DOC, link_paginated
from accord.core.pages_uncounted import IdsFirst

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


_OUT_FIELDS = (
    "valid_from",
    "valid_until",
    "revoked_at",
    "revoke_reason",
    "variant__slug",
    "variant__dataset__slug",
    "licence__reference",
    "license_version__version",
)


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
    """The usable entitlements, then the ended ones, as one list the paginator slices without
    counting it: a page reads its rows from the usable ones (their ids first, see
    ``IdsFirst``), and from the ended ones only once it reaches past the usable ones."""

    def __init__(self, usable, ended):
        self.usable, self.ended = IdsFirst(usable), IdsFirst(ended)

    def __getitem__(self, item: slice) -> list:
        start, stop = item.start or 0, item.stop
        rows = [(e, True) for e in self.usable[start:stop]]
        if len(rows) == stop - start:
            return rows
        # The usable ones end on this page or before it: the ended ones start at their count.
        n = start + len(rows) if rows else self.usable.count()
        return rows + [(e, False) for e in self.ended[max(start - n, 0) : stop - n]]


@router.get(
    "/access/entitlements",
    response=list[EntitlementOut],
    auth=token_or_session,
    description=(
        "What you may download now (usable, first) and what you held before, with why it "
        "ended." + UNCOUNTED_PAGES_DOC.format(size=100)
    ),
)
@link_paginated(to_out=_out, counted=False)
def my_entitlements(request, response: HttpResponse):
    """What you may download now (usable) and what you held before, with why it ended."""
    # Only the columns the list shows: built whole, a page's entitlements with their variants,
    # datasets, licences and terms cost more in Python than their queries.
    return _UsableThenEnded(
        *(qs.only(*_OUT_FIELDS) for qs in selectors.entitlements_of(request.user))
    )
