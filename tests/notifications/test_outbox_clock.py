"""The outbox reads the portal's clock: mail queued and sent after a test moved time is dated
at the moved time, as the action that wrote it is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.mail import EmailMessage

from accord.notifications.models import OutgoingEmail
from accord.notifications.outbox import deliver

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2031, 5, 4, 10, 30, tzinfo=dt.UTC)


def test_queued_and_sent_times_follow_the_travelled_clock(clock, settings):
    settings.EMAIL_BACKEND = "accord.notifications.outbox.QueuedEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.travel(to=LATER)

    EmailMessage("Reminder", "Your licence expires soon.", to=["ada@uni-example.edu"]).send()
    row = OutgoingEmail.objects.get()
    clock.advance(minutes=5)
    deliver(row.id)

    row.refresh_from_db()
    assert row.created == LATER
    assert row.sent_at == LATER + dt.timedelta(minutes=5)
