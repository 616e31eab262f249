"""Reads for applications and licences, and the fetch-and-authorize helpers: each returns the
object or raises Http404, both for "does not exist" and "not yours", so nobody can probe
another custodian's applications."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accord.catalog.models import Dataset
from accord.core.permissions import Permission, custodian_ids_with

from .models import Application, ApplicationTransition, Licence, LicenceMember, SignedAgreement

AGE_FILTERS = {"": None, "2": 2, "7": 7, "30": 30}  # "waiting longer than N days"


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


def reviewable_datasets(user) -> QuerySet[Dataset]:
    ids = custodian_ids_with(user, Permission.AGREEMENTS_APPLICATION_VIEW)
    qs = Dataset.objects.select_related("custodian").order_by("name")
    return qs if ids is None else qs.filter(custodian_id__in=ids)


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
    from allauth.account.models import EmailAddress

    emails = EmailAddress.objects.filter(user=user, verified=True).values("email")
    return (
        LicenceMember.objects.filter(Q(email__in=emails) | Q(user=user))
        .select_related("licence", "licence__dataset", "licence__signer")
        .order_by("-created")
    )


def membership_for(user, member_id: int) -> LicenceMember:
    member = memberships_of(user).filter(pk=member_id).first()
    if member is None:
        raise Http404("No such invitation.")
    return member
