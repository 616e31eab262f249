"""The append-only, hash-chained event log, the erasable personal fields beside it, and the
signed checkpoints over it.

Targets are stored as plain values (type, id, label), never as foreign keys, so deleting an
object can never rewrite history. Each event keeps the exact bytes that were hashed
(``payload``); the other columns are an index over them that ``verify`` checks against them.
People are named in the payload by a stable id and a salted commitment; their email, address,
user agent (and a person target's label) live in ``EventPersonal``, beside the chain. Erasure
(``personal_data_erase``, called by the account erasure) drops the fields and the salt: the
commitment left in the hashed bytes then reveals nothing, and the chain still verifies.
Personal data never goes into ``details`` or a non-person ``target_label``: those are hashed
and can never be erased.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext

GENESIS = "0" * 64


class CanonicalJSONEncoder(json.JSONEncoder):
    """Writes a ``details`` column as the payload holds it (accord.audit.services.canonical):
    where the column is text (SQLite), ``verify`` then compares it with the payload's bytes
    as they are instead of parsing either."""

    def __init__(self, *args, **kwargs):
        kwargs.update(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        super().__init__(*args, **kwargs)


class AuditHead(models.Model):
    """One row holding the chain's tip; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    # When the pending checkpoint task is due (None: none pending); set with the head locked,
    # so appends enqueue one task per interval, not one per event.
    checkpoint_due = models.DateTimeField(null=True, blank=True)
    checkpointed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"


class Event(models.Model):
    # 1: written before personal data moved out of the chain (the payload holds email, address
    # and user agent in clear); 2: the payload holds salted commitments instead.
    version = models.PositiveSmallIntegerField(default=2)
    seq = models.BigIntegerField(unique=True)
    event_type = models.CharField(max_length=100, db_index=True)
    created = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # The target's label when it is not a person (a person's is in EventPersonal).
    target_label = models.CharField(max_length=300, blank=True)
    custodian_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    dataset_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    licence_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True, encoder=CanonicalJSONEncoder)
    payload = models.TextField(default="", blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # HMAC of the hash under a key derived from the audit key (not in the database): an event
    # forged or re-hashed by someone who can only write the database has no valid MAC.
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The trail's page: a custodian's newest (or oldest) events, read in index order
            # and stopped after a page (audit.selectors.TrailKeys).
            models.Index(fields=["custodian_id", "created", "seq"], name="audit_event_trail_order"),
            # The trail page's list of the types it holds, one seek per type.
            models.Index(fields=["custodian_id", "event_type"], name="audit_event_custodian_type"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type}"

    # What pages, exports and the API show: the personal fields joined back (prefetch
    # "personal" for lists), or "erased" once the person's data was erased.
    def _personal(self, role: str) -> EventPersonal | None:
        for row in self.personal.all():
            if row.role == role:
                return row
        return None

    def _personal_value(self, role: str, field: str, empty=""):
        row = self._personal(role)
        if row is None:
            return empty
        if row.erased is not None:
            return gettext("erased")
        return getattr(row, field) or empty

    @property
    def actor_repr(self) -> str:
        return self._personal_value("actor", "email")

    @property
    def ip_address(self) -> str | None:
        return self._personal_value("actor", "ip_address", None)

    @property
    def user_agent(self) -> str:
        return self._personal_value("actor", "user_agent")

    @property
    def target_repr(self) -> str:
        if self._personal(EventPersonal.Role.TARGET) is None:
            return self.target_label
        return self._personal_value("target", "label")


class EventPersonal(models.Model):
    """One person's personal fields of one event: the actor (email, address, user agent) or a
    person target (label). The event's payload commits to them with ``salt``; erasure blanks
    the fields and the salt and stamps ``erased``, and the chain still verifies."""

    class Role(models.TextChoices):
        ACTOR = "actor"
        TARGET = "target"

    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, related_name="personal"
    )
    role = models.CharField(max_length=6, choices=Role.choices)
    # The person, by stable id (None: an anonymous request); erasure finds rows by it.
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    salt = models.CharField(max_length=32, blank=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    label = models.CharField(max_length=300, blank=True)
    erased = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "role"], name="uniq_audit_personal_role")
        ]

    def __str__(self) -> str:
        return f"{self.role} of event {self.event_id}"


class Checkpoint(models.Model):
    """A signed statement "the chain's event ``seq`` had hash ``head_hash`` at ``created``",
    linked to the previous checkpoint. ``statement`` holds the exact signed bytes; the other
    columns are an index over them."""

    number = models.PositiveBigIntegerField(unique=True)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    created = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    statement = models.TextField()
    signature = models.CharField(max_length=100)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"checkpoint {self.number} at #{self.seq}"


class JournalEntry(models.Model):
    """One high-volume event (a download link issued, a download handed to nginx or S3, a
    streamed range served or cut off), appended without the chain's lock and sealed into the
    chain later, in batches, by ``accord.audit.journal.journal_seal``: the batch's event
    carries the count and the Merkle root of the rows' payload hashes, so an edit, deletion or
    insertion after sealing is caught by ``verify``. A row's hashed bytes are ``payload``; the
    other columns are an index over them (``verify`` checks they agree). The payload ends with
    a MAC keyed with the audit key (as each event's), so a row forged or rewritten by hand is
    named by ``verify`` before or after it is sealed; a row deleted before sealing leaves no
    trace (at most ``ACCORD_AUDIT_JOURNAL_SEAL_SECONDS`` while the worker runs). The requester's
    address and browser live beside the payload, as in the chain (``EventPersonal``): the
    payload holds only a salted commitment of them; erasure blanks them and the salt and
    stamps ``erased``, and the batch still verifies. A row is otherwise never edited;
    ``seal_seq`` (the sealing event) is set once (on PostgreSQL a trigger refuses anything
    else, migration 0006)."""

    created = models.DateTimeField(db_index=True)
    event_type = models.CharField(max_length=100)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    custodian_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    dataset_id = models.BigIntegerField(null=True, blank=True)
    licence_id = models.BigIntegerField(null=True, blank=True)
    link_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    bytes = models.BigIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)
    payload = models.TextField()
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # Blank when the row names no address or browser (the payload then commits to none).
    salt = models.CharField(max_length=32, blank=True)
    erased = models.DateTimeField(null=True, blank=True)
    seal_seq = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["custodian_id", "created", "id"], name="audit_journal_trail_order"
            ),
            models.Index(
                fields=["custodian_id", "event_type"], name="audit_journal_custodian_type"
            ),
        ]

    def __str__(self) -> str:
        return f"journal #{self.pk} {self.event_type}"
