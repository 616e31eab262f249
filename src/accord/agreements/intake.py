"""Email intake for custodians who still receive agreements by email (the SMIC process):
staff upload the PDF, or the whole message as .eml or an mbox, and Accord extracts the
sender, the subject and the PDF attachment; the application then follows the same review
path as one made on the web."""

from __future__ import annotations

import email
import email.policy
import mailbox
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses

from django.db import transaction
from django.utils import timezone

from accord.catalog.models import Dataset
from accord.core.errors import DomainError, NotFound
from accord.core.permissions import Permission, has_custodian_permission

from . import signed_pdf
from .content import Details, InvalidApplication, attestation_clauses, clean_details
from .models import Application, ApplicationTransition
from .services import _audit, _issue_signer_link, new_reference

MAX_MESSAGES = 500


class IntakeRefused(DomainError):
    status = 422
    code = "intake-refused"


@dataclass
class Extracted:
    pdf: bytes
    pdf_name: str = ""
    sender_name: str = ""
    sender_email: str = ""
    subject: str = ""
    notes: list[str] = field(default_factory=list)


def _is_pdf(part) -> bool:
    name = (part.get_filename() or "").lower()
    return part.get_content_type() == "application/pdf" or name.endswith(".pdf")


def _from_message(message: EmailMessage) -> Extracted | None:
    pdfs = []
    for part in message.walk():
        if part.is_multipart() or not _is_pdf(part):
            continue
        payload = part.get_payload(decode=True)
        if payload:
            pdfs.append((part.get_filename() or "attachment.pdf", payload))
    if not pdfs:
        return None
    senders = getaddresses([str(message.get("from", ""))])
    name, address = senders[0] if senders else ("", "")
    extracted = Extracted(
        pdf=pdfs[0][1],
        pdf_name=pdfs[0][0][:200],
        sender_name=name.strip()[:200],
        sender_email=address.strip().lower()[:254],
        subject=str(message.get("subject", "")).strip()[:300],
    )
    if len(pdfs) > 1:
        extracted.notes.append(
            f"The message has {len(pdfs)} PDF attachments; the first ({pdfs[0][0]}) was used."
        )
    return extracted


def extract(data: bytes) -> Extracted:
    """The agreement PDF and who sent it, from a PDF, an .eml message or an mbox file. The
    kind is told from the bytes, never from the file name."""
    try:
        return _extract(data)
    except IntakeRefused:
        raise
    except (RecursionError, ValueError, LookupError, TypeError, AttributeError) as exc:
        # A message built to break the parser (absurd nesting, broken encodings).
        raise IntakeRefused(
            "This email could not be read (it is malformed). Save the PDF attachment from your "
            "mail program and upload the PDF itself."
        ) from exc


def _extract(data: bytes) -> Extracted:
    head = data[:1024].lstrip()
    if b"%PDF-" in data[:1024]:
        return Extracted(pdf=data)
    if head.startswith(b"From "):
        with tempfile.NamedTemporaryFile(suffix=".mbox") as tmp:
            tmp.write(data)
            tmp.flush()
            box = mailbox.mbox(tmp.name, factory=None, create=False)
            try:
                for count, raw in enumerate(box):
                    if count >= MAX_MESSAGES:
                        break
                    message = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
                    found = _from_message(message)
                    if found is not None:
                        if count or len(box) > 1:
                            found.notes.append(
                                f"The mailbox holds {len(box)} messages; message {count + 1} "
                                "was the first with a PDF attachment and was used."
                            )
                        return found
            finally:
                box.close()
        raise IntakeRefused(
            "No message in this mailbox has a PDF attachment. Upload the message that carries "
            "the signed agreement, or the PDF itself."
        )
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not message.get("from") and not message.is_multipart():
        raise IntakeRefused(
            "This file is neither a PDF nor an email message (.eml) nor a mailbox (mbox). "
            "Upload the signed agreement PDF, or the email that carried it."
        )
    found = _from_message(message)
    if found is None:
        raise IntakeRefused(
            "The email has no PDF attachment. Upload the message that carries the signed "
            "agreement, or the PDF itself."
        )
    return found


def application_intake(
    *, actor, dataset: Dataset, details: Details, extracted: Extracted
) -> Application:
    """Create a submitted application on behalf of the signer from an emailed agreement.
    The signer still confirms by the emailed link before it can be approved."""
    if not has_custodian_permission(
        actor, dataset.custodian_id, Permission.AGREEMENTS_APPLICATION_INTAKE
    ):
        raise NotFound("No such dataset.")
    license_version = dataset.current_license()
    if license_version is None:
        raise IntakeRefused(f"{dataset} has no published terms; publish them first.")
    details.signer_email = details.signer_email or extracted.sender_email
    details.signer_name = details.signer_name or extracted.sender_name
    application = Application(
        reference=new_reference(),
        dataset=dataset,
        license_version=license_version,
        origin=Application.Origin.EMAIL,
        applicant_name=details.signer_name or "",
        applicant_email=(extracted.sender_email or details.signer_email or "").lower(),
        intake={
            "sender": extracted.sender_email,
            "sender_name": extracted.sender_name,
            "subject": extracted.subject,
            "file_name": extracted.pdf_name,
            "received_by": actor.email,
            "notes": extracted.notes,
        },
    )
    # The signed paper agreement carries the signer's attestation of every clause.
    details.attested_clauses = [c.code for c in attestation_clauses(license_version)]
    cleaned = clean_details(application, details)
    errors = {}
    for name, label in (
        ("signer_name", "the signer's name"),
        ("signer_email", "the signer's email"),
        ("signer_affiliation", "the signer's affiliation"),
    ):
        if not (cleaned.get(name) or "").strip():
            errors[name] = f"Give {label} (it is on the signed agreement)."
    if errors:
        raise InvalidApplication(errors)
    checked = signed_pdf.check_upload(application, extracted.pdf, actor=actor)
    written: list[str] = []
    try:
        with transaction.atomic():
            variants = cleaned.pop("variants", None)
            for name, value in cleaned.items():
                setattr(application, name, value)
            application.state = Application.State.SUBMITTED
            application.submitted_at = timezone.now()
            application.save()
            application.variants.set(variants if variants is not None else dataset.variants.all())
            agreement = signed_pdf.attach_checked(
                application, checked, extracted.pdf, actor, written
            )
            ApplicationTransition.objects.create(
                application=application,
                from_state=Application.State.DRAFT,
                to_state=Application.State.SUBMITTED,
                actor=actor,
                comment=f"Received by email from {extracted.sender_email or 'unknown sender'}"
                + (f": {extracted.subject}" if extracted.subject else ""),
            )
            _audit(
                application,
                "intake",
                actor,
                sender=extracted.sender_email,
                subject=extracted.subject,
                sha256=agreement.sha256,
                qr=agreement.qr_status,
                version=agreement.version_status,
            )
            from accord.notifications import agreements as notify

            notify.application_changed(application, action="submit")
            raw = _issue_signer_link(application)
            notify.signer_confirmation_requested(application, raw_token=raw)
    except Exception:
        signed_pdf._discard(written)
        raise
    return application
