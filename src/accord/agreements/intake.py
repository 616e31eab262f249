"""Email intake for custodians who still receive agreements by email (the SMIC process):
staff upload the PDF, or the whole message as .eml or an mbox, and Accord extracts the
sender, the subject and the PDF attachment; the application then follows the same review
path as one made on the web.

The intake records only what staff read off the document (the signer's details and purpose they
type in). Everything else the web form would have asked the applicant for (each clause's
attestation, the dataset's questions, the organisation type) is left for a reviewer to record
explicitly from the signed document (``unconfirmed_items``, ``intake_record``); approval waits
for every one of them, and then for the same eligibility rules as the web path
(``content.missing_items``)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accord.accounts.models import User
from accord.catalog.models import Dataset
from accord.core.errors import Conflict, DomainError, NotFound
from accord.core.permissions import Permission, has_custodian_permission

from . import signed_pdf
from .content import (
    Details,
    InvalidApplication,
    attestation_clauses,
    clean_details,
    policy_fields,
    policy_for,
)
from .models import Application, ApplicationField, ApplicationTransition
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
    # Nothing is attested on the signer's behalf: a reviewer records each clause and answer
    # from the signed document (unconfirmed_items).
    details.attested_clauses = []
    details.answers = {}
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


@dataclass(frozen=True)
class IntakeItem:
    """Something an emailed agreement may show that the intake did not record: a reviewer
    records it from the signed document. ``key`` is ``clause:<code>``, ``answer:<field key>``
    or ``field:<application field>``; ``kind`` picks the control (``clause``: confirm it is
    attested; ``checkbox``: yes or no; ``choice``/``organisation_type``: one of ``choices``;
    ``text``, ``long_text``, ``email``: what the document says)."""

    key: str
    label: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    help_text: str = ""


_FIELDS = {
    "signer_title": _lazy("The signer's title or position"),
    "signer_address": _lazy("The signer's postal address"),
    "purpose": _lazy("The research purpose"),
}


def unconfirmed_items(application: Application) -> list[IntakeItem]:
    """What an application received by email still needs recorded from the signed document
    before it can be approved (empty for web applications: their applicant answered)."""
    if application.origin != Application.Origin.EMAIL:
        return []
    policy = policy_for(application.dataset)
    items: list[IntakeItem] = []
    attested = set(application.attested_clauses)
    for clause in attestation_clauses(application.license_version):
        if clause.code not in attested:
            items.append(
                IntakeItem(f"clause:{clause.code}", f"{clause.code} {clause.title}", "clause")
            )
    for f in policy_fields(policy):
        recorded = f.key in application.answers and (
            f.kind == ApplicationField.Kind.CHECKBOX or application.answers[f.key]
        )
        if f.required and not recorded:
            choices = tuple((c, c) for c in f.choice_list())
            items.append(IntakeItem(f"answer:{f.key}", f.label, f.kind, choices, f.help_text))
    if not application.organisation_type:
        items.append(
            IntakeItem(
                "field:organisation_type",
                str(_lazy("Type of organisation")),
                "organisation_type",
                tuple(Application.OrganisationType.choices),
            )
        )
    for name, label in _FIELDS.items():
        if name == "signer_title" and not policy.signer_title_required:
            continue
        if not getattr(application, name).strip():
            kind = "text" if name == "signer_title" else "long_text"
            items.append(IntakeItem(f"field:{name}", str(label), kind))
    return items


@transaction.atomic
def intake_record(
    *, application: Application, actor: User, key: str, value: str = ""
) -> Application:
    """A reviewer records one item of an emailed application as the signed document shows it
    (``key`` as in ``unconfirmed_items``). Checked with the web form's rules; audited with who
    recorded what."""
    from .services import _lock, require_reviewer

    application = _lock(application)
    require_reviewer(application, actor, Permission.AGREEMENTS_APPLICATION_REVIEW)
    if application.origin != Application.Origin.EMAIL:
        raise Conflict(
            _("Only an application received by email has items to record from the document."),
            code="not-intake",
        )
    if application.state != Application.State.SUBMITTED:
        raise Conflict(
            _("Application %(reference)s is %(state)s; nothing can be recorded now.")
            % {
                "reference": application.reference,
                "state": application.get_state_display().lower(),
            },
            code="not-submitted",
        )
    item = next((i for i in unconfirmed_items(application) if i.key == key), None)
    if item is None:
        raise Conflict(
            _("That item is already recorded, or is not one this application needs."),
            code="not-unconfirmed",
        )
    kind, _sep, name = key.partition(":")
    value = str(value).strip()
    if kind == "clause":
        details = Details(attested_clauses=[*application.attested_clauses, name])
        value = "attested"
    elif kind == "answer":
        if item.kind == ApplicationField.Kind.CHECKBOX:
            if value not in ("yes", "no"):
                raise DomainError(_("Say whether the document answers yes or no."))
            answer: object = value == "yes"
        elif not value:
            raise DomainError(
                _("Type what the signed document says for “%(label)s”.") % {"label": item.label}
            )
        else:
            answer = value
        details = Details(answers={**application.answers, name: answer})
    else:
        if not value:
            raise DomainError(
                _("Type what the signed document says for “%(label)s”.") % {"label": item.label}
            )
        details = Details(**{name: value})
    for field_name, cleaned in clean_details(application, details).items():
        setattr(application, field_name, cleaned)
    application.intake = {
        **application.intake,
        "recorded": [
            *application.intake.get("recorded", []),
            {"item": key, "value": value, "by": actor.email, "at": timezone.now().isoformat()},
        ],
    }
    application.save()
    # Yes/no and choices go into the audit chain; typed text (an address, a purpose) may be
    # personal data, which the chain keeps only as a commitment.
    if item.kind in ("clause", "checkbox", "choice", "organisation_type"):
        recorded = {"value": value}
    else:
        recorded = {"value_sha256": hashlib.sha256(value.encode()).hexdigest()}
    _audit(application, "intake-record", actor, item=key, **recorded)
    return application
