"""verify streams: memory does not grow with the length of the chain."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from accord.audit.keys import audit_key, mac_key
from accord.audit.models import AuditHead, Event
from accord.audit.services import GENESIS, sealed_event
from accord.audit.verify import verify_chain


def _chain(n: int, start: int = 0, prev: str = GENESIS) -> str:
    """Append n valid events quickly (bulk), as audit_record would have written them."""
    created = datetime(2026, 1, 1, tzinfo=UTC)
    key = mac_key(audit_key())
    batch = []
    for seq in range(start + 1, start + n + 1):
        event = sealed_event(
            key=key,
            seq=seq,
            prev_hash=prev,
            event_type="test:bulk:append",
            created=created,
            details={"n": seq, "text": "x" * 200},
        )
        prev = event.hash
        batch.append(event)
        if len(batch) == 2000:
            Event.objects.bulk_create(batch)
            batch = []
    Event.objects.bulk_create(batch)
    AuditHead.objects.update_or_create(id=1, defaults={"seq": start + n, "hash": prev})
    return prev


def _peak_while_verifying() -> int:
    tracemalloc.start()
    try:
        result = verify_chain()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok, result
    return peak


@pytest.mark.slow
@pytest.mark.django_db
def test_verify_memory_does_not_grow_with_the_chain():
    last = _chain(3000)
    small = _peak_while_verifying()
    _chain(12000, start=3000, prev=last)
    large = _peak_while_verifying()
    # Five times the events: a walk that held them would need ~5x the memory.
    assert large < small * 2, (small, large)


@pytest.mark.django_db
def test_cli_export_writes_reverifiable_json(tmp_path):
    _chain(5)
    out = tmp_path / "trail.json"
    call_command("audit", "export", "--format", "json", "-o", str(out), "--since", "2026-01-01")
    events = json.loads(out.read_text())
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["prev_hash"] == GENESIS and events[1]["prev_hash"] == events[0]["hash"]
    call_command("audit", "export", "--format", "csv", "-o", str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text().count("\n") == 6


@pytest.mark.django_db
def test_verify_reads_the_chain_in_one_stream_however_varied_the_events(
    django_assert_max_num_queries,
):
    """Intact events of every shape (person and object targets, anonymous requests, text
    beyond ASCII, nested details) are accepted from the one streamed query: none is read
    again to be checked field by field, so verify's cost is its stream, not a query per
    event."""
    from accord.audit.services import RequestContext, audit_record, current_request
    from tests import factories

    people = [factories.UserFactory(full_name=f"Jyväskylä Žofie {i}") for i in range(3)]
    dataset = factories.DatasetFactory(name="Ωmega “quoted” \\ data")
    token = current_request.set(RequestContext(ip_address="2001:db8::7", user_agent="Wget/1.21"))
    try:
        for i in range(60):
            audit_record(
                event_type="test:thing:happen",
                actor=people[i % 3] if i % 4 else None,
                target=people[(i + 1) % 3] if i % 2 else dataset,
                dataset_id=dataset.pk,
                details={"i": i, "note": 'naïve\n\t"x"', "nested": {"b": [1, 2.5, None]}},
            )
    finally:
        current_request.reset(token)
    with django_assert_max_num_queries(12):
        result = verify_chain()
    assert result.ok, result
    assert result.checked == 60
