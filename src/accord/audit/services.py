"""Appending to the audit chain (every service calls ``audit_record`` inside its transaction,
or ``audit_record_many`` for one action on many objects) and erasing a person's personal
fields from beside it.

An event's ``payload`` is the canonical JSON that was hashed; its hash is SHA-256 of exactly
those bytes, and its MAC keys that hash with the audit key. The payload names people only by
stable id and a salted commitment of their personal fields (``EventPersonal``), so erasing the
fields and the salt leaves the chain verifiable.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from accord.audit.keys import audit_key, event_mac, mac_key
from accord.audit.models import GENESIS, AuditHead, Event, EventPersonal
from accord.core import clock

__all__ = [
    "GENESIS",
    "AuditEntry",
    "RequestContext",
    "audit_record",
    "audit_record_many",
    "current_request",
    "personal_data_erase",
]

PAYLOAD_VERSION = 2
ERASE_EVENT = "audit:personal-data:erase"


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""


# Set per request by accord.audit.middleware so services need not pass the request around.
current_request: ContextVar[RequestContext | None] = ContextVar("accord_request", default=None)


def canonical(fields: dict[str, Any]) -> bytes:
    # ASCII only: the payload survives any text column and any client encoding byte for byte.
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    ).encode("ascii")


def payload_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def created_text(created: datetime) -> str:
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def personal_commitment(
    salt: str, role: str, *, email="", ip_address="", user_agent="", label=""
) -> str:
    """SHA-256 of the salt and the role's personal fields. Without the salt (erased) the
    commitment reveals nothing, not even for a guessable value such as an address."""
    if role == EventPersonal.Role.ACTOR:
        fields = {"email": email, "ip_address": ip_address, "user_agent": user_agent}
    else:
        fields = {"label": label}
    return hashlib.sha256(bytes.fromhex(salt) + canonical(fields)).hexdigest()


def _now_ms():
    # Millisecond precision: JSON (dumpdata, exports) carries datetimes to the millisecond.
    now = clock.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _normalise_details(details: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON now so the details column reads back equal to the payload's.
    return json.loads(canonical(details or {}))


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "")[:limit]


def _address(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _person(target: models.Model) -> tuple[bool, int | None]:
    """Whether the target stands for a person (its label is personal data), and who."""
    if isinstance(target, get_user_model()):
        return True, target.pk
    names = {f.name for f in target._meta.concrete_fields}
    if "user" in names:
        return True, getattr(target, "user_id", None)
    return "email" in names, None


def _personal_row(role: str, subject_id: int | None, **fields) -> tuple[EventPersonal, dict]:
    salt = secrets.token_hex(16)
    row = EventPersonal(role=role, subject_id=subject_id, salt=salt, **fields)
    commitment = personal_commitment(salt, role, **fields)
    return row, {"subject": subject_id, "commitment": commitment}


def sealed_event(
    *,
    key: bytes,
    seq: int,
    prev_hash: str,
    event_type: str,
    created: datetime,
    actor_id: int | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    custodian_id: int | None = None,
    dataset_id: int | None = None,
    licence_id: int | None = None,
    details: dict[str, Any] | None = None,
    commitments: dict[str, dict] | None = None,
) -> Event:
    """An unsaved event with its payload, hash and MAC: what the chain stores at ``seq``."""
    details = _normalise_details(details)
    payload = canonical(
        {
            "v": PAYLOAD_VERSION,
            "seq": seq,
            "prev_hash": prev_hash,
            "event_type": event_type,
            "created": created_text(created),
            "actor_id": actor_id,
            "target_type": target_type,
            "target_id": target_id,
            "target_label": target_label,
            "custodian_id": custodian_id,
            "dataset_id": dataset_id,
            "licence_id": licence_id,
            "details": details,
            "personal": commitments or {},
        }
    ).decode("ascii")
    digest = payload_hash(payload)
    return Event(
        version=PAYLOAD_VERSION,
        seq=seq,
        event_type=event_type,
        created=created,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        custodian_id=custodian_id,
        dataset_id=dataset_id,
        licence_id=licence_id,
        details=details,
        payload=payload,
        prev_hash=prev_hash,
        hash=digest,
        mac=event_mac(key, digest),
    )


@dataclass(frozen=True)
class AuditEntry:
    """One event to append (``audit_record``'s arguments), for ``audit_record_many``."""

    event_type: str
    actor: Any = None
    target: models.Model | None = None
    custodian_id: int | None = None
    dataset_id: int | None = None
    licence_id: int | None = None
    details: dict[str, Any] | None = None
    # None: the current request's (accord.audit.middleware); "": none.
    ip_address: str | None = None
    user_agent: str | None = None


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
    entry = AuditEntry(
        event_type=event_type,
        actor=actor,
        target=target,
        custodian_id=custodian_id,
        dataset_id=dataset_id,
        licence_id=licence_id,
        details=details,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return audit_record_many([entry])[0]


def audit_record_many(entries: Sequence[AuditEntry]) -> list[Event]:
    """Append ``entries`` in their order, each its own event exactly as ``audit_record``
    writes it, under one lock of the head, in one bulk insert of events and one of personal
    rows: what an action on thousands of objects (new terms for every licence of a dataset)
    uses instead of thousands of appends. Returns the saved events."""
    entries = list(entries)
    for entry in entries:
        if entry.event_type.count(":") != 2:
            raise ValueError(
                f"audit event types are scope:subject:action, not {entry.event_type!r}"
            )
    if not entries:
        return []
    ctx = current_request.get()
    key = mac_key(audit_key())
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        created = _now_ms()
        events: list[Event] = []
        personal: list[list[EventPersonal]] = []
        seq, prev_hash = head.seq, head.hash
        for entry in entries:
            seq += 1
            event, rows = _sealed_entry(
                entry, key=key, seq=seq, prev_hash=prev_hash, created=created, ctx=ctx
            )
            prev_hash = event.hash
            events.append(event)
            personal.append(rows)
        _insert(events, personal)
        head.seq, head.hash = seq, prev_hash
        fields = ["seq", "hash"]
        if _schedule_checkpoint(head, created):
            fields.append("checkpoint_due")
        head.save(update_fields=fields)
    return events


# Rows per INSERT statement: 20k events are 20 statements on PostgreSQL, each far below its
# 65,535 parameters; SQLite's 999 variables make its statements smaller still.
INSERT_BATCH = 1000


def _insert(events: list[Event], personal: list[list[EventPersonal]]) -> None:
    """Save the events, then each one's personal rows pointing at it."""
    Event.objects.bulk_create(events, batch_size=INSERT_BATCH)
    if events[0].pk is None:  # a database that cannot return the ids it inserted
        ids = dict(Event.objects.filter(seq__in=[e.seq for e in events]).values_list("seq", "pk"))
        for event in events:
            event.pk = ids[event.seq]
    rows = []
    for event, own in zip(events, personal, strict=True):
        for row in own:
            row.event = event
            rows.append(row)
    EventPersonal.objects.bulk_create(rows, batch_size=INSERT_BATCH)


def _sealed_entry(
    entry: AuditEntry,
    *,
    key: bytes,
    seq: int,
    prev_hash: str,
    created: datetime,
    ctx: RequestContext | None,
) -> tuple[Event, list[EventPersonal]]:
    """The entry's unsaved event at ``seq`` after ``prev_hash``, and its unsaved personal rows
    (the actor's email, address and browser; a person target's label) it commits to."""
    actor = entry.actor if entry.actor is not None and getattr(entry.actor, "pk", None) else None
    address = _address(
        entry.ip_address if entry.ip_address is not None else (ctx.ip_address if ctx else None)
    )
    agent = _clean(
        entry.user_agent if entry.user_agent is not None else (ctx.user_agent if ctx else ""),
        300,
    )

    rows: list[EventPersonal] = []
    commitments: dict[str, dict] = {}
    if actor is not None or address or agent:
        row, commitments["actor"] = _personal_row(
            EventPersonal.Role.ACTOR,
            actor.pk if actor is not None else None,
            email=_clean(actor.email, 254) if actor is not None else "",
            ip_address=address,
            user_agent=agent,
        )
        rows.append(row)
    target_type = target_id = target_label = ""
    target = entry.target
    if target is not None:
        target_type, target_id = target._meta.label_lower, str(target.pk)
        label = _clean(str(target), 300)
        is_person, subject = _person(target)
        if is_person:
            row, commitments["target"] = _personal_row(
                EventPersonal.Role.TARGET, subject, label=label
            )
            rows.append(row)
        else:
            target_label = label

    event = sealed_event(
        key=key,
        seq=seq,
        prev_hash=prev_hash,
        event_type=entry.event_type,
        created=created,
        actor_id=actor.pk if actor is not None else None,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        custodian_id=entry.custodian_id,
        dataset_id=entry.dataset_id,
        licence_id=entry.licence_id,
        details=entry.details,
        commitments=commitments,
    )
    event.actor = actor
    return event, rows


def _schedule_checkpoint(head: AuditHead, now: datetime) -> bool:
    """Enqueue (on commit) the worker's checkpoint, due one interval after the last one, unless
    one is already pending. A task lost with a dead worker is re-enqueued one interval after
    it was due. Returns whether the head's ``checkpoint_due`` changed."""
    from accord.audit.tasks import audit_checkpoint

    interval = timedelta(seconds=settings.AUDIT_CHECKPOINT_SECONDS)
    if head.checkpoint_due is not None and head.checkpoint_due > now - interval:
        return False
    due = now if head.checkpointed_at is None else max(now, head.checkpointed_at + interval)
    deferred = due > now
    if deferred and not audit_checkpoint.get_backend().supports_defer:
        # The immediate backend (tests, demo) cannot wait: the first append after the
        # interval triggers the checkpoint instead.
        return False
    head.checkpoint_due = due
    task = audit_checkpoint.using(run_after=due) if deferred else audit_checkpoint
    transaction.on_commit(task.enqueue, robust=True)
    return True


@dataclass(frozen=True)
class ErasureReport:
    rows: int
    legacy_events: int  # written before commitments: their hashed bytes still hold the data
    journal_rows: int = 0  # download-journal rows whose address and browser were erased


@transaction.atomic
def personal_data_erase(*, user_id: int, actor=None, emails: Sequence[str] = ()) -> ErasureReport:
    """Delete one person's personal fields and salts from beside the chain: pages and exports
    then show "erased"; the payloads keep only the commitments, so the chain still verifies.

    Rows are found by the person's id and, for rows written before the person had an account
    or without naming them (an invitation to one of ``emails``, the address that locked out
    their account), by what they hold; those are listed by event in the erasure's own event,
    which is what lets ``verify`` accept them blanked.

    Events written before commitments existed (version 1) still hold the fields inside their
    hashed bytes; those are counted, not hidden."""
    rows = EventPersonal.objects.filter(subject_id=user_id, erased__isnull=True)
    legacy = rows.filter(event__version=1).values("event_id").distinct().count()
    unattributed = _unattributed_rows(user_id, emails)
    now = timezone.now()
    blank = {"salt": "", "email": "", "ip_address": "", "user_agent": "", "label": ""}
    count = rows.update(**blank, erased=now)
    count += EventPersonal.objects.filter(pk__in=[pk for pk, _seq, _role in unattributed]).update(
        **blank, erased=now
    )
    # Their downloads' addresses and browsers in the journal (beside its hashed payloads,
    # which keep only the commitments).
    from accord.audit.models import JournalEntry

    journal = (
        JournalEntry.objects.filter(actor_id=user_id, erased__isnull=True)
        .exclude(salt="")
        .update(salt="", ip_address="", user_agent="", erased=now)
    )
    # Someone erasing themselves is not recorded again (address, browser) by the erasure.
    themselves = actor is None or getattr(actor, "pk", None) == user_id
    audit_record(
        event_type=ERASE_EVENT,
        actor=None if themselves else actor,
        details={
            "user_id": user_id,
            "rows": count,
            "legacy_events": legacy,
            **({"journal_rows": journal} if journal else {}),
            **(
                {"unattributed": [[seq, role] for _pk, seq, role in unattributed]}
                if unattributed
                else {}
            ),
        },
        ip_address="" if themselves else None,
        user_agent="" if themselves else None,
    )
    return ErasureReport(rows=count, legacy_events=legacy, journal_rows=journal)


def _unattributed_rows(user_id: int, emails: Sequence[str]) -> list[tuple[int, int, str]]:
    """(row id, event seq, role) of rows naming the person without their id: a person
    target whose label holds one of their addresses, and the anonymous actor of an event
    whose target is them (the address that locked their account out)."""
    anonymous = EventPersonal.objects.filter(
        subject_id__isnull=True, erased__isnull=True, event__version__gte=2
    )
    by_label = models.Q()
    for email in {e.strip().lower() for e in emails if e and e.strip()}:
        by_label |= models.Q(label__icontains=email)
    found = anonymous.filter(role=EventPersonal.Role.TARGET).filter(by_label) if by_label else None
    about_them = EventPersonal.objects.filter(
        role=EventPersonal.Role.TARGET, subject_id=user_id
    ).values("event_id")
    actors = anonymous.filter(role=EventPersonal.Role.ACTOR, event_id__in=about_them)
    rows = actors if found is None else actors | found
    return sorted(rows.values_list("pk", "event__seq", "role"), key=lambda r: (r[1], r[2]))
