"""Shared fixtures: isolated storage per test and the role users every view is tested with."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

from tests import factories
from tests.clamav import clamd  # noqa: F401 - a session fixture for every test that scans


@pytest.fixture(autouse=True)
def _isolated_storage(tmp_path, settings):
    """Each test gets its own protected and media folders."""
    protected = tmp_path / "protected"
    media = tmp_path / "media"
    settings.PROTECTED_ROOT = protected
    settings.MEDIA_ROOT = media
    settings.INGEST_STATE_DIR = tmp_path / "ingest-state"
    new = dict(settings.STORAGES)
    if new["protected"]["BACKEND"].endswith("FileSystemStorage"):
        new["protected"] = {
            **new["protected"],
            "OPTIONS": {**new["protected"]["OPTIONS"], "location": str(protected)},
        }
    new["default"] = {**new["default"], "OPTIONS": {"location": str(media)}}
    settings.STORAGES = new
    storages._storages = {}
    yield
    storages._storages = {}


@pytest.fixture(autouse=True)
def _force_login_is_a_fresh_sign_in():
    """``client.force_login`` skips allauth's sign-in flow, so nothing records when the user
    authenticated; record it as a password sign-in now, as a real sign-in would, so that
    ``sensitive`` staff actions accept it. tests/core/test_hardening.py tests the real flows."""
    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.auth.signals import user_logged_in

    def record(sender, request, user, **kwargs):
        if not hasattr(request, "allauth"):  # not a real request through allauth's middleware
            record_authentication(request, user, method="password")

    user_logged_in.connect(record, dispatch_uid="tests-fresh-sign-in", weak=False)
    yield
    user_logged_in.disconnect(dispatch_uid="tests-fresh-sign-in")


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request in Chinese or Finnish leaves its language active in the thread (Django's
    LocaleMiddleware activates it and nothing resets it); the next test on the same worker
    would then read Finnish messages. Each test starts and ends in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def clock():
    """The portal's clock, stopped at the real present; ``clock.travel(to=...)`` and
    ``clock.advance(days=...)`` move it (accord.core.clock). Real time again after the test."""
    from accord.core import clock as portal_clock

    portal_clock.travel(to=portal_clock.now())
    yield portal_clock
    portal_clock.reset()


@pytest.fixture
def custodian(db):
    return factories.CustodianFactory(slug="cmvs", short_name="CMVS")


@pytest.fixture
def other_custodian(db):
    return factories.CustodianFactory(slug="ipcas", short_name="IP-CAS")


@pytest.fixture
def dataset(custodian):
    return factories.DatasetFactory(custodian=custodian)


@pytest.fixture
def staff(custodian):
    """A reviewer of ``custodian``."""
    return factories.StaffFactory(custodian=custodian).user


@pytest.fixture
def other_staff(other_custodian):
    """A reviewer of another custodian: must see nothing of ``custodian``."""
    return factories.StaffFactory(custodian=other_custodian).user


@pytest.fixture
def outsider(db):
    return factories.UserFactory()
