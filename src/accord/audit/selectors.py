"""Reads of the audit trail: what a staff member may see, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accord.access import policy
from accord.audit.models import Checkpoint, EventPersonal
from accord.core.permissions import Permission


@dataclass(frozen=True)
class EventFilter:
    dataset_id: int | None = None
    licence_id: int | None = None
    user: str = ""  # actor email (case-insensitive, exact) or "" for anyone
    event_type: str = ""  # exact type or a prefix ending in ":" ("agreements:")
    since: date | None = None
    until: date | None = None  # inclusive


def events_visible_to(user, permission: Permission = Permission.AUDIT_EVENT_VIEW) -> QuerySet:
    """Events of the custodians where ``user`` holds ``permission`` (every event for a
    superuser). Events with no custodian (sign-ins, system events) are superuser-only."""
    return policy.audit_events_visible_to(user, permission).prefetch_related("personal")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filter_events(qs: QuerySet, f: EventFilter) -> QuerySet:
    if f.dataset_id is not None:
        qs = qs.filter(dataset_id=f.dataset_id)
    if f.licence_id is not None:
        qs = qs.filter(licence_id=f.licence_id)
    if f.user:
        qs = qs.filter(
            personal__role=EventPersonal.Role.ACTOR,
            personal__email__iexact=f.user.strip(),
            personal__erased__isnull=True,
        )
    if f.event_type:
        if f.event_type.endswith(":"):
            qs = qs.filter(event_type__startswith=f.event_type)
        else:
            qs = qs.filter(event_type=f.event_type)
    if f.since:
        qs = qs.filter(created__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(created__lt=_day_start(f.until + timedelta(days=1)))
    return qs


def event_types(qs: QuerySet) -> list[str]:
    return list(qs.order_by().values_list("event_type", flat=True).distinct()[:200])


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-number").first()
