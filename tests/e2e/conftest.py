"""End-to-end tests: a live Accord server (pytest-django's ``live_server``) driven by real
Chromium through Playwright. Screenshots of each step go to test-artifacts/e2e/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tools import need_executable

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread, so Django refuses ORM calls
    from the test body as "async-unsafe". The body is plain sequential code: allow them while
    the browser runs, and only then."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def chromium(_orm_beside_playwright):
    path = need_executable("chromium", "end-to-end tests drive a real browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(live_server, settings):
    """The live server's base URL; emails link to it."""
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return live_server.url


@pytest.fixture
def shots(request):
    """``shots(page, "name")`` saves a full-page screenshot named after the test and step."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def browser_as(chromium, site):
    """A fresh browser context (its own cookies) per person; closed after the test."""
    contexts = []

    def open_context(user=None, **options):
        """``options`` go to the browser context (locale, extra headers, ...)."""
        context = chromium.new_context(base_url=site, accept_downloads=True, **options)
        contexts.append(context)
        if user is not None:
            context.add_cookies([session_cookie(user, site)])
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_context
    for context in contexts:
        context.close()


def session_cookie(user, site: str) -> dict:
    """Sign ``user`` in without the form (used for staff, whose sign-in asks for a TOTP code;
    tests/core/test_hardening.py drives that form)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": site,
    }


def sign_in(page, email: str, password: str = FACTORY_PASSWORD) -> None:
    """Through allauth's real sign-in form."""
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.press('input[name="password"]', "Enter")
    page.wait_for_load_state()
