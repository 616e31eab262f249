"""A file nginx sends on Django's behalf (X-Accel-Redirect) carries the same security headers
as a page Django sends itself: nginx drops the upstream's headers on the internal redirect
unless the /_protected/ location puts them back."""

from __future__ import annotations

import httpx
import pytest

from tests.downloads.conftest import _no_proxy_env  # noqa: F401 - fixtures
from tests.downloads.liveserver import live_portal  # noqa: F401
from tests.downloads.test_nginx import link, nginx, scenario  # noqa: F401

pytestmark = [pytest.mark.nginx, pytest.mark.django_db(transaction=True)]


def test_downloaded_file_keeps_djangos_security_headers(nginx, scenario):  # noqa: F811
    page = httpx.get(f"{nginx}/datasets/")
    served = httpx.get(
        link(nginx, scenario),
        headers={"Authorization": f"Bearer {scenario['token']}", "Range": "bytes=0-99"},
    )
    assert served.status_code == 206
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["referrer-policy"] == "same-origin"
    assert "default-src 'self'" in served.headers["content-security-policy"]
    assert served.headers["x-frame-options"] == "DENY"
    assert served.headers["cross-origin-opener-policy"] == "same-origin"
    for name in ("content-security-policy", "referrer-policy", "x-content-type-options"):
        assert served.headers[name] == page.headers[name]
        assert len(served.headers.get_list(name)) == 1, f"{name} sent twice"
    # nginx's own headers for the file stay right.
    assert served.headers["cache-control"] == "private, no-store"
    assert served.headers["content-range"].startswith("bytes 0-99/")
