"""A licence revoked while clients are fetching a file in range requests (as `accord fetch`
and download managers do, several at once): no range asked for after the revocation commits
gets a byte, through Django's own stream and through nginx's X-Accel-Redirect; every range
that was served is in the download journal, and every refusal in the chain.

Real concurrency needs a server that answers requests in parallel, each on its own database
connection, while the revocation commits on another: PostgreSQL (the SQLite test database
lives in memory on one connection shared with a serial server)."""

from __future__ import annotations

import hashlib
import threading
import time

import httpx
import pytest
from django.db import transaction
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from accord.accounts.services import api_token_create
from accord.audit.models import Event, JournalEntry
from accord.downloads.models import SERVED_EVENTS
from tests import factories
from tests.access.factories import licence_for, revoke_licence, variant_with_files
from tests.nginx import free_port, nginx_binary, render_site, running_nginx
from tests.tools import need_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RANGE = 64 * 1024
CONTENT = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(4 * 1024 * 1024 // 32))
CLIENTS = 4


@pytest.fixture
def parallel_portal(transactional_db):
    """Django's threaded live server: one thread and one connection per request."""
    need_postgres("parallel requests on their own connections while the revocation commits")
    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, connections_override={}, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture(params=["django", "nginx"])
def base_url(request, parallel_portal, settings, tmp_path):
    settings.DOWNLOAD_BACKEND = request.param
    settings.SIGNING_KEY_FILE = tmp_path / "key.pem"
    if request.param == "django":
        yield parallel_portal
        return
    binary = nginx_binary("the X-Accel-Redirect burst runs a real nginx")
    static = tmp_path / "static"
    static.mkdir()
    port = free_port()
    conf = tmp_path / "nginx"
    render_site(
        conf,
        upstream=parallel_portal.removeprefix("http://"),
        port=port,
        protected_root=settings.PROTECTED_ROOT,
        static_root=static,
    )
    with running_nginx(binary, conf, port):
        yield f"http://127.0.0.1:{port}"


def _wait(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_no_range_asked_for_after_the_revocation_commits_gets_a_byte(base_url, tmp_path, settings):
    dataset = factories.DatasetFactory(slug="burst")
    variant = variant_with_files(dataset, tmp_path, {"clip.bin": CONTENT}, slug="burst-v")
    member = factories.UserFactory()
    licence = licence_for(variants=[variant], members=[member])
    token = api_token_create(user=member, name="fetch").secret
    auth = {"Authorization": f"Bearer {token}"}
    data_file = variant.files.get()
    issued = httpx.post(f"{base_url}/api/v1/downloads/files/{data_file.pk}/link", headers=auth)
    assert issued.status_code == 200, issued.text
    url = issued.json()["url"]

    # (sent, status, start, body) of every request, in the order they were sent per client.
    results: list[tuple[float, int, int, bytes]] = []
    lock = threading.Lock()
    stop = threading.Event()
    committed = [float("inf")]

    def fetch(n: int) -> None:
        with httpx.Client(timeout=60) as http:
            i = n
            while not stop.is_set():
                start = (i * RANGE) % (len(CONTENT) - RANGE)
                i += CLIENTS
                sent = time.monotonic()
                r = http.get(url, headers={**auth, "Range": f"bytes={start}-{start + RANGE - 1}"})
                with lock:
                    results.append((sent, r.status_code, start, r.content))

    def count(pred) -> int:
        with lock:
            return sum(1 for r in results if pred(r))

    clients = [threading.Thread(target=fetch, args=(n,), daemon=True) for n in range(CLIENTS)]
    for c in clients:
        c.start()
    try:
        _wait(lambda: count(lambda r: r[1] == 206) >= 8 * CLIENTS)
        with transaction.atomic():
            revoke_licence(licence, reason="consent withdrawn")
        committed[0] = time.monotonic()
        _wait(lambda: count(lambda r: r[0] > committed[0]) >= 5 * CLIENTS)
    finally:
        stop.set()
        for c in clients:
            c.join(60)

    served = [r for r in results if r[1] == 206]
    after = [r for r in results if r[0] > committed[0]]
    assert len(after) >= 5 * CLIENTS
    assert {status for _sent, status, _start, _body in after} == {403}
    assert not any(CONTENT[start : start + 64] in body for _sent, _s, start, body in after)
    assert all(body == CONTENT[start : start + RANGE] for _sent, _s, start, body in served)
    assert {status for _sent, status, _start, _body in results} == {206, 403}

    # Server side: every range that left is journaled (a served range is journaled when its
    # response closes, just after the client has it), and every refusal is in the chain.
    rows = JournalEntry.objects.filter(event_type__in=SERVED_EVENTS, target_id=str(data_file.pk))
    _wait(lambda: rows.count() >= len(served), 30)
    assert rows.count() == len(served)
    if settings.DOWNLOAD_BACKEND == "django":
        assert set(rows.values_list("event_type", flat=True)) == {"downloads:file:serve"}
        assert sum(rows.values_list("bytes", flat=True)) == len(served) * RANGE
    else:
        assert set(rows.values_list("event_type", flat=True)) == {"downloads:file:handoff"}
    refused = Event.objects.filter(
        event_type="downloads:file:refuse", target_id=str(data_file.pk)
    ).count()
    assert refused == len(results) - len(served)
