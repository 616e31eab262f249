"""The S3 path against a real S3-compatible server on loopback (moto's server, started here),
configured the way settings.py reads ACCORD_STORAGE_S3_*: `accord ingest` writes into the
bucket, a member is sent to a presigned URL that serves exactly the Range asked for, a
revoked licence gets no URL, and `accord fetch` ends with verified files.

moto checks neither the signature nor the expiry of a presigned URL, so `signature_problem`
checks them as S3 does (SigV4): that the URL works for this method and Range only, and for
at most 300 s."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import runpy
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

import accord.settings
from accord.accounts.services import api_token_create
from accord.audit.models import JournalEntry
from accord.catalog.models import DataFile
from accord.core.storage import protected_storage
from accord.downloads.backends import content_disposition
from tests import factories
from tests.access.factories import licence_for, revoke_licence
from tests.downloads.conftest import BIG
from tests.tools import IN_CI

MIB = 1024 * 1024
SETTINGS_FILE = Path(accord.settings.__file__)
FILES = {
    "video/big.bin": BIG,  # 3 MiB and a bit: over a 1 MiB cap
    "small.txt": b"0123456789",
    "emg/s01.csv": b"t,emg\n" + b"0.1,0.2\n" * 5000,
}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 in this process, on a free loopback port, for the whole module."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        message = f"moto is not installed ({exc}); `make install` installs the dev lock"
        if IN_CI:
            pytest.fail(f"CI: {message}", pytrace=False)
        pytest.skip(message)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _host, port = server.get_host_and_port()
    yield f"http://127.0.0.1:{port}"
    server.stop()


SECRET = "accord-test-secret-key"


def signature_problem(url: str, method: str, headers: dict[str, str], *, at=None) -> str | None:
    """Why S3 would refuse this request to a presigned URL (None: it would accept it): the
    SigV4 query signature recomputed with the secret, over the method, path, query and the
    headers the URL names as signed, and its expiry."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return "not a SigV4 URL"
    signed = query["X-Amz-SignedHeaders"].split(";")
    given = {"host": parts.netloc, **{k.lower(): v for k, v in headers.items()}}
    if any(name not in given for name in signed):
        return "a signed header is missing"

    def enc(text: str) -> str:
        return quote(text, safe="-_.~")

    canonical = "\n".join(
        [
            method,
            parts.path,
            "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature"),
            "".join(f"{name}:{given[name].strip()}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    stamp = query["X-Amz-Date"]
    _key, day, region, service, _end = query["X-Amz-Credential"].split("/")
    scope = f"{day}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
    key = ("AWS4" + SECRET).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, query["X-Amz-Signature"]):
        return "signature does not match"
    issued = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    now = at or dt.datetime.now(dt.UTC)
    if now > issued + dt.timedelta(seconds=int(query["X-Amz-Expires"])):
        return "expired"
    return None


def storage_from_environment(tmp_path: Path, **variables: str) -> dict:
    """STORAGES["protected"] exactly as settings.py builds it from these variables."""
    secret = tmp_path / "s3_secret"
    secret.write_text(SECRET + "\n")
    env = {
        "ACCORD_DATA_DIR": str(tmp_path / "var"),
        "ACCORD_STORAGE_BACKEND": "s3",
        "ACCORD_STORAGE_S3_ACCESS_KEY_ID": "AKIDACCORDTEST",
        "ACCORD_STORAGE_S3_SECRET_ACCESS_KEY_FILE": str(secret),
        **variables,
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["protected"]


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A new bucket on the server, made Accord's protected storage and download backend."""
    name = f"accord-{uuid.uuid4().hex[:12]}"
    protected = storage_from_environment(
        tmp_path, ACCORD_STORAGE_S3_BUCKET=name, ACCORD_STORAGE_S3_ENDPOINT_URL=s3_endpoint
    )
    settings.STORAGES = {**settings.STORAGES, "protected": protected}
    settings.DOWNLOAD_BACKEND = "s3"
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = MIB
    storage = protected_storage()
    storage.connection.meta.client.create_bucket(Bucket=name)
    return storage.bucket


def ingest_release(dataset, tmp_path: Path, slug: str = "smic-e"):
    """A variant whose files went through `accord ingest` into the bucket."""
    variant = factories.VariantFactory(dataset=dataset, slug=slug, name="SMIC-E")
    folder = tmp_path / "release"
    for rel, content in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    call_command("ingest", variant.slug, str(folder))
    return variant


@pytest.fixture
def s3_licence(bucket, dataset, member, tmp_path, signing_key_file):
    variant = ingest_release(dataset, tmp_path)
    return licence_for(variants=[variant], members=[member])


def download_events(event_type: str):
    """The audit's download events of one type (in the download journal)."""
    return JournalEntry.objects.filter(event_type=event_type)


def _file(path: str) -> DataFile:
    return DataFile.objects.get(path=path)


def _presigned(client, member, data_file: DataFile, method: str = "get", **headers):
    """What a member's browser gets: the link issued by the files page, then its answer."""
    client.force_login(member)
    issued = client.post(reverse("downloads:file_download", args=[data_file.pk]))
    assert issued.status_code == 302, issued.content
    return issued["Location"], getattr(client, method)(issued["Location"], **headers)


def test_settings_presign_with_sigv4_even_without_a_region(tmp_path):
    """SigV2 (botocore's choice with no region) cannot sign the Range header."""
    options = storage_from_environment(tmp_path, ACCORD_STORAGE_S3_BUCKET="b")["OPTIONS"]
    assert options["signature_version"] == "s3v4"
    assert options["secret_key"] == SECRET


@pytest.mark.django_db
def test_ingest_writes_every_file_into_the_bucket_and_a_rerun_rewrites_none(
    bucket, dataset, tmp_path, capsys
):
    variant = ingest_release(dataset, tmp_path)
    files = {f.path: f for f in variant.files.all()}
    assert set(files) == set(FILES)
    stored = {o.key: o.size for o in bucket.objects.all()}
    assert stored == {f.storage_name: len(FILES[path]) for path, f in files.items()}
    for path, data_file in files.items():
        body = bucket.Object(data_file.storage_name).get()["Body"].read()
        assert body == FILES[path]
        assert data_file.sha256 == hashlib.sha256(body).hexdigest()
    before = {o.key: (o.e_tag, o.last_modified) for o in bucket.objects.all()}
    capsys.readouterr()

    call_command("ingest", variant.slug, str(tmp_path / "release"))
    assert "0 added, 0 changed, 3 unchanged" in capsys.readouterr().out
    assert {o.key: (o.e_tag, o.last_modified) for o in bucket.objects.all()} == before


@pytest.mark.django_db
def test_ingest_into_a_missing_bucket_stops_with_one_line_and_records_nothing(
    s3_endpoint, settings, dataset, tmp_path
):
    """A typo in ACCORD_STORAGE_S3_BUCKET: the operator reads which bucket at which endpoint
    refused, and what to check; no file row is recorded."""
    protected = storage_from_environment(
        tmp_path,
        ACCORD_STORAGE_S3_BUCKET="accord-no-such-bucket",
        ACCORD_STORAGE_S3_ENDPOINT_URL=s3_endpoint,
    )
    settings.STORAGES = {**settings.STORAGES, "protected": protected}
    with pytest.raises(CommandError) as caught:
        ingest_release(dataset, tmp_path)
    message = str(caught.value)
    assert "accord-no-such-bucket" in message and s3_endpoint in message
    assert "ACCORD_STORAGE_S3_BUCKET" in message and "\n" not in message
    assert not DataFile.objects.exists()


@pytest.mark.django_db
def test_member_is_sent_to_a_presigned_url_that_serves_exactly_the_range(
    client, member, s3_licence, s3_endpoint
):
    big = _file("video/big.bin")
    asked = f"bytes={MIB}-{2 * MIB - 1}"
    _link, response = _presigned(client, member, big, HTTP_RANGE=asked)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    assert url.startswith(f"{s3_endpoint}/")
    query = parse_qs(urlsplit(url).query)
    # The range is signed into the URL and the URL lives at most 300 s.
    assert query["X-Amz-SignedHeaders"] == ["host;range"]
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert signature_problem(url, "GET", {"Range": asked}) is None
    assert signature_problem(url, "GET", {"Range": f"bytes=0-{len(BIG) - 1}"}) is not None
    assert signature_problem(url, "GET", {}) is not None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=301)
    assert signature_problem(url, "GET", {"Range": asked}, at=later) == "expired"

    served = httpx.get(url, headers={"Range": asked})
    assert served.status_code == 206
    assert served.content == BIG[MIB : 2 * MIB]
    assert served.headers["Content-Range"] == f"bytes {MIB}-{2 * MIB - 1}/{len(BIG)}"
    assert served.headers["Content-Disposition"] == content_disposition("video/big.bin")

    handoff = download_events("downloads:file:handoff").get()
    assert handoff.details["backend"] == "s3"
    assert handoff.details["range"] == asked
    assert handoff.target_id == str(big.pk)


@pytest.mark.django_db
def test_small_file_is_served_whole_from_the_bucket(client, member, s3_licence):
    _link, response = _presigned(client, member, _file("small.txt"))
    assert response.status_code == 302
    served = httpx.get(response["Location"])
    assert served.status_code == 200
    assert served.content == FILES["small.txt"]


@pytest.mark.django_db
def test_head_is_sent_to_a_url_signed_for_head(client, member, s3_licence):
    """`curl -I -L` follows the redirect with HEAD: a URL signed for GET would be refused."""
    big = _file("video/big.bin")
    _link, response = _presigned(client, member, big, "head")
    assert response.status_code == 302
    url = response["Location"]
    assert signature_problem(url, "HEAD", {}) is None
    assert signature_problem(url, "GET", {}) is not None
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(BIG))


@pytest.mark.django_db
def test_revoked_member_gets_no_presigned_url(client, member, s3_licence):
    big = _file("video/big.bin")
    link, response = _presigned(client, member, big, HTTP_RANGE="bytes=0-1023")
    assert response.status_code == 302
    revoke_licence(s3_licence)

    again = client.get(link, HTTP_RANGE=f"bytes=1024-{MIB - 1}")
    assert again.status_code == 403
    assert "Location" not in again
    assert b"X-Amz" not in again.content
    fresh = client.post(reverse("downloads:file_download", args=[big.pk]))
    assert fresh.status_code == 404
    assert "Location" not in fresh
    assert download_events("downloads:file:handoff").count() == 1


@pytest.mark.django_db
def test_whole_large_file_is_streamed_from_the_bucket_and_stops_at_revocation(
    client, member, s3_licence, settings
):
    """Over the cap, Django streams from one ranged GET on the bucket and asks the policy
    again every DOWNLOAD_RECHECK_BYTES: a revocation cuts the body short."""
    from tests.downloads.conftest import body

    settings.DOWNLOAD_RECHECK_BYTES = 256 * 1024
    _link, response = _presigned(client, member, _file("video/big.bin"))
    assert response.status_code == 200
    assert body(response) == BIG

    _link, response = _presigned(client, member, _file("video/big.bin"))
    chunks = iter(response.streaming_content)
    received = next(chunks)
    revoke_licence(s3_licence)
    received += b"".join(chunks)
    assert 0 < len(received) <= 2 * 256 * 1024
    assert received == BIG[: len(received)]
    cut = download_events("downloads:file:interrupt").get()
    assert cut.details["backend"] == "django"
    assert cut.details["bytes"] == len(received)
    assert cut.details["stopped_by_policy"] is True


ACCORD = str(Path(sys.executable).with_name("accord"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_accord_fetch_gets_every_file_through_presigned_segments(
    live_portal, bucket, dataset, member, tmp_path, signing_key_file
):
    variant = ingest_release(dataset, tmp_path)
    licence_for(variants=[variant], members=[member])
    token_file = tmp_path / "token"
    token_file.write_text(api_token_create(user=member, name="laptop").secret + "\n")
    token_file.chmod(0o600)
    dest = tmp_path / "data"
    env = {**os.environ, "COLUMNS": "200", "NO_PROXY": "*"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [ACCORD, "fetch", variant.slug, "--to", str(dest), "--portal", live_portal.url,
         "--token-file", str(token_file), "--parallel", "2"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    live_portal.settle()
    for rel, content in FILES.items():
        assert (dest / rel).read_bytes() == content
    handoffs = download_events("downloads:file:handoff")
    # BIG is 3 MiB and 10 bytes: four 1 MiB segments; the two small files in one request each.
    assert handoffs.count() == 4 + 1 + 1
    assert {e.details["backend"] for e in handoffs} == {"s3"}
    assert not download_events("downloads:file:serve").exists()
