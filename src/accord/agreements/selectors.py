"""Reads for applications and licences, and the fetch-and-authorize helpers: each returns the
object or raises Http404, both for "does not exist" and "not yours", so nobody can probe
another custodian's applications."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accord.catalog.models import Dataset
from accord.core.permissions import Permission, custodian_ids_with

from .models import Application, ApplicationTransition, Licence, LicenceMember, SignedAgreement

AGE_FILTERS = {"": None, "2": 2, "7": 7, "30": 30}  # "waiting longer than N days"
REVIEW_PAGE_SIZE = 50


def _with_relations(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related(
        "dataset", "dataset__custodian", "license_version", "applicant", "signer_user", "licence"
    ).prefetch_related(
        "variants",
        Prefetch(
            "transitions",
            queryset=ApplicationTransition.objects.select_related("actor").order_by(
                "created", "pk"
            ),
        ),
        Prefetch(
            "signed_agreements",
            queryset=SignedAgreement.objects.filter(is_current=True),
            to_attr="current_agreements",
        ),
    )


def applications_of(user) -> QuerySet[Application]:
    """Applications the user made or was named signer of (and confirmed)."""
    return _with_relations(
        Application.objects.filter(Q(applicant=user) | Q(signer_user=user))
    ).order_by("-created")


def application_for_user(user, reference: str, *, applicant_only: bool = False) -> Application:
    rule = Q(applicant=user) if applicant_only else Q(applicant=user) | Q(signer_user=user)
    application = _with_relations(Application.objects.filter(rule, reference=reference)).first()
    if application is None:
        raise Http404("No such application.")
    return application


def application_for_named_signer(user, reference: str) -> Application:
    """The application naming ``user`` as its signer (one of their verified addresses is the
    signer's email), confirmed or not: for showing them what was uploaded under their name.
    404 for anyone else."""
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=OuterRef("signer_email")
    )
    qs = Application.objects.filter(Exists(verified), reference=reference).exclude(signer_email="")
    application = _with_relations(qs).first()
    if application is None:
        raise Http404("No such application.")
    return application


def _staff_scope(user, permission: Permission) -> Q:
    ids = custodian_ids_with(user, permission)
    return Q() if ids is None else Q(dataset__custodian_id__in=ids)


def review_queue(
    user,
    *,
    dataset: str = "",
    state: str = Application.State.SUBMITTED,
    older_than_days: int | None = None,
) -> QuerySet[Application]:
    qs = Application.objects.filter(_staff_scope(user, Permission.AGREEMENTS_APPLICATION_VIEW))
    if dataset:
        qs = qs.filter(dataset__slug=dataset)
    # Staff never see drafts: an application is theirs to read once it is sent.
    qs = qs.filter(state=state) if state else qs.exclude(state=Application.State.DRAFT)
    if older_than_days:
        cutoff = timezone.now() - timedelta(days=older_than_days)
        qs = qs.filter(submitted_at__lte=cutoff)
    return _with_relations(qs).order_by("submitted_at", "created")


def datasets_with(user, permission: Permission) -> QuerySet[Dataset]:
    """The datasets of the custodians where the user holds ``permission`` (all of them for
    staff whose permission is not limited to some custodians), by name."""
    ids = custodian_ids_with(user, permission)
    qs = Dataset.objects.select_related("custodian").order_by("name")
    return qs if ids is None else qs.filter(custodian_id__in=ids)


def reviewable_datasets(user) -> QuerySet[Dataset]:
    return datasets_with(user, Permission.AGREEMENTS_APPLICATION_VIEW)


def application_for_staff(user, reference: str, permission: Permission) -> Application:
    application = (
        _with_relations(Application.objects.filter(_staff_scope(user, permission)))
        .exclude(state=Application.State.DRAFT)
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise Http404("No such application.")
    return application


def history(application: Application) -> QuerySet[ApplicationTransition]:
    return application.transitions.select_related("actor").order_by("created", "pk")


def licences_signed_by(user) -> QuerySet[Licence]:
    return (
        Licence.objects.filter(signer=user)
        .select_related("dataset", "license_version")
        .prefetch_related("variants", "members")
        .order_by("-granted_at")
    )


def licence_for_signer(user, reference: str) -> Licence:
    licence = licences_signed_by(user).filter(reference=reference).first()
    if licence is None:
        raise Http404("No such licence.")
    return licence


def memberships_of(user) -> QuerySet[LicenceMember]:
    """Invitations sent to any of the user's verified addresses, and their memberships."""
    from accord.accounts.selectors import verified_emails

    return (
        LicenceMember.objects.filter(Q(email__in=verified_emails(user)) | Q(user=user))
        .select_related("licence", "licence__dataset", "licence__signer")
        .order_by("-created")
    )


def membership_for(user, member_id: int) -> LicenceMember:
    member = memberships_of(user).filter(pk=member_id).first()
    if member is None:
        raise Http404("No such invitation.")
    return member


# --- Custodian staff: the licence register ------------------------------------------------

LICENCE_PAGE_SIZE = 50


def licence_register(
    user, *, dataset: str = "", status: str = "", search: str = ""
) -> QuerySet[Licence]:
    """The licences of the user's custodians, newest first, with what the register shows
    (variants, signer, terms, the signer's details from the application, active members)
    fetched in a constant number of queries."""
    qs = Licence.objects.filter(_staff_scope(user, Permission.AGREEMENTS_LICENCE_VIEW))
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
    return (
        qs.select_related(
            "dataset", "dataset__custodian", "license_version", "signer", "application"
        )
        .prefetch_related("variants")
        .annotate(
            active_member_count=Count(
                "members", filter=Q(members__status=LicenceMember.Status.ACTIVE), distinct=True
            )
        )
        .order_by("-granted_at", "-pk")
    )


def licence_datasets(user) -> QuerySet[Dataset]:
    return datasets_with(user, Permission.AGREEMENTS_LICENCE_VIEW)


def licence_for_staff(user, reference: str, permission: Permission) -> Licence:
    """A licence of one of the user's custodians where they hold ``permission``; 404 for
    everything else, so another custodian's references cannot be probed."""
    licence = (
        Licence.objects.filter(_staff_scope(user, permission), reference=reference)
        .select_related("dataset", "dataset__custodian", "license_version", "signer", "application")
        .prefetch_related("variants")
        .first()
    )
    if licence is None:
        raise Http404("No such licence.")
    return licence


def licence_members_for_staff(licence: Licence) -> QuerySet[LicenceMember]:
    return licence.members.select_related("user", "accepted_license_version").order_by(
        "status", "full_name", "pk"
    )


def licence_entitlements(licence: Licence):
    from accord.access.models import Entitlement

    return (
        Entitlement.objects.filter(licence=licence)
        .select_related("user", "variant", "license_version")
        .order_by("revoked_at", "user__email", "variant__slug", "-valid_from")
    )


def licence_audit_history(licence: Licence, *, limit: int = 200):
    """The licence's own events (grant, members, suspensions, entitlement syncs, downloads),
    newest first; the audit trail page, filtered by the reference, has the rest."""
    from accord.audit.models import Event

    return (
        Event.objects.filter(licence_id=licence.pk)
        .select_related("actor")
        .prefetch_related("personal")
        .order_by("-seq")[:limit]
    )
