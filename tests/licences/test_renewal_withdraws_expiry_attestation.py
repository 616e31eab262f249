"""A licence renewed within the grace period after expiry no longer owes the deletion its
expiry asked for: the open request is withdrawn (audited with the reason and the files it
listed), nobody is reminded or escalated about it, and a later expiry asks afresh. A
confirmation already given is kept."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command

from accord.audit.models import Event
from accord.licences.expiry import licence_renew
from accord.licences.models import DeletionAttestation, Licence
from accord.licences.services_closeout import deletion_attestations_withdraw
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads

pytestmark = pytest.mark.django_db
variant = downloads.variant
member = downloads.member
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def licence(clock, variant, member, signing_key_file):
    variant.dataset.licence_term_days = 365
    variant.dataset.save()
    return licence_for(
        variants=[variant], members=[member], expires_at=clock.now() + dt.timedelta(days=10)
    )


def schedule() -> None:
    call_command("schedule", stdout=io.StringIO())


def _renew(licence):
    return licence_renew(
        licence=licence, actor=licence.signer, details_confirmed=True, terms_accepted=True
    )


def test_renewal_in_the_grace_period_withdraws_the_expiry_deletion_request(clock, licence):
    clock.advance(days=11)
    schedule()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.EXPIRED
    assert DeletionAttestation.objects.filter(licence=licence, reason="expired").count() == 1

    _renew(licence)

    assert not DeletionAttestation.objects.filter(licence=licence, attested_at__isnull=True)
    event = Event.objects.get(event_type="licences:attestation:withdraw")
    assert event.actor == licence.signer and event.licence_id == licence.pk
    assert event.details["why"] == "licence renewed" and event.details["reason"] == "expired"

    # Past the old due date: no reminder and no escalation about the withdrawn request.
    mail.outbox.clear()
    clock.advance(days=40)
    schedule()
    assert not [m for m in mail.outbox if "delet" in (m.subject + m.body).lower()]
    assert not Event.objects.filter(event_type="licences:attestation:escalate").exists()

    # The renewed licence expires again: deletion is asked for afresh.
    licence.refresh_from_db()
    clock.travel(to=licence.expires_at + dt.timedelta(hours=1))
    schedule()
    assert DeletionAttestation.objects.filter(
        licence=licence, reason="expired", attested_at__isnull=True
    ).exists()


def test_a_confirmed_deletion_is_kept_when_requests_are_withdrawn(clock, licence):
    clock.advance(days=11)
    schedule()
    attestation = DeletionAttestation.objects.get(licence=licence, user=licence.signer)
    attestation.attested_at = clock.now()
    attestation.statement = "Deleted from the lab server."
    attestation.save()

    withdrawn = deletion_attestations_withdraw(
        licence=licence, reasons=("expired",), actor=licence.signer, why="licence renewed"
    )

    assert withdrawn == 0
    assert DeletionAttestation.objects.filter(pk=attestation.pk).exists()
