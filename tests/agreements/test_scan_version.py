"""A signed scan must be of the agreement version that is submitted: the generated PDF prints
the content version next to the reference and carries it in the QR code; the upload refuses a
scan of an agreement generated before the application was changed, accepts the current one,
and takes a scan printed before versions existed (reference-only code) flagged for the
reviewer."""

from __future__ import annotations

import dataclasses

import pypdfium2
import pytest
from django.conf import settings
from django.urls import reverse

from accord.agreements import services, signed_pdf
from accord.agreements.content import Details, content_version
from accord.agreements.documents import agreement_pdf, pdf_data
from accord.agreements.models import Application, SignedAgreement
from accord.agreements.pdf import build_agreement_pdf, check_agreement_qr, check_reference_qr
from accord.agreements.signed_pdf import AgreementRefused
from tests.agreements.factories import draft, scan_of

pytestmark = pytest.mark.django_db

EARLIER = "This scan is of an earlier version of the agreement"
WHAT_TO_DO = "Download the current agreement, have it signed and upload that."
KIM = {
    "full_name": "Kim Researcher",
    "email": "kim@uni-example.edu",
    "extra": {"registration_id": "REG-0008"},
}


def _add_member(application, actor):
    members = [*application.members, KIM]
    return services.application_update(
        application=application, actor=actor, details=Details(members=members)
    )


def _stored_files() -> list[str]:
    root = settings.PROTECTED_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _page_texts(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _upload(application, actor, data):
    return signed_pdf.application_upload_agreement(application=application, actor=actor, data=data)


def test_the_footer_and_the_qr_code_carry_the_content_version(student, casmemg):
    application = draft(student, casmemg)
    version = content_version(application)
    pdf = agreement_pdf(application)

    pages = _page_texts(pdf)
    assert len(version) == 10
    for number, text in enumerate(pages, start=1):
        assert f"{application.reference} · version {version} · page {number}/{len(pages)}" in text
    qr = check_agreement_qr(scan_of(pdf), application.reference, version)
    assert qr.found == [f"{application.reference}/{version.upper()}"]
    assert (qr.status, qr.version_status) == ("match", "match")


def test_the_version_changes_with_the_content(student, casmemg):
    application = draft(student, casmemg)
    before = content_version(application)
    application = _add_member(application, student)
    assert content_version(application) != before
    purpose = Details(purpose=application.purpose)  # saving the same content: same version
    application = services.application_update(
        application=application, actor=student, details=purpose
    )
    stored = Application.objects.get(pk=application.pk)
    assert content_version(stored) == content_version(application)


def test_a_scan_signed_before_an_edit_is_refused_and_nothing_is_stored(student, casmemg):
    application = draft(student, casmemg)
    old_version = content_version(application)
    old_scan = scan_of(agreement_pdf(application))  # downloaded, printed, signed, scanned
    application = _add_member(application, student)  # ... then the draft is edited

    with pytest.raises(AgreementRefused) as refused:
        _upload(application, student, old_scan)

    message = str(refused.value)
    assert message.startswith(EARLIER) and message.endswith(WHAT_TO_DO)
    assert old_version in message and content_version(application) in message
    assert "the application has changed since" in message
    assert refused.value.code == "agreement-version-mismatch"
    assert not SignedAgreement.objects.filter(application=application).exists()
    assert _stored_files() == []


def test_a_scan_signed_before_an_edit_is_refused_on_the_web_page_too(client, student, casmemg):
    application = draft(student, casmemg)
    old_scan = scan_of(agreement_pdf(application))
    application = services.application_update(
        application=application, actor=student, details=Details(purpose="A different purpose.")
    )
    client.force_login(student)

    response = client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": _named(old_scan)},
        follow=True,
    )

    assert response.status_code == 200
    assert EARLIER.encode() in response.content and WHAT_TO_DO.encode() in response.content
    assert not SignedAgreement.objects.filter(application=application).exists()


def test_the_scan_of_the_current_agreement_is_accepted(student, casmemg):
    application = draft(student, casmemg)
    scan_of(agreement_pdf(application))  # an earlier download, never uploaded
    application = _add_member(application, student)

    agreement = _upload(application, student, scan_of(agreement_pdf(application)))

    assert (agreement.qr_status, agreement.version_status) == ("match", "match")
    assert not agreement.version_unverified
    application = services.application_submit(application=application, actor=student)
    assert application.state == "submitted"


def test_a_scan_printed_before_versions_existed_is_accepted_and_flagged(
    client, student, casmemg, ipcas_reviewer
):
    application = draft(student, casmemg)
    # An agreement generated before this change: its QR code holds only the reference.
    legacy_pdf = build_agreement_pdf(dataclasses.replace(pdf_data(application), content_version=""))
    first_page = _page_texts(legacy_pdf)[0]
    assert f"{application.reference} · page 1/" in first_page and "· version" not in first_page
    assert check_reference_qr(scan_of(legacy_pdf), application.reference).found == [
        application.reference
    ]

    agreement = _upload(application, student, scan_of(legacy_pdf))

    assert (agreement.qr_status, agreement.version_status) == ("match", "unverified")
    assert agreement.version_unverified and not agreement.needs_attention
    services.application_submit(application=application, actor=student)
    client.force_login(ipcas_reviewer)
    page = client.get(reverse("agreements:review_detail", args=[application.reference]))
    assert page.status_code == 200
    assert b'id="scan-version" class="warn"' in page.content
    assert b"Agreement version unverified" in page.content


def test_the_reviewer_sees_a_verified_version(client, student, casmemg, ipcas_reviewer):
    application = draft(student, casmemg)
    _upload(application, student, scan_of(agreement_pdf(application)))
    services.application_submit(application=application, actor=student)
    client.force_login(ipcas_reviewer)

    page = client.get(reverse("agreements:review_detail", args=[application.reference]))

    assert b'id="scan-version" class="ok"' in page.content
    assert b"Agreement version matches" in page.content


def test_another_applications_versioned_scan_is_still_a_reference_mismatch(student, casmemg):
    mine = draft(student, casmemg)
    other = draft(student, casmemg)

    with pytest.raises(AgreementRefused) as refused:
        _upload(mine, student, scan_of(agreement_pdf(other)))

    assert refused.value.code == "qr-mismatch"
    # The message names the other reference as printed, not the raw code with its version.
    assert f"says {other.reference}, not {mine.reference}" in str(refused.value)
    assert not SignedAgreement.objects.filter(application=mine).exists()


def test_check_reference_qr_still_matches_a_versioned_code(student, casmemg):
    application = draft(student, casmemg)
    scan = scan_of(agreement_pdf(application))

    result = check_reference_qr(scan, application.reference)

    assert result.status == "match"
    assert result.versions == [content_version(application)]


def _named(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", data, content_type="application/pdf")
