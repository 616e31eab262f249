"""The outbox: every email Accord sends, as a row written in the transaction that caused it and
delivered afterwards by the task worker, so a request never waits on SMTP and a failed send is
retried and visible rather than lost in a log line."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core import clock


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (will be retried)")
        GAVE_UP = "gave_up", _("failed (gave up)")

    # From the portal's clock (not auto_now_add), so queued mail is dated as the action that
    # wrote it, also when tests move time.
    created = models.DateTimeField(default=clock.now, editable=False, db_index=True)
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


class SentReminder(models.Model):
    """A reminder or notice that has gone out, by key (``<kind>:<object>:<milestone>``).

    The scheduler inserts the key in the transaction that queues the email, so however often
    it runs, and on however many machines, each reminder is sent once: a second insert of the
    same key fails on the unique index (waiting, on PostgreSQL, for the first to commit)."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key


class ScheduledRun(models.Model):
    """One run of ``accord schedule``: when, where, what each step did, and any failure, so
    an operator can see that the periodic work happens (and what it did) without reading
    logs."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict)  # step name -> items handled
    errors = models.JSONField(default=dict)  # step name -> error text

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"schedule run at {self.started_at:%Y-%m-%d %H:%M:%S}"


class EmailPreference(models.Model):
    """Which optional emails a person gets (accord.notifications.preferences says which are
    optional). No row: every email, as before anyone chose."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="email_preference"
    )
    opted_out = models.JSONField(default=list, blank=True)  # keys of preferences.OPTIONAL
    updated = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"email preferences of user {self.user_id}"
