"""Secrets that travel in URL paths never reach nginx's access log: not only download links
but the signer's confirmation token and allauth's email and password-reset keys."""

from __future__ import annotations

import time

import httpx

from tests.downloads.liveserver import live_portal  # noqa: F401 - fixtures
from tests.downloads.test_nginx import nginx  # noqa: F401

SECRETS = {
    "/apply/confirm/SIGNERTOKEN1234567890/": "SIGNERTOKEN1234567890",
    "/api/v1/signer-confirmations/APITOKEN1234567890": "APITOKEN1234567890",
    "/accounts/confirm-email/EMAILKEY1234567890/": "EMAILKEY1234567890",
    "/accounts/password/reset/key/1z-RESETKEY1234567890/": "RESETKEY1234567890",
}


def test_access_log_never_holds_confirmation_or_reset_keys(nginx, tmp_path):  # noqa: F811
    for path in SECRETS:
        httpx.request("POST" if "/api/" in path else "GET", nginx + path)
    log_file = tmp_path / "nginx" / "access.log"
    deadline = time.monotonic() + 10  # nginx logs just after the response has gone out
    while (log := log_file.read_text()).count("\n") < len(SECRETS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.count("\n") >= len(SECRETS)
    for secret in SECRETS.values():
        assert secret not in log
    assert "/accounts/password/reset/key/[key]/" in log
    assert "/apply/confirm/[token]/" in log
