"""Walking the audit chain: find the first broken link, print the head.

The walk streams events in ``seq`` order with a server-side cursor (``.iterator``), keeping
only the previous event's hash in memory, so a chain of millions of events verifies in
constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from accord.audit.models import AuditHead, Event
from accord.audit.services import GENESIS, event_hash

CHUNK = 2000


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

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} events verified; head #{self.last_seq} {self.last_hash}"
        return f"BROKEN at event #{self.broken_seq}: {self.problem}"


def chain_head() -> Head:
    """The head as the chain itself shows it (last event), with the number of events."""
    last = Event.objects.order_by("-seq").values("seq", "hash").first()
    count = Event.objects.count()
    if last is None:
        return Head(seq=0, hash=GENESIS, count=0)
    return Head(seq=last["seq"], hash=last["hash"], count=count)


def _events_from(seq: int) -> Iterator[Event]:
    return Event.objects.filter(seq__gt=seq).order_by("seq").iterator(chunk_size=CHUNK)


def _describe_link(event: Event, expected_prev: str, prev_seq: int) -> str:
    """Why ``event.prev_hash`` is not the previous event's hash: say where it does point."""
    pointed = Event.objects.filter(hash=event.prev_hash).values_list("seq", flat=True).first()
    if pointed is not None:
        return (
            f"it links back to event #{pointed}, not to #{prev_seq}: the events were "
            "reordered (or one was inserted)"
        )
    return (
        f"its prev_hash {event.prev_hash[:16]}… matches no event, while #{prev_seq} hashes to "
        f"{expected_prev[:16]}…: event #{prev_seq} was altered and re-hashed, or this event "
        "was inserted"
    )


def verify_chain(*, anchor: Anchor | None = None, check_head: bool = True) -> VerifyResult:
    """Walk the chain from the genesis (or from ``anchor``) and report the first broken link.

    Checks, per event: its seq follows the previous one (a gap is a deleted event), its
    prev_hash is the previous event's hash (else reordered/inserted), and its stored hash is
    the hash of its contents (else a field was changed). At the end the chain's tip must be the
    head row that ``audit_record`` maintains (else events were deleted from, or appended to,
    the end outside the service).
    """
    # One read snapshot for the whole walk (REPEATABLE READ on PostgreSQL), so concurrent
    # appends during a long verification cannot look like breaks. SQLite transactions here
    # are IMMEDIATE (they take the write lock), so there we walk without one and let the head
    # check below tell appends-during-the-walk from deletions. Inside a caller's transaction
    # we inherit its snapshot.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return _walk(anchor=anchor, check_head=check_head)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _walk(anchor=anchor, check_head=check_head)


def _walk(*, anchor: Anchor | None, check_head: bool) -> VerifyResult:
    prev_seq, prev_hash = 0, GENESIS
    if anchor is not None and anchor.seq > 0:
        start = Event.objects.filter(seq=anchor.seq).first()
        if start is None:
            return VerifyResult(
                False,
                0,
                0,
                GENESIS,
                anchor.seq,
                "the published head's event is missing from the chain (deleted)",
            )
        if start.hash != anchor.hash or event_hash(start) != anchor.hash:
            return VerifyResult(
                False,
                0,
                0,
                GENESIS,
                anchor.seq,
                f"does not match the published head {anchor}: the history up to it was rewritten",
            )
        prev_seq, prev_hash = start.seq, start.hash
    elif anchor is not None and anchor.hash != GENESIS:
        return VerifyResult(False, 0, 0, GENESIS, 0, "a head at seq 0 must be the genesis hash")

    checked = 0
    for event in _events_from(prev_seq):
        expected_seq = prev_seq + 1
        if event.seq != expected_seq:
            missing = (
                f"#{expected_seq}"
                if event.seq == expected_seq + 1
                else f"#{expected_seq}–#{event.seq - 1}"
            )
            return VerifyResult(
                False,
                checked,
                prev_seq,
                prev_hash,
                expected_seq,
                f"event {missing} is missing (deleted); the chain jumps from #{prev_seq} "
                f"to #{event.seq}",
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                prev_seq,
                prev_hash,
                event.seq,
                _describe_link(event, prev_hash, prev_seq),
            )
        actual = event_hash(event)
        if actual != event.hash:
            return VerifyResult(
                False,
                checked,
                prev_seq,
                prev_hash,
                event.seq,
                f"its contents were changed after it was written (a field such as "
                f"event_type, actor, target, time or details no longer matches its stored "
                f"hash; type now {event.event_type!r}, target {event.target_repr!r})",
            )
        checked += 1
        prev_seq, prev_hash = event.seq, event.hash

    if check_head:
        head = AuditHead.objects.filter(id=1).first()
        if head is not None and (head.seq, head.hash) != (prev_seq, prev_hash):
            appended_meanwhile = Event.objects.filter(seq=prev_seq + 1).exists()
            if head.seq > prev_seq and appended_meanwhile:
                return VerifyResult(True, checked, prev_seq, prev_hash)
            if head.seq > prev_seq:
                what = (
                    f"the chain ends at #{prev_seq} but the head records #{head.seq}: "
                    f"the last {head.seq - prev_seq} event(s) were deleted"
                )
                return VerifyResult(False, checked, prev_seq, prev_hash, prev_seq + 1, what)
            what = (
                f"the chain reaches #{prev_seq} but the head records #{head.seq} "
                f"{head.hash[:16]}…: events were written outside audit_record, or the head "
                "row was altered"
            )
            return VerifyResult(False, checked, prev_seq, prev_hash, head.seq + 1, what)
    return VerifyResult(True, checked, prev_seq, prev_hash)
