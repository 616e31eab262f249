"""The licence lifecycle's periodic work, run by ``accord schedule`` (cron/systemd timer or
the worker). Each ``step_<name>(*, now) -> int`` does what is due at ``now`` and returns how
many things it did. Steps are idempotent and safe to run on several machines at once: each
email is claimed by a unique key (``notifications.reminders.reminder_claim``) in the
transaction that queues it, and each transition takes its row with
``select_for_update(skip_locked=True)`` and re-checks the state under the lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from accord.agreements.retention import step_application_retention
from accord.notifications import expiry as expiry_emails
from accord.notifications.reminders import reminder_claim

from .expiry import licence_expire
from .models import Licence
from .services import licence_audit
from .services_closeout import step_attestation_reminders
from .services_terms import step_terms_effective, step_terms_notices, step_terms_reminders

# Days before expiry at which the signer and the members are reminded.
EXPIRY_REMINDER_DAYS = (30, 7, 1)


def _expiry_milestone(expires_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """The reminder due now: the nearest milestone the licence has passed (a licence granted
    with 20 days left gets the 30-day reminder once, then the 7- and 1-day ones)."""
    if expires_at is None:
        return None
    left = expires_at - now
    due = [d for d in EXPIRY_REMINDER_DAYS if left <= dt.timedelta(days=d)]
    return min(due) if due else None


def step_expiry_reminders(*, now: dt.datetime) -> int:
    """Remind the holders of a licence 30, 7 and 1 days before it expires, each once per
    term (a renewal starts a new term, with its own reminders)."""
    horizon = now + dt.timedelta(days=max(EXPIRY_REMINDER_DAYS))
    candidates = Licence.objects.filter(
        status=Licence.Status.ACTIVE, expires_at__gt=now, expires_at__lte=horizon
    ).values_list("pk", "expires_at")
    sent = 0
    for pk, expires_at in candidates:
        days = _expiry_milestone(expires_at, now)
        if days is None or expires_at is None:
            continue
        key = f"licence-expiry:{pk}:{expires_at:%Y%m%dT%H%M%S}:{days}d"
        with transaction.atomic():
            if not reminder_claim(key=key, now=now):
                continue
            licence = Licence.objects.select_related(
                "dataset", "dataset__custodian", "signer", "license_version"
            ).get(pk=pk)
            licence_audit(
                licence, "expiry_reminder", None, days=days, expires_at=expires_at.isoformat()
            )
            expiry_emails.licence_expiry_reminder(licence, days=days)
            sent += 1
    return sent


def step_expire(*, now: dt.datetime) -> int:
    """Licences whose term is over become expired: access stops, holders are told, deletion
    is requested."""
    due = Licence.objects.filter(
        status__in=[Licence.Status.ACTIVE, Licence.Status.SUSPENDED], expires_at__lte=now
    ).values_list("pk", flat=True)
    return sum(1 for pk in due if licence_expire(licence=Licence(pk=pk), now=now) is not None)


def step_audit_checkpoint(*, now: dt.datetime) -> int:
    """A safety net under the worker's checkpoint task (accord.audit.tasks): sign a checkpoint
    when events are not yet covered by one. Concurrent runs serialise on the audit head; a
    checkpoint is stamped with real time, not the lifecycle clock."""
    from accord.audit.checkpoints import checkpoint_write

    return 1 if checkpoint_write().checkpoint is not None else 0


def step_audit_journal_seal(*, now: dt.datetime) -> int:
    """A safety net under the worker's sealer (accord.audit.journal): seal the download
    journal rows a dead or busy worker left unsealed."""
    from accord.audit.journal import journal_seal

    return journal_seal()


# Every step, in the order a run takes them (reminders before the transitions they warn of).
STEPS: dict[str, Callable[..., int]] = {
    "expiry_reminders": step_expiry_reminders,
    "expire": step_expire,
    "terms_notices": step_terms_notices,  # notices whose task was lost
    "terms_reminders": step_terms_reminders,
    "terms_effective": step_terms_effective,
    "attestation_reminders": step_attestation_reminders,
    # Applications that did not become a licence, past their retention period (#11).
    "application_retention": step_application_retention,
    "audit_journal_seal": step_audit_journal_seal,
    # Last: the run's own transitions are then covered by the checkpoint too.
    "audit_checkpoint": step_audit_checkpoint,
}
