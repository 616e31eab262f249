"""A person's email, address and browser live beside the chain, not in it: erasing them leaves
the trail verifiable, and pages and exports say "erased"."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accord.audit.checkpoints import checkpoint_write
from accord.audit.models import Event, EventPersonal
from accord.audit.services import (
    RequestContext,
    audit_record,
    current_request,
    personal_data_erase,
)
from accord.audit.verify import verify_chain
from tests import factories
from tests.tools import need_postgres


@pytest.fixture
def acted(custodian):
    """A member who left a licence from a known address and browser; a data manager of the
    custodian reads the trail."""
    manager = factories.StaffFactory(custodian=custodian, data_manager=True).user
    member = factories.UserFactory(email="leaving@uni.example.edu")
    token = current_request.set(RequestContext(ip_address="198.51.100.9", user_agent="Tablet/1"))
    try:
        event = audit_record(
            event_type="agreements:member:remove",
            actor=member,
            target=member,
            custodian_id=custodian.id,
            details={"reason": "left the lab"},
        )
    finally:
        current_request.reset(token)
    return manager, member, event


def _export_rows(client, manager) -> list[dict]:
    client.force_login(manager)
    response = client.get(reverse("audit:event_export", args=["csv"]))
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_chain_holds_no_personal_fields_only_commitments(acted):
    _manager, member, event = acted
    assert member.email not in event.payload and "198.51.100.9" not in event.payload
    assert "Tablet/1" not in event.payload
    assert f'"subject":{member.pk}' in event.payload


def test_staff_see_the_person_and_address_until_erased(client, acted):
    manager, member, event = acted
    rows = _export_rows(client, manager)
    mine = next(r for r in rows if r["seq"] == str(event.seq))
    assert (mine["actor_repr"], mine["ip_address"], mine["user_agent"]) == (
        member.email,
        "198.51.100.9",
        "Tablet/1",
    )
    assert mine["target_repr"] == str(member)
    page = client.get(reverse("audit:event_list"), {"user": member.email}).content.decode()
    assert "198.51.100.9" in page


def test_erasure_blanks_the_fields_and_the_chain_still_verifies(client, acted):
    manager, member, event = acted
    report = personal_data_erase(user_id=member.pk, actor=manager)
    assert (report.rows, report.legacy_events) == (2, 0)

    for row in EventPersonal.objects.filter(subject_id=member.pk):
        assert (row.email, row.ip_address, row.user_agent, row.label, row.salt) == ("",) * 5
        assert row.erased is not None
    result = verify_chain()
    assert result.ok, result

    rows = _export_rows(client, manager)
    mine = next(r for r in rows if r["seq"] == str(event.seq))
    assert {mine["actor_repr"], mine["ip_address"], mine["user_agent"], mine["target_repr"]} == {
        "erased"
    }
    page = client.get(reverse("audit:event_list")).content.decode()
    assert "erased" in page and member.email not in page and "198.51.100.9" not in page
    # Filtering by the erased address finds nothing any more.
    page = client.get(reverse("audit:event_list"), {"user": member.email}).content.decode()
    assert "No events match" in page

    erasure = Event.objects.get(event_type="audit:personal-data:erase")
    assert erasure.details == {"user_id": member.pk, "rows": 2, "legacy_events": 0}
    assert erasure.actor_id == manager.pk


def test_someone_erasing_themselves_is_not_recorded_again(acted):
    _manager, member, _event = acted
    token = current_request.set(RequestContext(ip_address="198.51.100.9", user_agent="Tablet/1"))
    try:
        personal_data_erase(user_id=member.pk, actor=member)
    finally:
        current_request.reset(token)
    erasure = Event.objects.get(event_type="audit:personal-data:erase")
    assert erasure.actor_id is None and not erasure.personal.exists()
    assert verify_chain().ok


def test_postgres_refuses_anything_but_erasure_of_personal_fields(acted):
    need_postgres("the erase-only trigger is PostgreSQL's")
    assert checkpoint_write().checkpoint is not None
    for sql in (
        "UPDATE audit_eventpersonal SET ip_address = '203.0.113.1'",
        "DELETE FROM audit_eventpersonal",
        "UPDATE audit_checkpoint SET seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert personal_data_erase(user_id=acted[1].pk).rows == 2
