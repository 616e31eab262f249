"""Taking in a signed agreement scan: the PDF layer checks it (in its sandbox), reads the
reference QR code (and the content version it carries: a scan of an agreement generated before
the application was last changed is refused), reads what is written where the signer signs and
ticks and any digital signature (``pdf/signatures.py``: the generated agreement uploaded unsigned,
or a file changed after it was signed digitally, is refused) and renders page images for
reviewers; we store the PDF and the images content-addressed (by SHA-256) in the protected
storage, never under a public path and never under a name the uploader chose. A refused file
leaves nothing behind."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accord.core.errors import DomainError
from accord.core.storage import protected_storage

from .models import Application, SignedAgreement
from .pdf import (
    PdfRefused,
    check_agreement_qr,
    inspect_pdf,
    render_pages,
    signatures,
    stored_filename,
)
from .pdf.generate import split_agreement_code

RENDER_DPI = 110


class AgreementRefused(DomainError):
    status = 422
    code = "agreement-refused"


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


def check_upload(application: Application, data: bytes):
    """Everything that can refuse the file, before anything is written: returns the
    inspection, the QR result and the page images."""
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
    return inspection, qr, pages, signing


def check_signing(application: Application, data: bytes, qr) -> dict:
    """Refuse what is evidently not a signed agreement (the generated file as downloaded, a
    digital signature that does not verify or that the file was changed after) and return
    what the reviewer is shown about the signing (``SignedAgreement.signing_findings``)."""
    from .documents import agreement_template

    if qr.status == "match":
        template = agreement_template(application)
        examined = signatures.examine(data, template, application.reference)
    else:
        # Without this application's code on the pages nothing can be lined up (and a file
        # the intake receives by email is for an application that does not exist yet).
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
    inspection, qr, pages, signing = checked
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
    checked = check_upload(application, data)
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
            )
    except Exception:
        _discard(written)
        raise
    return agreement
