"""The agreement a licence's signer signs again once the licence exists: for new terms, where the
dataset wants them signed rather than clicked through, and for a renewal, where the dataset
wants a newly signed agreement. The same generator, the same hostile-file checks (malware scan,
sandboxed PDF checks, the QR code, the signature places) and the same content-addressed
protected storage as an application's agreement.

Nobody reviews these scans before they take effect, so the checks are stricter than an
application's: the QR code must be read and name exactly this document (the licence's
reference with what is signed: ``LIC-2026-00042-T3`` for terms version 3, ``-R3`` for a renewal
on version 3) and its content version (a fingerprint of the signer, the variants, the terms and,
for a renewal, the expiry renewed), and something must be written where the signer signs (or
the PDF carry a valid digital signature)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accord.accounts.languages import supported
from accord.catalog import scanning
from accord.catalog.models import LicenseVersion
from accord.catalog.selectors import clauses_read_in

from . import signed_pdf
from .content import CONTENT_VERSION_LENGTH
from .documents import pdf_data as application_pdf_data
from .pdf import (
    AgreementPdfData,
    PdfInspection,
    PdfRefused,
    check_agreement_qr,
    inspect_pdf,
    render_pages,
)
from .pdf.generate import build_agreement, split_agreement_code
from .signed_pdf import AgreementRefused

if TYPE_CHECKING:  # the licences app imports this module
    from accord.licences.models import Licence

TERMS, RENEWAL = "terms", "renewal"
_SUFFIX = {TERMS: "T", RENEWAL: "R"}


@dataclass(frozen=True)
class LicenceAgreement:
    """One document to sign for one licence: ``kind`` is ``terms`` or ``renewal``."""

    licence: Licence
    kind: str
    license_version: LicenseVersion

    @property
    def reference(self) -> str:
        return f"{self.licence.reference}-{_SUFFIX[self.kind]}{self.license_version.version}"

    @property
    def content_version(self) -> str:
        licence = self.licence
        content = {
            "kind": self.kind,
            "licence": licence.reference,
            "license_version": self.license_version.pk,
            "signer": [licence.signer_id, licence.signer.email.lower(), licence.signer.full_name],
            "variants": sorted(v.slug for v in licence.variants.all()),
            # A renewal document is for renewing this expiry; the next renewal needs a new one.
            "expires_at": licence.expires_at.isoformat()
            if self.kind == RENEWAL and licence.expires_at
            else None,
        }
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:CONTENT_VERSION_LENGTH]

    @property
    def download_name(self) -> str:
        return f"{self.reference} agreement to sign.pdf"


def terms_agreement(licence: Licence, license_version: LicenseVersion) -> LicenceAgreement:
    return LicenceAgreement(licence=licence, kind=TERMS, license_version=license_version)


def renewal_agreement(licence: Licence, license_version: LicenseVersion) -> LicenceAgreement:
    return LicenceAgreement(licence=licence, kind=RENEWAL, license_version=license_version)


def pdf_data(document: LicenceAgreement) -> AgreementPdfData:
    """The application's agreement brought up to date: the new terms, the licence's variants and
    members of today, this document's reference and content version."""
    licence, version = document.licence, document.license_version
    dataset = licence.dataset
    members = [
        (m.full_name, m.email, {k: str(v) for k, v in (m.extra or {}).items()})
        for m in licence.members.exclude(status="removed").order_by("pk")
    ]
    if licence.application is not None:
        base = application_pdf_data(licence.application)
    else:
        signer = licence.signer
        base = AgreementPdfData(
            reference="",
            dataset_name=f"{dataset.name} ({dataset.short_name})"
            if dataset.short_name
            else dataset.name,
            custodian_name=dataset.custodian.name,
            license_title="",
            license_version=0,
            effective_date=version.effective_date,
            clauses=[],
            variants=[],
            signer_name=signer.full_name or signer.email,
            signer_title="",
            signer_affiliation="",
            signer_email=signer.email,
            signer_address="",
            applicant_name=None,
            applicant_email=None,
            purpose="",
        )
    if licence.application is None:
        base = replace(base, language=supported(getattr(licence.signer, "language", "")) or "en")
    with translation.override(base.language):  # the terms in the signer's language
        title = version.title
        clauses = [
            (c.code, c.reading.title, c.reading.text)
            for c in clauses_read_in(version.clauses.all(), base.language)
        ]
    return replace(
        base,
        reference=document.reference,
        license_title=title,
        license_version=version.version,
        effective_date=version.effective_date,
        clauses=clauses,
        variants=[v.name for v in licence.variants.all()],
        members=members,
        generated_at=timezone.now(),
        content_version=document.content_version,
    )


def agreement_download(document: LicenceAgreement) -> HttpResponse:
    response = HttpResponse(build_agreement(pdf_data(document)).pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.download_name}"'
    return response


class StoredAgreement(NamedTuple):
    """What the licence's audit event records about the stored scan."""

    sha256: str
    size: int
    pages: int
    storage_name: str
    scan: str

    def as_details(self) -> dict:
        return {
            "agreement_sha256": self.sha256,
            "agreement_size": self.size,
            "agreement_pages": self.pages,
            "agreement_file": self.storage_name,
            "agreement_scan": self.scan,
        }


class CheckedAgreement(NamedTuple):
    inspection: PdfInspection
    pages: list[bytes]
    scan: scanning.Verdict


def check_upload(document: LicenceAgreement, data: bytes, *, actor) -> CheckedAgreement:
    """Everything that can refuse the file, before anything is written."""
    licence = document.licence
    scan = signed_pdf.scan_agreement_bytes(
        data,
        label=document.reference,
        on_malware=lambda verdict: _audit_malware(document, actor, verdict, data),
    )
    try:
        inspection = inspect_pdf(
            data, max_bytes=settings.AGREEMENT_MAX_BYTES, max_pages=settings.AGREEMENT_MAX_PAGES
        )
        qr = check_agreement_qr(data, document.reference, document.content_version)
        what = (
            _("the agreement for the new terms")
            if document.kind == TERMS
            else _("the renewal agreement")
        )
        if qr.found and not (qr.status == "match" and qr.version_status == "match"):
            found = ", ".join(dict.fromkeys(split_agreement_code(t)[0] for t in qr.found))
            raise AgreementRefused(
                _(
                    "This scan is not %(what)s of licence %(ref)s as it stands now (its code "
                    "says %(found)s). Download %(what)s again from this page, have it signed "
                    "and upload that scan."
                )
                % {"what": what, "ref": licence.reference, "found": found or document.reference},
                code="qr-mismatch",
            )
        if not qr.found:
            raise AgreementRefused(
                _(
                    "The code in the top-right corner of this scan could not be read, so it "
                    "cannot be matched to licence %(ref)s. Download %(what)s from this page, "
                    "have it signed, scan every page whole at 150 to 300 dpi and upload that."
                )
                % {"what": what, "ref": licence.reference},
                code="qr-unreadable",
            )
        template = build_agreement(pdf_data(document))
        signing = signed_pdf.check_signing_of(data, template, document.reference)
        pages = render_pages(data, dpi=signed_pdf.RENDER_DPI)
    except PdfRefused as exc:
        raise AgreementRefused(exc.message, code=f"pdf-{exc.code}") from exc
    signed_digitally = any(s["status"] == "valid" for s in signing["digital_signatures"])
    signed_in_ink = any(
        r["kind"] == "signature" and r["status"] == "ink" for r in signing["regions"]
    )
    if not (signed_digitally or signed_in_ink):
        raise AgreementRefused(
            _(
                "Nothing is written where the signer signs on this scan. Print %(what)s, "
                "sign and date it, scan the pages and upload the scan; or sign the PDF "
                "digitally and upload the signed file."
            )
            % {"what": what},
            code="agreement-unsigned",
        )
    return CheckedAgreement(inspection, pages, scan)


def store_checked(checked: CheckedAgreement, data: bytes, written: list[str]) -> StoredAgreement:
    """Store a checked upload like an application's agreement (content-addressed, protected).
    Runs inside the caller's transaction; the caller passes ``written`` to ``discard`` if that
    transaction fails."""
    inspection = checked.inspection
    if hashlib.sha256(data).hexdigest() != inspection.sha256:
        raise ValueError("store_checked stores only the bytes check_upload checked")
    pdf_name, _pages = signed_pdf._store_files(inspection.sha256, data, checked.pages, written)
    return StoredAgreement(
        sha256=inspection.sha256,
        size=inspection.size,
        pages=inspection.pages,
        storage_name=pdf_name,
        scan="clean" if checked.scan.clean else "not-scanned",
    )


def discard(written: list[str]) -> None:
    signed_pdf._discard(written)


def _audit_malware(document: LicenceAgreement, actor, verdict: scanning.Verdict, data: bytes):
    """Custodians learn that someone sent them malware, even though nothing was stored."""
    from django.db import transaction

    from accord.audit.services import audit_record

    licence = document.licence
    with transaction.atomic():
        audit_record(
            event_type="agreements:licence:malware-refused",
            actor=actor,
            target=licence,
            custodian_id=licence.dataset.custodian_id,
            dataset_id=licence.dataset_id,
            licence_id=licence.pk,
            details={
                "licence": licence.reference,
                "document": document.reference,
                "sha256": hashlib.sha256(data).hexdigest(),
                "scanner": verdict.detail,
            },
        )
