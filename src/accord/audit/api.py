"""Audit trail over the API: staff read their custodians' events (mounted by accord.api.routers)."""

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
from accord.audit.selectors import EventFilter, events_visible_to, filter_events
from accord.core.permissions import Permission
from accord.core.validators import SingleLine

router = Router(tags=["audit"])


class EventOut(Schema):
    seq: int
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
    summary="Audit events of your custodians, newest first (staff with audit:event:view)",
)
@paginate(BoundedPageNumberPagination, page_size=100)
def list_events(request, filters: Query[EventQuery]):
    if not policy.is_staff_anywhere(request.user, Permission.AUDIT_EVENT_VIEW):
        raise Http404  # not staff anywhere: as if the endpoint did not exist
    qs = events_visible_to(request.user)
    f = EventFilter(
        dataset_id=filters.dataset_id,
        licence_id=filters.licence_id,
        user=filters.user[:254],
        event_type=filters.event_type[:100],
        since=filters.since,
        until=filters.until,
    )
    return filter_events(qs, f).order_by("-seq")
