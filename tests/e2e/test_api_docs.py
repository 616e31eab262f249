"""The API documentation renders in a real browser under Accord's Content-Security-Policy."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_lists_the_api_operations(browser_as, site, shots):
    page = browser_as()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if m.type == "error" else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock")
    shots(page, "api-docs")
    assert page.locator(".opblock-summary-path", has_text="/api/v1/datasets").count() >= 1
    assert "Accord API" in page.locator(".info .title").inner_text()
    assert not blocked, blocked
