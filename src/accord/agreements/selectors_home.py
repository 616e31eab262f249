"""Reads for a person's home page ("My applications"): what is waiting for them, whatever
their role in a licence (applicant, member, signer). A constant number of queries."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet

from accord.accounts.models import User
from accord.licences.models import DeletionAttestation

from .models import Application


def signer_requests_for(user: User) -> QuerySet[Application]:
    """Submitted applications naming one of the user's verified addresses as the signer and
    not confirmed yet: what a professor is asked to do."""
    verified = EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=OuterRef("signer_email")
    )
    return (
        Application.objects.filter(
            Exists(verified),
            state=Application.State.SUBMITTED,
            signer_confirmed_at__isnull=True,
        )
        .exclude(signer_email="")
        .exclude(applicant=user)
        .select_related("dataset", "applicant")
        .order_by("submitted_at", "pk")
    )


def attestations_owed_by(user: User) -> QuerySet[DeletionAttestation]:
    return (
        DeletionAttestation.objects.filter(user=user, attested_at__isnull=True)
        .select_related("licence", "licence__dataset")
        .order_by("due_at", "pk")
    )


def has_journey(user: User) -> bool:
    """Whether ``user`` has applied, signs, holds or is asked anything: then their home is
    "My applications", not the catalogue."""
    from accord.access import policy
    from accord.licences.selectors import memberships_of

    return (
        policy.applications_of(user).exists()
        or policy.licences_signed_by(user).exists()
        or memberships_of(user).exists()
        or signer_requests_for(user).exists()
    )
