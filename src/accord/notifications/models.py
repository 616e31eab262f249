"""The outbox: every email Accord sends, as a row written in the transaction that caused it and
delivered afterwards by the task worker, so a request never waits on SMTP and a failed send is
retried and visible rather than lost in a log line."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (will be retried)")
        GAVE_UP = "gave_up", _("failed (gave up)")

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    subject = models.CharField(max_length=998)
    recipients = models.JSONField(default=list)  # to + cc + bcc, for the operator's list
    message = models.JSONField()  # the EmailMessage's parts; see accord.notifications.outbox
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.subject}"
