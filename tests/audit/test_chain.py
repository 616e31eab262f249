"""The audit chain detects tampering and names the first broken event."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from accord.audit.models import AuditHead, Event
from accord.audit.services import audit_record
from accord.audit.verify import Anchor, chain_head, verify_chain
from tests.tools import guards_off, need_postgres


def _append(n: int, **kw) -> list[Event]:
    return [audit_record(event_type="test:thing:happen", details={"i": i, **kw}) for i in range(n)]


def _raw(sql: str, params=()) -> None:
    """Tamper the way someone with database access would, bypassing the ORM and the trigger
    (a table owner can disable it; verify must still notice)."""
    with guards_off("audit_event"), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_untouched_chain_verifies_and_head_matches_last_event():
    events = _append(5)
    result = verify_chain()
    assert result.ok, result
    assert result.checked == 5
    head = chain_head()
    assert (head.seq, head.hash, head.count) == (5, events[-1].hash, 5)


@pytest.mark.django_db
def test_changed_field_names_the_changed_event():
    _append(6)
    _raw("UPDATE audit_event SET target_label = %s WHERE seq = 4", ["someone else"])
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 4
    assert "changed" in result.problem and "someone else" in result.problem


@pytest.mark.django_db
def test_changed_details_json_is_detected():
    _append(3)
    _raw("UPDATE audit_event SET details = %s WHERE seq = 2", ['{"i": 99}'])
    assert verify_chain().broken_seq == 2


@pytest.mark.django_db
def test_rehashed_altered_event_is_caught_at_the_next_link():
    events = _append(5)
    _raw(
        "UPDATE audit_event SET event_type = %s, hash = %s WHERE seq = 3",
        ["test:thing:hidden", "f" * 64],
    )
    result = verify_chain()
    # The forger recomputed nothing consistent: #3's own hash no longer matches its contents.
    assert result.broken_seq == 3
    assert events[2].hash != "f" * 64


@pytest.mark.django_db
def test_deleted_event_is_named():
    _append(6)
    _raw("DELETE FROM audit_event WHERE seq = 3")
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 3
    assert "#3 is missing (deleted)" in result.problem


@pytest.mark.django_db
def test_deleting_the_last_events_is_caught_by_the_head():
    _append(5)
    _raw("DELETE FROM audit_event WHERE seq >= 4")
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 4
    assert "last 2 event(s) were deleted" in result.problem


@pytest.mark.django_db
def test_reordered_events_are_named():
    _append(5)
    # Swap #2 and #3 (through a free seq value, as the column is unique).
    _raw("UPDATE audit_event SET seq = 1000 WHERE seq = 2")
    _raw("UPDATE audit_event SET seq = 2 WHERE seq = 3")
    _raw("UPDATE audit_event SET seq = 3 WHERE seq = 1000")
    result = verify_chain()
    assert not result.ok
    assert result.broken_seq == 2
    assert "reordered" in result.problem


@pytest.mark.django_db
def test_event_appended_outside_the_service_is_caught():
    events = _append(3)
    last = events[-1]
    Event.objects.create(
        seq=4,
        event_type="test:thing:forged",
        created=last.created,
        prev_hash=last.hash,
        hash="a" * 64,
    )
    result = verify_chain()
    assert result.broken_seq == 4


@pytest.mark.django_db
def test_verify_from_a_published_head_checks_that_head_and_what_follows():
    events = _append(4)
    published = Anchor(seq=2, hash=events[1].hash)
    _append(3)
    result = verify_chain(anchor=published)
    assert result.ok and result.checked == 5  # events 3..7

    _raw("UPDATE audit_event SET event_type = %s WHERE seq = 2", ["test:thing:hidden"])
    result = verify_chain(anchor=published)
    assert not result.ok and result.broken_seq == 2
    assert "published head" in result.problem


@pytest.mark.django_db
def test_cli_verify_fails_loudly_and_head_prints_seq_and_hash(capsys):
    events = _append(3)
    call_command("audit", "head")
    out = capsys.readouterr().out
    assert f"3:{events[-1].hash}" in out and "events: 3" in out
    call_command("audit", "verify", "--from", f"1:{events[0].hash}")
    assert "OK: 2 events verified" in capsys.readouterr().out

    _raw("DELETE FROM audit_event WHERE seq = 2")
    with pytest.raises(CommandError, match=r"BROKEN at event #2: .*deleted"):
        call_command("audit", "verify")
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("audit", "verify", "--from", "nonsense")


@pytest.mark.django_db
def test_postgres_refuses_update_and_delete_of_events():
    need_postgres("the append-only trigger is PostgreSQL's")
    _append(2)
    for sql in (
        "UPDATE audit_event SET event_type = 'x:y:z' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 2",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_build_one_linear_chain():
    need_postgres("row locks on the head serialise concurrent appends")
    AuditHead.objects.get_or_create(id=1)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(500):
                audit_record(event_type="test:writer:append", details={"w": n, "i": i})
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert Event.objects.count() == 4000
    assert list(Event.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 4001))
    result = verify_chain()
    assert result.ok and result.checked == 4000, result
