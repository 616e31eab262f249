"""The signer sends an invitation again from the licence page: emailed on commit, audited,
and not more than once a quarter of an hour."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accord.audit.models import Event
from accord.licences.models import LicenceMember
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def invitation(professor, variant, student):
    licence = licence_for(variants=[variant], signer=professor)
    return LicenceMember.objects.create(
        licence=licence, email=student.email, full_name=student.full_name
    )


def _resend(client, invitation):
    url = reverse(
        "agreements:licence_member_resend",
        args=[invitation.licence.reference, invitation.pk],
    )
    return client.post(url, follow=True)


def test_signer_resends_an_invitation_and_the_member_gets_it_again(
    client, professor, invitation, django_capture_on_commit_callbacks
):
    client.force_login(professor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _resend(client, invitation)
    assert "The invitation was sent to sam.student@uni-example.edu again." in (
        response.content.decode()
    )
    assert [m.to for m in mail.outbox] == [[invitation.email]]
    assert Event.objects.filter(
        event_type="agreements:member:invite-resend", target_id=str(invitation.pk)
    ).exists()


def test_a_second_resend_within_minutes_is_refused_with_the_reason(
    client, clock, professor, invitation, django_capture_on_commit_callbacks
):
    client.force_login(professor)
    with django_capture_on_commit_callbacks(execute=True):
        _resend(client, invitation)
        clock.advance(minutes=5)
        response = _resend(client, invitation)
    assert "less than 15 minutes ago" in response.content.decode()
    assert len(mail.outbox) == 1


def test_only_the_signer_can_resend(client, student, invitation):
    client.force_login(student)
    url = reverse(
        "agreements:licence_member_resend",
        args=[invitation.licence.reference, invitation.pk],
    )
    assert client.post(url).status_code == 404
