"""Audit trail over the API: staff read their custodians' events (mounted by accord.api.routers).

The list is the web trail's, ungrouped: chained events and download-journal rows (links
issued, downloads served or handed to nginx or S3, sealed into the chain in batches) in one
time order, paged in the database."""

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from accord.access import policy
from accord.api.auth import token_or_session
from accord.api.pagination import BoundedPageNumberPagination
from accord.api.params import IsoDate, RowId
from accord.api.problems import ProblemOut
from accord.audit.selectors import (
    EventFilter,
    JournalRow,
    events_visible_to,
    filter_events,
    filter_journal,
    journal_visible_to,
    trail_keys,
    trail_rows,
)
from accord.core.permissions import Permission
from accord.core.validators import SingleLine

router = Router(tags=["audit"])


class EventOut(Schema):
    # A chained event has its ``seq``; a download-journal row has ``journal_id`` instead, and
    # ``sealed_by``: the seq of the chain event sealing it (None until sealed, within seconds).
    seq: int | None
    journal_id: int | None = None
    sealed_by: int | None = None
    created: datetime
    event_type: str
    actor_repr: str
    target_type: str
    target_id: str
    target_repr: str
    custodian_id: int | None
    dataset_id: int | None
    licence_id: int | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


def _out(row) -> dict[str, Any]:
    if isinstance(row, JournalRow):
        from accord.audit.journal import leaf

        entry = row.entry
        return {
            "seq": None,
            "journal_id": entry.pk,
            "sealed_by": entry.seal_seq,
            "created": entry.created,
            "event_type": entry.event_type,
            "actor_repr": row.actor_repr,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "target_repr": entry.target_label,
            "custodian_id": entry.custodian_id,
            "dataset_id": entry.dataset_id,
            "licence_id": entry.licence_id,
            "details": entry.details,
            "prev_hash": "",
            "hash": leaf(entry.pk, entry.payload).hex(),
        }
    return {
        "seq": row.seq,
        "created": row.created,
        "event_type": row.event_type,
        "actor_repr": row.actor_repr,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "target_repr": row.target_repr,
        "custodian_id": row.custodian_id,
        "dataset_id": row.dataset_id,
        "licence_id": row.licence_id,
        "details": row.details,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


class TrailPagination(BoundedPageNumberPagination):
    """Pages of ``trail_keys``: the page's keys are turned into events and journal rows
    together (a constant number of queries), not one by one."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_out(row) for row in trail_rows(page["items"])]
        return page


class EventQuery(Schema):
    dataset_id: RowId | None = None
    licence_id: RowId | None = None
    user: SingleLine = ""
    event_type: SingleLine = ""
    since: IsoDate | None = None
    until: IsoDate | None = None


@router.get(
    "/audit/events",
    response={200: list[EventOut], frozenset({404}): ProblemOut},
    auth=token_or_session,
    summary=(
        "Audit events and download-journal rows of your custodians, newest first (staff with "
        "audit:event:view)"
    ),
)
@paginate(TrailPagination, page_size=100)
def list_events(request, filters: Query[EventQuery]):
    if not policy.is_staff_anywhere(request.user, Permission.AUDIT_EVENT_VIEW):
        raise Http404  # not staff anywhere: as if the endpoint did not exist
    qs = events_visible_to(request.user)
    journal = journal_visible_to(request.user)
    f = EventFilter(
        dataset_id=filters.dataset_id,
        licence_id=filters.licence_id,
        user=filters.user[:254],
        event_type=filters.event_type[:100],
        since=filters.since,
        until=filters.until,
    )
    return trail_keys(filter_events(qs, f), filter_journal(journal, f), newest_first=True)
