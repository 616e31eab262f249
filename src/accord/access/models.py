"""Entitlements: who may get which variant, under which licence and terms, from when to when.

Rows are written only by accord.access.services (kept in sync with the licence); whether one
may be used *now* is decided by accord.access.policy, which re-checks the licence and the
membership at use time, so a removal or revocation bites before any sync has run.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.core.models import TimeStampedModel


class Entitlement(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entitlements"
    )
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.PROTECT, related_name="entitlements"
    )
    licence = models.ForeignKey(
        "licences.Licence", on_delete=models.PROTECT, related_name="entitlements"
    )
    license_version = models.ForeignKey(
        "catalog.LicenseVersion", on_delete=models.PROTECT, related_name="entitlements"
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(
        null=True, blank=True, help_text="End of access (the licence's expiry); empty: open."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            # History is kept: a re-granted entitlement is a new row, so only one may be open.
            models.UniqueConstraint(
                fields=["licence", "user", "variant"],
                condition=Q(revoked_at__isnull=True),
                name="uniq_open_entitlement",
            )
        ]
        indexes = [
            # A person's entitlement to one variant (every download page and link): with the
            # user's index alone, each of the person's entitlements was checked.
            models.Index(fields=["user", "variant"], name="entitlement_user_variant")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.variant} ({self.licence.reference})"

    @property
    def is_open(self) -> bool:
        """Not revoked and inside its validity window (the licence is checked by policy)."""
        now = timezone.now()
        if self.revoked_at is not None or self.valid_from > now:
            return False
        return self.valid_until is None or self.valid_until > now
