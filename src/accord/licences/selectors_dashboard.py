"""Reads for the custodian staff overview: what is waiting on someone, for the custodians whose
licences the user may see. Each section is one query however many rows (plus its count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from accord.access import policy
from accord.accounts.models import User
from accord.agreements.models import Application
from accord.core.permissions import Permission

from .models import DeletionAttestation, Licence, TermsChange

SECTION_LIMIT = 50
EXPIRY_WINDOW = dt.timedelta(days=30)
T = TypeVar("T", bound=Model)


def waiting_applications(user: User) -> QuerySet[Application]:
    """Submitted applications waiting for a decision, the longest-waiting first."""
    return (
        policy.applications_visible_to(user)
        .filter(state=Application.State.SUBMITTED)
        .select_related("dataset", "applicant")
        .order_by("submitted_at", "pk")
    )


def unconfirmed_signers(user: User, *, submitted_before: dt.datetime) -> QuerySet[Application]:
    """Submitted applications whose signer has not confirmed since before ``submitted_before``."""
    return (
        waiting_applications(user)
        .filter(signer_confirmed_at__isnull=True, submitted_at__lte=submitted_before)
        .select_related(None)
        .select_related("dataset")
    )


def resendable(user: User, applications: list[Application]) -> set[int]:
    """Which of ``applications`` the user may send the signer a new link for."""
    return set(
        policy.applications_visible_to(user, Permission.AGREEMENTS_APPLICATION_REVIEW)
        .filter(pk__in=[a.pk for a in applications])
        .values_list("pk", flat=True)
    )


def expiring_licences(user: User, *, now: dt.datetime) -> QuerySet[Licence]:
    """Licences in force that end within the next 30 days, the soonest first."""
    return (
        policy.licences_visible_to(user)
        .filter(
            status=Licence.Status.ACTIVE, expires_at__gt=now, expires_at__lte=now + EXPIRY_WINDOW
        )
        .select_related("dataset", "signer")
        .order_by("expires_at", "pk")
    )


def pending_terms_changes(user: User) -> QuerySet[TermsChange]:
    """New terms a licence has not yet accepted (waiting, or lapsed into a suspension)."""
    return (
        TermsChange.objects.filter(
            status__in=(TermsChange.Status.PENDING, TermsChange.Status.LAPSED),
            licence__in=policy.licences_visible_to(user).values("pk"),
        )
        .select_related("licence", "licence__dataset", "licence__signer", "license_version")
        .order_by("license_version__effective_date", "pk")
    )


def outstanding_attestations(user: User) -> QuerySet[DeletionAttestation]:
    """Deletion confirmations still owed, the earliest due first."""
    return (
        DeletionAttestation.objects.filter(
            attested_at__isnull=True,
            licence__in=policy.licences_visible_to(user).values("pk"),
        )
        .select_related("licence", "licence__dataset", "user")
        .order_by("due_at", "pk")
    )


@dataclass(frozen=True)
class Section(Generic[T]):
    rows: list[T]
    more: bool  # there are more than SECTION_LIMIT rows; the page shows the first ones


def section(qs: QuerySet[T]) -> Section[T]:
    """The first rows of a section, and whether there are more: one query either way."""
    rows = list(qs[: SECTION_LIMIT + 1])
    return Section(rows=rows[:SECTION_LIMIT], more=len(rows) > SECTION_LIMIT)
