"""Someone who can write the database rewrites the download journal behind our back: edits,
deletes, inserts and reorders rows (sealed and not yet sealed) or rewrites a seal event.
`accord audit verify` (and ``journal_check``) catches each one and names the row or the seal
event and what is wrong; on PostgreSQL the trigger refuses the edit in the first place."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accord.audit.journal import SEAL_EVENT, journal_append, journal_check, journal_seal
from accord.audit.models import AuditHead, Event, JournalEntry
from accord.audit.services import canonical, payload_hash
from accord.audit.verify import verify_chain
from tests.tools import guards_off, need_postgres

pytestmark = pytest.mark.django_db


def _tampering():
    """Write as the database's owner would: PostgreSQL's guards switched off (an owner can)."""
    return guards_off("audit_journalentry", "audit_event")


def _append(i: int) -> int:
    return journal_append(
        event_type="downloads:file:serve",
        actor_id=7,
        custodian_id=1,
        link_id=i,
        bytes=100 * i,
        details={"link": i, "bytes": 100 * i},
        ip_address="192.0.2.1",
        user_agent="curl/8",
    )


@pytest.fixture
def journal(monkeypatch, settings):
    """Six rows sealed in batches of two (three seal events), then two rows not sealed yet.
    Returns (sealed row ids, unsealed row ids, seal event seqs)."""
    monkeypatch.setattr("accord.audit.journal._seal_soon", lambda: None)
    settings.AUDIT_JOURNAL_BATCH = 2
    sealed = [_append(i) for i in range(1, 7)]
    assert journal_seal() == 6
    unsealed = [_append(i) for i in range(7, 9)]
    seals = list(Event.objects.filter(event_type=SEAL_EVENT).values_list("seq", flat=True))
    assert len(seals) == 3
    result = verify_chain()
    assert result.ok and (result.journal_rows, result.unsealed) == (6, 2), result
    return sealed, unsealed, seals


def _row(pk: int) -> JournalEntry:
    return JournalEntry.objects.get(pk=pk)


def _forged_payload(payload: dict) -> str:
    """A payload in Accord's format (the forger knows it), but for the MAC, which needs the
    audit key: a copied MAC belongs to other bytes."""
    payload = {k: v for k, v in payload.items() if k != "mac"}
    body = canonical(payload).decode()
    return body[:-1] + ',"mac":"' + "0" * 64 + '"}'


def _forge_row(like: JournalEntry, **changes) -> JournalEntry:
    """A copy of ``like`` with ``changes``, its payload rebuilt as Accord would build it,
    inserted with a new id."""
    fields = {
        f.attname: getattr(like, f.attname)
        for f in JournalEntry._meta.concrete_fields
        if not f.primary_key
    }
    fields.update(changes)
    payload = json.loads(like.payload)
    for name in ("bytes", "link_id", "details"):
        if name in changes:
            payload[name] = changes[name]
    fields["payload"] = _forged_payload(payload)
    return JournalEntry.objects.create(**fields)


def _verify_names(*fragments: str) -> str:
    result = verify_chain()
    assert not result.ok and result.kind == "journal", str(result)
    for fragment in fragments:
        assert fragment in result.problem, str(result)
    with pytest.raises(CommandError, match=r"^BROKEN at event #\d+: "):
        call_command("audit", "verify")
    return str(result)


def _also(seq: int, fragment: str) -> None:
    """``journal_check`` names this problem too (verify describes only the first)."""
    problems, _checked, _unsealed = journal_check()
    assert any(p.seq == seq and fragment in p.text for p in problems), problems


# --- Sealed rows --------------------------------------------------------------------------------


def test_a_sealed_rows_column_edited_is_named(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=sealed[2]).update(bytes=1)
    text = _verify_names(f"journal row #{sealed[2]}", "changed after it was written")
    assert text.startswith(f"BROKEN at event #{seals[1]}")


def test_a_sealed_row_rewritten_whole_breaks_its_batchs_merkle_root(journal):
    """Columns and payload edited together (they agree): only the seal can tell."""
    sealed, _unsealed, seals = journal
    row = _row(sealed[3])
    payload = json.loads(row.payload)
    payload["bytes"] = 1
    with _tampering():
        JournalEntry.objects.filter(pk=row.pk).update(bytes=1, payload=_forged_payload(payload))
    text = _verify_names(f"journal row #{row.pk}'s MAC does not verify", "forged")
    assert text.startswith(f"BROKEN at event #{seals[1]}")
    _also(seals[1], f"rows #{sealed[2]}–#{sealed[3]}, 2 rows) no longer matches its Merkle root")


def test_a_sealed_row_deleted_is_named_by_its_batch(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=sealed[4]).delete()
    text = _verify_names("no longer matches its Merkle root", "(1 rows found)")
    assert text.startswith(f"BROKEN at event #{seals[2]}")


def test_a_whole_sealed_batch_deleted_is_named(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk__in=sealed[:2]).delete()
    text = _verify_names("are gone: they were deleted")
    assert text.startswith(f"BROKEN at event #{seals[0]}")


def test_a_row_inserted_into_a_sealed_batch_is_named(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        forged = _forge_row(_row(sealed[0]), bytes=5, seal_seq=seals[0])
    text = _verify_names(f"journal row #{forged.pk}'s MAC does not verify")
    assert text.startswith(f"BROKEN at event #{seals[0]}")
    _also(seals[0], "no longer matches its Merkle root (3 rows found)")


def test_a_row_inserted_under_an_event_that_seals_nothing_is_named(journal):
    sealed, _unsealed, _seals = journal
    other = Event.objects.exclude(event_type=SEAL_EVENT).order_by("seq").first()
    if other is None:
        from accord.audit.services import audit_record

        other = audit_record(event_type="agreements:licence:note", details={})
    with _tampering():
        forged = _forge_row(_row(sealed[0]), bytes=5, seal_seq=other.seq)
    _verify_names(f"journal row #{forged.pk}'s MAC does not verify")
    _also(other.seq, f"name event #{other.seq} as their seal, which is no seal event")


def test_a_real_row_copied_under_an_event_that_seals_nothing_is_named(journal):
    """A genuine row's bytes (its MAC intact) copied with a new id under another event."""
    sealed, _unsealed, _seals = journal
    other = Event.objects.exclude(event_type=SEAL_EVENT).order_by("seq").first()
    if other is None:
        from accord.audit.services import audit_record

        other = audit_record(event_type="agreements:licence:note", details={})
    like = _row(sealed[0])
    with _tampering():
        like.pk, like.seal_seq = None, other.seq
        like.save(force_insert=True)
    _verify_names(f"name event #{other.seq} as their seal, which is no seal event")


def test_rows_reordered_within_a_sealed_batch_break_its_merkle_root(journal):
    """The two rows of a batch swap places (ids): each row still agrees with itself."""
    sealed, _unsealed, seals = journal
    first, second = _row(sealed[0]), _row(sealed[1])
    with _tampering():
        JournalEntry.objects.filter(pk=first.pk).update(id=10_000)
        JournalEntry.objects.filter(pk=second.pk).update(id=first.pk)
        JournalEntry.objects.filter(pk=10_000).update(id=second.pk)
    assert _row(sealed[0]).payload == second.payload
    text = _verify_names("no longer matches its Merkle root")
    assert text.startswith(f"BROKEN at event #{seals[0]}")


def test_a_sealed_row_moved_to_another_batch_is_named(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=sealed[1]).update(seal_seq=seals[1])
    result = verify_chain()
    assert not result.ok and result.kind == "journal"
    assert result.broken_seq == seals[0] and result.others >= 1, str(result)


def test_a_sealed_row_unsealed_to_be_sealed_again_is_named(journal):
    sealed, _unsealed, seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=sealed[5]).update(seal_seq=None)
    text = _verify_names("no longer matches its Merkle root")
    assert text.startswith(f"BROKEN at event #{seals[2]}")


# --- The seal events ----------------------------------------------------------------------------


def test_a_seal_events_root_edited_in_its_column_is_named(journal):
    _sealed, _unsealed, seals = journal
    event = Event.objects.get(seq=seals[1])
    with _tampering():
        Event.objects.filter(pk=event.pk).update(details={**event.details, "root": "0" * 64})
    result = verify_chain()
    assert not result.ok and result.broken_seq == seals[1], str(result)
    assert result.kind == "column" and "details" in result.problem


def test_a_seal_event_rehashed_over_a_rewritten_batch_fails_its_mac(journal):
    """The forger rewrites a sealed row, recomputes the batch's root, re-hashes the seal
    event and re-chains everything after it: all but the MAC, which needs the audit key."""
    from accord.audit.journal import leaf, merkle_root

    sealed, _unsealed, seals = journal
    row = _row(sealed[2])
    payload = json.loads(row.payload)
    payload["bytes"] = 1
    forged = canonical(payload).decode()
    with _tampering():
        JournalEntry.objects.filter(pk=row.pk).update(bytes=1, payload=forged)
        rows = JournalEntry.objects.filter(seal_seq=seals[1]).order_by("id")
        root = merkle_root(leaf(r.pk, r.payload) for r in rows)
        prev = None
        for event in Event.objects.filter(seq__gte=seals[1]).order_by("seq"):
            fields = json.loads(event.payload)
            if event.seq == seals[1]:
                fields["details"]["root"] = root
            if prev is not None:
                fields["prev_hash"] = prev
            text = canonical(fields).decode()
            prev = payload_hash(text)
            Event.objects.filter(pk=event.pk).update(
                payload=text, hash=prev, prev_hash=fields["prev_hash"], details=fields["details"]
            )
        AuditHead.objects.filter(id=1).update(hash=prev)
    result = verify_chain()
    assert not result.ok and (result.kind, result.broken_seq) == ("mac", seals[1]), str(result)


def test_a_seal_event_deleted_is_named(journal):
    _sealed, _unsealed, seals = journal
    with _tampering():
        Event.objects.filter(seq=seals[0]).delete()
    result = verify_chain()
    assert not result.ok and result.broken_seq == seals[0], str(result)
    assert "missing" in result.problem
    problems, _checked, _unsealed_count = journal_check()
    assert any(p.seq == seals[0] and "which is no seal event" in p.text for p in problems), problems


# --- Rows not sealed yet ------------------------------------------------------------------------


def test_an_unsealed_rows_column_edited_is_named_before_it_is_sealed(journal):
    _sealed, unsealed, _seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=unsealed[0]).update(bytes=1)
    _verify_names(f"journal row #{unsealed[0]}", "changed after it was written", "not sealed yet")


def test_an_unsealed_row_edited_and_then_sealed_is_still_named(journal):
    _sealed, unsealed, _seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=unsealed[1]).update(bytes=1)
    journal_seal()
    _verify_names(f"journal row #{unsealed[1]}", "changed after it was written")


def test_an_unsealed_row_forged_with_its_payload_is_named(journal):
    """A row inserted by hand, with a payload built as Accord builds it, to put a download on
    someone's record: the row's MAC (keyed with the audit key, not in the database) is what
    it lacks, sealed or not."""
    sealed, _unsealed, _seals = journal
    with _tampering():
        forged = _forge_row(_row(sealed[0]), bytes=999, link_id=99, seal_seq=None)
    _verify_names(f"journal row #{forged.pk}", "MAC", "forged")
    journal_seal()
    _verify_names(f"journal row #{forged.pk}", "MAC", "forged")


def test_an_unsealed_rows_payload_rewritten_whole_is_named(journal):
    _sealed, unsealed, _seals = journal
    row = _row(unsealed[0])
    payload = json.loads(row.payload)
    payload["bytes"] = 1
    with _tampering():
        JournalEntry.objects.filter(pk=row.pk).update(bytes=1, payload=_forged_payload(payload))
    _verify_names(f"journal row #{row.pk}", "MAC", "not sealed yet")


def test_an_unsealed_row_without_a_mac_is_named(journal):
    """The forger drops the MAC, as if the row were older than MACs."""
    _sealed, unsealed, _seals = journal
    row = _row(unsealed[0])
    payload = {k: v for k, v in json.loads(row.payload).items() if k != "mac"}
    with _tampering():
        JournalEntry.objects.filter(pk=row.pk).update(payload=canonical(payload).decode())
    _verify_names(f"journal row #{row.pk} carries no MAC", "forged")


def test_what_verify_cannot_see_an_unsealed_row_deleted(journal):
    """The documented bound: a row deleted before it is sealed (within
    ACCORD_AUDIT_JOURNAL_SEAL_SECONDS of being written, or while the worker is down) leaves
    no trace; ids are no evidence (a rolled-back transaction leaves gaps on PostgreSQL)."""
    _sealed, unsealed, _seals = journal
    with _tampering():
        JournalEntry.objects.filter(pk=unsealed[0]).delete()
    result = verify_chain()
    assert result.ok and result.unsealed == 1, str(result)


def test_an_untouched_journal_with_unsealed_rows_verifies(journal):
    journal_seal()
    result = verify_chain()
    assert result.ok and (result.journal_rows, result.unsealed) == (8, 0), str(result)


# --- PostgreSQL refuses the edits itself --------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_journalentry SET bytes = 1 WHERE seal_seq IS NULL",
        "UPDATE audit_journalentry SET payload = '' WHERE seal_seq IS NULL",
        "UPDATE audit_journalentry SET details = '{}' WHERE seal_seq IS NULL",
        "UPDATE audit_journalentry SET id = id + 1000",
        "UPDATE audit_journalentry SET seal_seq = NULL WHERE seal_seq IS NOT NULL",
        "UPDATE audit_journalentry SET seal_seq = seal_seq + 1 WHERE seal_seq IS NOT NULL",
        "UPDATE audit_journalentry SET erased = now() WHERE seal_seq IS NULL",
        "DELETE FROM audit_journalentry WHERE seal_seq IS NULL",
        "DELETE FROM audit_journalentry WHERE seal_seq IS NOT NULL",
    ],
)
def test_postgres_refuses_the_edit(journal, sql):
    need_postgres("the journal's append-only trigger is PostgreSQL's")
    with (
        pytest.raises(DatabaseError, match=re.escape("append-only")),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert verify_chain().ok
