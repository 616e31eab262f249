"""/api/v1/docs (Swagger UI) loads its scripts and styles from Accord's own static files: the
Content-Security-Policy allows no other origin, so a CDN asset would leave a blank page."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _assets(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)


def test_docs_page_loads_only_same_origin_assets_and_each_is_served(live_server):
    with httpx.Client(base_url=live_server.url, trust_env=False) as client:
        page = client.get("/api/v1/docs")
        assert page.status_code == 200
        assets = _assets(page.text)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            assert asset.startswith("/static/"), f"{asset} is not one of our static files"
            served = client.get(asset)
            assert served.status_code == 200, asset
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "http" not in csp
        assert client.get("/api/v1/openapi.json").status_code == 200
