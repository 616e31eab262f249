"""Appending many events at once (``audit_record_many``): each entry is its own event, exactly
as ``audit_record`` writes it, in the order given, linked into the chain, with its personal
fields beside it (erasable); the whole list costs the same few queries however long it is."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.audit.models import AuditHead, Event, EventPersonal
from accord.audit.services import (
    AuditEntry,
    RequestContext,
    audit_record,
    audit_record_many,
    current_request,
    personal_data_erase,
)
from accord.audit.verify import verify_chain
from tests import factories
from tests.access.factories import add_member, licence_for

pytestmark = pytest.mark.django_db

# What differs between two appends of the same entry: where and when it sits in the chain,
# and the salted commitments (a fresh salt each time).
PLACE = ("seq", "prev_hash", "created", "personal")


@pytest.fixture
def group(custodian):
    variant = factories.VariantFactory(dataset=factories.DatasetFactory(custodian=custodian))
    signer = factories.UserFactory(email="signer@uni.example.edu")
    member = factories.UserFactory(email="member@uni.example.edu")
    licence = licence_for(variants=[variant], signer=signer)
    row = add_member(licence, member, sync=False)
    return licence, signer, member, row


def _entries(licence, signer, row) -> list[AuditEntry]:
    return [
        AuditEntry(  # a non-person target: its label is hashed, no personal row
            event_type="agreements:licence:terms_notice",
            actor=signer,
            target=licence,
            custodian_id=licence.dataset.custodian_id,
            dataset_id=licence.dataset_id,
            licence_id=licence.pk,
            details={"licence": licence.reference, "license_version": 2},
        ),
        AuditEntry(  # a person target: the label lives beside the chain
            event_type="agreements:member:invite",
            actor=signer,
            target=row,
            licence_id=licence.pk,
            details={"licence": licence.reference},
        ),
        AuditEntry(  # nobody: no personal rows at all
            event_type="agreements:licence:terms_reminder",
            target=licence,
            licence_id=licence.pk,
            details={"days": 7},
            ip_address="",
            user_agent="",
        ),
    ]


def _signed(event: Event) -> dict:
    fields = json.loads(event.payload)
    return {k: v for k, v in fields.items() if k not in PLACE}


def _personal(event: Event) -> list[tuple]:
    return sorted(
        event.personal.values_list(
            "role", "subject_id", "email", "ip_address", "user_agent", "label"
        )
    )


def test_many_events_follow_on_in_the_chain_in_the_order_given_and_verify(group):
    licence, signer, _member, row = group
    first = audit_record(event_type="test:thing:happen", details={"i": 0})
    many = audit_record_many(_entries(licence, signer, row))
    last = audit_record(event_type="test:thing:happen", details={"i": 1})

    chain = list(Event.objects.filter(seq__gte=first.seq).order_by("seq"))
    assert [e.pk for e in chain] == [first.pk, *[e.pk for e in many], last.pk]
    assert [e.seq for e in chain] == list(range(first.seq, first.seq + 5))
    for before, after in pairwise(chain):
        assert after.prev_hash == before.hash
    assert [e.event_type for e in many] == [
        "agreements:licence:terms_notice",
        "agreements:member:invite",
        "agreements:licence:terms_reminder",
    ]
    assert many[0].details == {"licence": licence.reference, "license_version": 2}
    assert many[2].details == {"days": 7}
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (last.seq, last.hash)
    result = verify_chain()
    assert result.ok, result
    assert result.checked == last.seq


def test_each_event_is_the_one_audit_record_writes_for_the_same_entry(group):
    licence, signer, _member, row = group
    entries = _entries(licence, signer, row)
    token = current_request.set(RequestContext(ip_address="198.51.100.7", user_agent="Lab/2"))
    try:
        one_by_one = [
            audit_record(
                event_type=e.event_type,
                actor=e.actor,
                target=e.target,
                custodian_id=e.custodian_id,
                dataset_id=e.dataset_id,
                licence_id=e.licence_id,
                details=e.details,
                ip_address=e.ip_address,
                user_agent=e.user_agent,
            )
            for e in entries
        ]
        together = audit_record_many(entries)
    finally:
        current_request.reset(token)

    for single, batched in zip(one_by_one, together, strict=True):
        single.refresh_from_db()
        batched.refresh_from_db()
        assert _signed(batched) == _signed(single)
        assert _personal(batched) == _personal(single)
        assert set(json.loads(batched.payload)["personal"]) == set(
            json.loads(single.payload)["personal"]
        )
    # The request's address and browser go with every entry that does not say otherwise.
    notice, invite, reminder = together
    assert _personal(notice) == [
        ("actor", signer.pk, signer.email, "198.51.100.7", "Lab/2", ""),
    ]
    assert _personal(invite) == [
        ("actor", signer.pk, signer.email, "198.51.100.7", "Lab/2", ""),
        ("target", row.user_id, "", "", "", str(row)),
    ]
    assert _personal(reminder) == []
    assert notice.target_label == str(licence) and invite.target_label == ""
    assert verify_chain().ok


def test_erasing_a_person_blanks_their_fields_in_many_events_and_the_chain_verifies(group):
    licence, signer, member, row = group
    events = audit_record_many(_entries(licence, signer, row))
    member_entry = AuditEntry(event_type="agreements:member:accept", actor=member, target=row)
    events += audit_record_many([member_entry, member_entry])

    theirs = EventPersonal.objects.filter(subject_id=member.pk)
    before = theirs.exclude(event_id__in=[e.pk for e in events]).count()

    report = personal_data_erase(user_id=member.pk)

    # The invite's target, and both accepts' actor and target.
    assert report.rows == before + 5
    erased = EventPersonal.objects.filter(subject_id=member.pk, event_id__in=[e.pk for e in events])
    assert erased.count() == 5
    assert set(erased.values_list("salt", "email", "label")) == {("", "", "")}
    assert not erased.filter(erased__isnull=True).exists()
    invite = Event.objects.prefetch_related("personal").get(pk=events[1].pk)
    assert invite.target_repr == "erased" and invite.actor_repr == signer.email
    result = verify_chain()
    assert result.ok, result


def test_a_bad_event_type_anywhere_appends_nothing(group):
    licence, signer, _member, row = group
    entries = [*_entries(licence, signer, row), AuditEntry(event_type="licence-changed")]
    head = AuditHead.objects.values_list("seq", "hash").first()
    rows = EventPersonal.objects.count()
    with pytest.raises(ValueError, match="scope:subject:action"):
        audit_record_many(entries)
    assert AuditHead.objects.values_list("seq", "hash").first() == head
    assert Event.objects.count() == (head[0] if head else 0)
    assert EventPersonal.objects.count() == rows


def test_nothing_to_append_touches_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert audit_record_many([]) == []
    assert len(queries) == 0


def _queries_for(n: int, custodian) -> int:
    users = factories.UserFactory.create_batch(n)
    entries = [
        AuditEntry(
            event_type="test:person:notice",
            actor=users[0],
            target=user,
            custodian_id=custodian.pk,
            details={"i": i},
        )
        for i, user in enumerate(users)
    ]
    with CaptureQueriesContext(connection) as queries:
        events = audit_record_many(entries)
    assert len(events) == n
    assert [e.details["i"] for e in Event.objects.filter(pk__in=[e.pk for e in events])] == list(
        range(n)
    )
    return len(queries)


def test_many_events_cost_the_same_queries_as_a_few(custodian):
    audit_record(event_type="test:thing:happen")  # the head exists: each call only locks it
    # 40 events with two personal rows each: still one insert each on SQLite's 999 variables.
    assert _queries_for(40, custodian) == _queries_for(3, custodian)
    assert EventPersonal.objects.filter(event__event_type="test:person:notice").count() == 2 * 43
    assert verify_chain().ok


def test_personal_rows_find_their_events_where_the_database_cannot_return_new_ids(
    group, monkeypatch
):
    licence, signer, _member, row = group
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    events = audit_record_many(_entries(licence, signer, row))
    assert [e.pk for e in events] == list(
        Event.objects.filter(seq__gte=events[0].seq).order_by("seq").values_list("pk", flat=True)
    )
    invite = Event.objects.get(pk=events[1].pk)
    assert _personal(invite)[1] == ("target", row.user_id, "", "", "", str(row))
    assert verify_chain().ok
