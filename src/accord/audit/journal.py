"""The audit trail's second tier: high-volume events (download links issued, downloads handed
to nginx or S3, streamed ranges served or cut off) are appended to a journal without the
chain's lock, and sealed into the chain in batches.

Why: the chain serialises every append on one lock (the head row); a download request that
wrote a chained event waited its turn behind every other one. A journal row is one insert,
committed before the response is sent. The sealer (``journal_seal``: the worker's task, due
AUDIT_JOURNAL_SEAL_SECONDS after the first unsealed row, and ``accord schedule`` as a safety
net) folds up to AUDIT_JOURNAL_BATCH rows at a time into ONE chained event,
``audit:journal:seal``, whose details hold the batch's count, first and last row id and the
Merkle root of its leaves (SHA-256 of each row's id and payload). ``verify`` recomputes each
batch from its rows: a sealed row edited, deleted, added or moved to another batch breaks it,
and it reports the rows not sealed yet.

Each payload ends with a MAC (the chain's ``event_mac`` with the audit key, which is not in
the database) over the rest of it, so a row inserted or rewritten by hand is caught whether
or not it was sealed since: the sealer would otherwise fold a forged row into the chain
as readily as a real one. What no check can see is a row deleted before it was sealed (at
most AUDIT_JOURNAL_SEAL_SECONDS after it was written, while the worker runs).

Personal data follows the chain's rule: the requester's address and browser sit beside the
payload, which holds only their salted commitment (``personal_commitment``, the chain's own)
and the person's id; erasure (``personal_data_erase``) blanks them and the salt, and the
batch still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from accord.audit.keys import audit_key, event_mac, mac_key, trusted_keys
from accord.audit.models import AuditHead, Event, JournalEntry
from accord.audit.services import (
    _address,
    _clean,
    _now_ms,
    audit_record,
    canonical,
    created_text,
    payload_hash,
    personal_commitment,
)

SEAL_EVENT = "audit:journal:seal"
MERKLE = "sha256-merkle/1"
# 2: the payload ends with its MAC. A row of version 1 (no MAC) verifies only before the
# first row with one, as legacy events do in the chain.
JOURNAL_VERSION = 2

# The columns a row's payload is made of, in this order everywhere (``_body_of`` reads a
# row's columns back in it); ``personal`` and the MAC are added to them.
PAYLOAD_FIELDS = (
    "created",
    "event_type",
    "actor_id",
    "target_type",
    "target_id",
    "target_label",
    "custodian_id",
    "dataset_id",
    "licence_id",
    "link_id",
    "bytes",
    "details",
)
# Beside the payload: the requester's address and browser, their salt, and the erasure stamp.
BESIDE_FIELDS = ("salt", "ip_address", "user_agent", "erased")


def journal_payload(fields: Mapping[str, Any], *, personal: dict[str, Any], key: bytes) -> str:
    """The canonical bytes a journal row's leaf hashes, from its ``PAYLOAD_FIELDS`` (no
    personal data: people by id, the address and browser by a salted commitment in
    ``personal``), ending with the MAC of the rest under ``key`` (the audit key's)."""
    body = _body(fields, personal, JOURNAL_VERSION)
    # The MAC is the last member, after the canonical body's: cutting it off gives the body.
    return f'{body[:-1]},"mac":"{_mac(key, body)}"}}'


def _body(fields: Mapping[str, Any], personal: dict[str, Any], version: int) -> str:
    return canonical(
        {**fields, "created": created_text(fields["created"]), "personal": personal, "v": version}
    ).decode("ascii")


def _mac(key: bytes, body: str) -> str:
    return event_mac(key, payload_hash(body))


_MAC_SUFFIX = len(',"mac":"') + 64 + len('"}')


def _signed_body(payload: str) -> tuple[str, str] | None:
    """(body, MAC) of a payload that ends with its MAC, or None."""
    tail = payload[-_MAC_SUFFIX:]
    if len(payload) <= _MAC_SUFFIX or not (tail.startswith(',"mac":"') and tail.endswith('"}')):
        return None
    return payload[:-_MAC_SUFFIX] + "}", tail[8:-2]


def journal_append(
    *,
    event_type: str,
    actor_id: int | None,
    target=None,
    custodian_id: int | None = None,
    dataset_id: int | None = None,
    licence_id: int | None = None,
    link_id: int | None = None,
    bytes: int = 0,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> int:
    """Append one row (one INSERT, no chain lock) and return its id; committed with the
    caller's transaction, or at once outside one. Asks for a seal within
    AUDIT_JOURNAL_SEAL_SECONDS. ``details`` hold JSON values only (they are hashed as they
    are, and read back equal)."""
    if event_type.count(":") != 2:
        raise ValueError(f"audit event types are scope:subject:action, not {event_type!r}")
    target_type = target_id = target_label = ""
    if target is not None:
        target_type, target_id = target._meta.label_lower, str(target.pk)
        target_label = _clean(str(target), 300)
    values: dict[str, Any] = dict(
        zip(
            PAYLOAD_FIELDS,
            (
                _now_ms(),
                event_type,
                actor_id,
                target_type,
                target_id,
                target_label,
                custodian_id,
                dataset_id,
                licence_id,
                link_id,
                bytes,
                details or {},
            ),
            strict=True,
        )
    )
    address, agent = _address(ip_address), _clean(user_agent or "", 300)
    salt = secrets.token_hex(16) if address or agent else ""
    personal = _committed(actor_id, salt, address, agent)
    values.update(
        payload=journal_payload(values, personal=personal, key=_mac_key()),
        salt=salt,
        ip_address=address,
        user_agent=agent,
        erased=None,
    )
    entry_id = _insert(values)
    _seal_soon()
    return entry_id


_key: tuple[str, float, bytes] | None = None  # (key file, good until (monotonic), MAC key)


def _mac_key() -> bytes:
    """The audit key's MAC key, looked up at most once a second per process: every download
    request appends a row, and finding the key (its file's status) costs ten times the MAC."""
    global _key
    path, now = str(settings.AUDIT_KEY_FILE), time.monotonic()
    if _key is None or _key[0] != path or now >= _key[1]:
        _key = (path, now + 1.0, mac_key(audit_key()))
    return _key[2]


def _committed(actor_id: int | None, salt: str, address: str, agent: str) -> dict[str, Any]:
    """The payload's ``personal``: the actor's address and browser as the chain commits to
    them (``personal_commitment`` with no email: a journal row names its person by id)."""
    if not salt:
        return {}
    commitment = personal_commitment(salt, "actor", ip_address=address, user_agent=agent)
    return {"actor": {"commitment": commitment, "subject": actor_id}}


_INSERT_SQL: dict[str, str] = {}
_CONVERT = frozenset({"created", "erased", "details"})
_INSERT_FIELDS = [
    f for f in JournalEntry._meta.concrete_fields if not f.primary_key and f.name != "seal_seq"
]


def _insert(values: dict[str, Any]) -> int:
    """One INSERT, its SQL written once (Model.save compiles it anew on every call, which on
    the hot path costs more than the database does); returns the row's id."""
    sql = _INSERT_SQL.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        table = qn(JournalEntry._meta.db_table)
        columns = ", ".join(qn(f.column) for f in _INSERT_FIELDS)
        marks = ", ".join(["%s"] * len(_INSERT_FIELDS))
        sql = _INSERT_SQL[connection.vendor] = (
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {qn('id')}"  # noqa: S608
        )
    # Only the datetimes and the JSON need the field's conversion; the rest go as they are.
    params = [
        f.get_db_prep_save(values[f.attname], connection)
        if f.attname in _CONVERT
        else values[f.attname]
        for f in _INSERT_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- Sealing -----------------------------------------------------------------------------------

_next_request = 0.0  # per process: when to ask the worker for a seal again (monotonic)


def _seal_soon() -> None:
    """Enqueue the sealer, at most once per AUDIT_JOURNAL_SEAL_SECONDS per process (the task
    seals every unsealed row, whoever appended it). The immediate backend (tests, demo)
    cannot wait, so there every append is sealed on commit."""
    global _next_request
    from accord.audit.tasks import audit_journal_seal

    delay = settings.AUDIT_JOURNAL_SEAL_SECONDS
    if not audit_journal_seal.get_backend().supports_defer:
        transaction.on_commit(audit_journal_seal.enqueue, robust=True)
        return
    now = time.monotonic()
    if now < _next_request:
        return
    _next_request = now + delay
    from datetime import timedelta

    task = audit_journal_seal.using(run_after=_now_ms() + timedelta(seconds=delay))
    transaction.on_commit(task.enqueue, robust=True)


def leaf(entry_id: int, payload: str) -> bytes:
    return hashlib.sha256(b"%d\n" % entry_id + payload.encode("ascii", "replace")).digest()


def merkle_root(leaves: Iterable[bytes]) -> str:
    """RFC 6962-style: leaves and inner nodes hashed with distinct prefixes, an odd node
    carried up unchanged."""
    level = [hashlib.sha256(b"\0" + h).digest() for h in leaves]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        nxt = [
            hashlib.sha256(b"\1" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def journal_seal(*, limit: int | None = None, batches: int | None = None) -> int:
    """Seal every unsealed journal row (in batches of AUDIT_JOURNAL_BATCH, one chained event
    each); returns the number of rows sealed. Safe to run on several machines at once."""
    limit = limit or settings.AUDIT_JOURNAL_BATCH
    sealed = 0
    done = 0
    while batches is None or done < batches:
        count = _seal_batch(limit)
        if not count:
            break
        sealed += count
        done += 1
    return sealed


@transaction.atomic
def _seal_batch(limit: int) -> int:
    # The head lock first: two sealers never pick the same rows.
    AuditHead.objects.select_for_update().get_or_create(id=1)
    rows = list(
        JournalEntry.objects.filter(seal_seq__isnull=True)
        .order_by("id")
        .values_list("id", "payload")[:limit]
    )
    if not rows:
        return 0
    ids = [pk for pk, _ in rows]
    event = audit_record(
        event_type=SEAL_EVENT,
        details={
            "alg": MERKLE,
            "count": len(rows),
            "first": ids[0],
            "last": ids[-1],
            "root": merkle_root(leaf(pk, payload) for pk, payload in rows),
        },
        ip_address="",
        user_agent="",
    )
    JournalEntry.objects.filter(id__in=ids).update(seal_seq=event.seq)
    return len(rows)


def unsealed_count() -> int:
    return JournalEntry.objects.filter(seal_seq__isnull=True).count()


# --- Verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalProblem:
    seq: int
    text: str


COLUMNS = ("id", "seal_seq", "payload", *PAYLOAD_FIELDS, *BESIDE_FIELDS)


def _rows(until: int | None, *, sealed: bool) -> Iterator[tuple]:
    qs = JournalEntry.objects.filter(seal_seq__isnull=not sealed)
    if until is not None:
        qs = qs.filter(seal_seq__lte=until)
    return qs.order_by("seal_seq", "id").values_list(*COLUMNS).iterator(chunk_size=5000)


def journal_check(
    until: int | None = None, erased_subjects: set | None = None
) -> tuple[list[JournalProblem], int, int]:
    """(problems, sealed rows checked, unsealed rows) of the journal against the seal events
    in the chain (which the chain walk itself verifies), each row against its own MAC, and,
    without ``until``, the rows not sealed yet too (named at the next event's seq, which would
    seal them). A row's address and browser may be blanked only for a person whose erasure the
    chain records (``erased_subjects``)."""
    rows = _RowCheck(trusted_keys().mac, erased_subjects or set())
    seals_qs = Event.objects.filter(event_type=SEAL_EVENT)
    if until is not None:
        seals_qs = seals_qs.filter(seq__lte=until)
    seals = {seq: details for seq, details in seals_qs.values_list("seq", "details")}
    problems: list[JournalProblem] = []
    checked = 0
    seen: set[int] = set()

    def close(seq: int, leaves: list[bytes], first: int, last: int) -> None:
        details = seals.get(seq)
        if details is None:
            problems.append(
                JournalProblem(
                    seq,
                    f"journal rows #{first}–#{last} name event #{seq} as their seal, which is "
                    "no seal event: they were moved or forged",
                )
            )
            return
        seen.add(seq)
        if len(leaves) != details.get("count") or merkle_root(leaves) != details.get("root"):
            problems.append(
                JournalProblem(
                    seq,
                    f"the journal batch it seals (rows #{details.get('first')}–"
                    f"#{details.get('last')}, {details.get('count')} rows) no longer matches "
                    f"its Merkle root ({len(leaves)} rows found): a sealed journal row was "
                    "edited, deleted, added or reordered",
                )
            )

    current: int | None = None
    leaves: list[bytes] = []
    first = last = 0
    for row in _rows(until, sealed=True):
        pk, seal_seq, payload = row[0], row[1], row[2]
        if seal_seq != current:
            if current is not None:
                close(current, leaves, first, last)
            current, leaves, first = seal_seq, [], pk
        last = pk
        checked += 1
        problem = rows.check(row)
        if problem is not None:
            problems.append(JournalProblem(seal_seq, problem))
        leaves.append(leaf(pk, payload))
    if current is not None:
        close(current, leaves, first, last)
    for seq, details in seals.items():
        if seq not in seen:
            problems.append(
                JournalProblem(
                    seq,
                    f"the {details.get('count')} journal rows it seals (#{details.get('first')}–"
                    f"#{details.get('last')}) are gone: they were deleted",
                )
            )
    if until is not None:
        unsealed = unsealed_count()
    else:
        unsealed = 0
        pending = (Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        for row in _rows(None, sealed=False):
            unsealed += 1
            problem = rows.check(row)
            if problem is not None:
                problems.append(JournalProblem(pending, f"{problem} (not sealed yet)"))
    problems.sort(key=lambda p: p.seq)
    return problems, checked, unsealed


class _RowCheck:
    """One row against itself: its MAC, and its columns against its payload."""

    def __init__(self, key: bytes | None, erased_subjects: set) -> None:
        self.key = key  # None without the audit key: the chain walk says so
        self.erased = erased_subjects
        self.first_signed: int | None = None

    def check(self, row: tuple) -> str | None:
        pk, payload = row[0], row[2]
        signed = _signed_body(payload)
        if signed is None:
            if self.first_signed is not None:
                return (
                    f"journal row #{pk} carries no MAC although row #{self.first_signed} "
                    "already did: it was written outside Accord (forged)"
                )
            body, version = payload, 1
        else:
            (body, mac), version = signed, JOURNAL_VERSION
            if self.first_signed is None:
                self.first_signed = pk
            if self.key is not None and not hmac.compare_digest(_mac(self.key, body), mac):
                return (
                    f"journal row #{pk}'s MAC does not verify with the audit key: it was "
                    "written or rewritten outside Accord (forged)"
                )
        if body != _body_of(row, body, version):
            return (
                f"journal row #{pk}'s columns were changed after it was written: they no "
                "longer agree with its hashed payload"
            )
        actor_id, erased = row[5], row[-1]
        if erased is not None and actor_id not in self.erased:
            return (
                f"journal row #{pk}'s address and browser were blanked outside the "
                f"erasure service (no erasure of user #{actor_id} is recorded)"
            )
        return None


def _body_of(row: tuple, stored: str, version: int) -> str:
    """The payload's body (all but the MAC) that ``row``'s columns make; "" if they cannot."""
    start = COLUMNS.index(PAYLOAD_FIELDS[0])
    fields = dict(zip(PAYLOAD_FIELDS, row[start : start + len(PAYLOAD_FIELDS)], strict=True))
    salt, address, agent, erased = row[start + len(PAYLOAD_FIELDS) :]
    try:
        if erased is not None:
            # Erased: the commitment stays in the payload, and nothing beside it can open it.
            if salt or address or agent:
                return ""
            personal = json.loads(stored).get("personal", {})
        else:
            personal = _committed(fields["actor_id"], salt, address, agent)
        return _body(fields, personal, version)
    except (TypeError, ValueError, AttributeError):
        return ""
