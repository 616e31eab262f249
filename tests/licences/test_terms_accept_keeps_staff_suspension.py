"""Accepting new terms lifts only the suspension their lapse caused: a licence staff suspended
for another reason stays suspended (access stays off) when the signer accepts, until staff
reinstate it; one suspended by the lapse alone is restored."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.access import policy
from accord.licences.models import TermsChange
from accord.licences.services import licence_reinstate, licence_suspend
from accord.licences.services_terms import (
    step_terms_effective,
    terms_change_accept,
    terms_publish,
)
from tests import factories
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads
from tests.licences.test_terms_change import _draft

pytestmark = pytest.mark.django_db
variant = downloads.variant
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _lapsed_change(clock, variant, *, suspended_by_staff: bool):
    clock.travel(to=dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC))
    dataset = variant.dataset
    factories.LicenseVersionFactory(dataset=dataset)
    admin = factories.StaffFactory(custodian=dataset.custodian, role="admin").user
    licence = licence_for(variants=[variant])
    terms_publish(version=_draft(dataset, admin, dt.date(2030, 3, 31)), actor=admin)
    if suspended_by_staff:
        licence_suspend(licence=licence, actor=admin, reason="Checking a report of sharing.")
    clock.travel(to=dt.datetime(2030, 3, 31, 1, 0, tzinfo=dt.UTC))
    step_terms_effective(now=clock.now())
    licence.refresh_from_db()
    assert licence.status == "suspended"
    assert TermsChange.objects.get(licence=licence).status == "lapsed"
    return licence, admin


def test_accepting_new_terms_keeps_a_suspension_staff_ordered(clock, variant):
    licence, admin = _lapsed_change(clock, variant, suspended_by_staff=True)
    small = variant.files.get(path="small.txt")

    terms_change_accept(licence=licence, actor=licence.signer)

    licence.refresh_from_db()
    assert licence.status == "suspended" and licence.end_reason == "Checking a report of sharing."
    assert licence.license_version.version == 2
    assert not policy.can_download(licence.signer, small)

    licence_reinstate(licence=licence, actor=admin, reason="Report checked.")
    assert policy.can_download(licence.signer, small)


def test_accepting_new_terms_lifts_the_suspension_their_lapse_caused(clock, variant):
    licence, _ = _lapsed_change(clock, variant, suspended_by_staff=False)

    terms_change_accept(licence=licence, actor=licence.signer)

    licence.refresh_from_db()
    assert licence.status == "active"
    assert policy.can_download(licence.signer, variant.files.get(path="small.txt"))
