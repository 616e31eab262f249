"""Retention of applications that did not become a licence (GDPR storage limitation): rejected
and withdrawn applications, and abandoned ones, are deleted with the applicant's answers and the
agreements they uploaded once the retention period has passed since their last change.

"Abandoned" means a draft, or an application returned for changes, that nobody changed for the
whole period. A submitted application waits for the custodian and is never deleted here; an
approved one is the record of a licence and is never deleted here either.

The period is the dataset's ``application_retention_days`` or, when that is empty, the setting
ACCORD_APPLICATION_RETENTION_DAYS. Deleting is the scheduler's step ``application_retention``
(``accord schedule``): each application is taken with ``select_for_update(skip_locked=True)``
and re-checked under the lock, so two runs at once delete (and audit) each one once. The audit
event says which application went and what was deleted by reference, id and hash only: the
personal data goes with the rows, and the chain, which never held this event's personal data,
still verifies."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accord.audit.services import audit_record
from accord.catalog.models import Dataset
from accord.core.storage import protected_storage

from .models import Application, SignedAgreement

logger = logging.getLogger(__name__)

S = Application.State
# Ended without a licence: deleted once the period has passed since their last change.
ENDED = (S.REJECTED, S.WITHDRAWN)
# Still open to the applicant: deleted when nobody changed them for the whole period.
ABANDONABLE = (S.DRAFT, S.RETURNED)
PURGEABLE = ENDED + ABANDONABLE


def retention_days(dataset: Dataset) -> int:
    """How many days after their last change ``dataset``'s applications that did not become a
    licence are kept."""
    if dataset.application_retention_days is not None:
        return dataset.application_retention_days
    return settings.APPLICATION_RETENTION_DAYS


def _due(now: dt.datetime) -> Q:
    """Applications past their dataset's retention period at ``now``: one condition per
    period in use, so the query does not depend on how many datasets there are."""
    default = settings.APPLICATION_RETENTION_DAYS
    due = Q(
        dataset__application_retention_days__isnull=True,
        updated__lte=now - dt.timedelta(days=default),
    )
    overrides = (
        Dataset.objects.filter(application_retention_days__isnull=False)
        .values_list("application_retention_days", flat=True)
        .distinct()
    )
    for days in overrides:
        if days is None:  # excluded by the filter; for the type checker
            continue
        due |= Q(
            dataset__application_retention_days=days,
            updated__lte=now - dt.timedelta(days=days),
        )
    return due


def purgeable_applications(*, now: dt.datetime):
    """Applications the retention step deletes at ``now`` (never one that became a licence)."""
    return Application.objects.filter(state__in=PURGEABLE, licence__isnull=True).filter(_due(now))


def _stored_names(agreements: list[SignedAgreement]) -> list[str]:
    names: list[str] = []
    for agreement in agreements:
        names.append(agreement.storage_name)
        names.extend(agreement.page_storage_names or [])
    return names


def _still_used(names: list[str], application: Application) -> set[str]:
    """Stored names another application's agreement also uses (storage is content-addressed,
    so the same bytes are stored once): those stay."""
    others = SignedAgreement.objects.exclude(application=application).filter(
        storage_name__in=[n for n in names if n.endswith(".pdf")]
    )
    kept: set[str] = set()
    for agreement in others:
        kept.update(_stored_names([agreement]))
    return kept


def _delete_files(names: list[str]) -> None:
    storage = protected_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the rows are gone; a file left behind is logged for the operator
            logger.exception("application retention: could not delete %s", name)


def application_purge(*, application: Application, now: dt.datetime) -> bool:
    """Delete one application past its retention period, with its answers, history and
    uploaded agreements (the files after the transaction commits), and audit it. Returns
    False when another run has it, or it is no longer due (changed, approved, or gone)."""
    with transaction.atomic():
        locked = (
            purgeable_applications(now=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("dataset")
            .filter(pk=application.pk)
            .first()
        )
        if locked is None:
            return False
        agreements = list(locked.signed_agreements.order_by("pk"))
        names = _stored_names(agreements)
        kept = _still_used(names, locked)
        doomed = [n for n in dict.fromkeys(names) if n not in kept]
        audit_record(
            event_type="agreements:application:purge",
            actor=None,
            target=locked,
            custodian_id=locked.dataset.custodian_id,
            dataset_id=locked.dataset_id,
            details={
                "reference": locked.reference,
                "state": locked.state,
                "last_changed": locked.updated.isoformat(),
                "retention_days": retention_days(locked.dataset),
                "agreements": [a.sha256 for a in agreements],
                "files_deleted": len(doomed),
            },
        )
        locked.delete()  # cascades to its agreements' rows and its transitions
        transaction.on_commit(lambda: _delete_files(doomed))
    return True


def step_application_retention(*, now: dt.datetime) -> int:
    """The scheduler's step: delete every application past its retention period."""
    due = purgeable_applications(now=now).order_by("pk").values_list("pk", flat=True)
    return sum(1 for pk in due if application_purge(application=Application(pk=pk), now=now))
