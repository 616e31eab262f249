"""The per-file authorisation hot path: one precompiled policy query per request, no write on
the audit chain (a journal row instead), and revocation still effective on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.access import policy
from accord.audit.models import Event, JournalEntry
from accord.downloads import services
from accord.downloads.models import DownloadLink
from tests.access.factories import revoke_licence
from tests.downloads.conftest import BIG, body, issue


@pytest.fixture
def unsealed(monkeypatch):
    """The worker is not running: journal rows stay unsealed (as in production, for a few
    seconds), so a test sees what the request itself wrote."""
    monkeypatch.setattr("accord.audit.journal._seal_soon", lambda: None)


def _sql(queries) -> list[str]:
    return [q["sql"] for q in queries]


def test_a_download_request_asks_the_policy_in_one_query_and_takes_no_chain_lock(
    client, licence, member, big_file, unsealed
):
    link = issue(member, big_file)
    events = Event.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(link, HTTP_RANGE="bytes=0-99")
        assert body(response) == BIG[:100]
    sql = _sql(ctx.captured_queries)
    # On PostgreSQL the query is prepared once per database session, then executed by name.
    reads = [
        s
        for s in sql
        if ('FROM "downloads_downloadlink"' in s and not s.startswith("PREPARE "))
        or s.startswith("EXECUTE accord_link_grant_")
    ]
    assert len(reads) == 1
    assert not [s for s in sql if "audit_audithead" in s or 'INTO "audit_event"' in s]
    assert len([s for s in sql if 'INTO "audit_journalentry"' in s]) == 1
    assert Event.objects.count() == events
    served = JournalEntry.objects.get(event_type="downloads:file:serve")
    assert (served.actor_id, served.bytes, served.seal_seq) == (member.pk, 100, None)


def test_issuing_a_link_takes_no_chain_lock(licence, member, big_file, unsealed):
    events = Event.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        services.download_link_issue(
            user=member, file_id=big_file.pk, binding=DownloadLink.Binding.NONE
        )
    assert not [s for s in _sql(ctx.captured_queries) if "audit_audithead" in s]
    assert Event.objects.count() == events
    assert JournalEntry.objects.filter(event_type="downloads:link:issue").count() == 1


def test_behind_a_transaction_pooler_the_query_is_not_prepared(
    client, licence, member, big_file, unsealed, settings
):
    """ACCORD_DB_PREPARED_STATEMENTS=false (PgBouncer in transaction pooling): the same one
    query, sent whole each time, and revocation still refuses the next request."""
    settings.DB_PREPARED_STATEMENTS = False
    link = issue(member, big_file)
    with CaptureQueriesContext(connection) as ctx:
        assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    sql = _sql(ctx.captured_queries)
    assert not [s for s in sql if s.startswith(("PREPARE ", "EXECUTE "))]
    assert len([s for s in sql if 'FROM "downloads_downloadlink"' in s]) == 1
    revoke_licence(licence, reason="breach")
    assert client.get(link, HTTP_RANGE="bytes=10-19").status_code == 403


def test_revocation_refuses_the_very_next_request_with_the_same_link(
    client, licence, member, big_file, unsealed
):
    link = issue(member, big_file)
    assert body(client.get(link, HTTP_RANGE="bytes=0-9")) == BIG[:10]
    revoke_licence(licence, reason="breach")
    refused = client.get(link, HTTP_RANGE="bytes=10-19")
    assert refused.status_code == 403
    refusal = Event.objects.filter(event_type="downloads:file:refuse").last()
    assert refusal.details["reason"] == "revoked"
    assert JournalEntry.objects.filter(event_type="downloads:file:serve").count() == 1


def test_the_one_query_agrees_with_the_policy_rules(licence, member, big_file, clock):
    issued = services.download_link_issue(
        user=member, file_id=big_file.pk, binding=DownloadLink.Binding.NONE
    )
    secret_hash = issued.link.secret_hash
    grant = policy.link_grant(secret_hash)
    assert grant["live"] and grant["granted"]
    assert grant["data_file__storage_name"] == big_file.storage_name
    clock.advance(days=1)
    grant = policy.link_grant(secret_hash)
    assert not grant["live"] and grant["granted"]  # expired, but access has not ended
    revoke_licence(licence, reason="ended")
    assert not policy.link_grant(secret_hash)["granted"]
    assert not policy.is_entitlement_usable(member, issued.link.entitlement)
    assert policy.link_grant("0" * 64) is None


def test_a_closeout_still_knows_who_downloaded_which_file(
    client, licence, member, big_file, unsealed
):
    from accord.licences.services_closeout import downloaded_files

    assert list(downloaded_files(licence, member)) == []
    link = issue(member, big_file)
    body(client.get(link, HTTP_RANGE="bytes=0-9"))
    assert list(downloaded_files(licence, member)) == [big_file]
