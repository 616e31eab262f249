"""The pre-filled agreement PDF of an application: the terms of the application's own
LicenseVersion, the answers, the member list, the reference and the content version (both also
in a QR code, which the upload check reads back from the signed scan)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accord.accounts.languages import supported
from accord.accounts.models import User
from accord.catalog.selectors import clauses_read_in

from .content import content_version, policy_fields, policy_for, policy_member_fields
from .models import Application
from .pdf import AgreementPdfData, build_agreement_pdf
from .pdf.generate import GeneratedAgreement, build_agreement


def _answer_text(field, value) -> str:
    if field.kind == "checkbox":
        return _("Yes") if value else _("No")
    return str(value or "—")


def signer_language(application: Application) -> str:
    """The agreement's language: the signer's preference, else the applicant's (who prepares
    it, often for a signer without an account yet), else English. Taken from accounts, not
    the request, so a template regenerated at upload matches the one the signer printed."""
    signer = application.signer_user
    if signer is None and application.signer_email:
        signer = User.objects.filter(email__iexact=application.signer_email).first()
    for person in (signer, application.applicant):
        code = supported(getattr(person, "language", ""))
        if code:
            return code
    return "en"


def pdf_data(application: Application) -> AgreementPdfData:
    language = signer_language(application)
    with translation.override(language):
        return _pdf_data(application, language)


def _pdf_data(application: Application, language: str) -> AgreementPdfData:
    dataset = application.dataset
    policy = policy_for(dataset)
    version = application.license_version
    answers = [
        (_("Type of organisation"), application.get_organisation_type_display() or "—"),
        *(
            (f.label, _answer_text(f, application.answers.get(f.key)))
            for f in policy_fields(policy)
        ),
    ]
    labels = {f.key: f.label for f in policy_member_fields(policy)}
    members = [
        (
            m["full_name"],
            m["email"],
            {labels.get(k, k): v for k, v in (m.get("extra") or {}).items()},
        )
        for m in application.members
    ]
    applicant_is_other = (
        application.applicant_email
        and application.applicant_email.lower() != application.signer_email.lower()
    )
    return AgreementPdfData(
        reference=application.reference,
        dataset_name=f"{dataset.name} ({dataset.short_name})"
        if dataset.short_name
        else dataset.name,
        custodian_name=dataset.custodian.name,
        license_title=version.title,
        license_version=version.version,
        effective_date=version.effective_date,
        # The custodian's translation where there is one; the page above says English governs.
        clauses=[
            (c.code, c.reading.title, c.reading.text)
            for c in clauses_read_in(version.attested_clauses(), language)
        ],
        variants=[v.name for v in application.variants.all()],
        signer_name=application.signer_name,
        signer_title=application.signer_title,
        signer_affiliation=application.signer_affiliation,
        signer_email=application.signer_email,
        signer_address=application.signer_address,
        applicant_name=(application.applicant_name or None) if applicant_is_other else None,
        applicant_email=application.applicant_email if applicant_is_other else None,
        purpose=application.purpose,
        answers=answers,
        members=members,
        generated_at=timezone.now(),
        content_version=content_version(application),
        language=language,
    )


def agreement_pdf(application: Application) -> bytes:
    return build_agreement_pdf(pdf_data(application))


def agreement_template(application: Application) -> GeneratedAgreement:
    """The blank agreement as generated now, with the places the signer writes in: what an
    upload of the same content version is compared with."""
    return build_agreement(pdf_data(application))


def download_name(application: Application) -> str:
    return f"{application.reference} agreement to sign.pdf"


def agreement_download(application: Application) -> HttpResponse:
    """The pre-filled agreement as a PDF attachment (the page's button and the API)."""
    response = HttpResponse(agreement_pdf(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{download_name(application)}"'
    return response
