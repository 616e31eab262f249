"""Walking the audit chain: find the first broken event and say what is wrong with it.

Per event, verify hashes the stored payload as read (no re-serialisation), checks the link to
the previous event, checks that the indexed columns and the personal fields beside the chain
agree with the payload, and checks the event's MAC (keyed with the audit key, which is not in
the database). Signed checkpoints (stored ones, and any exported file it is given) pin the
hash at their event and catch re-chaining and truncation.

The walk streams one query (events joined with their personal-field rows) through a
server-side cursor in ``seq`` order, keeping only the previous event's hash and the
checkpoints' (seq, head) pairs in memory, so millions of events verify in constant memory.

Rows come from a raw cursor, not through the ORM's converters, and most events take the fast
path (``_Walk.fast``): hash, MAC, and then the canonical payload that the columns and the
personal fields beside the chain would make, compared with the stored bytes in one string
comparison instead of parsing each payload. An event the fast path does not accept (a legacy
event, an erased person, anything that differs) is read again through the ORM and checked
field by field (``_Walk.check``), which says what is wrong; so the fast path only ever decides
"intact", never a problem.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from hashlib import sha256
from json.encoder import encode_basestring_ascii

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Max, TextField
from django.db.models.functions import Cast

from accord.audit.checkpoints import (
    CheckpointSet,
    Problem,
    SignedCheckpoint,
    check_given,
    check_stored,
)
from accord.audit.journal import journal_check
from accord.audit.keys import TrustedKeys, event_mac, trusted_keys
from accord.audit.models import GENESIS, AuditHead, Event
from accord.audit.services import ERASE_EVENT, created_text, payload_hash, personal_commitment

CHUNK = 2000
EVENT_COLUMNS = (
    "seq",
    "version",
    "prev_hash",
    "hash",
    "mac",
    "payload",
    "event_type",
    "created",
    "actor_id",
    "target_type",
    "target_id",
    "target_label",
    "custodian_id",
    "dataset_id",
    "licence_id",
    "details",
)
PERSONAL_COLUMNS = (
    "personal__role",
    "personal__subject_id",
    "personal__salt",
    "personal__email",
    "personal__ip_address",
    "personal__user_agent",
    "personal__label",
    "personal__erased",
)
N_EVENT = len(EVENT_COLUMNS)


@dataclass(frozen=True)
class Anchor:
    """A published head: "event ``seq`` had hash ``hash``" (seq 0 is the genesis)."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """``SEQ:HASH`` as printed by ``accord audit head``."""
        seq_text, sep, hash_text = text.strip().partition(":")
        hash_text = hash_text.strip().lower()
        if (
            not sep
            or not seq_text.strip().isdigit()
            or len(hash_text) != 64
            or any(c not in "0123456789abcdef" for c in hash_text)
        ):
            raise ValueError(
                f"{text!r} is not a published head; write it as SEQ:HASH, e.g. "
                "1204:3f5a… (64 hex digits), as printed by `accord audit head`."
            )
        return cls(int(seq_text), hash_text)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    count: int


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    broken_seq: int | None = None
    problem: str = ""
    # What broke, for callers and tests: missing, order, link, payload, column, personal,
    # mac, no-key, checkpoint-head, truncated, head, checkpoint-signature, checkpoint-edited,
    # checkpoint-missing, checkpoint-link, checkpoint-deleted, checkpoint-conflict, anchor.
    kind: str = ""
    broken_checkpoint: int | None = None
    checkpoints: int = 0  # signed checkpoints that verified
    latest_checkpoint: str = ""
    others: int = 0  # further problems found (only the first is described)
    journal_rows: int = 0  # sealed download-journal rows checked against their batch
    unsealed: int = 0  # journal rows not sealed into the chain yet
    segments: int = 1  # processes that walked the chain (ACCORD_AUDIT_VERIFY_WORKERS)

    def __str__(self) -> str:
        if self.ok:
            walked = f" in {self.segments} parallel segments" if self.segments > 1 else ""
            text = (
                f"OK: {self.checked} events verified{walked}; head #{self.last_seq} "
                f"{self.last_hash}"
            )
            if self.checkpoints:
                return (
                    f"{text}; {self.checkpoints} signed checkpoints agree "
                    f"(latest: {self.latest_checkpoint}){self._journal_text()}"
                )
            return f"{text}; no signed checkpoint yet{self._journal_text()}"
        more = f" (and {self.others} more problem(s))" if self.others else ""
        if self.broken_checkpoint is not None and self.kind.startswith("checkpoint-"):
            where = f"checkpoint {self.broken_checkpoint}"  # the text names its event
        else:
            where = f"event #{self.broken_seq}"
        return f"BROKEN at {where}: {self.problem}{more}"

    def _journal_text(self) -> str:
        if not (self.journal_rows or self.unsealed):
            return ""
        return (
            f"; {self.journal_rows} download-journal rows match their sealed batches, "
            f"{self.unsealed} not sealed yet"
        )


def chain_head() -> Head:
    """The head as the chain itself shows it (last event), with the number of events."""
    last = Event.objects.order_by("-seq").values("seq", "hash").first()
    count = Event.objects.count()
    if last is None:
        return Head(seq=0, hash=GENESIS, count=0)
    return Head(seq=last["seq"], hash=last["hash"], count=count)


# --- The walk ----------------------------------------------------------------------------------


def _erased_subjects() -> set:
    """People whose personal fields the erasure service erased (its events are themselves
    verified by the walk)."""
    rows = Event.objects.filter(event_type=ERASE_EVENT).values_list("details", flat=True)
    erased: set = set()
    for details in rows:
        if isinstance(details, dict):
            erased.add(details.get("user_id"))
            # Rows naming the person without their id (an invitation sent before they had an
            # account, a lock-out's address), listed by event and role.
            erased.update(("row", seq, role) for seq, role in details.get("unattributed", []))
    return erased


def _events_query(start: int, until: int | None, *, raw: bool = False):
    qs = Event.objects.filter(seq__gte=start)
    if until is not None:
        qs = qs.filter(seq__lte=until)
    columns = list(EVENT_COLUMNS)
    if raw and connection.vendor == "sqlite":
        # The stored text, not a datetime parsed by the driver's converter for each row.
        qs = qs.annotate(created_text=Cast("created", output_field=TextField()))
        columns[columns.index("created")] = "created_text"
    return qs.order_by("seq", "hash", "personal__role").values_list(*columns, *PERSONAL_COLUMNS)


def _raw_events(start: int, until: int | None) -> Iterator[tuple[tuple, list[tuple]]]:
    """(event columns, [personal columns]) in seq order, as the database returns them (no
    converters: ``created`` and ``details`` are text on SQLite), CHUNK rows at a time from a
    server-side cursor (PostgreSQL) or a plain one (SQLite, which steps through the result)."""
    query = _events_query(start, until, raw=True).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        current: tuple | None = None
        personal: list[tuple] = []
        while rows := cursor.fetchmany(CHUNK):
            for row in rows:
                if current is None or row[0] != current[0] or row[3] != current[3]:
                    if current is not None:
                        yield current, personal
                    current, personal = row[:N_EVENT], []
                if row[N_EVENT] is not None:
                    personal.append(row[N_EVENT:])
        if current is not None:
            yield current, personal


def _events(start: int, until: int | None) -> Iterator[tuple[tuple, dict[str, tuple]]]:
    """(event columns, {role: personal columns}) in seq order, through the ORM's converters
    (for the field-by-field check)."""
    rows = _events_query(start, until).iterator(chunk_size=CHUNK)
    current, personal = None, {}
    for row in rows:
        event, extra = row[:N_EVENT], row[N_EVENT:]
        if current is not None and (event[0], event[3]) != (current[0], current[3]):
            yield current, personal
            personal = {}
        current = event
        if extra[0] is not None:
            personal[extra[0]] = extra
    if current is not None:
        yield current, personal


def _describe_link(prev_hash: str, expected_prev: str, prev_seq: int) -> tuple[str, str]:
    """Why an event's prev_hash is not the previous event's hash: say where it does point."""
    pointed = Event.objects.filter(hash=prev_hash).values_list("seq", flat=True).first()
    if pointed is not None:
        return "order", (
            f"it links back to event #{pointed}, not to #{prev_seq}: the events were "
            "reordered (or one was inserted)"
        )
    return "link", (
        f"its prev_hash {prev_hash[:16]}… matches no event, while #{prev_seq} hashes to "
        f"{expected_prev[:16]}…: event #{prev_seq} was altered and re-hashed, or this event "
        "was inserted"
    )


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _changed(name: str, column, signed) -> tuple[str, str]:
    return "column", (
        f"its {name} column was changed after it was written: it says {_short(column)}, "
        f"the hashed payload says {_short(signed)}"
    )


# Canonical JSON (accord.audit.services.canonical) of a decoded value, and JSON decoding,
# through the json module's C scanner and encoder without its per-call Python layers.
_decode_at = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_encoder is not None:
    _encode = _c_encoder(None, None, encode_basestring_ascii, None, ":", ",", True, False, False)
else:  # pragma: no cover - CPython has the C encoder
    _encode = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).iterencode


def _canonical_value(value) -> str:
    return "".join(_encode(value, 0))


def _details(raw) -> str:
    """The details column (text, or already decoded) as canonical JSON writes it; ValueError
    for text that is not exactly one JSON value, or holds NaN (never equal to itself)."""
    if type(raw) is str:
        value, end = _decode_at(raw, 0)
        if end != len(raw):
            raise ValueError("trailing text")
        raw = value
    return _canonical_value(raw)


def _stored_details(raw) -> str:
    """SQLite's details text as it is: written canonical (``CanonicalJSONEncoder``, migration
    0007), it needs no decoding and re-encoding. The fast path only ever compares the whole
    payload it makes with the stored one, so text written otherwise (or edited) just sends
    the event to the field-by-field check, which compares values. (PostgreSQL's jsonb text
    has its own key order and spacing: there ``_details`` re-encodes it.)"""
    return raw if type(raw) is str else _canonical_value(raw)


_quote = encode_basestring_ascii  # a str as canonical JSON writes it (TypeError otherwise)


def _number(value) -> str:
    """An integer column (or NULL) as canonical JSON writes it."""
    if value is None:
        return "null"
    if type(value) is not int:
        raise TypeError(value)
    return str(value)


def _created_text(raw) -> str:
    """The created column as the payload writes it (``created_text``): SQLite's stored text
    (UTC, as Django wrote it: "2026-11-01 09:30:00" or "2026-11-01 09:30:00.123000"), or a
    datetime (PostgreSQL's aware one). Text written any other way only sends the event to the
    field-by-field check, which compares the instants."""
    if type(raw) is str:
        return raw.replace(" ", "T", 1) + ("Z" if len(raw) > 19 else ".000000Z")
    if raw.tzinfo is not None:
        if raw.utcoffset():
            return created_text(raw)
        raw = raw.replace(tzinfo=None)
    text = raw.isoformat()
    return f"{text}Z" if raw.microsecond else f"{text}.000000Z"


class _Walk:
    def __init__(self, keys: TrustedKeys, pinned: dict, erased: set):
        self.keys = keys
        self.pinned = pinned
        self.erased = erased
        self.first_v2: int | None = None
        self.details = _stored_details if connection.vendor == "sqlite" else _details
        # HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once, not per
        # event: the same MAC as accord.audit.keys.event_mac, at a third of the cost.
        self.pads = None
        if keys.mac is not None:
            key = keys.mac if len(keys.mac) <= 64 else sha256(keys.mac).digest()
            key = key.ljust(64, b"\0")
            self.pads = (
                sha256(bytes(b ^ 0x36 for b in key)),
                sha256(bytes(b ^ 0x5C for b in key)),
            )

    def fast(self, event: tuple, personal: list[tuple]) -> bool:
        """True when the event is intact: hash, MAC, and its stored payload equal to the
        canonical bytes its columns and personal fields make. False says nothing but "check
        it field by field" (``check`` names the problem, if there is one)."""
        (
            seq,
            version,
            prev_hash,
            digest,
            mac,
            payload,
            event_type,
            created,
            actor_id,
            target_type,
            target_id,
            target_label,
            custodian_id,
            dataset_id,
            licence_id,
            details,
        ) = event
        if version != 2 or self.pads is None or not payload or seq in self.pinned:
            return False
        if sha256(payload.encode("utf-8")).hexdigest() != digest:
            return False
        inner, outer = self.pads[0].copy(), self.pads[1].copy()
        inner.update(digest.encode("ascii"))
        outer.update(inner.digest())
        if outer.hexdigest() != mac:
            return False
        try:
            committed = []
            for role, subject, salt, email, address, agent, label, erased in personal:
                if erased is not None:
                    return False
                if role == "actor":
                    fields = (
                        f'{{"email":{_quote(email)},"ip_address":{_quote(address)},'
                        f'"user_agent":{_quote(agent)}}}'
                    )
                elif role == "target":
                    fields = f'{{"label":{_quote(label)}}}'
                else:
                    return False
                commitment = sha256(bytes.fromhex(salt) + fields.encode("ascii")).hexdigest()
                committed.append(
                    f'"{role}":{{"commitment":"{commitment}","subject":{_number(subject)}}}'
                )
            expected = (
                f'{{"actor_id":{_number(actor_id)},"created":"{_created_text(created)}",'
                f'"custodian_id":{_number(custodian_id)},"dataset_id":{_number(dataset_id)},'
                f'"details":{self.details(details)},'
                f'"event_type":{_quote(event_type)},"licence_id":{_number(licence_id)},'
                f'"personal":{{{",".join(committed)}}},"prev_hash":{_quote(prev_hash)},'
                f'"seq":{_number(seq)},"target_id":{_quote(target_id)},'
                f'"target_label":{_quote(target_label)},"target_type":{_quote(target_type)},'
                '"v":2}'
            )
        except (TypeError, ValueError, AttributeError):
            return False  # NaN in details, a NULL or odd value: compared field by field
        if expected != payload:
            return False
        if self.first_v2 is None:
            self.first_v2 = seq
        return True

    def check_event(self, event: tuple, personal: list[tuple]) -> tuple[str, str] | None:
        """None when the event is intact, else (kind, what is wrong)."""
        if self.fast(event, personal):
            return None
        seq, digest = event[0], event[3]
        for converted, by_role in _events(seq, seq):
            if converted[3] == digest:
                return self.check(converted, by_role)
        return "missing", f"event #{seq} changed while it was being verified; verify again"

    def check(self, event: tuple, personal: dict[str, tuple]) -> tuple[str, str] | None:
        """Everything about one event except its link to the previous one."""
        (seq, version, prev_hash, digest, mac, payload, *_rest) = event
        if not payload:
            return "payload", "it has no payload: it was written outside Accord (forged)"
        if payload_hash(payload) != digest:
            return "payload", (
                "its payload no longer hashes to its stored hash: the hashed bytes were edited"
            )
        try:
            signed = json.loads(payload)
        except ValueError:
            return "payload", "its payload is not JSON: it was written outside Accord"
        if signed.get("seq") != seq:
            return "order", (
                f"its seq was changed: it was written as #{signed.get('seq')} (the events "
                "were renumbered or reordered)"
            )
        if signed.get("prev_hash") != prev_hash:
            return _changed("prev_hash", prev_hash, signed.get("prev_hash"))
        if signed.get("v", 1) != version:
            return _changed("version", version, signed.get("v", 1))
        problem = self._columns(event, signed, personal)
        if problem is None:
            problem = self._personal(seq, version, signed, personal)
        if problem is None:
            problem = self._mac(seq, version, digest, mac)
        if problem is None:
            for head, who in self.pinned.get(seq, ()):
                if head != digest:
                    return "checkpoint-head", (
                        f"its hash {digest[:16]}… differs from {who}, which signed "
                        f"{head[:16]}…: the history up to #{seq} was rewritten"
                    )
        return problem

    def _columns(self, event, signed, personal) -> tuple[str, str] | None:
        (
            _seq,
            version,
            _prev,
            _hash,
            _mac,
            _payload,
            event_type,
            created,
            actor_id,
            target_type,
            target_id,
            target_label,
            custodian_id,
            dataset_id,
            licence_id,
            details,
        ) = event
        indexed = {
            "event_type": event_type,
            "actor_id": actor_id,
            "target_type": target_type,
            "target_id": target_id,
            "custodian_id": custodian_id,
            "dataset_id": dataset_id,
            "licence_id": licence_id,
            "details": details,
        }
        for name, column in indexed.items():
            if column != signed.get(name):
                return _changed(name, column, signed.get(name))
        if created_text(created) != signed.get("created"):
            return _changed("created", created_text(created), signed.get("created"))
        if version >= 2 and target_label != signed.get("target_label"):
            return _changed("target_label", target_label, signed.get("target_label"))
        if version == 1:
            target = personal.get("target")
            shown = target[6] if target is not None else target_label
            if not (target is not None and target[7] is not None) and shown != signed.get(
                "target_repr"
            ):
                return _changed("target_label", shown, signed.get("target_repr"))
        return None

    def _erased_ok(self, role: str, row: tuple, seq: int | None = None) -> tuple[str, str] | None:
        if (row[1] is not None and row[1] in self.erased) or ("row", seq, role) in self.erased:
            return None
        return "personal", (
            f"its {role}'s personal fields were blanked outside the erasure service (no "
            f"erasure of user #{row[1]} is recorded)"
        )

    def _personal(self, seq, version, signed, personal) -> tuple[str, str] | None:
        if version == 1:
            return self._legacy_personal(signed, personal)
        committed = signed.get("personal") or {}
        for role in personal:
            if role not in committed:
                return "personal", (
                    f"a personal-fields row ({role}) was added beside it: its payload commits "
                    "to none"
                )
        for role, commitment in committed.items():
            row = personal.get(role)
            if row is None:
                return "personal", (
                    f"its {role}'s personal fields are missing: the row was deleted outside "
                    "the erasure service"
                )
            _role, subject, salt, email, address, agent, label, erased = row
            if subject != commitment.get("subject"):
                return "personal", (
                    f"its {role}'s personal fields were moved to user #{subject}: the payload "
                    f"names user #{commitment.get('subject')}"
                )
            if erased is not None:
                problem = self._erased_ok(role, row, seq)
                if problem:
                    return problem
                continue
            try:
                actual = personal_commitment(
                    salt, role, email=email, ip_address=address, user_agent=agent, label=label
                )
            except ValueError:
                actual = ""
            if actual != commitment.get("commitment"):
                shown = ", ".join(_short(v) for v in (email, address, agent, label) if v)
                return "personal", (
                    f"its {role}'s personal fields were changed (now {shown}): they no longer "
                    "match the commitment in its payload"
                )
        return None

    def _legacy_personal(self, signed, personal) -> tuple[str, str] | None:
        """Version 1 payloads hold the actor's fields in clear; the row beside must agree."""
        actor = personal.get("actor")
        expected = (
            signed.get("actor_repr") or "",
            signed.get("ip_address") or "",
            signed.get("user_agent") or "",
        )
        if actor is None:
            if any(expected):
                return "personal", (
                    "its actor's personal fields are missing: the row was deleted outside the "
                    "erasure service"
                )
            return None
        if actor[7] is not None:
            return self._erased_ok("actor", actor)
        if (actor[3], actor[4], actor[5]) != expected:
            return "personal", (
                f"its actor's personal fields were changed (now {_short(actor[3] or actor[4])}, "
                f"written as {_short(expected[0] or expected[1])})"
            )
        target = personal.get("target")
        if target is not None and target[7] is not None:
            return self._erased_ok("target", target)
        return None

    def _mac(self, seq, version, digest, mac) -> tuple[str, str] | None:
        if version == 1:
            if self.first_v2 is not None:
                return "mac", (
                    f"it is in the legacy format although event #{self.first_v2} was already "
                    "in the current one: it was written outside Accord (forged)"
                )
            return None
        if self.first_v2 is None:
            self.first_v2 = seq
        if self.keys.mac is None:
            return "no-key", f"its MAC cannot be checked: {self.keys.missing}"
        if mac != event_mac(self.keys.mac, digest):
            return "mac", (
                "its MAC does not verify with the audit key: it was written or re-hashed "
                "outside Accord (forged, or re-chained after an edit)"
            )
        return None


def verify_chain(
    *,
    anchor: Anchor | None = None,
    check_head: bool = True,
    checkpoints: list[SignedCheckpoint] | tuple = (),
    stored: bool = True,
    until: int | None = None,
) -> VerifyResult:
    """Walk the chain from the genesis (or from ``anchor``) and report the first broken event.

    ``checkpoints`` (from export files) and, with ``stored``, the database's own checkpoints
    are checked first (signature, columns, numbering); each one that verifies pins the hash of
    its event. At the end the chain must reach every checkpoint (else it was truncated) and
    its tip must be the head row that ``audit_record`` maintains.
    """
    # One read snapshot for the whole walk (REPEATABLE READ on PostgreSQL), so concurrent
    # appends during a long verification cannot look like breaks. SQLite transactions here
    # are IMMEDIATE (they take the write lock), so there we walk without one and let the head
    # check below tell appends-during-the-walk from deletions. Inside a caller's transaction
    # we inherit its snapshot.
    args = (anchor, check_head, list(checkpoints), stored, until)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return _verify(*args)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _verify(*args, own_snapshot=True)


def _verify(anchor, check_head, given, stored, until, own_snapshot=False) -> VerifyResult:
    keys = trusted_keys()
    found = CheckpointSet()
    stored_hashes = check_stored(keys, found) if stored else None
    check_given(given, stored_hashes, keys, found)
    walk = _Walk(keys, found.by_seq, _erased_subjects())
    result = None
    if anchor is None:
        result = _walk_in_segments(walk, until, own_snapshot)
    if result is None:
        result = _walk(walk, anchor=anchor, until=until)
    problems = found.problems
    if result.ok and until is None:
        problem = _after_walk(result, found, check_head)
        if problem is not None:
            problems = [problem, *problems]
    journal_problems, result.journal_rows, result.unsealed = journal_check(until, walk.erased)
    problems = [
        *problems,
        *(Problem("journal", p.text, p.seq) for p in journal_problems),
    ]
    journal_rows, unsealed = result.journal_rows, result.unsealed
    if not result.ok:
        result.others = len(problems)
    elif problems:
        first = problems[0]
        result = VerifyResult(
            False,
            result.checked,
            result.last_seq,
            result.last_hash,
            first.seq,
            first.text,
            first.kind,
            first.checkpoint,
            others=len(problems) - 1,
        )
        result.journal_rows, result.unsealed = journal_rows, unsealed
    result.checkpoints = found.count
    result.latest_checkpoint = found.latest
    return result


def _walk(
    walk: _Walk,
    *,
    anchor: Anchor | None,
    until: int | None,
    after: tuple[int, str] | None = None,
) -> VerifyResult:
    """The events from the genesis (or the ``anchor``, or right ``after`` an event whose
    (seq, hash) is given: a segment of a parallel walk) up to ``until``."""
    prev_seq, prev_hash = after or (0, GENESIS)
    start = prev_seq + 1
    if anchor is not None and anchor.seq > 0:
        start = anchor.seq
    elif anchor is not None and anchor.hash != GENESIS:
        return VerifyResult(
            False, 0, 0, GENESIS, 0, "a head at seq 0 must be the genesis hash", "anchor"
        )

    checked = 0

    def broken(seq: int, kind: str, text: str) -> VerifyResult:
        return VerifyResult(False, checked, prev_seq, prev_hash, seq, text, kind)

    at_anchor = anchor is not None and anchor.seq > 0
    for event, personal in _raw_events(start, until):
        seq, digest = event[0], event[3]
        if at_anchor:
            at_anchor = False
            if seq != anchor.seq:
                return broken(
                    anchor.seq,
                    "anchor",
                    "the published head's event is missing from the chain (deleted)",
                )
            if digest != anchor.hash:
                return broken(
                    seq,
                    "anchor",
                    f"does not match the published head {anchor}: the history up to it was "
                    "rewritten",
                )
            problem = walk.check_event(event, personal)
            if problem is not None:
                return broken(seq, problem[0], f"{problem[1]} (this is the published head)")
            prev_seq, prev_hash = seq, digest
            continue
        expected_seq = prev_seq + 1
        if seq > expected_seq:
            missing = (
                f"#{expected_seq}" if seq == expected_seq + 1 else f"#{expected_seq}–#{seq - 1}"
            )
            return broken(
                expected_seq,
                "missing",
                f"event {missing} is missing (deleted); the chain jumps from #{prev_seq} to #{seq}",
            )
        if seq < expected_seq:
            return broken(
                seq,
                "order",
                f"a second event #{seq} follows #{prev_seq}: one was inserted or renumbered",
            )
        if event[2] != prev_hash:
            kind, text = _describe_link(event[2], prev_hash, prev_seq)
            return broken(seq, kind, text)
        problem = walk.check_event(event, personal)
        if problem is not None:
            return broken(seq, *problem)
        checked += 1
        prev_seq, prev_hash = seq, digest
    if at_anchor:
        return broken(
            anchor.seq, "anchor", "the published head's event is missing from the chain (deleted)"
        )
    return VerifyResult(True, checked, prev_seq, prev_hash)


# --- The walk in parallel segments ----------------------------------------------------------
#
# A long chain is walked by forked processes, one contiguous seq range each, every one from
# the stored hash of the event before its range (as the anchor of a published head is). The
# segments only ever decide "intact": the parent then checks that each one ended exactly on
# the event the next one started after, with that hash, which closes the chain across the
# joins. Anything else (a problem in any segment, a join that does not meet, a process that
# failed) sends the chain to the one-process walk, which names the first problem exactly as
# it always has. On PostgreSQL every segment reads the walk's own snapshot (exported, then
# imported by each process), so all see the same chain.

_INHERITED: list = []  # the parent's connections, kept (never used, never closed) in a child
_SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def _walk_in_segments(walk: _Walk, until: int | None, own_snapshot: bool) -> VerifyResult | None:
    workers = settings.AUDIT_VERIFY_WORKERS
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if connection.vendor == "postgresql":
        if not own_snapshot:
            return None  # inside a caller's transaction: its snapshot cannot be shared
    elif connection.vendor != "sqlite" or connection.in_atomic_block:
        return None  # uncommitted rows (a caller's transaction) are not visible to others
    elif connection.is_in_memory_db():
        return None
    last = Event.objects.filter(**({"seq__lte": until} if until else {})).aggregate(
        last=Max("seq")
    )["last"]
    if last is None or last < settings.AUDIT_VERIFY_PARALLEL_MIN:
        return None
    snapshot = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
    workers = min(workers, last // max(settings.AUDIT_VERIFY_PARALLEL_MIN // 2, 1))
    if workers < 2:
        return None
    bounds = [1 + last * i // workers for i in range(workers)] + [last + 1]
    segments = [(bounds[i], bounds[i + 1] - 1) for i in range(workers)]
    first_v2 = (
        Event.objects.filter(version__gte=2).order_by("seq").values_list("seq", flat=True).first()
    )
    if connection.vendor == "sqlite":
        connection.close()  # the children open their own; so does the parent, next query
    context = multiprocessing.get_context("fork")
    running = []
    for index, (start, end) in enumerate(segments):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_segment,
            args=(send, walk, start, None if index == workers - 1 and not until else end),
            kwargs={"snapshot": snapshot, "first_v2": first_v2},
            daemon=True,
        )
        process.start()
        send.close()
        running.append((process, receive))
    results = []
    for process, receive in running:
        try:
            results.append(receive.recv())
        except EOFError:
            results.append(None)  # the process died: walk in one process instead
        process.join()
        receive.close()
    checked, previous = 0, None
    for index, result in enumerate(results):
        if not isinstance(result, tuple):
            return None
        (after_seq, after_hash), outcome = result
        if not outcome.ok:
            return None
        if previous is not None and (previous.last_seq, previous.last_hash) != (
            after_seq,
            after_hash,
        ):
            return None
        if index < workers - 1 and outcome.last_seq != segments[index][1]:
            return None
        checked += outcome.checked
        previous = outcome
    assert previous is not None
    return VerifyResult(True, checked, previous.last_seq, previous.last_hash, segments=workers)


def _segment(send, walk: _Walk, start: int, until: int | None, *, snapshot, first_v2) -> None:
    """In a forked child: walk ``start``..``until`` on a connection of its own and send back
    ((seq, hash) it started after, result), or an error text."""
    try:
        _INHERITED.append(connections["default"])
        connections["default"] = connections.create_connection("default")
        if first_v2 is not None and first_v2 < start:
            walk.first_v2 = first_v2  # a legacy event after it is forged, as in one walk
        # PostgreSQL: the parent's snapshot, in a transaction of our own. SQLite: no
        # transaction (Accord's take the write lock), a plain read as the one-process walk.
        with transaction.atomic() if snapshot is not None else nullcontext():
            if snapshot is not None:
                if not _SNAPSHOT.fullmatch(snapshot):
                    raise ValueError(f"unexpected snapshot id {snapshot!r}")
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            if start == 1:
                after = (0, GENESIS)
            else:
                before = Event.objects.filter(seq=start - 1).values_list("hash", flat=True)
                hashes = list(before[:2])
                if len(hashes) != 1:
                    send.send("the event before the segment is missing or doubled")
                    return
                after = (start - 1, hashes[0])
            send.send((after, _walk(walk, anchor=None, until=until, after=after)))
    except Exception as exc:  # any failure: the parent walks in one process
        send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()


def _after_walk(result: VerifyResult, found: CheckpointSet, check_head: bool) -> Problem | None:
    """Truncation below a checkpoint, then the head row against the chain's tip."""
    prev_seq, prev_hash = result.last_seq, result.last_hash
    if found.latest_seq > prev_seq:
        return Problem(
            "truncated",
            f"the chain ends at #{prev_seq} but {found.latest} was signed over event "
            f"#{found.latest_seq}: events #{prev_seq + 1}–#{found.latest_seq} were deleted "
            "(truncated below that checkpoint)",
            prev_seq + 1,
        )
    if not check_head:
        return None
    head = AuditHead.objects.filter(id=1).first()
    if head is None or (head.seq, head.hash) == (prev_seq, prev_hash):
        return None
    appended_meanwhile = Event.objects.filter(seq=prev_seq + 1).exists()
    if head.seq > prev_seq and appended_meanwhile:
        return None
    if head.seq > prev_seq:
        return Problem(
            "head",
            f"the chain ends at #{prev_seq} but the head records #{head.seq}: the last "
            f"{head.seq - prev_seq} event(s) were deleted",
            prev_seq + 1,
        )
    return Problem(
        "head",
        f"the chain reaches #{prev_seq} but the head records #{head.seq} {head.hash[:16]}…: "
        "events were written outside audit_record, or the head row was altered",
        head.seq + 1,
    )
