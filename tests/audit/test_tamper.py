"""Someone who can write the database rewrites the audit trail in every way we could think of;
`accord audit verify`, given the checkpoint export a custodian kept elsewhere, catches each one
and names the first event (or checkpoint) that breaks."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accord.audit.checkpoints import CONTEXT, checkpoint_write, export_to, load_file
from accord.audit.models import GENESIS, AuditHead, Checkpoint, Event, EventPersonal
from accord.audit.services import (
    RequestContext,
    audit_record,
    canonical,
    current_request,
    payload_hash,
)
from accord.audit.verify import verify_chain
from accord.core.keys import key_id
from tests import factories
from tests.tools import guards_off, is_postgres


def _tampering():
    """Write as the database's owner would: the PostgreSQL guards switched off (an owner can),
    so only verify stands between the forger and a rewritten history."""
    return guards_off("audit_event", "audit_checkpoint", "audit_eventpersonal")


@pytest.fixture
def trail(tmp_path, custodian, staff):
    """Ten events by a staff member from a known address, some about a person; checkpoints
    after #4, #8 and #10; the custodian's export of them kept in ``kept``."""
    member = factories.UserFactory()
    token = current_request.set(RequestContext(ip_address="198.51.100.20", user_agent="probe/2"))
    try:
        for i in range(1, 11):
            audit_record(
                event_type="agreements:member:add" if i % 2 else "agreements:licence:note",
                actor=staff,
                target=member if i % 2 else None,
                custodian_id=custodian.id,
                details={"i": i},
            )
            if i in (4, 8, 10):
                assert checkpoint_write().checkpoint is not None
    finally:
        current_request.reset(token)
    kept = tmp_path / "kept-checkpoints.json"
    export_to(kept)
    assert verify_chain(checkpoints=load_file(kept)).ok
    return kept


def _payload(event: Event) -> dict:
    return json.loads(event.payload)


def _store(event: Event, fields: dict) -> None:
    """Re-serialise a payload as Accord would and re-hash it: a forger knows the format."""
    event.payload = canonical(fields).decode()
    event.hash = payload_hash(event.payload)
    event.prev_hash = fields["prev_hash"]
    event.seq = fields["seq"]
    Event.objects.filter(pk=event.pk).update(
        payload=event.payload, hash=event.hash, prev_hash=event.prev_hash, seq=event.seq
    )


def _rechain(from_seq: int) -> None:
    """Recompute every link from ``from_seq`` on, and move the head row to the new tip."""
    prev = Event.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS
    for event in Event.objects.filter(seq__gte=from_seq).order_by("seq"):
        fields = _payload(event)
        fields["prev_hash"] = prev
        _store(event, fields)
        prev = event.hash
    last = Event.objects.order_by("-seq").first()
    AuditHead.objects.filter(id=1).update(seq=last.seq, hash=last.hash)


def _forge_append(count: int) -> None:
    """Append well-formed events with valid hashes and links: all but the MAC."""
    last = Event.objects.order_by("-seq").first()
    for _ in range(count):
        fields = {**_payload(last), "personal": {}, "actor_id": None}
        fields.update(seq=last.seq + 1, prev_hash=last.hash, details={"forged": True})
        forged = Event(
            version=2,
            seq=fields["seq"],
            event_type=fields["event_type"],
            created=last.created,
            target_type=fields["target_type"],
            target_id=fields["target_id"],
            custodian_id=fields["custodian_id"],
            details=fields["details"],
            prev_hash=last.hash,
            mac="0" * 64,
        )
        forged.payload = canonical(fields).decode()
        forged.hash = payload_hash(forged.payload)
        forged.save()
        last = forged
    AuditHead.objects.filter(id=1).update(seq=last.seq, hash=last.hash)


def _edit_details(seq: int) -> Event:
    event = Event.objects.get(seq=seq)
    fields = _payload(event)
    fields["details"] = {"i": 999}
    _store(event, fields)
    Event.objects.filter(pk=event.pk).update(details={"i": 999})
    return event


def _sign_with(key: Ed25519PrivateKey, statement: dict) -> tuple[str, str]:
    text = json.dumps(statement, sort_keys=True, separators=(",", ":"))
    return text, base64.b64encode(key.sign(CONTEXT + text.encode())).decode()


# --- The tamperings ----------------------------------------------------------------------------


def edit_a_column():
    Event.objects.filter(seq=5).update(event_type="agreements:licence:grant")


def edit_details_column():
    Event.objects.filter(seq=5).update(details={"i": 5, "approved": True})


def edit_payload_keep_hash():
    event = Event.objects.get(seq=5)
    Event.objects.filter(pk=event.pk).update(payload=event.payload.replace('"i":5', '"i":6'))


def edit_payload_and_recompute_hash():
    _edit_details(5)


def rechain_everything_after_an_edit():
    _edit_details(5)
    _rechain(6)


def delete_a_middle_event():
    Event.objects.filter(seq=6).delete()


def truncate_the_last_events():
    Event.objects.filter(seq__gte=9).delete()
    last = Event.objects.get(seq=8)
    AuditHead.objects.filter(id=1).update(seq=8, hash=last.hash)


def truncate_to_genesis():
    EventPersonal.objects.all().delete()
    Event.objects.all().delete()
    Checkpoint.objects.all().delete()
    AuditHead.objects.filter(id=1).update(seq=0, hash=GENESIS)


def insert_a_forged_event_in_the_middle():
    for event in Event.objects.filter(seq__gte=6).order_by("-seq"):
        Event.objects.filter(pk=event.pk).update(seq=event.seq + 1)
    before = Event.objects.get(seq=5)
    fields = {**_payload(before), "seq": 6, "prev_hash": before.hash, "personal": {}}
    fields["details"] = {"i": "forged"}
    forged = Event(
        version=2,
        seq=6,
        event_type=fields["event_type"],
        created=before.created,
        actor_id=fields["actor_id"],
        target_type=fields["target_type"],
        target_id=fields["target_id"],
        custodian_id=fields["custodian_id"],
        details=fields["details"],
        prev_hash=before.hash,
        mac=before.mac,
        payload=canonical(fields).decode(),
    )
    forged.hash = payload_hash(forged.payload)
    forged.save()


def append_forged_events_after_the_last_checkpoint():
    _forge_append(2)


def append_forged_events_after_rechaining():
    _edit_details(9)
    _rechain(10)
    _forge_append(3)


def swap_two_events():
    Event.objects.filter(seq=3).update(seq=1000)
    Event.objects.filter(seq=4).update(seq=3)
    Event.objects.filter(seq=1000).update(seq=4)


def swap_two_events_and_rechain():
    third, fourth = Event.objects.get(seq=3), Event.objects.get(seq=4)
    Event.objects.filter(pk=third.pk).update(seq=1000)
    Event.objects.filter(pk=fourth.pk).update(seq=3)
    Event.objects.filter(pk=third.pk).update(seq=4)
    for event in (Event.objects.get(pk=fourth.pk), Event.objects.get(pk=third.pk)):
        fields = _payload(event)
        fields["seq"] = event.seq
        _store(event, fields)
    _rechain(3)


def change_a_seq():
    Event.objects.filter(seq=7).update(seq=107)


def edit_a_checkpoint_row():
    Checkpoint.objects.filter(number=2).update(head_hash="e" * 64)


def edit_a_signed_statement():
    checkpoint = Checkpoint.objects.get(number=2)
    Checkpoint.objects.filter(pk=checkpoint.pk).update(
        statement=checkpoint.statement.replace('"seq":8', '"seq":7')
    )


def delete_the_last_checkpoint():
    Checkpoint.objects.filter(number=3).delete()
    AuditHead.objects.filter(id=1).update(checkpointed_at=None)


def delete_a_middle_checkpoint():
    Checkpoint.objects.filter(number=2).delete()


def forge_a_checkpoint_with_another_key():
    _forge_append(1)
    last, tip = Checkpoint.objects.get(number=3), Event.objects.order_by("-seq").first()
    attacker = Ed25519PrivateKey.generate()
    statement = {**json.loads(last.statement), "n": 4, "seq": tip.seq, "head": tip.hash}
    statement.update(prev=last.hash, key=key_id(attacker.public_key()))
    text, signature = _sign_with(attacker, statement)
    Checkpoint.objects.create(
        number=4,
        seq=tip.seq,
        head_hash=tip.hash,
        created=timezone.now(),
        prev_hash=last.hash,
        key_id=statement["key"],
        statement=text,
        signature=signature,
        hash=payload_hash(text),
    )


def re_sign_checkpoints_with_another_key():
    """Rewrite #5, re-chain, and replace every checkpoint with ones signed by the forger's own
    key naming the forger's key id: the database holds no key to swap, so this is as far as
    "replace the public key" goes."""
    _edit_details(5)
    _rechain(6)
    attacker = Ed25519PrivateKey.generate()
    prev = GENESIS
    for checkpoint in Checkpoint.objects.order_by("number"):
        head = Event.objects.get(seq=checkpoint.seq).hash
        statement = {**json.loads(checkpoint.statement), "head": head, "prev": prev}
        statement["key"] = key_id(attacker.public_key())
        text, signature = _sign_with(attacker, statement)
        Checkpoint.objects.filter(pk=checkpoint.pk).update(
            head_hash=head,
            prev_hash=prev,
            key_id=statement["key"],
            statement=text,
            signature=signature,
            hash=payload_hash(text),
        )
        prev = payload_hash(text)


def edit_the_head_row():
    AuditHead.objects.filter(id=1).update(hash="c" * 64)


def edit_a_person_s_address():
    EventPersonal.objects.filter(event__seq=5, role="actor").update(ip_address="203.0.113.66")


def delete_a_person_s_fields():
    EventPersonal.objects.filter(event__seq=5, role="target").delete()


def blank_personal_fields_outside_erasure():
    EventPersonal.objects.filter(event__seq=5, role="actor").update(
        email="", ip_address="", user_agent="", salt="", erased=timezone.now()
    )


def move_a_person_s_fields_to_another_event():
    EventPersonal.objects.filter(event__seq=5, role="target").update(event=Event.objects.get(seq=6))


def edit_a_mac():
    Event.objects.filter(seq=5).update(mac="f" * 64)


def edit_a_stored_hash():
    Event.objects.filter(seq=5).update(hash="d" * 64)


def edit_a_stored_link():
    Event.objects.filter(seq=5).update(prev_hash="d" * 64)


def edit_the_time():
    event = Event.objects.get(seq=5)
    Event.objects.filter(seq=5).update(created=event.created + timedelta(milliseconds=1))


def fill_a_licence_left_empty():
    Event.objects.filter(seq=5).update(licence_id=7)


def edit_a_target_label():
    Event.objects.filter(seq=6).update(target_label="another thing")


def give_a_person_s_fields_another_role():
    EventPersonal.objects.filter(event__seq=5, role="target").update(role="viewer")


def add_a_person_s_fields_beside_an_event():
    EventPersonal.objects.create(
        event=Event.objects.get(seq=6), role="target", subject_id=None, label="someone"
    )


def edit_a_person_s_salt():
    EventPersonal.objects.filter(event__seq=5, role="actor").update(salt="ab" * 16)


TAMPERINGS = [
    (edit_a_column, "column", "event #5"),
    (edit_details_column, "column", "event #5"),
    (edit_payload_keep_hash, "payload", "event #5"),
    (edit_payload_and_recompute_hash, "mac", "event #5"),
    (rechain_everything_after_an_edit, "mac", "event #5"),
    (delete_a_middle_event, "missing", "event #6"),
    (truncate_the_last_events, "truncated", "event #9"),
    (truncate_to_genesis, "truncated", "event #1"),
    (insert_a_forged_event_in_the_middle, "mac", "event #6"),
    (append_forged_events_after_the_last_checkpoint, "mac", "event #11"),
    (append_forged_events_after_rechaining, "mac", "event #9"),
    (swap_two_events, "order", "event #3"),
    (swap_two_events_and_rechain, "mac", "event #3"),
    (change_a_seq, "missing", "event #7"),
    (edit_a_checkpoint_row, "checkpoint-edited", "checkpoint 2"),
    (edit_a_signed_statement, "checkpoint-signature", "checkpoint 2"),
    (delete_the_last_checkpoint, "checkpoint-deleted", "checkpoint 3"),
    (delete_a_middle_checkpoint, "checkpoint-missing", "checkpoint 2"),
    (forge_a_checkpoint_with_another_key, "mac", "event #11"),
    (re_sign_checkpoints_with_another_key, "mac", "event #5"),
    (edit_the_head_row, "head", "event #11"),
    (edit_a_person_s_address, "personal", "event #5"),
    (delete_a_person_s_fields, "personal", "event #5"),
    (blank_personal_fields_outside_erasure, "personal", "event #5"),
    (move_a_person_s_fields_to_another_event, "personal", "event #5"),
    (edit_a_mac, "mac", "event #5"),
    (edit_a_stored_hash, "payload", "event #5"),
    (edit_a_stored_link, "link", "event #5"),
    (edit_the_time, "column", "event #5"),
    (fill_a_licence_left_empty, "column", "event #5"),
    (edit_a_target_label, "column", "event #6"),
    (give_a_person_s_fields_another_role, "personal", "event #5"),
    (add_a_person_s_fields_beside_an_event, "personal", "event #6"),
    (edit_a_person_s_salt, "personal", "event #5"),
]


@pytest.mark.parametrize(
    ("tamper", "kind", "where"), TAMPERINGS, ids=[t[0].__name__ for t in TAMPERINGS]
)
@pytest.mark.django_db
def test_verify_with_the_kept_checkpoints_names_the_first_broken_event(trail, tamper, kind, where):
    with _tampering():
        tamper()
    result = verify_chain(checkpoints=load_file(trail))
    assert not result.ok
    assert (result.kind, str(result).split(":")[0]) == (kind, f"BROKEN at {where}"), str(result)
    with pytest.raises(CommandError, match=f"^BROKEN at {re.escape(where)}"):
        call_command("audit", "verify", "--checkpoints", str(trail))


@pytest.mark.django_db
def test_details_stored_in_the_older_spaced_form_still_verify(trail):
    """Details written before they were stored canonical (SQLite text with spaces after the
    separators; migration 0007 rewrites them) verify, through the field-by-field check."""
    if is_postgres():
        pytest.skip("PostgreSQL stores details as jsonb, which has no text form")
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM audit_event WHERE seq = 5")
        (text,) = cursor.fetchone()
        cursor.execute(
            "UPDATE audit_event SET details = %s WHERE seq = 5", [json.dumps(json.loads(text))]
        )
        cursor.execute("SELECT details FROM audit_event WHERE seq = 5")
        assert cursor.fetchone()[0] == '{"i": 5}' != text
    assert verify_chain(checkpoints=load_file(trail)).ok


@pytest.mark.django_db
def test_a_checkpoint_signed_by_another_key_is_named(trail):
    """A forged checkpoint over the real head: nothing else is wrong."""
    last, tip = Checkpoint.objects.get(number=3), Event.objects.get(seq=10)
    attacker = Ed25519PrivateKey.generate()
    statement = {**json.loads(last.statement), "n": 4, "prev": last.hash}
    statement["key"] = key_id(attacker.public_key())
    text, signature = _sign_with(attacker, statement)
    Checkpoint.objects.create(
        number=4,
        seq=tip.seq,
        head_hash=tip.hash,
        created=timezone.now(),
        prev_hash=last.hash,
        key_id=statement["key"],
        statement=text,
        signature=signature,
        hash=payload_hash(text),
    )
    result = verify_chain(checkpoints=load_file(trail))
    assert (result.kind, result.broken_checkpoint) == ("checkpoint-signature", 4)
    assert "which this verifier does not trust" in result.problem


@pytest.mark.django_db
def test_truncation_is_caught_without_the_kept_file_only_below_a_stored_checkpoint(trail):
    with _tampering():
        truncate_the_last_events()
    assert verify_chain().kind == "truncated"  # checkpoint 3 (#10) is still stored


@pytest.mark.django_db
def test_what_verify_cannot_see_deleting_events_after_the_last_checkpoint(trail):
    """The documented bound: events appended after the last checkpoint, deleted along with the
    head row's record of them, leave no trace (at most ACCORD_AUDIT_CHECKPOINT_SECONDS)."""
    audit_record(event_type="agreements:licence:note", details={"i": 11})
    with _tampering():
        Event.objects.filter(seq=11).delete()
        tip = Event.objects.get(seq=10)
        AuditHead.objects.filter(id=1).update(seq=10, hash=tip.hash)
    assert verify_chain(checkpoints=load_file(trail)).ok


@pytest.mark.django_db
def test_checkpoints_are_not_signed_over_a_broken_chain(trail):
    audit_record(event_type="agreements:licence:note", details={"i": 11})
    with _tampering():
        Event.objects.filter(seq=11).update(details={"i": 12})
    result = checkpoint_write(now=timezone.now() + timedelta(hours=1))
    assert result.checkpoint is None and "does not verify" in result.message
    assert Checkpoint.objects.count() == 3
    with pytest.raises(CommandError, match="Not signed"):
        call_command("audit", "checkpoint")
