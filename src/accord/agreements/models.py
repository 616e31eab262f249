"""Each dataset's application rules (the form's questions and member fields), applications and
their signed agreements. Every write goes through a service (services.py, signed_pdf.py,
intake.py); the application's states and transitions are the table in states.py. Licences live
in accord.licences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accord.catalog.models import Dataset, LicenseVersion, Variant
from accord.core.models import TimeStampedModel


class ApplicationRules(TimeStampedModel):
    """How a custodian wants applications for one dataset made: the form's settings, its extra
    questions and member fields. Whether the signer needs an affiliated email is
    ``Dataset.requires_affiliated_email`` (shared with sign-up). Who may access what is decided
    by accord.access.policy, not here."""

    dataset = models.OneToOneField(
        Dataset, on_delete=models.CASCADE, related_name="application_rules"
    )
    signer_title_required = models.BooleanField(
        default=True,
        help_text="The signer must give a title / fixed position (group leader, professor).",
    )
    signer_role_help = models.CharField(
        max_length=300,
        blank=True,
        # Marked for the catalogues: the form shows this default in the applicant's language.
        default=gettext_noop(
            "A group leader or professor with a fixed position signs for the whole group."
        ),
        help_text="Shown to applicants next to the signer fields.",
    )
    members_allowed = models.BooleanField(default=True)
    stored_filename_rule = models.CharField(
        max_length=200,
        default="{reference} signed agreement.pdf",
        help_text="Name of the stored signed agreement. Placeholders: {signer_name}, "
        "{dataset} (the dataset's short name), {reference}.",
    )
    publications_required = models.BooleanField(
        default=False, help_text="Licensees must send the custodian a copy of every paper."
    )

    class Meta:
        verbose_name_plural = "application rules"

    def __str__(self) -> str:
        return f"Application rules of {self.dataset}"


class MemberField(models.Model):
    """An extra detail the dataset needs about every group member (CASMEMG: registration ID)."""

    policy = models.ForeignKey(
        ApplicationRules, on_delete=models.CASCADE, related_name="member_fields"
    )
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["policy", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "key"], name="uniq_member_field_key")
        ]

    def __str__(self) -> str:
        return self.label


class ApplicationField(models.Model):
    """An extra question on the application form of one dataset."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        EMAIL = "email", _("Email address")
        CHOICE = "choice", _("Choice")
        CHECKBOX = "checkbox", _("Checkbox attestation")

    policy = models.ForeignKey(ApplicationRules, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(blank=True, help_text="For a choice: one option per line.")
    required = models.BooleanField(default=True)
    help_text = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["policy", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "key"], name="uniq_application_field_key")
        ]

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Application(TimeStampedModel):
    """A request for access: who signs, for which variants, under which LicenseVersion (kept
    even when newer terms are published), with which group members."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted, awaiting review")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Origin(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("Email intake by custodian staff")

    class OrganisationType(models.TextChoices):
        UNIVERSITY = "university", _("University")
        RESEARCH_INSTITUTE = "research_institute", _("Public research institute")
        HOSPITAL = "hospital", _("Hospital")
        GOVERNMENT = "government", _("Government")
        COMPANY = "company", _("Company")
        OTHER = "other", _("Other")

    reference = models.CharField(max_length=32, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="applications")
    license_version = models.ForeignKey(
        LicenseVersion, on_delete=models.PROTECT, related_name="applications"
    )
    variants = models.ManyToManyField(Variant, related_name="applications", blank=True)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    origin = models.CharField(max_length=5, choices=Origin.choices, default=Origin.WEB)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant_name = models.CharField(max_length=200, blank=True)
    applicant_email = models.EmailField(blank=True)
    applicant_is_signer = models.BooleanField(default=False)
    signer_name = models.CharField(max_length=200, blank=True)
    signer_title = models.CharField(max_length=200, blank=True)
    signer_affiliation = models.CharField(max_length=300, blank=True)
    signer_email = models.EmailField(blank=True)
    signer_address = models.TextField(blank=True)
    organisation_type = models.CharField(
        max_length=20, choices=OrganisationType.choices, blank=True
    )
    purpose = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    attested_clauses = models.JSONField(default=list, blank=True)
    members = models.JSONField(
        default=list, blank=True, help_text="[{full_name, email, extra: {key: value}}]"
    )
    # Signer confirmation: only the hash of the emailed token is kept.
    signer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications_signed",
    )
    signer_confirmed_at = models.DateTimeField(null=True, blank=True)
    signer_confirmed_email = models.EmailField(blank=True)
    signer_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    signer_token_expires_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_comment = models.TextField(blank=True, help_text="Reason or comment of the last review.")
    intake = models.JSONField(
        default=dict, blank=True, help_text="For email intake: sender, subject, file name."
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.dataset})"

    @property
    def signer_confirmed(self) -> bool:
        return (
            self.signer_confirmed_at is not None
            and self.signer_confirmed_email.lower() == self.signer_email.lower()
        )

    def current_agreement(self) -> SignedAgreement | None:
        return self.signed_agreements.filter(is_current=True).first()

    def notify_addresses(self) -> tuple[list[str], list[str]]:
        """(to, cc) for a message about this application: the applicant, the signer copied."""
        to = [self.applicant_email or (self.applicant.email if self.applicant else "")]
        return [a for a in to if a], [self.signer_email] if self.signer_email else []


class SignedAgreement(TimeStampedModel):
    """One uploaded signed scan. Stored content-addressed in the protected storage; the
    custodian's naming rule gives ``display_name``. Older uploads stay for the history."""

    class QrStatus(models.TextChoices):
        MATCH = "match", _("Reference QR code matches")
        ABSENT = "absent", _("No QR code found")
        UNREADABLE = "unreadable", _("QR code unreadable")

    class ScanStatus(models.TextChoices):
        CLEAN = "clean", _("Scanned for malware: no threat found")
        NOT_SCANNED = "not-scanned", _("Not scanned for malware")

    class VersionStatus(models.TextChoices):
        MATCH = "match", _("Agreement version matches the application as uploaded")
        UNVERIFIED = "unverified", _("Agreement version unverified")
        NOT_READ = "not-read", _("Agreement version not read")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="signed_agreements"
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    pages = models.PositiveIntegerField()
    pdf_version = models.CharField(max_length=10, blank=True)
    storage_name = models.CharField(max_length=300)
    page_storage_names = models.JSONField(default=list)
    display_name = models.CharField(max_length=255)
    qr_status = models.CharField(max_length=10, choices=QrStatus.choices)
    qr_found = models.CharField(max_length=200, blank=True)
    # Blank for scans uploaded before agreement versions were printed and checked.
    version_status = models.CharField(
        max_length=10,
        choices=VersionStatus.choices,
        blank=True,
        help_text="The content version in the scan's QR code compared with the application's "
        "content at upload (a different version is refused, so it is never stored).",
    )
    # An infected file, or one a configured scanner could not scan, is refused, so never stored.
    scan_status = models.CharField(
        max_length=12,
        choices=ScanStatus.choices,
        default=ScanStatus.NOT_SCANNED,
        help_text="The malware scan at upload: not-scanned when no scanner was configured "
        "(ACCORD_CLAMD_ADDRESS) or the file was uploaded before agreements were scanned.",
    )
    scan_detail = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    content_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Fingerprint of the application's content when this scan was uploaded; a "
        "later change to the content makes the scan stale (see content.content_fingerprint).",
    )
    signing_findings = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the intake read about the signing (see pdf.signatures): 'regions', "
        "the ink found where the signer signs, dates and ticks; 'digital_signatures', PAdES "
        "signatures as validated; 'generated_text', the file is the generated agreement "
        "itself rather than a scan. Empty for uploads from before these checks.",
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def regions(self) -> list[dict]:
        return self.signing_findings.get("regions", [])

    @property
    def digital_signatures(self) -> list[dict]:
        return self.signing_findings.get("digital_signatures", [])

    @property
    def signature_evidence(self) -> str:
        """``digital`` (a valid digital signature, trusted or not), ``ink`` (ink where the
        signer signs), ``none`` (the signature place was found and is empty), ``unknown`` (not
        checked, or the place could not be found on the scan): the reviewer looks by eye."""
        if any(s.get("status") in ("valid", "untrusted") for s in self.digital_signatures):
            return "digital"
        statuses = [r["status"] for r in self.regions if r.get("kind") == "signature"]
        if "ink" in statuses:
            return "ink"
        if statuses and all(s == "empty" for s in statuses):
            return "none"
        return "unknown"

    @property
    def needs_attention(self) -> bool:
        return self.qr_status != self.QrStatus.MATCH

    @property
    def version_unverified(self) -> bool:
        """The reviewer must compare the scanned pages with the application by eye: the QR
        code carried no version (an agreement generated before versions were printed) or was
        not read at all."""
        return self.version_status in (self.VersionStatus.UNVERIFIED, self.VersionStatus.NOT_READ)


class ApplicationTransition(models.Model):
    """The application's history as its applicant and reviewers see it (the audit chain has
    the tamper-evident copy)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.from_state} -> {self.to_state}"

    # The states in the reader's language (the rows keep the codes).
    @property
    def from_label(self) -> str:
        return _state_label(self.from_state)

    @property
    def to_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(code: str) -> str:
    try:
        return str(Application.State(code).label)
    except ValueError:
        return code
