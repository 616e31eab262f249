"""Reads for applications, and the fetch-and-authorize helpers: each returns the object or
raises Http404, both for "does not exist" and "not yours", so nobody can probe another
custodian's applications. Licences are read through accord.licences.selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accord.access import policy
from accord.accounts.models import User
from accord.catalog.models import Dataset
from accord.core import clock
from accord.core.permissions import Permission, custodian_ids_with

from .models import Application, ApplicationTransition, SignedAgreement

AGE_FILTERS = {"": None, "2": 2, "7": 7, "30": 30}  # "waiting longer than N days"
OVERDUE = "overdue"  # the age filter "waiting longer than REVIEW_OVERDUE_DAYS"


def age_filter_days(age: str) -> int | None:
    if age == OVERDUE:
        return settings.REVIEW_OVERDUE_DAYS
    return AGE_FILTERS.get(age)


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


def with_completeness(qs: QuerySet[Application]) -> QuerySet[Application]:
    """``qs`` with what ``content.missing_items`` reads (the dataset's rules, questions,
    member fields and variants; the terms' clauses) prefetched: a page of drafts costs the
    same number of queries however many drafts it holds."""
    return qs.prefetch_related(
        "dataset__application_rules__fields",
        "dataset__application_rules__member_fields",
        "dataset__variants",
        "license_version__clauses",
    )


def applications_of(user: User) -> QuerySet[Application]:
    """Applications the user made or was named signer of (and confirmed)."""
    return _with_relations(policy.applications_of(user)).order_by("-created", "-pk")


def application_for_user(
    user: User, reference: str, *, applicant_only: bool = False
) -> Application:
    mine = policy.applications_of(user, applicant_only=applicant_only)
    application = _with_relations(mine.filter(reference=reference)).first()
    if application is None:
        raise Http404("No such application.")
    return application


def application_for_named_signer(user: User, reference: str) -> Application:
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


def review_queue(
    user,
    *,
    dataset: str = "",
    state: str = Application.State.SUBMITTED,
    older_than_days: int | None = None,
) -> QuerySet[Application]:
    qs = policy.applications_visible_to(user)
    if dataset:
        qs = qs.filter(dataset__slug=dataset)
    if state:
        qs = qs.filter(state=state)
    if older_than_days:
        cutoff = timezone.now() - timedelta(days=older_than_days)
        qs = qs.filter(submitted_at__lte=cutoff)
    return _with_relations(qs).order_by("submitted_at", "created", "pk")


@dataclass(frozen=True)
class QueueSummary:
    waiting: int  # submitted, waiting for a decision
    overdue: int  # of those, waiting longer than overdue_days
    overdue_days: int


def review_queue_summary(user) -> QueueSummary:
    """What waits for ``user``'s decision and how much of it is overdue (submitted more than
    REVIEW_OVERDUE_DAYS ago), over every dataset they may review, whatever the filters."""
    days = settings.REVIEW_OVERDUE_DAYS
    cutoff = clock.now() - timedelta(days=days)
    counts = (
        policy.applications_visible_to(user)
        .filter(state=Application.State.SUBMITTED)
        .aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(submitted_at__lte=cutoff)))
    )
    return QueueSummary(waiting=counts["waiting"], overdue=counts["overdue"], overdue_days=days)


def datasets_with(user: User, permission: Permission) -> QuerySet[Dataset]:
    """The datasets of the custodians where the user holds ``permission`` (all of them for
    staff whose permission is not limited to some custodians), by name."""
    ids = custodian_ids_with(user, permission)
    qs = Dataset.objects.select_related("custodian").order_by("name")
    return qs if ids is None else qs.filter(custodian_id__in=ids)


def reviewable_datasets(user: User) -> QuerySet[Dataset]:
    return datasets_with(user, Permission.AGREEMENTS_APPLICATION_VIEW)


def application_for_staff(user: User, reference: str, permission: Permission) -> Application:
    application = (
        _with_relations(policy.applications_visible_to(user, permission))
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise Http404("No such application.")
    return application


def history(application: Application) -> QuerySet[ApplicationTransition]:
    return application.transitions.select_related("actor").order_by("created", "pk")
