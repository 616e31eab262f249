"""A live test server that handles one request at a time (for fetch and nginx tests)."""

from __future__ import annotations

import httpx
import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import (
    LiveServerThread,
    QuietWSGIRequestHandler,
    _StaticFilesHandler,
)


class _SerialServerThread(LiveServerThread):
    # One request at a time, each fully finished (its audit written on close) before the
    # next is accepted: the in-memory SQLite test database is one connection shared with
    # this thread and cannot take concurrent writers. Django's non-threaded server also
    # answers "Connection: close", so parallel clients simply queue.
    server_class = WSGIServer

    def _create_server(self, connections_override=None):
        # The threaded server takes connections_override to share the connection with its
        # request threads; this one handles requests in its own thread, which run() already
        # wires up.
        return self.server_class(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


class SerialLiveServer:
    def __init__(self):
        self._shared = {
            conn.alias: conn
            for conn in connections.all()
            if conn.vendor == "sqlite" and conn.is_in_memory_db()
        }
        for conn in self._shared.values():
            conn.inc_thread_sharing()
        self.thread = _SerialServerThread(
            "127.0.0.1", _StaticFilesHandler, connections_override=self._shared, port=0
        )
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        self.url = f"http://127.0.0.1:{self.thread.port}"

    def settle(self) -> None:
        """Wait until every earlier request has finished (audit included)."""
        httpx.get(self.url + "/healthz", timeout=30)

    def stop(self) -> None:
        self.thread.terminate()
        for conn in self._shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def live_portal(transactional_db):
    server = SerialLiveServer()
    yield server
    server.stop()
