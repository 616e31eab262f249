"""Each reminder once: a step claims a reminder's key before it queues the email, in the same
transaction, so reruns and concurrent schedulers skip what has gone out."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from accord.notifications.models import SentReminder


def reminder_claim(*, key: str, now: dt.datetime) -> bool:
    """True when this caller is the first to send ``key`` (then send it in the same
    transaction); False when it has been sent, or another run is sending it right now (on
    PostgreSQL the insert waits for that run and fails once it commits)."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(key=key, sent_at=now)
    except IntegrityError:
        return False
    return True
