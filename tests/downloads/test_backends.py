"""The three serving backends: constant-memory streaming, nginx hand-off, S3 presigning."""

from __future__ import annotations

import hashlib
import tracemalloc
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from accord.audit.models import JournalEntry
from accord.catalog.models import DataFile
from accord.core.storage import protected_storage
from tests.downloads.conftest import issue

pytestmark = pytest.mark.django_db

FIFTY_MB = 50 * 1024 * 1024


def test_django_backend_streams_50_mb_in_constant_memory(client, licence, member, variant):
    block = hashlib.sha256(b"block").digest() * 32768  # 1 MiB
    storage = protected_storage()
    name = storage.save(variant.storage_prefix + "huge.bin", ContentFile(b""))
    with open(storage.path(name), "wb") as fh:
        for _ in range(FIFTY_MB // len(block)):
            fh.write(block)
    huge = DataFile.objects.create(
        variant=variant,
        path="huge.bin",
        size=FIFTY_MB,
        sha256=hashlib.sha256(block * 50).hexdigest(),
        storage_name=name,
    )
    link = issue(member, huge)
    tracemalloc.start()
    try:
        response = client.get(link)
        digest, total = hashlib.sha256(), 0
        for chunk in response.streaming_content:
            digest.update(chunk)
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == FIFTY_MB
    assert digest.hexdigest() == huge.sha256
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming 50 MB"


def test_nginx_backend_hands_off_with_x_accel_redirect(client, licence, member, big_file, settings):
    settings.DOWNLOAD_BACKEND = "nginx"
    response = client.get(issue(member, big_file), HTTP_RANGE="bytes=5-")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/" + big_file.storage_name
    assert response.content == b""
    assert "big.bin" in response["Content-Disposition"]
    event = JournalEntry.objects.filter(event_type="downloads:file:handoff").last()
    assert event.details == {"link": event.details["link"], "backend": "nginx", "range": "bytes=5-"}


@pytest.fixture
def s3_storage(settings):
    """S3-compatible storage that is never contacted: presigning is pure computation."""
    new = dict(settings.STORAGES)
    new["protected"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "accord-protected",
            "endpoint_url": "http://127.0.0.1:9",
            "access_key": "AKIDEXAMPLE",
            "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "region_name": "eu-north-1",
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 3600,
        },
    }
    settings.STORAGES = new
    storages._storages = {}
    settings.DOWNLOAD_BACKEND = "s3"
    yield


def test_s3_backend_redirects_to_a_presigned_url_of_at_most_300_s(
    client, licence, member, big_file, settings, s3_storage
):
    settings.DOWNLOAD_LINK_TTL = 600
    response = client.get(issue(member, big_file))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert url.netloc == "127.0.0.1:9"
    assert url.path == f"/accord-protected/{big_file.storage_name}"
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Signature"]
    assert "big.bin" in query["response-content-disposition"][0]
    assert response["Cache-Control"] == "private, no-store"
    event = JournalEntry.objects.filter(event_type="downloads:file:handoff").last()
    assert event.details["presigned_seconds"] == 300


def test_s3_presign_follows_a_shorter_link_ttl(
    client, licence, member, big_file, settings, s3_storage
):
    settings.DOWNLOAD_LINK_TTL = 120
    query = parse_qs(urlsplit(client.get(issue(member, big_file))["Location"]).query)
    assert query["X-Amz-Expires"] == ["120"]


def test_s3_backend_still_refuses_after_revocation(client, licence, member, big_file, s3_storage):
    from tests.access.factories import revoke_licence

    link = issue(member, big_file)
    revoke_licence(licence)
    assert client.get(link).status_code == 403


def test_s3_range_over_a_capped_file_is_signed_into_the_presigned_url(
    client, licence, member, big_file, settings, s3_storage
):
    """Whoever holds the presigned URL gets that range and nothing else: S3 refuses the URL
    with any other Range header (or none)."""
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    response = client.get(issue(member, big_file), HTTP_RANGE="bytes=0-1048575")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-SignedHeaders"] == ["host;range"]


def test_s3_small_file_is_handed_off_whatever_the_request(
    client, licence, member, variant, settings, s3_storage
):
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    small = variant.files.get(path="small.txt")
    response = client.get(issue(member, small))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-SignedHeaders"] == ["host"]


@pytest.fixture
def s3_server(big_file):
    """A local HTTP server answering the two S3 calls the stream makes (HEAD and a ranged
    GET of the object) with the big file's bytes, recording each Range asked for."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.downloads.conftest import BIG

    asked: list[str | None] = []

    class S3(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _head(self, status, length, extra=()):
            self.send_response(status)
            self.send_header("Content-Length", str(length))
            self.send_header("ETag", '"0123"')
            self.send_header("Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT")
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()

        def do_HEAD(self):
            self._head(200, len(BIG))

        def do_GET(self):
            header = self.headers.get("Range")
            asked.append(header)
            start, end = (int(x) for x in header.removeprefix("bytes=").split("-"))
            self._head(206, end - start + 1, [("Content-Range", f"bytes {start}-{end}/{len(BIG)}")])
            self.wfile.write(BIG[start : end + 1])

    server = ThreadingHTTPServer(("127.0.0.1", 0), S3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], asked
    server.shutdown()


def test_s3_whole_file_over_the_cap_is_streamed_by_django_in_constant_memory(
    client, licence, member, big_file, settings, s3_storage, s3_server
):
    """A browser fetching a large file whole: Django streams it from one ranged GET (never
    spooled to a local temporary file) and re-checks the licence as it goes."""
    from tests.downloads.conftest import BIG, body

    port, asked = s3_server
    new = dict(settings.STORAGES)
    new["protected"]["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{port}"
    settings.STORAGES = new
    storages._storages = {}
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    response = client.get(issue(member, big_file))
    assert response.status_code == 200
    assert body(response) == BIG
    assert asked == [f"bytes=0-{len(BIG) - 1}"]
    event = JournalEntry.objects.filter(event_type="downloads:file:serve").last()
    assert event.details["backend"] == "django"
    assert event.details["whole_file"] is True
