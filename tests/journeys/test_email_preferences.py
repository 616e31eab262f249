"""A person chooses which optional emails they get (reminders, group updates); what the
licence requires them to be told still reaches them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accord.audit.models import Event
from accord.notifications import agreements as agreement_emails
from accord.notifications.expiry import licence_expiry_reminder
from tests.access.factories import licence_for

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:email_preferences")


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def signed_licence(professor, variant):
    return licence_for(
        variants=[variant],
        signer=professor,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def _turn_reminders_off(client, user):
    client.force_login(user)
    return client.post(PAGE, {"wanted": ["group_updates"]}, follow=True)


def test_page_says_which_emails_are_optional_and_which_are_always_sent(client, professor):
    client.force_login(professor)
    page = client.get(PAGE).content.decode()
    optional = page[page.index('id="optional-emails"') : page.index('id="required-emails"')]
    required = page[page.index('id="required-emails"') :]
    assert 'name="wanted" value="reminders"' in optional
    assert "New terms for a licence you hold" in required
    assert "Requests to delete the data" in required


def test_turned_off_reminders_are_not_sent(client, professor, signed_licence):
    response = _turn_reminders_off(client, professor)
    assert "Your email preferences were saved." in response.content.decode()
    mail.outbox.clear()
    licence_expiry_reminder(signed_licence, days=7)
    assert mail.outbox == []
    assert Event.objects.filter(event_type="notifications:preferences:update").exists()


def test_required_emails_are_sent_whatever_the_preferences(
    client, professor, signed_licence, django_capture_on_commit_callbacks
):
    _turn_reminders_off(client, professor)
    client.post(PAGE, {})  # everything optional off
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agreement_emails.licence_status_changed(
            signed_licence, action="revoke", reason="Breach of clause C1."
        )
    assert [m.to for m in mail.outbox] == [[professor.email]]


def test_reminders_are_sent_to_someone_who_did_not_choose(professor, signed_licence):
    licence_expiry_reminder(signed_licence, days=7)
    assert [m.to for m in mail.outbox] == [[professor.email]]
