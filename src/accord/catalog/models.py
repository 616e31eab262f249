"""The public catalogue: custodians, datasets, their variants and files, subjects, publication
rules, required citations and versioned licence terms.

Files know their subject. A variant declares, as regular expressions on a file's path inside
the variant, how its subject is found (``subject_pattern``, with a named group ``subject``)
and which files are shared, belonging to no subject (``shared_pattern``: annotation sheets,
READMEs). Ingest refuses a file that matches neither or names an unknown subject.

Shared sheets with per-subject rows (the rule): a shared CSV whose header has the variant's
``subject_column`` is redacted automatically when a subject withdraws: the new release holds a
new copy without that subject's rows (a new file, a new hash) and the old copy is retired and
listed as withdrawn. Any other shared file cannot be redacted by Accord: the withdrawal page
lists it to staff ("may contain the subject's rows: upload a redacted replacement") and it is
included in the deletion attestations of everyone who downloaded it.

A withdrawn subject's files are never deleted here: they stay as retired rows, named by the
release records (``VariantRelease``) and by deletion attestations; ``access.policy`` never
serves them.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accord.core.models import TimeStampedModel
from accord.core.storage import protected_storage


def compile_path_pattern(pattern: str, *, needs_subject: bool) -> re.Pattern[str] | None:
    """A variant's path pattern compiled, or None when none is declared; ValueError with a
    message for staff when it does not compile or (``needs_subject``) lacks the group."""
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(
            _("This is not a valid regular expression (%(error)s).") % {"error": exc}
        ) from exc
    if needs_subject and "subject" not in compiled.groupindex:
        raise ValueError(_("The pattern needs a named group for the subject: (?P<subject>...)."))
    return compiled


def same_subject_code(found: str, code: str) -> bool:
    """Does the code found in a path name this subject? Codes made of digits compare as
    numbers, so a folder s1 is subject 01."""
    if found == code:
        return True
    return found.isdigit() and code.isdigit() and int(found) == int(code)


class Custodian(TimeStampedModel):
    """An organisation that holds datasets and decides who gets them."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, blank=True)
    parent_organisation = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=100)
    website = models.URLField(blank=True)
    contact_email = models.EmailField()
    address = models.TextField(blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CustodianStaff", related_name="custodians"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class CustodianStaff(TimeStampedModel):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        DATA_MANAGER = "data_manager", _("Data manager")
        ADMIN = "admin", _("Administrator")

    custodian = models.ForeignKey(Custodian, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["custodian", "user"], name="uniq_custodian_staff")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.custodian}"


class Dataset(TimeStampedModel):
    custodian = models.ForeignKey(Custodian, on_delete=models.PROTECT, related_name="datasets")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(
        max_length=40,
        blank=True,
        help_text="The name publications must use for the data (CASMEMG: 'CASMEMG').",
    )
    # How publications must name the data, when the terms say so (CASMEMG C4). short_name is
    # also a display name, so a dataset whose terms set no name (SMIC) leaves these empty.
    citation_name = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The exact name publications must use for the data. Empty: no rule."),
    )
    citation_name_rule = models.TextField(
        blank=True,
        help_text=_("The naming rule as shown to authors, one sentence in the terms' words."),
    )
    summary = models.CharField(max_length=300)
    description = models.TextField()
    modalities = models.JSONField(default=list, blank=True)
    homepage = models.URLField(blank=True)
    is_published = models.BooleanField(default=False)
    requires_affiliated_email = models.BooleanField(
        default=True,
        help_text="Refuse free-mail and disposable addresses for signers of this dataset.",
    )

    class TermsNoAction(models.TextChoices):
        SUSPEND = "suspend", _("Suspend the licence until the signer accepts")
        VOID = "void", _("Void the licence")

    class TermsAcceptance(models.TextChoices):
        CLICK = "click", _("Click-through in the portal")
        SIGNED = "signed", _("A newly signed agreement")

    # The licence lifecycle (terms changes, expiry, close-out): per-dataset policy.
    notice_days = models.PositiveSmallIntegerField(
        default=30,
        help_text=_("Minimum days between publishing new terms and their effective date."),
    )
    terms_no_action = models.CharField(
        max_length=10,
        choices=TermsNoAction.choices,
        default=TermsNoAction.SUSPEND,
        help_text=_("What happens to a licence that has not accepted new terms by then."),
    )
    terms_acceptance = models.CharField(
        max_length=10,
        choices=TermsAcceptance.choices,
        default=TermsAcceptance.CLICK,
        help_text=_("How a signer accepts new terms."),
    )
    licence_term_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Days a licence lasts before it must be renewed. Empty: no expiry."),
    )
    renewal_requires_signed_agreement = models.BooleanField(
        default=False,
        help_text=_("Renewal needs a newly signed agreement, not only a confirmation."),
    )
    members_attest_deletion = models.BooleanField(
        default=False,
        help_text=_("When a licence ends, members who downloaded also confirm deletion."),
    )
    application_retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Days after their last change that applications which did not become a licence are "
            "deleted, with their answers and uploaded agreements: rejected and withdrawn ones, "
            "and abandoned ones (a draft, or one returned for changes, that nobody changed in "
            "that time). Submitted applications waiting for review and approved ones are never "
            "deleted. Empty: the portal's setting (ACCORD_APPLICATION_RETENTION_DAYS)."
        ),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application_retention_days__isnull=True)
                | Q(application_retention_days__gte=1),
                name="dataset_application_retention_at_least_a_day",
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def current_license(self) -> LicenseVersion | None:
        from django.utils import timezone

        return (
            self.license_versions.filter(
                status=LicenseVersion.Status.PUBLISHED, effective_date__lte=timezone.localdate()
            )
            .order_by("-version")
            .first()
        )


class Variant(TimeStampedModel):
    """A release or sub-collection that is licensed and downloaded as a unit (SMIC-E, ...)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="variants")
    slug = models.SlugField(unique=True, help_text="Global, used by `accord fetch SLUG`.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    release = models.CharField(max_length=40, default="1.0")
    position = models.PositiveSmallIntegerField(default=0)
    subject_pattern = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "Regular expression on a file's path that finds its subject in a named group "
            "'subject', e.g. ^[^/]+/s(?P<subject>\\d+)/. Empty: files are not attributed."
        ),
    )
    shared_pattern = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "Regular expression on a file's path for shared files that belong to no subject "
            "(annotation sheets, READMEs), e.g. _annotations\\.csv$."
        ),
    )
    subject_column = models.CharField(
        max_length=60,
        blank=True,
        help_text=_(
            "Column of the shared CSV sheets that names the subject of each row: a withdrawn "
            "subject's rows are removed from them automatically."
        ),
    )

    class Meta:
        ordering = ["dataset", "position", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name in ("subject_pattern", "shared_pattern"):
            try:
                compile_path_pattern(getattr(self, name), needs_subject=name == "subject_pattern")
            except ValueError as exc:
                errors[name] = str(exc)
        if self.shared_pattern and not self.subject_pattern:
            errors["subject_pattern"] = _(
                "Declare how a file's subject is found before declaring shared files."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def storage_prefix(self) -> str:
        return f"datasets/{self.dataset.slug}/{self.slug}/"


class DataFile(TimeStampedModel):
    class ScanStatus(models.TextChoices):
        PENDING = "pending", _("Not scanned yet")
        CLEAN = "clean", _("Clean")
        INFECTED = "infected", _("Infected (quarantined)")
        ERROR = "error", _("Scan failed")
        SKIPPED = "skipped", _("No scanner configured")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500, help_text="Relative path inside the variant.")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    media_type = models.CharField(max_length=100, default="application/octet-stream")
    storage_name = models.CharField(max_length=700, help_text="Name in the protected storage.")
    scan_status = models.CharField(
        max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    scan_detail = models.CharField(max_length=200, blank=True)
    subject = models.ForeignKey(
        "Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    shared = models.BooleanField(
        default=False, help_text=_("Belongs to no subject (declared by the variant).")
    )
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "Removed from the variant's current release (consent withdrawal, or replaced by a "
            "redacted copy); kept for the release record and deletion attestations."
        ),
    )

    class Meta:
        ordering = ["variant", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "path"],
                condition=Q(retired_at__isnull=True),
                name="uniq_variant_file_path",
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant.slug}/{self.path}"

    @property
    def subject_code(self) -> str | None:
        return self.subject.code if self.subject_id else None


class Subject(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="subjects")
    code = models.CharField(max_length=20, help_text="Dataset-scoped ID, e.g. s01 or 07.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(
        blank=True,
        help_text=_("Why consent was withdrawn, for the custodian's staff only (never shown)."),
    )

    class Meta:
        ordering = ["dataset", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "code"], name="uniq_dataset_subject")
        ]

    def __str__(self) -> str:
        return self.code


class PublicationRule(TimeStampedModel):
    """Whose images may appear in papers: an allow-list (SMIC, CASMEMG) or a deny-list (other
    datasets), for a whole dataset or one variant, with an optional required notice."""

    class Mode(models.TextChoices):
        ALLOW = "allow", _("Only the listed subjects may be shown")
        DENY = "deny", _("All subjects except the listed ones may be shown")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="publication_rules")
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="publication_rules"
    )
    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.ALLOW)
    subjects = models.ManyToManyField(Subject, blank=True, related_name="publication_rules")
    notice = models.TextField(blank=True, help_text="Text that must accompany published images.")
    conditions = models.TextField(blank=True, help_text="Other conditions, in our own words.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"],
                condition=Q(variant__isnull=True),
                name="uniq_dataset_wide_publication_rule",
            ),
            models.UniqueConstraint(
                fields=["dataset", "variant"],
                condition=Q(variant__isnull=False),
                name="uniq_variant_publication_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.variant or ''} ({self.mode})".replace("  ", " ")

    def may_show(self, subject: Subject) -> bool:
        if subject.status == Subject.Status.WITHDRAWN:
            return False
        listed = self.subjects.filter(pk=subject.pk).exists()
        return listed if self.mode == self.Mode.ALLOW else not listed


class RequiredCitation(TimeStampedModel):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="citations")
    key = models.SlugField(max_length=80, help_text="BibTeX key")
    text = models.TextField(help_text="The reference, formatted for reading.")
    bibtex = models.TextField(
        help_text=_("The reference as BibTeX; read only when the CSL-JSON below is empty.")
    )
    # The structured reference (one CSL-JSON item): BibTeX, RIS, text and CITATION.cff are
    # generated from it (accord.catalog.citations).
    csl = models.JSONField(
        default=dict, blank=True, help_text=_("The reference as a CSL-JSON item.")
    )
    doi = models.CharField(max_length=200, blank=True)
    variants = models.ManyToManyField(
        Variant,
        blank=True,
        related_name="citations",
        help_text="Variants whose users must cite this. Empty: every variant.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "key"], name="uniq_dataset_citation_key")
        ]

    def __str__(self) -> str:
        return self.key


class LicenseVersion(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="license_versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    effective_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    change_summary = models.TextField(blank=True)
    official_document = models.FileField(
        storage=protected_storage,
        upload_to="license-documents/",
        blank=True,
    )

    class Meta:
        ordering = ["dataset", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="uniq_license_version")
        ]

    def __str__(self) -> str:
        return f"{self.dataset} licence v{self.version}"

    @property
    def is_frozen(self) -> bool:
        """Published terms are what licences were granted under: they never change again;
        a change is a new version."""
        return self.status == self.Status.PUBLISHED

    def attested_clauses(self) -> list[Clause]:
        """The clauses the signer attests one by one, in order: the one list behind the web
        form's boxes, the agreement PDF's boxes and the completeness check (a clause only
        enforced by the portal is not attested)."""
        return [c for c in self.clauses.all() if c.needs_attestation]


class Clause(models.Model):
    class Enforcement(models.TextChoices):
        ATTESTATION = "attestation", _("Signed attestation")
        ENFORCED = "enforced", _("Enforced by Accord")
        BOTH = "both", _("Enforced and attested")

    license_version = models.ForeignKey(
        LicenseVersion, on_delete=models.CASCADE, related_name="clauses"
    )
    code = models.CharField(max_length=10)
    title = models.CharField(max_length=150)
    text = models.TextField(help_text="The clause in our own words.")
    enforcement = models.CharField(
        max_length=12, choices=Enforcement.choices, default=Enforcement.ATTESTATION
    )
    how_enforced = models.TextField(blank=True, help_text="What Accord does about it.")
    # Keys of accord.catalog.enforcement.MECHANISMS: what the page may claim Accord enforces is
    # derived from these and the code, never from the words above.
    mechanisms = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Enforcement mechanisms this clause relies on (keys, e.g. malware-scan)."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["license_version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["license_version", "code"], name="uniq_clause_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def needs_attestation(self) -> bool:
        return self.enforcement in (self.Enforcement.ATTESTATION, self.Enforcement.BOTH)


class ClauseTranslation(TimeStampedModel):
    """A clause's title and text in a reader's language, written by the custodian's staff.

    Kept beside the clause rather than in it: a published version's words are hashed
    (``terms_digest``) and never change, while its translations may be written and corrected
    after publication. Readers see the translation with a note that the English text governs;
    where a field is empty they see the English original."""

    class Language(models.TextChoices):
        # settings.LANGUAGES besides the English original.
        CHINESE = "zh-hans", _("Simplified Chinese")
        FINNISH = "fi", _("Finnish")

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10, choices=Language.choices)
    title = models.CharField(max_length=150, blank=True)
    text = models.TextField(blank=True)
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["clause", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["clause", "language"], name="uniq_clause_translation_language"
            )
        ]

    def __str__(self) -> str:
        # Also the audit trail's label: no person in it.
        return f"{self.clause.code} ({self.language})"


class VariantRelease(TimeStampedModel):
    """What one release of a variant held, and why it was published: the record of release 1.0
    stays after 1.1 removed a withdrawn subject's files (``Variant.release`` is the current
    label)."""

    class Reason(models.TextChoices):
        RECORDED = "recorded", _("Release as served until the next one")
        WITHDRAWAL = "withdrawal", _("Files removed after a consent withdrawal")

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="releases")
    label = models.CharField(max_length=40)
    published_at = models.DateTimeField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    withdrawal = models.ForeignKey(
        "SubjectWithdrawal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
    )

    class Meta:
        ordering = ["variant", "published_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "label"], name="uniq_variant_release")
        ]

    def __str__(self) -> str:
        return f"{self.variant.slug} {self.label}"


class ReleaseFile(models.Model):
    """One file a release held (INCLUDED) or removed from the release before it (REMOVED),
    as it was then: path, checksum and subject are copied, so the record outlives changes."""

    class Change(models.TextChoices):
        INCLUDED = "included", _("In the release")
        REMOVED = "removed", _("Removed by the release")

    release = models.ForeignKey(VariantRelease, on_delete=models.CASCADE, related_name="entries")
    data_file = models.ForeignKey(
        DataFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change = models.CharField(max_length=8, choices=Change.choices)
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    subject_code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["release", "change", "path"]

    def __str__(self) -> str:
        return f"{self.release}: {self.change} {self.path}"


class SubjectWithdrawal(TimeStampedModel):
    """The carrying-out of one subject's consent withdrawal: who did it, the releases it
    published, the deletion attestations it asked for, and the shared files staff must check.
    The internal reason stays on the Subject (never in the audit trail's hashed payload)."""

    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attestations = models.ManyToManyField(
        "licences.DeletionAttestation", blank=True, related_name="withdrawals"
    )
    files_to_review = models.ManyToManyField(
        DataFile,
        blank=True,
        related_name="+",
        help_text=_("Shared files Accord could not redact: they may contain the subject's rows."),
    )

    def __str__(self) -> str:
        return f"withdrawal of {self.subject}"
