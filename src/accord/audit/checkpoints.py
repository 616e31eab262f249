"""Signed checkpoints: "event SEQ had hash HEAD at TIME, after checkpoint PREV", signed with
the audit key (which is not in the database).

Anyone holding a checkpoint detects any edit, deletion, reordering, insertion or truncation of
the events up to it. The worker writes one at most ACCORD_AUDIT_CHECKPOINT_SECONDS after an
append (`accord audit checkpoint` at once); the export is the file a custodian keeps elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.audit.keys import TrustedKeys, audit_key, trusted_keys
from accord.audit.models import GENESIS, AuditHead, Checkpoint
from accord.audit.services import created_text
from accord.core.keys import key_id, public_pem

log = logging.getLogger(__name__)

FORMAT = "accord-audit-checkpoint/1"
EXPORT_FORMAT = "accord-audit-checkpoints/1"
# Domain separation: a checkpoint signature can never pass for a backup manifest's, or back.
CONTEXT = b"accord audit checkpoint\n"


def statement_hash(statement: str) -> str:
    return hashlib.sha256(statement.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SignedCheckpoint:
    statement: str
    signature: str
    source: str  # "the database" or a file name, for messages
    number: int
    seq: int
    head: str
    time: str
    prev: str
    key_id: str

    @classmethod
    def parse(cls, statement: str, signature: str, source: str) -> SignedCheckpoint:
        try:
            data = json.loads(statement)
            if data["format"] != FORMAT:
                raise ValueError(data["format"])
            return cls(
                statement,
                signature,
                source,
                int(data["n"]),
                int(data["seq"]),
                str(data["head"]),
                str(data["time"]),
                str(data["prev"]),
                str(data["key"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"a checkpoint in {source} is not a checkpoint statement") from exc

    @property
    def hash(self) -> str:
        return statement_hash(self.statement)

    def signature_problem(self, keys: TrustedKeys) -> str:
        """Why the signature does not hold ("" when it does)."""
        public = keys.public.get(self.key_id)
        if public is None:
            trusted = keys.current_id or f"not installed: {keys.missing}"
            return (
                f"it is signed by key {self.key_id}, which this verifier does not trust (the "
                f"audit key is {trusted}): it was forged with another key"
            )
        try:
            public.verify(
                base64.b64decode(self.signature, validate=True),
                CONTEXT + self.statement.encode("ascii"),
            )
        except (InvalidSignature, ValueError, UnicodeEncodeError):
            return (
                f"its signature does not verify with key {self.key_id}: the checkpoint was "
                "altered or forged"
            )
        return ""

    def describe(self) -> str:
        return f"checkpoint {self.number} (event #{self.seq}, signed {self.time})"


def sign(data: bytes, *, context: bytes) -> str:
    return base64.b64encode(audit_key().sign(context + data)).decode("ascii")


@dataclass
class WriteResult:
    checkpoint: Checkpoint | None
    message: str

    def __str__(self) -> str:
        return self.message


def _clear_due(*, checkpointed_at: datetime | None = None) -> None:
    changes: dict = {"checkpoint_due": None}
    if checkpointed_at is not None:
        changes["checkpointed_at"] = checkpointed_at
    AuditHead.objects.filter(id=1).update(**changes)


def checkpoint_write(*, now: datetime | None = None) -> WriteResult:
    """Sign a checkpoint over the current head, after verifying the events since the last
    checkpoint (a broken chain is never signed: the refusal says so and is logged). Does
    nothing when the last checkpoint already covers the head."""
    from accord.audit.verify import Anchor, verify_chain

    head = AuditHead.objects.filter(id=1).values("seq", "hash").first()
    if head is None or head["seq"] == 0:
        return WriteResult(None, "Nothing to checkpoint: the audit trail is empty.")
    last = Checkpoint.objects.order_by("-number").first()
    if last is not None and last.seq >= head["seq"]:
        _clear_due()
        return WriteResult(
            None, f"Checkpoint {last.number} already covers the head (event #{last.seq})."
        )
    anchor = None
    if last is not None:
        signed = SignedCheckpoint.parse(last.statement, last.signature, "the database")
        problem = signed.signature_problem(trusted_keys())
        if problem or (signed.seq, signed.head) != (last.seq, last.head_hash):
            message = (
                f"Not signed: the last checkpoint ({last.number}) does not verify "
                f"({problem or 'its columns differ from its statement'}); run `accord audit "
                "verify` and investigate."
            )
            log.error(message)
            return WriteResult(None, message)
        anchor = Anchor(last.seq, last.head_hash)
    result = verify_chain(anchor=anchor, until=head["seq"], check_head=False, stored=False)
    if not result.ok or (result.last_seq, result.last_hash) != (head["seq"], head["hash"]):
        message = f"Not signed: the chain does not verify ({result}); investigate before signing."
        log.error(message)
        return WriteResult(None, message)

    moment = (now or timezone.now()).astimezone(UTC)
    # Milliseconds, as a backup's JSON carries datetimes.
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    with transaction.atomic():
        # The head lock serialises checkpoint writers (and, briefly, appends).
        AuditHead.objects.select_for_update().get(id=1)
        latest = Checkpoint.objects.order_by("-number").values_list("pk", flat=True).first()
        if latest != (last.pk if last is not None else None):
            return WriteResult(None, "Another checkpoint was written meanwhile.")
        public = audit_key().public_key()
        statement = json.dumps(
            {
                "format": FORMAT,
                "n": (last.number if last is not None else 0) + 1,
                "seq": head["seq"],
                "head": head["hash"],
                "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "prev": last.hash if last is not None else GENESIS,
                "key": key_id(public),
                "site": settings.SITE_URL,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )
        signed = SignedCheckpoint.parse(
            statement, sign(statement.encode("ascii"), context=CONTEXT), "the database"
        )
        checkpoint = Checkpoint.objects.create(
            number=signed.number,
            seq=signed.seq,
            head_hash=signed.head,
            created=moment,
            prev_hash=signed.prev,
            key_id=signed.key_id,
            statement=statement,
            signature=signed.signature,
            hash=signed.hash,
        )
        _clear_due(checkpointed_at=moment)
    return WriteResult(
        checkpoint,
        f"Checkpoint {checkpoint.number} signed over event #{checkpoint.seq} "
        f"({checkpoint.head_hash}), key {checkpoint.key_id}.",
    )


# --- Export and import ------------------------------------------------------------------------


def export_chunks() -> Iterator[str]:
    """The export file (JSON), streamed: every stored checkpoint with its signature, and the
    audit key's public half and id so the custodian can check them anywhere."""
    public = audit_key().public_key()
    header = {
        "format": EXPORT_FORMAT,
        "site": settings.SITE_URL,
        "exported": timezone.now().astimezone(UTC).isoformat(),
        "key_id": key_id(public),
        "public_key": public_pem(public).decode("ascii"),
    }
    yield json.dumps(header, indent=1)[:-2] + ',\n "checkpoints": [\n'
    first = True
    rows = Checkpoint.objects.order_by("number").values_list("statement", "signature")
    for statement, signature in rows.iterator(chunk_size=2000):
        item = json.dumps({"statement": statement, "signature": signature})
        yield ("" if first else ",\n") + "  " + item
        first = False
    yield "\n ]\n}\n"


def export_to(path: Path) -> int:
    path = Path(path)
    with path.open("w", encoding="ascii") as fh:
        for piece in export_chunks():
            fh.write(piece)
    return Checkpoint.objects.count()


def load_file(path: Path) -> list[SignedCheckpoint]:
    """The checkpoints of an export file; ValueError (saying what is wrong) if unreadable."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read as a checkpoint export: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValueError(
            f"{path} is not a checkpoint export (format {EXPORT_FORMAT}); write one with "
            "`accord audit checkpoints export FILE`."
        )
    return parse_items(data.get("checkpoints") or [], source=str(path))


def parse_items(items: Iterable, *, source: str) -> list[SignedCheckpoint]:
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"{source} holds a checkpoint that is not an object")
        out.append(
            SignedCheckpoint.parse(
                str(item.get("statement", "")), str(item.get("signature", "")), source
            )
        )
    return out


# --- Verification (used by accord.audit.verify) ----------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str
    text: str
    seq: int | None = None
    checkpoint: int | None = None


@dataclass
class CheckpointSet:
    """The checkpoints that verified, by the event they pin, and the problems found."""

    by_seq: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # seq → (head, who)
    problems: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    count: int = 0
    latest: str = ""
    latest_seq: int = 0

    def add(self, cp: SignedCheckpoint) -> None:
        pinned = self.by_seq.setdefault(cp.seq, [])
        if any(head != cp.head for head, _ in pinned):
            self.problems.append(
                Problem(
                    "checkpoint-conflict",
                    f"{cp.describe()} from {cp.source} pins a different hash than another "
                    "valid checkpoint for the same event: the audit key was used to sign two "
                    "histories",
                    cp.seq,
                    cp.number,
                )
            )
        if cp.hash in self.seen:
            return  # the same checkpoint, from the database and a file
        self.seen.add(cp.hash)
        pinned.append((cp.head, cp.describe()))
        self.count += 1
        if cp.seq >= self.latest_seq:
            self.latest_seq, self.latest = cp.seq, cp.describe()


def check_stored(keys: TrustedKeys, found: CheckpointSet) -> dict[int, str]:
    """Check every stored checkpoint: signature, columns against the signed statement, the
    numbering and the link to the previous one. Returns number → statement hash."""
    hashes: dict[int, str] = {}
    prev_number, prev_hash = 0, GENESIS
    rows = Checkpoint.objects.order_by("number").values_list(
        "number",
        "seq",
        "head_hash",
        "prev_hash",
        "key_id",
        "statement",
        "signature",
        "hash",
        "created",
    )
    for number, seq, head, prev, kid, statement, signature, stored_hash, created in rows.iterator(
        chunk_size=2000
    ):
        try:
            cp = SignedCheckpoint.parse(statement, signature, "the database")
        except ValueError:
            found.problems.append(
                Problem(
                    "checkpoint-edited",
                    f"stored checkpoint {number}'s signed statement is unreadable: it was edited",
                    seq,
                    number,
                )
            )
            continue
        problem = cp.signature_problem(keys)
        if problem:
            found.problems.append(
                Problem("checkpoint-signature", f"{cp.describe()}: {problem}", cp.seq, number)
            )
            continue
        columns = {
            "number": (number, cp.number),
            "seq": (seq, cp.seq),
            "head_hash": (head, cp.head),
            "prev_hash": (prev, cp.prev),
            "key_id": (kid, cp.key_id),
            "hash": (stored_hash, cp.hash),
            "created": (created_text(created)[:23], cp.time[:23]),
        }
        edited = [name for name, (column, signed) in columns.items() if column != signed]
        if edited:
            found.problems.append(
                Problem(
                    "checkpoint-edited",
                    f"{cp.describe()}: its {', '.join(edited)} column(s) differ from what was "
                    "signed: the checkpoint row was edited",
                    cp.seq,
                    cp.number,
                )
            )
        if cp.number != prev_number + 1:
            gap = (
                f"{prev_number + 1}"
                if cp.number == prev_number + 2
                else f"{prev_number + 1}–{cp.number - 1}"
            )
            found.problems.append(
                Problem(
                    "checkpoint-missing",
                    f"checkpoint {gap} is missing from the database (deleted); the stored "
                    f"checkpoints jump from {prev_number} to {cp.number}",
                    None,
                    prev_number + 1,
                )
            )
        elif cp.prev != prev_hash:
            found.problems.append(
                Problem(
                    "checkpoint-link",
                    f"{cp.describe()} does not follow stored checkpoint {prev_number}: one of "
                    "them was replaced",
                    cp.seq,
                    cp.number,
                )
            )
        prev_number, prev_hash = cp.number, cp.hash
        hashes[cp.number] = cp.hash
        found.add(cp)
    return hashes


def check_given(
    given: list[SignedCheckpoint], stored: dict[int, str] | None, keys, found: CheckpointSet
) -> None:
    """Checkpoints from export files: each must verify, and be in the database unchanged."""
    for cp in given:
        problem = cp.signature_problem(keys)
        if problem:
            found.problems.append(
                Problem(
                    "checkpoint-signature",
                    f"{cp.describe()} in {cp.source}: {problem}",
                    cp.seq,
                    cp.number,
                )
            )
            continue
        if stored is not None and stored.get(cp.number) != cp.hash:
            what = (
                "is not in the database: checkpoints were deleted"
                if cp.number not in stored
                else "differs from the database's checkpoint of that number: it was replaced"
            )
            found.problems.append(
                Problem(
                    "checkpoint-deleted" if cp.number not in stored else "checkpoint-link",
                    f"{cp.describe()} from {cp.source} {what}",
                    cp.seq,
                    cp.number,
                )
            )
        found.add(cp)
