"""Scenario builders for agreement tests: a CASMEMG-like dataset with its access policy, and
applications taken through the real services (as users make them)."""

from __future__ import annotations

import io

from django.core import mail
from django.test import TestCase
from PIL import Image

from accord.agreements import services, signed_pdf
from accord.agreements.content import Details
from accord.agreements.documents import agreement_pdf
from accord.agreements.models import ApplicationField, ApplicationRules, MemberField
from accord.agreements.pdf import render_pages
from accord.catalog.models import Clause
from tests import factories


def policy_dataset(custodian, *, slug="casmemg-test", short_name="CASMEMG", members=True):
    """A dataset with published terms (two attested clauses, one enforced), a variant, the
    CASMEMG naming rule, a registration-ID member field and one extra question."""
    dataset = factories.DatasetFactory(
        custodian=custodian, slug=slug, short_name=short_name, name=f"{short_name} database"
    )
    factories.VariantFactory(dataset=dataset, slug=f"{slug}-v", name=f"{short_name} full")
    version = factories.LicenseVersionFactory(dataset=dataset, title=f"{short_name} LA")
    factories.ClauseFactory(license_version=version, code="C1", title="No commercial use")
    factories.ClauseFactory(license_version=version, code="C3", title="Safe keeping")
    factories.ClauseFactory(
        license_version=version,
        code="C6",
        title="No warranty",
        enforcement=Clause.Enforcement.ENFORCED,
    )
    policy = ApplicationRules.objects.create(
        dataset=dataset,
        members_allowed=members,
        stored_filename_rule="License Agreement for CASMEMG _{signer_name}.pdf",
    )
    MemberField.objects.create(policy=policy, key="registration_id", label="Registration ID")
    ApplicationField.objects.create(
        policy=policy, key="data_location", label="Where the data is kept", kind="text"
    )
    return dataset


def complete_details(dataset, *, signer_email="prof.ada@uni-example.edu", members=None):
    return Details(
        variants=[v.slug for v in dataset.variants.all()],
        signer_name="Ada Lovelace",
        signer_title="Professor",
        signer_affiliation="University of Example, Dept. of Psychology",
        signer_email=signer_email,
        signer_address="1 Campus Road\nExample City",
        organisation_type="university",
        purpose="Micro-expression spotting research on EMG signals.",
        answers={"data_location": "Encrypted lab server, group-only access"},
        attested_clauses=["C1", "C3"],
        members=members
        if members is not None
        else [
            {
                "full_name": "Sam Student",
                "email": "sam@uni-example.edu",
                "extra": {"registration_id": "REG-0007"},
            }
        ],
    )


def scan_of(pdf: bytes, *, dpi: int = 110) -> bytes:
    """What "print, sign, scan" returns: the pages as images wrapped in an image-only PDF."""
    pages = [Image.open(io.BytesIO(png)).convert("L") for png in render_pages(pdf, dpi=dpi)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def draft(applicant, dataset, **kwargs):
    return services.application_create(
        actor=applicant, dataset=dataset, details=complete_details(dataset, **kwargs)
    )


def with_scan(application, applicant):
    signed_pdf.application_upload_agreement(
        application=application, actor=applicant, data=scan_of(agreement_pdf(application))
    )
    return application


def submitted(applicant, dataset, **kwargs):
    application = with_scan(draft(applicant, dataset, **kwargs), applicant)
    return services.application_submit(application=application, actor=applicant)


def signer_user(email="prof.ada@uni-example.edu"):
    return factories.UserFactory(email=email, full_name="Ada Lovelace")


def signer_confirms(application, signer, *, asked_by=None):
    """The named signer confirms as on the site: a new confirmation link is sent (by the
    applicant, or ``asked_by`` for an emailed application), the signer reads it in their email
    and follows it. Returns the application as it is now."""
    sent = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.signer_link_resend(
            application=application, actor=asked_by or application.applicant
        )
    body = next(m.body for m in mail.outbox[sent:] if "/apply/confirm/" in m.body)
    token = body.split("/apply/confirm/")[1].split("/")[0]
    confirmed = services.signer_confirm(raw_token=token, actor=signer)
    application.refresh_from_db()
    return confirmed
