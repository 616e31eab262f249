"""A chain written before payloads were stored (the old code path, personal fields in the
hashed bytes) still verifies after the migrations, shows the same people and addresses, and
goes on with new events."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.audit.models import Event
from accord.audit.services import audit_record, personal_data_erase
from accord.audit.verify import verify_chain
from tests import factories

BEFORE = [("audit", "0002_append_only_trigger")]
AFTER = [("audit", "0007_canonical_details")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_audit_record(apps, seq, prev, **values) -> str:
    """What audit_record wrote until now: columns, and a hash over their canonical JSON."""
    event = apps.get_model("audit", "Event")(seq=seq, prev_hash=prev, **values)
    fields = {
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
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()
    event.hash = hashlib.sha256(canonical).hexdigest()
    event.save()
    head = apps.get_model("audit", "AuditHead")
    head.objects.update_or_create(id=1, defaults={"seq": seq, "hash": event.hash})
    return event.hash


@pytest.mark.django_db(transaction=True)
def test_a_chain_written_by_the_old_code_verifies_after_migrating():
    staff = factories.UserFactory(email="staff@cmvs.example.org")
    member = factories.UserFactory(email="member@uni.example.edu")
    old = _migrate(BEFORE)
    created = datetime(2026, 3, 1, 9, 30, 0, 123000, tzinfo=UTC)
    prev = "0" * 64
    rows = [
        dict(actor_id=staff.pk, actor_repr=staff.email, ip_address="198.51.100.7"),
        dict(
            actor_id=staff.pk,
            actor_repr=staff.email,
            user_agent="Mozilla/5.0 (X11) naïve ☃",
            target_type="accounts.user",
            target_id=str(member.pk),
            target_repr=member.email,
        ),
        dict(target_type="catalog.dataset", target_id="3", target_repr="SMIC"),
    ]
    for seq, values in enumerate(rows, start=1):
        prev = _old_audit_record(
            old,
            seq,
            prev,
            event_type="agreements:licence:grant",
            created=created,
            custodian_id=1,
            details={"note": "ünïcode ✓", "n": seq, "ratio": 0.1},
            **values,
        )

    _migrate(AFTER)
    result = verify_chain()
    assert result.ok and result.checked == 3, result
    assert result.last_hash == prev  # the same hashes: nothing was re-chained

    first, second, third = Event.objects.prefetch_related("personal").order_by("seq")
    assert (first.actor_repr, first.ip_address) == (staff.email, "198.51.100.7")
    assert second.user_agent == "Mozilla/5.0 (X11) naïve ☃"
    assert second.target_repr == member.email and third.target_repr == "SMIC"
    assert first.version == 1 and first.payload.startswith("{")

    # New events continue the same chain, in the current format.
    new = audit_record(event_type="agreements:licence:note", actor=staff, details={"n": 4})
    assert new.prev_hash == prev and new.version == 2
    assert verify_chain().ok

    # Erasure blanks the copies beside the chain and says how many legacy events still hold
    # the person's fields in their hashed bytes.
    report = personal_data_erase(user_id=member.pk)
    assert (report.rows, report.legacy_events) == (1, 1)
    assert Event.objects.get(seq=2).target_repr == "erased"
    assert verify_chain().ok
