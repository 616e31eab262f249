"""Papers licensees register as having used a dataset, with the automatic check's verdict.
Whether a dataset asks for the PDF of every paper is its application rules'
``publications_required`` (SMIC S4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.catalog.models import Dataset, Variant
from accord.core.models import TimeStampedModel


class Publication(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Checked, not yet registered")
        REGISTERED = "registered", _("Registered")

    class State(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        NON_COMPLIANT = "non_compliant", _("Not compliant")
        UNCHECKED = "unchecked", _("Not checked (no PDF)")

    class ScanStatus(models.TextChoices):
        NONE = "", _("No PDF")
        CLEAN = "clean", _("Clean")
        NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="publications")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="publications",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    registered_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=500)
    authors = models.TextField(help_text=_("As in the paper, e.g. 'A. Author, B. Author'."))
    venue = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField()
    doi = models.CharField(max_length=200, blank=True)
    variants = models.ManyToManyField(Variant, related_name="publications")
    subject_codes = models.JSONField(default=list, blank=True)
    is_public = models.BooleanField(
        default=False, help_text=_("Shown on the dataset's page, by the author's choice.")
    )
    # The PDF, content-addressed in the protected storage; never served to the public.
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveIntegerField(null=True, blank=True)
    pdf_pages = models.PositiveIntegerField(null=True, blank=True)
    pdf_storage_name = models.CharField(max_length=300, blank=True)
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, default=ScanStatus.NONE, blank=True
    )
    scan_detail = models.CharField(max_length=200, blank=True)
    # check.check_paper's result: {"version", "state", "checks": {...}, "reasons": [...]}.
    verdict = models.JSONField(default=dict)
    check_state = models.CharField(max_length=14, choices=State.choices)
    override_state = models.CharField(max_length=14, choices=State.choices, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-registered_at", "-pk"]
        indexes = [models.Index(fields=["dataset", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def state(self) -> str:
        """The compliance state staff see: their override if any, else the check's."""
        return self.override_state or self.check_state

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)
