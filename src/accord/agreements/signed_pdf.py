"""Taking in a signed agreement scan: the malware scanner (the one dataset files go through)
checks its bytes, the PDF layer checks it (in its sandbox), reads the reference QR code (and
the content version it carries: a scan of an agreement generated before the application was
last changed is refused), reads what is written where the signer signs and ticks and any
digital signature (``pdf/signatures.py``: the generated agreement uploaded unsigned, or a file
changed after it was signed digitally, is refused) and renders page images for reviewers; we
store the PDF and the images content-addressed (by SHA-256) in the protected storage, never
under a public path and never under a name the uploader chose. A refused file leaves nothing
behind.

The stored PDF is the uploaded bytes, unchanged, and the checks accept only a file that is a PDF
from its first byte to its last (``pdf/_layout.py``), so what is stored is exactly what was
scanned and checked. We chose that over storing a normalised rewrite: a rewrite would break
every digital (PAdES) signature, whose signed byte ranges are the original bytes, and would
keep as evidence a file the signer never saw; refusing the rare honest file with appended data
costs its sender one "save as" instead."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accord.catalog import scanning
from accord.core.errors import DomainError
from accord.core.storage import protected_storage

from .models import Application, SignedAgreement
from .pdf import (
    PdfInspection,
    PdfRefused,
    QrResult,
    check_agreement_qr,
    inspect_pdf,
    render_pages,
    signatures,
    stored_filename,
)
from .pdf.errors import human_size
from .pdf.generate import GeneratedAgreement, split_agreement_code

RENDER_DPI = 110

logger = logging.getLogger(__name__)


class AgreementRefused(DomainError):
    status = 422
    code = "agreement-refused"


class MalwareFound(AgreementRefused):
    code = "malware-found"


class ScanFailed(AgreementRefused):
    """A scanner is configured but gave no verdict: the file is refused, never kept unscanned."""

    status = 503
    code = "malware-scan-failed"


def read_upload(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded agreement or mailbox (web form, API, intake), refusing an
    oversized file before reading it at all. The name and content type the browser sent are
    ignored."""
    if (upload.size or 0) > settings.AGREEMENT_MAX_BYTES:
        raise AgreementRefused(
            _(
                "The file is larger than the %(size)s allowed. Scan at 150 to 300 dpi in black "
                "and white or greyscale and upload it again."
            )
            % {"size": human_size(settings.AGREEMENT_MAX_BYTES)},
            code="pdf-too-large",
        )
    return upload.read()


class CheckedUpload(NamedTuple):
    """What the checks found, for ``attach_checked`` to store."""

    inspection: PdfInspection
    qr: QrResult
    pages: list[bytes]
    signing: dict
    scan: scanning.Verdict


def scan_upload(application: Application, data: bytes, *, actor=None) -> scanning.Verdict:
    """Scan the bytes that will be stored, with the scanner dataset files go through. With a
    scanner configured (ACCORD_CLAMD_ADDRESS) a file it finds infected, or cannot scan, is
    refused; without one the verdict is "skipped" and the reviewer is shown "not scanned"."""
    return scan_agreement_bytes(
        data,
        label=application.reference,
        on_malware=lambda verdict: _audit_malware(application, actor, verdict, data),
    )


def scan_agreement_bytes(
    data: bytes,
    *,
    label: str,
    on_malware: Callable[[scanning.Verdict], None],
    resend: str | None = None,
) -> scanning.Verdict:
    """``scan_upload`` for any uploaded PDF (an application's agreement, a licence's for new
    terms or a renewal, a registered paper): ``on_malware`` records the attempt before the
    file is refused; ``resend`` says what to upload instead after malware was found (default:
    a new scan of the signed agreement)."""
    try:
        verdict = scanning.scan_stream(io.BytesIO(data))
    except scanning.ScannerUnavailable as exc:
        logger.error("agreement upload for %s not scanned: %s", label, exc)
        raise ScanFailed(
            _(
                "The virus scanner did not answer, so this file could not be checked and "
                "nothing was stored. Try again in a few minutes; if it keeps failing, tell the "
                "data custodian (the portal's virus scanner is not running)."
            )
        ) from exc
    if verdict.infected:
        on_malware(verdict)
        raise MalwareFound(
            _(
                "The virus scanner found malware in this file (%(signature)s), so it was not "
                "stored. Check the computer the file came from with an up-to-date virus scanner, "
                "then %(resend)s"
            )
            % {
                "signature": verdict.detail,
                "resend": resend
                or _("scan the signed paper agreement again and upload the new file."),
            }
        )
    if verdict.failed:
        logger.error("agreement upload for %s: %s", label, verdict.detail)
        raise ScanFailed(
            _(
                "The virus scanner could not check this file, so nothing was stored (the "
                "scanner says: %(detail)s). Upload a smaller scan (150 to 300 dpi, black and "
                "white or greyscale); if it still fails, tell the data custodian."
            )
            % {"detail": verdict.detail}
        )
    return verdict


def _audit_malware(application: Application, actor, verdict: scanning.Verdict, data: bytes):
    """Custodians learn that someone sent them malware, even though nothing was stored."""
    from accord.audit.services import audit_record

    with transaction.atomic():
        audit_record(
            event_type="agreements:agreement:malware-refused",
            actor=actor,
            target=application if application.pk else application.dataset,
            custodian_id=application.dataset.custodian_id,
            dataset_id=application.dataset_id,
            details={
                "reference": application.reference if application.pk else "",
                "origin": application.origin,
                "sha256": hashlib.sha256(data).hexdigest(),
                "scanner": verdict.detail,
            },
        )


def _prefix(sha256: str) -> str:
    return f"agreements/{sha256[:2]}/{sha256}/"


def display_name_for(application: Application) -> str:
    from .content import policy_for

    return stored_filename(
        policy_for(application.dataset).stored_filename_rule,
        signer_name=application.signer_name or "signer",
        dataset_short_name=application.dataset.short_name or application.dataset.name,
        reference=application.reference,
    )


def check_upload(application: Application, data: bytes, *, actor=None) -> CheckedUpload:
    """Everything that can refuse the file, before anything is written: returns the
    inspection, the QR result, the page images, the signing findings and the malware scan's
    verdict. ``actor`` is who is uploading (recorded if the file carries malware)."""
    scan = scan_upload(application, data, actor=actor)
    try:
        inspection = inspect_pdf(
            data, max_bytes=settings.AGREEMENT_MAX_BYTES, max_pages=settings.AGREEMENT_MAX_PAGES
        )
        from .content import content_version

        current_version = content_version(application)
        qr = check_agreement_qr(data, application.reference, current_version)
        if qr.version_status == "mismatch":
            # Signed before the applicant changed the application: the signer signed
            # something other than what would be submitted.
            raise AgreementRefused(
                "This scan is of an earlier version of the agreement (version "
                f"{', '.join(v for v in qr.versions if v)}; the current version is "
                f"{current_version}); the application has changed since. Download the current "
                "agreement, have it signed and upload that.",
                code="agreement-version-mismatch",
            )
        if qr.status == "mismatch":
            raise AgreementRefused(
                f"The QR code on this scan says {', '.join(_references(qr.found))}, not "
                f"{application.reference}: it is the agreement of another application. Upload "
                f"the agreement generated for {application.reference} (download it again from "
                "the application page), signed and scanned.",
                code="qr-mismatch",
            )
        pages = render_pages(data, dpi=RENDER_DPI)
        signing = check_signing(application, data, qr)
    except PdfRefused as exc:
        raise AgreementRefused(exc.message, code=f"pdf-{exc.code}") from exc
    return CheckedUpload(inspection, qr, pages, signing, scan)


def check_signing(application: Application, data: bytes, qr) -> dict:
    """Refuse what is evidently not a signed agreement (the generated file as downloaded, a
    digital signature that does not verify or that the file was changed after) and return
    what the reviewer is shown about the signing (``SignedAgreement.signing_findings``)."""
    from .documents import agreement_template

    # Without this application's code on the pages nothing can be lined up (and a file the
    # intake receives by email is for an application that does not exist yet).
    template = agreement_template(application) if qr.status == "match" else None
    return check_signing_of(data, template, application.reference)


def check_signing_of(data: bytes, template: GeneratedAgreement | None, reference: str) -> dict:
    """``check_signing`` against the agreement as generated (``template``; None when the
    file's code did not match, so nothing can be lined up)."""
    if template is not None:
        examined = signatures.examine(data, template, reference)
    else:
        examined = signatures.Examination(regions=[], generated_text=False)
    digital = signatures.digital_signatures(data)
    for signature in digital:
        if signature.status == "broken":
            raise AgreementRefused(
                _(
                    "The digital signature in this PDF does not verify: the file was damaged or "
                    "altered after it was signed. Upload the file exactly as it was signed, or "
                    "sign the agreement again."
                ),
                code="agreement-signature-broken",
            )
        if signature.status == "modified":
            raise AgreementRefused(
                _(
                    "This PDF was changed after %(signer)s signed it digitally (content was "
                    "added or altered since). Upload the file as it was when signed, or have "
                    "the changed agreement signed again."
                )
                % {"signer": signature.signer or _("the signer")},
                code="agreement-modified-after-signing",
            )
    if examined.generated_text and not digital and examined.status_of("signature") != "ink":
        raise AgreementRefused(
            _(
                "This is the agreement exactly as Accord generated it, not signed: nothing was "
                "written where the signer signs. Print it, have the signer sign and date it "
                "and tick every box, scan the pages and upload the scan; or have the signer "
                "sign the PDF digitally and upload the signed file."
            ),
            code="agreement-unsigned",
        )
    return {
        "regions": [dataclasses.asdict(r) for r in examined.regions],
        "digital_signatures": [{**dataclasses.asdict(s), "status": s.status} for s in digital],
        "generated_text": examined.generated_text,
    }


def _references(found: list[str]) -> list[str]:
    """The references the codes name, without the content version they may carry."""
    return list(dict.fromkeys(split_agreement_code(text)[0] for text in found))


def _version_status(qr) -> str:
    if qr.status != "match":
        return SignedAgreement.VersionStatus.NOT_READ
    if qr.version_status == "match":
        return SignedAgreement.VersionStatus.MATCH
    return SignedAgreement.VersionStatus.UNVERIFIED  # a reference-only code: an older PDF


def _write(name: str, content: bytes, written: list[str]) -> None:
    storage = protected_storage()
    if storage.exists(name):
        return  # content-addressed: the same bytes are already there
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # a concurrent upload of the same bytes won the race; keep theirs
        storage.delete(saved)
        return
    written.append(saved)


def _store_files(sha256: str, data: bytes, pages: list[bytes], written: list[str]):
    prefix = _prefix(sha256)
    _write(prefix + "agreement.pdf", data, written)
    page_names = []
    for number, png in enumerate(pages, start=1):
        name = f"{prefix}page-{number:03d}.png"
        _write(name, png, written)
        page_names.append(name)
    return prefix + "agreement.pdf", page_names


def _discard(written: list[str]) -> None:
    storage = protected_storage()
    for name in written:
        storage.delete(name)


def attach_checked(application: Application, checked, data: bytes, actor, written: list[str]):
    """Store a checked upload and make it the current agreement. Runs inside the caller's
    transaction; the caller discards ``written`` if that transaction fails."""
    inspection, qr, pages, signing, scan = checked
    if hashlib.sha256(data).hexdigest() != inspection.sha256:
        raise ValueError("attach_checked stores only the bytes check_upload checked")
    pdf_name, page_names = _store_files(inspection.sha256, data, pages, written)
    from .content import content_fingerprint

    application.signed_agreements.filter(is_current=True).update(is_current=False)
    return SignedAgreement.objects.create(
        content_sha256=content_fingerprint(application),
        application=application,
        sha256=inspection.sha256,
        size=inspection.size,
        pages=inspection.pages,
        pdf_version=inspection.pdf_version,
        storage_name=pdf_name,
        page_storage_names=page_names,
        display_name=display_name_for(application),
        qr_status=qr.status,
        qr_found=", ".join(qr.found)[:200],
        version_status=_version_status(qr),
        signing_findings=signing,
        scan_status=(
            SignedAgreement.ScanStatus.CLEAN
            if scan.clean
            else SignedAgreement.ScanStatus.NOT_SCANNED
        ),
        scan_detail=scan.detail,
        uploaded_by=actor,
    )


def application_upload_agreement(
    *, application: Application, actor, data: bytes
) -> SignedAgreement:
    """The applicant uploads the signed scan of their application's agreement."""
    from .services import (
        _audit,
        _lock,
        _require_applicant,
        _require_editable,
        forget_signer_confirmation,
    )

    # Refuse what we can before taking any lock: the checks run in a subprocess and take time.
    _require_applicant(application, actor)
    _require_editable(application)
    checked = check_upload(application, data, actor=actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            application = _lock(application)
            _require_editable(application)
            agreement = attach_checked(application, checked, data, actor, written)
            forget_signer_confirmation(application, actor)
            application.save()
            _audit(
                application,
                "upload",
                actor,
                sha256=agreement.sha256,
                pages=agreement.pages,
                qr=agreement.qr_status,
                version=agreement.version_status,
                signature=agreement.signature_evidence,
                scan=agreement.scan_status,
            )
    except Exception:
        _discard(written)
        raise
    return agreement
