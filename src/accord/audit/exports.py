"""Streaming CSV and JSON renderings of audit events (web export and ``accord audit export``).

Both read with ``.iterator`` and yield text piece by piece, so exporting a long trail never
holds it in memory.
"""

from __future__ import annotations

import csv
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


def _events(qs: QuerySet) -> Iterator[Event]:
    return qs.order_by("seq").prefetch_related("personal").iterator(chunk_size=1000)


def _csv_safe(value) -> str:
    # A cell starting with = + - @ is a formula in spreadsheets (CSV injection); the
    # apostrophe makes it text. Hashes and numbers never start with those characters.
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(qs: QuerySet) -> Iterable[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(COLUMNS)
    yield flush()
    for event in _events(qs):
        row = event_row(event)
        row["details"] = json.dumps(row["details"], sort_keys=True, ensure_ascii=False)
        writer.writerow([_csv_safe(row[c]) for c in COLUMNS])
        yield flush()


def json_chunks(qs: QuerySet) -> Iterable[str]:
    """A JSON array, one event per line, streamed."""
    yield "[\n"
    first = True
    for event in _events(qs):
        yield ("" if first else ",\n") + json.dumps(event_row(event), ensure_ascii=False)
        first = False
    yield "\n]\n"
