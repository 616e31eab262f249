"""Shared fixtures: isolated storage per test and the role users every view is tested with."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

from tests import factories


@pytest.fixture(autouse=True)
def _isolated_storage(tmp_path, settings):
    """Each test gets its own protected and media folders."""
    protected = tmp_path / "protected"
    media = tmp_path / "media"
    settings.PROTECTED_ROOT = protected
    settings.MEDIA_ROOT = media
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
