"""Hostile inputs on the download path: file names that would break headers, absurd Range
values. Each must give a well-formed response, never a 500."""

from __future__ import annotations

from tests import factories
from tests.access.factories import licence_for, variant_with_files
from tests.downloads.conftest import body, issue

HOSTILE_NAME = 'report"\r\nX-Injected: yes\\ \x07 ü.txt'


def test_file_name_with_newline_quote_and_control_characters_downloads_with_a_safe_header(
    client, dataset, tmp_path, signing_key_file
):
    user = factories.UserFactory()
    variant = variant_with_files(dataset, tmp_path, {f"sub/{HOSTILE_NAME}": b"abc"}, slug="hx")
    licence_for(variants=[variant], members=[user])

    response = client.get(issue(user, variant.files.get()))

    assert response.status_code == 200
    assert body(response) == b"abc"
    assert "X-Injected" not in response
    disposition = response["Content-Disposition"]
    ascii_part = disposition.split(";")[1]
    assert all(0x20 <= ord(c) < 0x7F for c in disposition)
    assert ascii_part.count('"') == 2 and "\\" not in ascii_part
    # The exact name survives for clients that read filename* (RFC 6266/8187).
    assert "filename*=UTF-8''sub__report%22%0D%0AX-Injected%3A%20yes%5C%20%07%20%C3%BC.txt" in (
        disposition
    )


def test_range_start_with_thousands_of_digits_is_416_not_a_500(client, licence, variant, member):
    path = issue(member, variant.files.get(path="small.txt"))

    response = client.get(path, HTTP_RANGE="bytes=" + "9" * 5000 + "-")

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"


def test_range_end_with_thousands_of_digits_means_to_the_end(client, licence, variant, member):
    path = issue(member, variant.files.get(path="small.txt"))

    response = client.get(path, HTTP_RANGE="bytes=4-" + "9" * 5000)

    assert response.status_code == 206
    assert body(response) == b"456789"


def test_suffix_range_with_thousands_of_digits_is_the_whole_file(client, licence, variant, member):
    path = issue(member, variant.files.get(path="small.txt"))

    response = client.get(path, HTTP_RANGE="bytes=-" + "9" * 5000)

    assert response.status_code == 206
    assert body(response) == b"0123456789"
