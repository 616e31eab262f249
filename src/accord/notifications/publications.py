"""Emails about registered papers: the custodian's staff who review papers hear of each new
one, with the check's verdict. Queued for after the commit of the registration."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accord.catalog.models import CustodianStaff
from accord.core.permissions import ROLE_PERMISSIONS, Permission
from accord.notifications.email import notify_on_commit


def _reviewers(custodian_id: int) -> list[str]:
    """Addresses of the custodian's staff whose role may review papers."""
    roles = [
        role
        for role, permissions in ROLE_PERMISSIONS.items()
        if Permission.PUBLICATIONS_PAPER_REVIEW in permissions
    ]
    return list(
        CustodianStaff.objects.filter(
            custodian_id=custodian_id, role__in=roles, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def paper_registered(publication) -> None:
    dataset = publication.dataset
    to = _reviewers(dataset.custodian_id) or [dataset.custodian.contact_email]
    notify_on_commit(
        to=to,
        template="publications/paper_registered",
        context={
            "publication": publication,
            "dataset": dataset,
            "reasons": publication.verdict.get("reasons", []),
            "paper_url": settings.SITE_URL
            + reverse("publications:staff_detail", args=[publication.pk]),
        },
    )
