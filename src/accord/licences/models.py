"""Licences (what an approved application becomes) and their members. Every write goes through
accord.licences.services; the staff transitions between a licence's states are the table in
accord.licences.states."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Dataset, LicenseVersion, Variant
from accord.core import clock
from accord.core.models import TimeStampedModel


class Licence(TimeStampedModel):
    """What an approved application becomes: a signer's right, for their group, to some
    variants of a dataset under one LicenseVersion."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        VOID = "void", _("Void (terms refused)")
        EXPIRED = "expired", _("Expired")
        CLOSED = "closed", _("Closed by the signer")

    reference = models.CharField(max_length=32, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="licences")
    license_version = models.ForeignKey(
        LicenseVersion, on_delete=models.PROTECT, related_name="licences"
    )
    variants = models.ManyToManyField(Variant, related_name="licences")
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signed_licences"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    application = models.OneToOneField(
        "agreements.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence",
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        # The tables keep the names they had when licences lived in the agreements app, so an
        # existing installation moved here without copying a row.
        db_table = "agreements_licence"
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.dataset})"

    def is_in_force(self, now=None) -> bool:
        now = now or clock.now()
        if self.status != self.Status.ACTIVE:
            return False
        return self.expires_at is None or self.expires_at > now

    def active_members(self) -> models.QuerySet:
        """Users who may use this licence now: accord.access.policy.licence_holders (the one
        rule; imported here because the policy module imports this one)."""
        from accord.access.policy import licence_holders

        return licence_holders(self)


class LicenceMember(TimeStampedModel):
    """A person in the signer's group. Invited by email; active once they have verified the
    address and accepted the terms; a removal takes effect at once."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        REMOVED = "removed", _("Removed")

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_memberships",
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    extra = models.JSONField(
        default=dict, blank=True, help_text="Dataset-specific member fields (e.g. registration ID)."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.INVITED, db_index=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_license_version = models.ForeignKey(
        LicenseVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "agreements_licencemember"
        ordering = ["licence", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "email"], name="uniq_licence_member_email")
        ]
        indexes = [
            # A person's invitations by address (memberships_of): without it, every member
            # of every licence was read to find them.
            models.Index(fields=["email"], name="licence_member_email"),
            # Does this person hold this licence (access.policy._holds, asked for each of a
            # person's entitlements): with the user's index alone SQLite read all of a
            # person's memberships for each of their entitlements.
            models.Index(fields=["licence", "user", "status"], name="licence_member_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}> on {self.licence.reference}"


class TermsChange(TimeStampedModel):
    """A licence's answer to a new version of its dataset's terms: pending from the moment
    the version is published until the signer accepts or opts out (or the effective date
    passes without either, when the dataset's ``terms_no_action`` applies)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the signer")
        ACCEPTED = "accepted", _("Accepted")
        OPTED_OUT = "opted_out", _("Opted out")
        LAPSED = "lapsed", _("Not accepted by the effective date")

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="terms_changes")
    license_version = models.ForeignKey(
        LicenseVersion, on_delete=models.PROTECT, related_name="terms_changes"
    )
    previous_version = models.ForeignKey(LicenseVersion, on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "license_version"], name="uniq_terms_change_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence.reference} → v{self.license_version.version} ({self.status})"

    @property
    def is_open(self) -> bool:
        """The signer may still accept: pending, or lapsed into a suspension."""
        return self.status in (self.Status.PENDING, self.Status.LAPSED)


class DeletionAttestation(TimeStampedModel):
    """Who must confirm deleting what, by when: one per person (the signer, and members who
    downloaded when the dataset asks them too) each time a licence ends or data must go."""

    class Reason(models.TextChoices):
        OPT_OUT = "opt_out", _("Opted out of new terms")
        EXPIRED = "expired", _("Licence expired")
        VOID = "void", _("Licence void")
        REVOKED = "revoked", _("Licence revoked")
        WITHDRAWAL = "withdrawal", _("Consent withdrawn")
        CLOSED = "closed", _("Licence closed by its signer")

    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, related_name="deletion_attestations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deletion_attestations"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    files = models.ManyToManyField("catalog.DataFile", blank=True, related_name="+")
    due_at = models.DateTimeField()
    attested_at = models.DateTimeField(null=True, blank=True)
    statement = models.TextField(blank=True)
    reminded_count = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # Asking twice for the same close-out (a double click, a rerun) asks once.
            # A withdrawal of consent may come more than once (one per subject).
            models.UniqueConstraint(
                fields=["licence", "user", "reason"],
                condition=~models.Q(reason="withdrawal"),
                name="uniq_deletion_attestation",
            )
        ]

    @property
    def answers_for_the_group(self) -> bool:
        """The signer's attestation covers every file anyone in the group downloaded."""
        return self.user_id == self.licence.signer_id

    def __str__(self) -> str:
        return f"{self.user} for {self.licence.reference} ({self.reason})"
