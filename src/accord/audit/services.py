"""Appending to the audit chain. Every service calls ``audit_record`` inside its transaction."""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from accord.audit.models import AuditHead, Event

GENESIS = "0" * 64


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""


# Set per request by accord.audit.middleware so services need not pass the request around.
current_request: ContextVar[RequestContext | None] = ContextVar("accord_request", default=None)


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def event_fields(event: Event) -> dict[str, Any]:
    """The values the hash covers, in a form that survives a database round trip."""
    return {
        "seq": event.seq,
        "event_type": event.event_type,
        "created": event.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_repr": event.actor_repr,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "custodian_id": event.custodian_id,
        "dataset_id": event.dataset_id,
        "licence_id": event.licence_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }


def event_hash(event: Event) -> str:
    return hashlib.sha256(canonical(event_fields(event))).hexdigest()


def _now_ms():
    # Millisecond precision: JSON (dumpdata, exports) carries datetimes to the millisecond,
    # and the hash must survive a backup and restore unchanged.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _normalise_details(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON now so what we hash is exactly what the database gives back.
    return json.loads(canonical(details or {}))


def _target_values(target: models.Model | None) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    return target._meta.label_lower, str(target.pk), str(target)[:300]


@transaction.atomic
def audit_record(
    *,
    event_type: str,
    actor=None,
    target: models.Model | None = None,
    custodian_id: int | None = None,
    dataset_id: int | None = None,
    licence_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> Event:
    """Append one event. The head row lock (PostgreSQL) or the write lock (SQLite, IMMEDIATE
    transactions) serialises appends, so the chain never forks."""
    if event_type.count(":") != 2:
        raise ValueError(f"audit event types are scope:subject:action, not {event_type!r}")
    ctx = current_request.get()
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    target_type, target_id, target_repr = _target_values(target)
    actor_obj = actor if actor is not None and getattr(actor, "pk", None) else None
    event = Event(
        seq=head.seq + 1,
        event_type=event_type,
        created=_now_ms(),
        actor=actor_obj,
        actor_repr=(actor_obj.email if actor_obj is not None else "")[:254],
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        custodian_id=custodian_id,
        dataset_id=dataset_id,
        licence_id=licence_id,
        ip_address=ip_address if ip_address is not None else (ctx.ip_address if ctx else None),
        user_agent=(user_agent if user_agent is not None else (ctx.user_agent if ctx else ""))[
            :300
        ],
        details=_normalise_details(details),
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    event.save()
    head.seq = event.seq
    head.hash = event.hash
    head.save(update_fields=["seq", "hash"])
    return event
