"""Email goes through the outbox: written in the action's transaction, delivered by the worker
through a real SMTP server, retried when the server is down, and visible to the operator."""

from __future__ import annotations

import socket
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from accord.notifications.models import OutgoingEmail
from accord.notifications.outbox import retry_due
from tests import factories

QUEUED = "accord.notifications.outbox.QueuedEmailBackend"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; the outbox delivers to it with Django's SMTP backend."""
    handler = _Collector()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = QUEUED
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    handler.controller = controller
    yield handler
    if controller._thread is not None:
        controller.stop()


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def _send(to="reader@uni-example.edu"):
    # Any email, ours or allauth's, goes through EMAIL_BACKEND, i.e. the outbox.
    EmailMessage("Your licence", "Hello from the portal.", to=[to]).send()


@pytest.mark.django_db(transaction=True)
def test_email_is_delivered_by_the_worker_through_a_real_smtp_server(smtp):
    smtp.controller.start()
    with override_settings(TASKS=DATABASE_TASKS), transaction.atomic():
        _send()
        # Inside the action's transaction nothing has been sent, only queued.
        assert smtp.messages == []
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.QUEUED
    assert smtp.messages == []
    with override_settings(TASKS=DATABASE_TASKS):
        run_worker()
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "reader@uni-example.edu"
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.SENT
    assert row.sent_at is not None and row.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_action_sends_nothing(smtp):
    smtp.controller.start()
    with pytest.raises(RuntimeError), transaction.atomic():
        _send()
        raise RuntimeError("the action failed")
    assert not OutgoingEmail.objects.exists()
    assert smtp.messages == []


@pytest.mark.django_db(transaction=True)
def test_failed_send_is_retried_and_visible(smtp):
    # The SMTP server is down: the action still succeeds, the email waits with its error.
    with override_settings(TASKS=DATABASE_TASKS):
        _send()
        run_worker()
    row = OutgoingEmail.objects.get()
    assert row.status == OutgoingEmail.Status.FAILED
    assert row.attempts == 1
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt is not None
    listing = StringIO()
    call_command("outbox", stdout=listing)
    assert f"#{row.id} failed attempts=1" in listing.getvalue()
    assert "reader@uni-example.edu" in listing.getvalue()

    # Not due yet: nothing is tried. Once due (and the server is back) it is delivered.
    smtp.controller.start()
    assert retry_due() == 0
    assert retry_due(now=row.next_attempt) == 1
    row.refresh_from_db()
    assert row.status == OutgoingEmail.Status.SENT
    assert row.attempts == 2
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_password_reset_request_does_not_wait_for_smtp(client, smtp):
    # With the mail server down the page still answers at once: the email is only queued.
    user = factories.UserFactory(email="forgetful@uni-example.edu")
    with override_settings(TASKS=DATABASE_TASKS):
        response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED).exists()
