"""Reads for entitlements (what a person holds and held). Whether one may be USED is
accord.access.policy's decision; this only lists them."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.access import policy
from accord.access.models import Entitlement


def entitlements_of(user) -> tuple[QuerySet[Entitlement], QuerySet[Entitlement]]:
    """(usable now, every other entitlement the user ever held), newest first."""
    related = ("variant", "variant__dataset", "licence", "license_version")
    usable = (
        policy.usable_entitlements(user).select_related(*related).order_by("variant__slug", "pk")
    )
    ended = (
        Entitlement.objects.filter(user_id=user.pk)
        .exclude(pk__in=usable.values("pk"))
        .select_related(*related)
        .order_by("-revoked_at", "-valid_from", "-pk")
    )
    return usable, ended
