"""Queue and deliver email through the outbox (``OutgoingEmail``) and the task worker.

``EMAIL_BACKEND`` is :class:`QueuedEmailBackend`: Django, allauth and our own
``send_templated`` all "send" by writing a row in the current transaction (so a rolled-back
action sends nothing), and the worker delivers it with the real backend
(``EMAIL_DELIVERY_BACKEND``), retrying with back-off. We write this rather than use a library
(django-mailer, django-post-office) because those bring their own queue runner; django-tasks is
already the project's worker.
"""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from accord.core import clock
from accord.notifications.models import OutgoingEmail

log = logging.getLogger(__name__)

# Back-off between attempts: 1 min, 5 min, 30 min, 2 h, 6 h; then the row is given up on.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)


def serialise(message: EmailMessage) -> dict:
    attachments = []
    for item in message.attachments:
        if isinstance(item, MIMEBase):
            raise ValueError("MIME attachments cannot be queued; attach (name, content, type)")
        filename, content, mimetype = item
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([filename, base64.b64encode(raw).decode(), mimetype])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": attachments,
    }


def deserialise(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(a) for a in data["alternatives"]],
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for filename, content, mimetype in data["attachments"]:
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


def enqueue_delivery(email_id: int) -> None:
    from accord.notifications.tasks import deliver_email

    transaction.on_commit(lambda: deliver_email.enqueue(email_id))


# Emails per delivery task when a fan-out queues many at once: one SMTP connection each.
DELIVERY_BATCH = 200


def queue_messages(messages: list[EmailMessage]) -> list[int]:
    """Write ``messages`` to the outbox in one insert and, on commit, enqueue one delivery
    task per ``DELIVERY_BATCH`` of them (not one per email): what a fan-out to thousands
    of people uses instead of sending them one by one. With another ``EMAIL_BACKEND``
    (tests' locmem, a console in development) they go to that backend, as any email does."""
    backend = settings.EMAIL_BACKEND
    if backend != f"{__name__}.QueuedEmailBackend":
        get_connection(fail_silently=False).send_messages(messages)
        return []
    now = clock.now()  # one action's emails, queued together: asked once, not per email
    rows = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            created=now, subject=str(m.subject)[:998], recipients=to, message=serialise(m)
        )
        for m in messages
        if (to := m.recipients())
    )
    ids = [row.id for row in rows]
    for start in range(0, len(ids), DELIVERY_BATCH):
        enqueue_delivery_batch(ids[start : start + DELIVERY_BATCH])
    return ids


def enqueue_delivery_batch(email_ids: list[int]) -> None:
    from accord.notifications.tasks import deliver_emails

    transaction.on_commit(lambda: deliver_emails.enqueue(email_ids))


class QueuedEmailBackend(BaseEmailBackend):
    """Stores each message in the outbox; the worker sends it after the transaction commits."""

    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            row = OutgoingEmail.objects.create(
                subject=str(message.subject)[:998],
                recipients=message.recipients(),
                message=serialise(message),
            )
            enqueue_delivery(row.id)
            count += 1
        return count


def _supports_defer() -> bool:
    from accord.notifications.tasks import deliver_email

    return deliver_email.get_backend().supports_defer


def deliver_many(email_ids: list[int]) -> dict[str, int]:
    """Send queued emails over one connection to the mail server (each still its own row,
    attempt and retry, as ``deliver``); returns how many ended in each status."""
    counts: dict[str, int] = {}
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    try:
        for email_id in email_ids:
            status = deliver(email_id, connection=connection)
            if status:
                counts[str(status)] = counts.get(str(status), 0) + 1
    finally:
        try:
            connection.close()
        except Exception:  # the server may already have gone; the rows say what was sent
            log.warning("could not close the mail connection", exc_info=True)
    return counts


def deliver(email_id: int, *, connection=None) -> OutgoingEmail.Status | None:
    """Send one queued email; on failure record why and schedule the next attempt. Runs in the
    worker. Idempotent: a row already sent (or being sent by another worker) is left alone.
    ``connection``: an open one to reuse (``deliver_many``)."""
    with transaction.atomic():
        row = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(id=email_id, status__in=[OutgoingEmail.Status.QUEUED, "failed"])
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        try:
            sender = connection or get_connection(
                settings.EMAIL_DELIVERY_BACKEND, fail_silently=False
            )
            sender.send_messages([deserialise(row.message)])
        except Exception as exc:  # any SMTP/network error: keep the row and try again later
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts > len(RETRY_DELAYS):
                row.status = OutgoingEmail.Status.GAVE_UP
                row.next_attempt = None
                log.error("gave up sending email %s after %s attempts", row.id, row.attempts)
            else:
                row.status = OutgoingEmail.Status.FAILED
                row.next_attempt = clock.now() + timedelta(seconds=RETRY_DELAYS[row.attempts - 1])
                log.warning("email %s failed (attempt %s): %s", row.id, row.attempts, exc)
            row.save(update_fields=["attempts", "status", "next_attempt", "last_error"])
        else:
            row.status = OutgoingEmail.Status.SENT
            row.sent_at = clock.now()
            row.next_attempt = None
            row.last_error = ""
            row.save(update_fields=["attempts", "status", "sent_at", "next_attempt", "last_error"])
            return row.status
    if row.status == OutgoingEmail.Status.FAILED and _supports_defer():
        from accord.notifications.tasks import deliver_email

        deliver_email.using(run_after=row.next_attempt).enqueue(row.id)
    return row.status


def retry_due(*, now=None, include_gave_up: bool = False) -> int:
    """Deliver every queued or failed email whose time has come (and, asked to, those given up
    on). ``accord outbox retry`` runs it; it also catches rows whose task was lost (a worker
    that died between commit and enqueue)."""
    now = now or clock.now()
    statuses = [OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.FAILED]
    if include_gave_up:
        OutgoingEmail.objects.filter(status=OutgoingEmail.Status.GAVE_UP).update(
            status=OutgoingEmail.Status.FAILED, attempts=0, next_attempt=None
        )
    ids = list(
        OutgoingEmail.objects.filter(status__in=statuses)
        .exclude(next_attempt__gt=now)
        .values_list("id", flat=True)
    )
    for email_id in ids:
        deliver(email_id)
    return len(ids)
