"""A digitally signed agreement (PAdES) is an alternative to ink: pyHanko validates it in the
sandboxed worker, the reviewer sees who signed and whether the portal trusts their certificate,
and a file changed after signing, or whose signature does not verify, is refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements.documents import agreement_template
from accord.agreements.models import SignedAgreement
from tests.agreements import pdf_corpus
from tests.agreements.factories import draft
from tests.agreements.test_hostile_uploads import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki():
    return pdf_corpus.TestPki(signer_name="Ada Lovelace")


@pytest.fixture
def trusted(settings, tmp_path, pki):
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(pki.ca_pem())
    settings.PADES_TRUST_ROOTS = bundle
    return bundle


def upload(client, application, data: bytes):
    return client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": SimpleUploadedFile("signed.pdf", data, content_type="application/pdf")},
        follow=True,
    )


def review_page(client, reviewer, application) -> str:
    application.state = "submitted"
    application.save()
    client.force_login(reviewer)
    return client.get(
        reverse("agreements:review_detail", args=[application.reference])
    ).content.decode()


def test_a_validly_signed_agreement_from_a_trusted_root_is_shown_as_signed(
    client, student, casmemg, ipcas_reviewer, pki, trusted
):
    application = draft(student, casmemg)
    client.force_login(student)
    signed = pki.sign(agreement_template(application).pdf)
    upload(client, application, signed)
    agreement = SignedAgreement.objects.get()
    assert agreement.signature_evidence == "digital"
    (signature,) = agreement.digital_signatures
    assert (signature["status"], signature["signer"]) == ("valid", "Ada Lovelace")
    assert signature["signing_time"]
    html = review_page(client, ipcas_reviewer, application)
    assert (
        "Digitally signed by Ada Lovelace, valid (certificate issued by Accord Test Root CA)."
        in html
    )
    assert "Signing time:" in html


def test_a_signer_outside_the_trust_roots_is_shown_as_not_trusted(
    client, student, casmemg, ipcas_reviewer, pki, settings
):
    settings.PADES_TRUST_ROOTS = None  # no roots configured: nobody is vouched for
    application = draft(student, casmemg)
    client.force_login(student)
    upload(client, application, pki.sign(agreement_template(application).pdf))
    (signature,) = SignedAgreement.objects.get().digital_signatures
    assert signature["status"] == "untrusted"
    html = review_page(client, ipcas_reviewer, application)
    assert "Signature valid, signer not trusted: signed by Ada Lovelace" in html


def test_a_root_other_than_the_signers_does_not_make_it_trusted(
    client, student, casmemg, pki, settings, tmp_path
):
    bundle = tmp_path / "other.pem"
    bundle.write_bytes(pdf_corpus.TestPki(ca_name="Someone Else's CA").ca_pem())
    settings.PADES_TRUST_ROOTS = bundle
    application = draft(student, casmemg)
    client.force_login(student)
    upload(client, application, pki.sign(agreement_template(application).pdf))
    (signature,) = SignedAgreement.objects.get().digital_signatures
    assert signature["status"] == "untrusted"


def test_a_file_changed_after_signing_is_refused(client, student, casmemg, pki, trusted, settings):
    application = draft(student, casmemg)
    client.force_login(student)
    signed = pki.sign(agreement_template(application).pdf)
    page = upload(client, application, pdf_corpus.modified_after_signing(signed)).content.decode()
    assert "This PDF was changed after Ada Lovelace signed it digitally" in page
    assert "Upload the file as it was when signed" in page
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


def test_a_signature_that_does_not_verify_is_refused(
    client, student, casmemg, pki, trusted, settings
):
    application = draft(student, casmemg)
    client.force_login(student)
    signed = pki.sign(agreement_template(application).pdf)
    # One byte of the signed range changed (the title, so the file still opens).
    tampered = signed.replace(b"/Title (Licence agreement", b"/Title (Licenze agreement", 1)
    assert tampered != signed
    page = upload(client, application, tampered).content.decode()
    assert "The digital signature in this PDF does not verify" in page
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


def test_a_file_that_only_mentions_a_signature_is_treated_as_unsigned(student, casmemg):
    from accord.agreements import signed_pdf

    application = draft(student, casmemg)
    # "/ByteRange" in a comment makes us ask pyHanko, which finds no signature: nothing claimed.
    data = pdf_corpus.plain_pdf().replace(b"%PDF-1.3\n", b"%PDF-1.3\n% /ByteRange [0 0 0 0]\n", 1)
    assert b"/ByteRange" in data
    agreement = signed_pdf.application_upload_agreement(
        application=application, actor=student, data=data
    )
    assert agreement.digital_signatures == []
    assert agreement.signature_evidence == "unknown"


def test_test_files_can_be_signed_where_an_event_loop_is_running():
    # A test worker that has driven Chromium through Playwright's sync API has an event loop
    # running in its main thread; the PAdES fixtures must still sign there.
    import asyncio

    async def inside_a_running_loop():
        return pdf_corpus.TestPki().sign(pdf_corpus.plain_pdf())

    signed = asyncio.run(inside_a_running_loop())
    assert b"/ByteRange" in signed
