"""The download journal: rows appended without the chain lock, sealed into the chain in
batches (one event with the batch's Merkle root), and checked by verify against their seals."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accord.audit.journal import SEAL_EVENT, journal_append, journal_seal
from accord.audit.models import Event, JournalEntry
from accord.audit.verify import verify_chain
from tests.tools import guards_off, need_postgres


def _tampering():
    """Write as the database's owner would: PostgreSQL's guard switched off (an owner can)."""
    return guards_off("audit_journalentry")


@pytest.fixture
def rows(db, monkeypatch):
    monkeypatch.setattr("accord.audit.journal._seal_soon", lambda: None)
    return [
        journal_append(
            event_type="downloads:file:serve",
            actor_id=7,
            custodian_id=1,
            link_id=i,
            bytes=100 * i,
            details={"link": i, "bytes": 100 * i},
            ip_address="192.0.2.1",
            user_agent="curl/8",
        )
        for i in range(1, 6)
    ]


def test_rows_are_sealed_into_one_chain_event_per_batch(rows, settings):
    settings.AUDIT_JOURNAL_BATCH = 2
    assert journal_seal() == 5
    seals = list(Event.objects.filter(event_type=SEAL_EVENT))
    assert [s.details["count"] for s in seals] == [2, 2, 1]
    assert not JournalEntry.objects.filter(seal_seq__isnull=True).exists()
    result = verify_chain()
    assert result.ok, result
    assert (result.journal_rows, result.unsealed) == (5, 0)
    assert "5 download-journal rows" in str(result)


def test_verify_reports_rows_not_sealed_yet(rows):
    result = verify_chain()
    assert result.ok and result.unsealed == 5


def test_a_sealed_row_edited_afterwards_breaks_verify(rows):
    journal_seal()
    with _tampering():
        JournalEntry.objects.filter(pk=rows[2]).update(bytes=1)
    result = verify_chain()
    assert not result.ok and result.kind == "journal"
    assert f"journal row #{rows[2]}" in result.problem


def test_a_sealed_row_rewritten_with_its_payload_breaks_verify(rows):
    journal_seal()
    row = JournalEntry.objects.get(pk=rows[2])
    with _tampering():
        JournalEntry.objects.filter(pk=row.pk).update(payload=row.payload.replace("300", "3"))
    result = verify_chain()
    assert not result.ok and result.kind == "journal"


def test_a_sealed_row_deleted_afterwards_breaks_verify(rows):
    journal_seal()
    with _tampering():
        JournalEntry.objects.filter(pk=rows[0]).delete()
    result = verify_chain()
    assert not result.ok and "Merkle root" in result.problem


def test_a_whole_sealed_batch_deleted_breaks_verify(rows):
    journal_seal()
    with _tampering():
        JournalEntry.objects.all().delete()
    result = verify_chain()
    assert not result.ok and "deleted" in result.problem


def test_erasure_blanks_the_journal_addresses_and_keeps_it_verifiable(rows):
    from accord.audit.services import personal_data_erase

    journal_seal()
    personal_data_erase(user_id=7)
    assert set(JournalEntry.objects.values_list("ip_address", "user_agent")) == {("", "")}
    assert verify_chain().ok


def test_the_payload_holds_a_commitment_not_the_address_or_browser(rows):
    row = JournalEntry.objects.get(pk=rows[0])
    assert row.ip_address == "192.0.2.1" and row.user_agent == "curl/8" and row.salt
    assert "192.0.2.1" not in row.payload and "curl" not in row.payload
    assert '"commitment"' in row.payload and '"subject":7' in row.payload


def test_an_address_changed_beside_a_sealed_row_breaks_verify(rows):
    journal_seal()
    with _tampering():
        JournalEntry.objects.filter(pk=rows[1]).update(ip_address="203.0.113.9")
    result = verify_chain()
    assert not result.ok and f"journal row #{rows[1]}" in result.problem


def test_an_address_blanked_outside_the_erasure_service_breaks_verify(rows):
    from django.utils import timezone

    journal_seal()
    with _tampering():
        JournalEntry.objects.filter(pk=rows[1]).update(
            salt="", ip_address="", user_agent="", erased=timezone.now()
        )
    result = verify_chain()
    assert not result.ok and "outside the erasure service" in result.problem


def test_erased_rows_show_erased_in_the_trail_and_exports(rows):
    from accord.audit.exports import journal_row
    from accord.audit.selectors import journal_rows
    from accord.audit.services import personal_data_erase

    assert personal_data_erase(user_id=7).journal_rows == 5
    entry = JournalEntry.objects.get(pk=rows[0])
    assert journal_row(entry)["ip_address"] == "erased"
    assert journal_rows([entry])[0].user_agent == "erased"
    assert personal_data_erase(user_id=7).journal_rows == 0  # nothing left to erase


def test_postgres_refuses_edits_and_deletions_but_lets_sealing_and_erasure_through(rows):
    need_postgres("the journal's append-only trigger is PostgreSQL's")
    from accord.audit.services import personal_data_erase

    journal_seal()  # sets seal_seq once: allowed
    for sql in (
        "UPDATE audit_journalentry SET bytes = 1",
        "UPDATE audit_journalentry SET payload = ''",
        "UPDATE audit_journalentry SET seal_seq = seal_seq + 1",
        "UPDATE audit_journalentry SET ip_address = '203.0.113.9'",
        "UPDATE audit_journalentry SET salt = '', ip_address = '', user_agent = ''",
        "DELETE FROM audit_journalentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert personal_data_erase(user_id=7).journal_rows == 5
    result = verify_chain()
    assert result.ok and result.journal_rows == 5, result
