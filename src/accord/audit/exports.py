"""Streaming CSV and JSON renderings of audit events (web export and ``accord audit export``).

Both read with ``.iterator`` and yield text piece by piece, so exporting a long trail never
holds it in memory.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from accord.audit.models import Event
from accord.audit.services import created_text

COLUMNS = [
    "seq",
    "created",
    "event_type",
    "actor_id",
    "actor_repr",
    "target_type",
    "target_id",
    "target_repr",
    "custodian_id",
    "dataset_id",
    "licence_id",
    "ip_address",
    "user_agent",
    "details",
    "prev_hash",
    "hash",
    "payload",
]


def event_row(event: Event) -> dict:
    """The event with its personal fields joined back (or "erased"), and the exact hashed
    payload: SHA-256 of ``payload`` is ``hash``, so an export can be re-verified offline."""
    payload = event.payload
    if event.version == 1 and any(row.erased for row in event.personal.all()):
        # A legacy payload holds the erased fields in clear: it is not handed out again.
        payload = ""
    return {
        "seq": event.seq,
        "created": created_text(event.created),
        "event_type": event.event_type,
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
        "hash": event.hash,
        "payload": payload,
    }


def journal_row(entry) -> dict:
    """A download journal row in the events' columns: ``seq`` is "J<id>", ``hash`` is the
    row's Merkle leaf and ``prev_hash`` the sealing event's seq (blank until sealed)."""
    from accord.audit.journal import leaf
    from accord.audit.selectors import journal_personal

    return {
        "seq": f"J{entry.pk}",
        "created": created_text(entry.created),
        "event_type": entry.event_type,
        "actor_id": entry.actor_id,
        "actor_repr": getattr(entry, "actor_email", None) or "",
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_repr": entry.target_label,
        "custodian_id": entry.custodian_id,
        "dataset_id": entry.dataset_id,
        "licence_id": entry.licence_id,
        "ip_address": journal_personal(entry, "ip_address"),
        "user_agent": journal_personal(entry, "user_agent"),
        "details": entry.details,
        "prev_hash": "" if entry.seal_seq is None else f"sealed by #{entry.seal_seq}",
        "hash": leaf(entry.pk, entry.payload).hex(),
        "payload": entry.payload,
    }


def _rows(qs: QuerySet, journal: QuerySet | None = None) -> Iterator[dict]:
    """Chained events and (if given) download journal rows, one ordered stream by time."""
    events = (
        (e.created, 0, e.seq, event_row(e))
        for e in qs.order_by("seq").prefetch_related("personal").iterator(chunk_size=1000)
    )
    if journal is None:
        yield from (row for *_key, row in events)
        return
    from django.contrib.auth import get_user_model
    from django.db.models import OuterRef, Subquery

    email = get_user_model().objects.filter(pk=OuterRef("actor_id")).values("email")[:1]
    entries = (
        (e.created, 1, e.pk, journal_row(e))
        for e in journal.annotate(actor_email=Subquery(email))
        .order_by("created", "id")
        .iterator(chunk_size=1000)
    )
    for *_key, row in heapq.merge(events, entries, key=lambda item: item[:3]):
        yield row


def _csv_safe(value) -> str:
    # A cell starting with = + - @ is a formula in spreadsheets (CSV injection); the
    # apostrophe makes it text. Hashes and numbers never start with those characters.
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(qs: QuerySet, journal: QuerySet | None = None) -> Iterable[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(COLUMNS)
    yield flush()
    for row in _rows(qs, journal):
        row["details"] = json.dumps(row["details"], sort_keys=True, ensure_ascii=False)
        writer.writerow([_csv_safe(row[c]) for c in COLUMNS])
        yield flush()


def json_chunks(qs: QuerySet, journal: QuerySet | None = None) -> Iterable[str]:
    """A JSON array, one event per line, streamed."""
    yield "[\n"
    first = True
    for row in _rows(qs, journal):
        yield ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "\n]\n"
