"""The audit trail people can read: a fetch is one row, not hundreds; the order is the one
the page says; details are a key/value list; filters take the references the portal shows."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accord.accounts.services import api_token_create
from accord.audit.models import Event, JournalEntry
from accord.audit.services import audit_record
from accord.downloads import services as downloads
from accord.downloads.models import DownloadLink
from tests import factories
from tests.downloads.conftest import body

pytestmark = pytest.mark.django_db


def _fetch(client, user, files, token=None):
    """What `accord fetch` does per file: a link bound to its token, then the bytes."""
    issued = token or api_token_create(user=user, name="fetch")
    for data_file in files:
        path = downloads.download_link_issue(
            user=user,
            file_id=data_file.pk,
            channel=DownloadLink.Channel.API,
            binding=DownloadLink.Binding.TOKEN,
            api_token=issued.token,
        ).path
        body(client.get(path, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"))
    return issued


def _approve(staff, dataset, **details):
    return audit_record(
        event_type="agreements:application:approve",
        actor=staff,
        target=dataset,
        custodian_id=dataset.custodian_id,
        dataset_id=dataset.id,
        details=details or {"comment": "fine"},
    )


def _trail(client, staff, **params) -> str:
    client.force_login(staff)
    response = client.get(reverse("audit:event_list"), params)
    assert response.status_code == 200
    return response.content.decode()


def _manager(custodian):
    return factories.StaffFactory(custodian=custodian, data_manager=True).user


def test_a_fetch_of_many_files_is_one_row_with_file_count_and_bytes(
    client, staff, member, licence, variant
):
    files = list(variant.files.order_by("path"))
    _fetch(client, member, files)

    page = _trail(client, staff)

    assert page.count('<tr class="session">') == 1
    assert f"{len(files)} files" in page
    assert "3.0\xa0MB" in page or "3.0 MB" in page
    assert "<details>" in page and "smic-e/video/big.bin" in page


def test_the_approval_stays_a_row_of_its_own_beside_the_fetch(
    client, staff, dataset, member, licence, variant
):
    _approve(staff, dataset)
    _fetch(client, member, variant.files.all())

    page = _trail(client, staff)

    assert page.count("<td><code>agreements:application:approve</code></td>") == 1
    assert "<td><code>downloads:file:serve</code></td>" not in page


def test_each_download_event_can_be_shown_ungrouped(client, staff, member, licence, variant):
    _fetch(client, member, variant.files.all())

    page = _trail(client, staff, group="off")

    assert page.count("<td><code>downloads:file:serve</code></td>") == variant.files.count()


def test_fetches_further_apart_than_the_gap_are_separate_sessions(
    client, staff, member, licence, variant, clock
):
    user = member
    token = _fetch(client, user, variant.files.all())
    clock.advance(minutes=11)
    _fetch(client, user, variant.files.all(), token=token)

    page = _trail(client, staff)

    assert page.count('<tr class="session">') == 2


def test_export_keeps_one_row_per_download_event(client, custodian, member, licence, variant):
    _fetch(client, member, variant.files.all())
    # Download events live in the journal (sealed into the chain in batches).
    events = (
        Event.objects.filter(event_type__startswith="downloads:").count()
        + JournalEntry.objects.filter(event_type__startswith="downloads:").count()
    )
    client.force_login(_manager(custodian))

    response = client.get(reverse("audit:event_export", args=["csv"]))

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sum(r["event_type"].startswith("downloads:") for r in rows) == events
    assert events == 2 * variant.files.count()


def test_page_says_newest_first_and_lists_newest_first(client, staff, dataset):
    first, second = _approve(staff, dataset, n=1), _approve(staff, dataset, n=2)

    page = _trail(client, staff)

    assert "Newest first." in page and "oldest first" not in page.split("Newest first.")[0]
    assert page.index(f"<td>{second.seq}</td>") < page.index(f"<td>{first.seq}</td>")


def test_oldest_first_lists_oldest_first(client, staff, dataset):
    first, second = _approve(staff, dataset, n=1), _approve(staff, dataset, n=2)

    page = _trail(client, staff, order="oldest")

    assert "Oldest first." in page
    assert page.index(f"<td>{first.seq}</td>") < page.index(f"<td>{second.seq}</td>")


def test_details_are_a_readable_key_value_list(client, staff, dataset):
    _approve(staff, dataset, comment="looks complete", reviewer_note="ok")

    page = _trail(client, staff)

    assert '<dl class="kv"><dt>comment</dt><dd>looks complete</dd>' in page
    assert "{&#x27;comment&#x27;" not in page


def test_filter_by_application_reference(client, student, casmemg, ipcas_reviewer):
    from tests.agreements.factories import submitted

    application = submitted(student, casmemg)
    _approve(ipcas_reviewer, casmemg, unrelated=True)

    page = _trail(client, ipcas_reviewer, application=application.reference.lower())

    assert "<td><code>agreements:application:submit</code></td>" in page
    assert "unrelated" not in page


def test_filter_by_file_path_as_the_files_page_shows_it(client, staff, member, licence, variant):
    _fetch(client, member, variant.files.all())

    page = _trail(client, staff, file="video/big.bin", group="off")

    assert "smic-e/video/big.bin" in page
    assert "smic-e/small.txt" not in page


def test_dates_accept_the_format_the_trail_shows(client, staff, dataset):
    event = _approve(staff, dataset)
    shown = event.created.strftime("%Y-%m-%d %H:%M:%S")

    page = _trail(client, staff, since=shown, until=shown)

    assert f"<td>{event.seq}</td>" in page


def test_event_type_filter_accepts_an_app_name_as_prefix(client, staff, dataset):
    _approve(staff, dataset)

    page = _trail(client, staff, event_type="agreements")

    assert "<td><code>agreements:application:approve</code></td>" in page


def test_session_gap_is_stated_on_the_page(client, staff):
    assert "at most 10 minutes after the one before" in _trail(client, staff)


def test_too_many_sessions_to_group_shows_events_with_a_note(
    client, staff, member, licence, variant, monkeypatch
):
    monkeypatch.setattr("accord.audit.views.MAX_GROUPED_SESSIONS", 0)
    _fetch(client, member, variant.files.all())

    page = _trail(client, staff)

    assert "Too many download sessions to group" in page
    assert "<td><code>downloads:file:serve</code></td>" in page


def test_trail_page_costs_the_same_queries_at_one_fetch_and_at_three(
    client, staff, dataset, member, licence, variant, clock
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client.force_login(staff)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:event_list")).status_code == 200
        with CaptureQueriesContext(connection) as ctx_off:
            assert client.get(reverse("audit:event_list"), {"group": "off"}).status_code == 200
        return len(ctx), len(ctx_off)

    _approve(staff, dataset)
    token = _fetch(client, member, variant.files.all())
    small = queries()
    for _ in range(2):
        clock.advance(minutes=11)
        _fetch(client, member, variant.files.all(), token=token)
        _approve(staff, dataset)
    assert queries() == small


def test_api_lists_download_journal_rows_in_the_web_trails_order_and_pages(
    client, staff, dataset, member, licence, variant
):
    _approve(staff, dataset)
    _fetch(client, member, variant.files.all())
    _approve(staff, dataset, comment="again")
    client.force_login(staff)
    web = client.get(reverse("audit:event_list"), {"group": "off"}).context["rows"]
    expected = [str(e.seq) for e, _session in web]
    token = api_token_create(user=staff, name="audit").secret

    listed, page = [], 1
    while True:
        response = client.get(
            "/api/v1/audit/events",
            {"page": page, "page_size": 2},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200, response.content
        body_ = response.json()
        assert body_["count"] == len(expected)
        if not body_["items"]:
            break
        listed += body_["items"]
        page += 1

    assert [str(i["seq"]) if i["seq"] else f"J{i['journal_id']}" for i in listed] == expected
    served = [i for i in listed if i["event_type"] == "downloads:file:serve"]
    assert len(served) == variant.files.count()
    assert {i["actor_repr"] for i in served} == {member.email}
    assert all(i["seq"] is None and i["journal_id"] for i in served)
    assert sum(i["details"]["bytes"] for i in served) == sum(f.size for f in variant.files.all())
    chained = [i["event_type"] for i in listed if i["seq"]]
    assert chained.count("agreements:application:approve") == 2
