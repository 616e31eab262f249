"""The shipped nginx config, in a real nginx, in front of a live Accord (X-Accel-Redirect)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from accord.accounts.services import api_token_create
from accord.core.storage import protected_storage
from tests import factories
from tests.access.factories import licence_for, revoke_licence, variant_with_files
from tests.nginx import (
    DEPLOY,
    free_port,
    nginx_binary,
    render_site,
    running_nginx,
    self_signed_certificate,
)

pytestmark = [pytest.mark.nginx, pytest.mark.django_db(transaction=True)]

CONTENT = hashlib.sha256(b"nginx").digest() * (5 * 1024 * 1024 // 32) + b"end"


@pytest.fixture
def nginx(live_portal, tmp_path, settings):
    binary = nginx_binary("the X-Accel-Redirect test runs a real nginx")
    settings.DOWNLOAD_BACKEND = "nginx"
    static = tmp_path / "static"
    static.mkdir()
    port = free_port()
    conf = tmp_path / "nginx"
    render_site(
        conf,
        upstream=live_portal.url.removeprefix("http://"),
        port=port,
        protected_root=settings.PROTECTED_ROOT,
        static_root=static,
    )
    with running_nginx(binary, conf, port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def scenario(live_portal, tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "key.pem"
    dataset = factories.DatasetFactory(slug="smic")
    variant = variant_with_files(
        dataset, tmp_path, {"video/take one.bin": CONTENT}, slug="smic-hs", name="SMIC-HS"
    )
    member = factories.UserFactory()
    licence = licence_for(variants=[variant], members=[member])
    token = api_token_create(user=member, name="t").secret
    return {"licence": licence, "file": variant.files.get(), "token": token}


def link(base: str, scenario) -> str:
    response = httpx.post(
        f"{base}/api/v1/downloads/files/{scenario['file'].pk}/link",
        headers={"Authorization": f"Bearer {scenario['token']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["url"]


def get(url: str, scenario, **headers: str) -> httpx.Response:
    """A request to a download link, with the token the link is bound to."""
    return httpx.get(url, headers={"Authorization": f"Bearer {scenario['token']}", **headers})


def test_resumed_download_through_x_accel_redirect(nginx, scenario, live_portal):
    url = link(nginx, scenario)
    assert url.startswith(nginx)
    cut = 2 * 1024 * 1024 + 7
    first = get(url, scenario, Range=f"bytes=0-{cut - 1}")
    assert first.status_code == 206, first.text
    assert first.headers["content-range"] == f"bytes 0-{cut - 1}/{len(CONTENT)}"
    assert "take%20one.bin" in first.headers["content-disposition"]
    assert first.headers["cache-control"] == "private, no-store"
    assert "x-accel-redirect" not in first.headers
    rest = get(url, scenario, Range=f"bytes={cut}-")
    assert rest.status_code == 206
    whole = first.content + rest.content
    assert hashlib.sha256(whole).hexdigest() == scenario["file"].sha256
    assert whole == CONTENT


def test_revocation_refuses_the_resume_through_nginx(nginx, scenario, live_portal):
    url = link(nginx, scenario)
    assert get(url, scenario, Range="bytes=0-1023").status_code == 206
    live_portal.settle()
    revoke_licence(scenario["licence"], reason="licence breach")
    refused = get(url, scenario, Range="bytes=1024-")
    assert refused.status_code == 403
    assert "licence breach" not in refused.json()["detail"]  # only on the holder's own page


def test_protected_files_are_not_reachable_directly(nginx, scenario):
    name = scenario["file"].storage_name
    assert Path(protected_storage().path(name)).exists()
    assert httpx.get(f"{nginx}/_protected/{name}").status_code == 404


def test_whole_file_without_range(nginx, scenario):
    response = get(link(nginx, scenario), scenario)
    assert response.status_code == 200
    assert response.content == CONTENT


def test_shipped_site_config_passes_nginx_t(tmp_path):
    """accord.conf as a sysadmin installs it (certificate paths swapped for a throw-away
    self-signed pair) is accepted by `nginx -t`."""
    binary = nginx_binary("checks deploy/nginx")
    cert, key = self_signed_certificate(tmp_path)
    swaps = {
        "/etc/letsencrypt/live/accord.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/accord.example.org/privkey.pem": str(key),
        "/etc/nginx/snippets/": f"{tmp_path}/",
        "/var/log/nginx/": f"{tmp_path}/",
    }
    for conf in ("accord.conf", "accord-locations.conf", "accord-proxy.conf"):
        text = (DEPLOY / conf).read_text()
        for old, new in swaps.items():
            text = text.replace(old, new)
        (tmp_path / conf).write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/accord.conf;\n}}\n"
    )
    result = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
         "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_access_log_never_holds_a_link_secret(nginx, scenario, tmp_path):
    url = link(nginx, scenario)
    assert get(url, scenario, Range="bytes=0-9").status_code == 206
    secret = url.rstrip("/").rsplit("/", 1)[-1]
    log_file = tmp_path / "nginx" / "access.log"
    deadline = time.monotonic() + 10  # nginx logs just after the response has gone out
    while "/downloads/d/" not in (log := log_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "/downloads/d/[link]/" in log
    assert secret not in log


def test_link_without_its_token_is_refused_through_nginx(nginx, scenario):
    url = link(nginx, scenario)
    refused = httpx.get(url, headers={"Range": "bytes=0-9"})
    assert refused.status_code == 404
    assert refused.json()["detail"].startswith("This download link is not valid here")


@pytest.fixture
def capped(settings):
    """nginx may carry at most 1 MiB per authorisation (the 5 MiB file needs five)."""
    settings.DOWNLOAD_MAX_RESPONSE_BYTES = 1024 * 1024
    return settings.DOWNLOAD_MAX_RESPONSE_BYTES


def _handoffs() -> int:
    from accord.audit.models import JournalEntry

    return JournalEntry.objects.filter(event_type="downloads:file:handoff").count()


def test_revoked_licence_gets_no_next_segment_through_nginx(nginx, scenario, live_portal, capped):
    url = link(nginx, scenario)
    first = get(url, scenario, Range=f"bytes=0-{capped - 1}")
    assert first.status_code == 206
    assert first.content == CONTENT[:capped]
    live_portal.settle()
    assert _handoffs() == 1  # nginx sent that segment
    revoke_licence(scenario["licence"], reason="consent withdrawn")
    refused = get(url, scenario, Range=f"bytes={capped}-{2 * capped - 1}")
    assert refused.status_code == 403
    live_portal.settle()
    assert _handoffs() == 1


def test_request_for_more_than_the_cap_is_streamed_by_django_not_handed_to_nginx(
    nginx, scenario, live_portal, capped
):
    """A browser fetching the file whole (no Range), or a client asking for a long range,
    is served by Django's own stream, which re-checks the licence as it goes."""
    from accord.audit.models import JournalEntry

    whole = get(link(nginx, scenario), scenario)
    assert whole.status_code == 200
    assert whole.content == CONTENT
    tail = get(link(nginx, scenario), scenario, Range="bytes=1-")
    assert tail.status_code == 206
    assert tail.content == CONTENT[1:]
    live_portal.settle()
    assert _handoffs() == 0
    served = JournalEntry.objects.filter(event_type="downloads:file:serve")
    assert [e.details["backend"] for e in served] == ["django", "django"]


def test_accord_fetch_downloads_in_segments_through_nginx(
    nginx, scenario, live_portal, capped, tmp_path
):
    """`accord fetch` asks for one segment per authorisation (each handed to nginx), and
    still verifies the file against the signed manifest."""
    from tests.client.test_fetch_e2e import ACCORD, run

    token_file = tmp_path / "token"
    token_file.write_text(scenario["token"] + "\n")
    token_file.chmod(0o600)
    dest = tmp_path / "data"
    result = run(
        [ACCORD, "fetch", "smic-hs", "--to", str(dest), "--portal", nginx,
         "--token-file", str(token_file)],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (dest / "video" / "take one.bin").read_bytes() == CONTENT
    live_portal.settle()
    assert _handoffs() == -(-len(CONTENT) // capped)  # one per segment, each ≤ the cap


def _location_block(name: str) -> str:
    text = (DEPLOY / "accord-locations.conf").read_text()
    start = text.index(f"location {name} {{")
    return text[start : text.index("}", start)]


def test_streamed_download_location_relays_whole_chunks_and_never_spools_to_disk():
    """Unbuffered (nothing spooled to nginx's temp folder), with a relay buffer that holds a
    whole chunk of Django's stream, so nginx does not pass it on 4 KiB at a time."""
    from accord.downloads.ranges import CHUNK_SIZE

    block = _location_block("/downloads/d/")
    directives = dict(
        line.strip().rstrip(";").split(None, 1)
        for line in block.splitlines()[1:]
        if line.strip() and not line.strip().startswith("#")
    )
    assert directives["proxy_buffering"] == "off"
    assert directives["proxy_max_temp_file_size"] == "0"
    size = directives["proxy_buffer_size"]
    assert size.endswith("k") and int(size[:-1]) * 1024 >= CHUNK_SIZE


def test_large_file_streamed_by_django_arrives_whole_through_nginx(
    nginx, live_portal, tmp_path, settings
):
    """A 40 MiB file streamed by the django backend through the shipped location arrives
    complete and byte for byte, and nothing of it is written to nginx's temp folder."""
    settings.DOWNLOAD_BACKEND = "django"
    settings.SIGNING_KEY_FILE = tmp_path / "key.pem"
    large = os.urandom(40 * 1024 * 1024) + b"end"
    variant = variant_with_files(
        factories.DatasetFactory(slug="big"), tmp_path, {"big.bin": large}, slug="big-hs"
    )
    member = factories.UserFactory()
    licence_for(variants=[variant], members=[member])
    scenario = {
        "file": variant.files.get(),
        "token": api_token_create(user=member, name="t").secret,
    }
    response = get(link(nginx, scenario), scenario)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(large))
    assert "x-accel-redirect" not in response.headers
    assert hashlib.sha256(response.content).hexdigest() == scenario["file"].sha256
    assert response.content == large
    spooled = [p for p in (tmp_path / "nginx" / "proxy").rglob("*") if p.is_file()]
    assert spooled == []
