"""HTTP Range through the django backend: what a resuming client sees."""

from __future__ import annotations

import pytest
from django.db import connection

from accord.audit.models import JournalEntry
from accord.downloads.ranges import ByteRange, Unsatisfiable, parse_range
from tests.downloads.conftest import BIG, body, issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=99-99", ByteRange(99, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=10-", ByteRange(10, 99)),
        ("bytes=90-1000", ByteRange(90, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: whole file
        ("items=0-1", None),
        ("bytes=5-1", None),
        ("", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_parse_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


def test_whole_file_without_range(client, licence, member, big_file):
    response = client.get(issue(member, big_file))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(BIG))
    assert response["ETag"] == f'"{big_file.sha256}"'
    assert "attachment" in response["Content-Disposition"]
    assert "big.bin" in response["Content-Disposition"]
    assert body(response) == BIG


def test_first_byte(client, licence, member, big_file):
    response = client.get(issue(member, big_file), HTTP_RANGE="bytes=0-0")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-0/{len(BIG)}"
    assert response["Content-Length"] == "1"
    assert body(response) == BIG[:1]


def test_last_byte(client, licence, member, big_file):
    n = len(BIG)
    response = client.get(issue(member, big_file), HTTP_RANGE=f"bytes={n - 1}-{n - 1}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {n - 1}-{n - 1}/{n}"
    assert body(response) == BIG[-1:]


def test_suffix_range(client, licence, member, big_file):
    response = client.get(issue(member, big_file), HTTP_RANGE="bytes=-1000")
    assert response.status_code == 206
    assert body(response) == BIG[-1000:]


def test_open_ended_resume(client, licence, member, big_file):
    response = client.get(issue(member, big_file), HTTP_RANGE="bytes=1048576-")
    assert response.status_code == 206
    assert body(response) == BIG[1048576:]


def test_past_end_is_416(client, licence, member, big_file):
    response = client.get(issue(member, big_file), HTTP_RANGE=f"bytes={len(BIG)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(BIG)}"


def test_any_range_of_empty_file_is_416_but_whole_is_200(client, licence, member, variant):
    empty = variant.files.get(path="empty.dat")
    link = issue(member, empty)
    assert client.get(link, HTTP_RANGE="bytes=0-").status_code == 416
    response = client.get(link)
    assert response.status_code == 200
    assert body(response) == b""


def test_if_range_match_gives_the_range(client, licence, member, big_file):
    response = client.get(
        issue(member, big_file), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=f'"{big_file.sha256}"'
    )
    assert response.status_code == 206
    assert body(response) == BIG[10:20]


@pytest.mark.parametrize("validator", ['"0000"', 'W/"weak"', "Sat, 01 Jan 2000 00:00:00 GMT"])
def test_if_range_mismatch_gives_the_whole_file(client, licence, member, big_file, validator):
    response = client.get(
        issue(member, big_file), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=validator
    )
    assert response.status_code == 200
    assert body(response) == BIG


def test_head_gives_headers_only(client, licence, member, big_file):
    response = client.head(issue(member, big_file), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Length"] == "100"
    assert body(response) == b""


def test_completed_and_interrupted_downloads_are_audited(
    client, licence, member, big_file, monkeypatch
):
    link = issue(member, big_file)
    body(client.get(link, HTTP_RANGE="bytes=0-99", HTTP_USER_AGENT="curl/8"))
    served = JournalEntry.objects.filter(event_type="downloads:file:serve").last()
    assert served.actor_id == member.pk
    assert served.details["bytes"] == 100
    assert served.details["range"] == "0-99"
    assert served.user_agent == "curl/8"
    assert served.ip_address == "127.0.0.1"
    assert served.licence_id == licence.pk

    response = client.get(link)
    next(iter(response.streaming_content))  # the client goes away after one chunk
    # What the WSGI server does then. Its request_finished signal would close the test's
    # database connection (inside the test transaction); keep it open, as the test client does.
    with monkeypatch.context() as patch:
        patch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)
        response.close()
    cut = JournalEntry.objects.filter(event_type="downloads:file:interrupt").last()
    assert 0 < cut.details["bytes"] < len(BIG)
    assert cut.details["whole_file"] is False
