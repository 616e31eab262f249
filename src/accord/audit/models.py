"""The append-only, hash-chained event log.

Targets are stored as plain values (type, id, text), never as foreign keys, so deleting an
object can never rewrite history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditHead(models.Model):
    """One row holding the chain's tip; locking it serialises appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"


class Event(models.Model):
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
    actor_repr = models.CharField(max_length=254, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    custodian_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    dataset_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    licence_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type}"
