"""Reads for licences and their members, and the fetch-and-authorize helpers: each returns the
licence or raises Http404, both for "does not exist" and "not yours", so nobody can probe
another custodian's (or another signer's) licences."""

from __future__ import annotations

from django.db.models import Case, CharField, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from accord.access import policy
from accord.access.models import Entitlement
from accord.accounts.models import User
from accord.accounts.selectors import verified_emails
from accord.agreements.selectors import datasets_with
from accord.audit.models import Event
from accord.catalog.models import Dataset
from accord.core import clock
from accord.core.permissions import Permission

from .models import DeletionAttestation, Licence, LicenceMember, TermsChange


def with_lifecycle(qs: QuerySet[Licence]) -> QuerySet[Licence]:
    """Annotate what comes after access, in the same query: the change of terms waiting for an
    answer (``pending_terms_version``, ``pending_terms_effective``, ``pending_terms_status``:
    pending, or lapsed and suspended until accepted) and the renewal state
    (``renewal_state``: none, not_yet, open, closed, as ``expiry.renewal_state`` says)."""
    from .expiry import RENEW_BEFORE, RENEWAL_GRACE

    open_change = TermsChange.objects.filter(
        licence=OuterRef("pk"),
        status__in=(TermsChange.Status.PENDING, TermsChange.Status.LAPSED),
    ).order_by("-license_version__version")
    now = clock.now()
    return qs.annotate(
        pending_terms_version=Subquery(open_change.values("license_version__version")[:1]),
        pending_terms_effective=Subquery(open_change.values("license_version__effective_date")[:1]),
        pending_terms_status=Subquery(open_change.values("status")[:1]),
        renewal_state=Case(
            When(expires_at__isnull=True, then=Value("none")),
            When(
                status=Licence.Status.ACTIVE,
                expires_at__lte=now + RENEW_BEFORE,
                then=Value("open"),
            ),
            When(status=Licence.Status.ACTIVE, then=Value("not_yet")),
            When(
                status=Licence.Status.EXPIRED,
                expires_at__gt=now - RENEWAL_GRACE,
                then=Value("open"),
            ),
            default=Value("closed"),
            output_field=CharField(),
        ),
    )


def licences_signed_by(user: User) -> QuerySet[Licence]:
    return with_lifecycle(
        policy.licences_signed_by(user)
        .select_related("dataset", "license_version", "signer")
        .prefetch_related("variants", "members")
        .order_by("-granted_at", "-pk")
    )


def licence_for_signer(user: User, reference: str) -> Licence:
    licence = licences_signed_by(user).filter(reference=reference).first()
    if licence is None:
        raise Http404("No such licence.")
    return licence


def memberships_of(user: User) -> QuerySet[LicenceMember]:
    """Invitations sent to any of the user's verified addresses, and their memberships."""
    return (
        LicenceMember.objects.filter(Q(email__in=verified_emails(user)) | Q(user=user))
        .select_related("licence", "licence__dataset", "licence__signer")
        .order_by("-created", "-pk")
    )


def pending_invitations_of(user: User) -> list[LicenceMember]:
    """Invitations the user has still to accept, on licences still in force: what stands
    between an approved application and the data."""
    return [
        m
        for m in memberships_of(user).filter(
            status=LicenceMember.Status.INVITED, licence__status=Licence.Status.ACTIVE
        )
        if m.licence.is_in_force()
    ]


def membership_for(user: User, member_id: int) -> LicenceMember:
    member = memberships_of(user).filter(pk=member_id).first()
    if member is None:
        raise Http404("No such invitation.")
    return member


# --- Custodian staff: the licence register ------------------------------------------------


def _active_member_count():
    active = (
        LicenceMember.objects.filter(licence=OuterRef("pk"), status=LicenceMember.Status.ACTIVE)
        .order_by()
        .values("licence")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active), 0)


LICENCE_PAGE_SIZE = 50


def licence_register(
    user, *, dataset: str = "", status: str = "", search: str = ""
) -> QuerySet[Licence]:
    """The licences of the user's custodians, newest first, with what the register shows
    (variants, signer, terms, the signer's details from the application, active members)
    fetched in a constant number of queries."""
    qs = policy.licences_visible_to(user)
    if dataset:
        qs = qs.filter(dataset__slug=dataset)
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        member_of = LicenceMember.objects.filter(email__icontains=search).values("licence_id")
        qs = qs.filter(
            Q(signer__email__icontains=search)
            | Q(signer__full_name__icontains=search)
            | Q(application__signer_name__icontains=search)
            | Q(reference__icontains=search)
            | Q(pk__in=member_of)
        )
    return with_lifecycle(
        qs.select_related(
            "dataset", "dataset__custodian", "license_version", "signer", "application"
        )
        .prefetch_related("variants")
        # A correlated subquery, not Count(): the paginator's COUNT(*) leaves it out and the
        # page's SELECT counts the members of the page's licences only.
        .annotate(active_member_count=_active_member_count())
        .order_by("-granted_at", "-pk")
    )


def licence_datasets(user: User) -> QuerySet[Dataset]:
    return datasets_with(user, Permission.AGREEMENTS_LICENCE_VIEW)


def licence_for_staff(user: User, reference: str, permission: Permission) -> Licence:
    """A licence of one of the user's custodians where they hold ``permission``; 404 for
    everything else, so another custodian's references cannot be probed."""
    licence = with_lifecycle(
        policy.licences_visible_to(user, permission)
        .filter(reference=reference)
        .select_related("dataset", "dataset__custodian", "license_version", "signer", "application")
        .prefetch_related("variants")
    ).first()
    if licence is None:
        raise Http404("No such licence.")
    return licence


def licence_members_for_staff(licence: Licence) -> QuerySet[LicenceMember]:
    return licence.members.select_related("user", "accepted_license_version").order_by(
        "status", "full_name", "pk"
    )


def licence_entitlements(licence: Licence):
    return (
        Entitlement.objects.filter(licence=licence)
        .select_related("user", "variant", "license_version")
        .order_by("revoked_at", "user__email", "variant__slug", "-valid_from")
    )


def licence_audit_history(licence: Licence, *, limit: int = 200):
    """The licence's own events (grant, members, suspensions, entitlement syncs, downloads),
    newest first; the audit trail page, filtered by the reference, has the rest."""
    return (
        Event.objects.filter(licence_id=licence.pk)
        .select_related("actor")
        .prefetch_related("personal")
        .order_by("-seq")[:limit]
    )


# --- Close-out and terms changes -------------------------------------------------------------


def attestations_of(user: User) -> QuerySet[DeletionAttestation]:
    """Deletion attestations ``user`` is asked for, outstanding first."""
    if not getattr(user, "is_authenticated", False):
        return DeletionAttestation.objects.none()
    return (
        DeletionAttestation.objects.filter(user=user)
        .select_related("licence", "licence__dataset", "licence__dataset__custodian")
        .prefetch_related("files")
        .order_by("-attested_at", "due_at", "pk")
    )


def attestation_for(user: User, pk: int) -> DeletionAttestation:
    """``user``'s own attestation; 404 for anyone else's."""
    attestation = attestations_of(user).filter(pk=pk).first()
    if attestation is None:
        raise Http404("No such deletion attestation.")
    return attestation


def licence_attestations(licence: Licence) -> QuerySet[DeletionAttestation]:
    return (
        licence.deletion_attestations.select_related("user")
        .prefetch_related("files")
        .order_by("attested_at", "due_at", "pk")
    )


def open_terms_change(licence: Licence) -> TermsChange | None:
    """The change of terms the licence still has to answer (the newest, if several)."""
    return (
        licence.terms_changes.filter(
            status__in=(TermsChange.Status.PENDING, TermsChange.Status.LAPSED)
        )
        .select_related("license_version", "previous_version")
        .order_by("-license_version__version")
        .first()
    )
