"""An agreement that nobody signed does not pass as signed: the generated PDF uploaded as it
was downloaded (or re-saved) is refused, and on a scan the places where the signer signs, dates
and ticks are found through the QR code and compared with the blank agreement; the reviewer sees
what was found in each."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements import signed_pdf
from accord.agreements.documents import agreement_template
from accord.agreements.models import SignedAgreement
from accord.agreements.pdf.generate import qr_symbol_origin
from tests.agreements import pdf_corpus
from tests.agreements.factories import draft
from tests.agreements.test_hostile_uploads import stored_files

pytestmark = pytest.mark.django_db


def upload(client, application, data: bytes):
    return client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": SimpleUploadedFile("agreement.pdf", data, content_type="application/pdf")},
        follow=True,
    )


def regions_of(agreement: SignedAgreement) -> dict[str, str]:
    return {(r["code"] or r["kind"]): r["status"] for r in agreement.regions}


@pytest.mark.parametrize(
    "build", [pdf_corpus.unsigned_original, pdf_corpus.resaved], ids=["as downloaded", "re-saved"]
)
def test_the_generated_agreement_uploaded_unsigned_is_refused(
    client, student, casmemg, settings, build
):
    application = draft(student, casmemg)
    client.force_login(student)
    response = upload(client, application, build(agreement_template(application).pdf))
    page = response.content.decode()
    assert "This is the agreement exactly as Accord generated it, not signed" in page
    assert "Print it, have the signer sign and date it" in page  # says what to do
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("angle", "scale"),
    [(1.5, 0.97), (-2.5, 1.03), (180.0, 1.0)],
    ids=["tilted", "enlarged", "upside down"],
)
def test_a_signed_scan_shows_the_signature_and_which_boxes_are_ticked(
    client, student, casmemg, ipcas_reviewer, angle, scale
):
    application = draft(student, casmemg)
    template = agreement_template(application)
    scan = pdf_corpus.signed_by_hand(
        template.pdf, template.regions, tick=("C1",), angle=angle, scale=scale
    )
    agreement = signed_pdf.application_upload_agreement(
        application=application, actor=student, data=scan
    )
    assert regions_of(agreement) == {
        "signature": "ink",
        "date": "ink",
        "C1": "ink",
        "C3": "empty",
        "C6": "empty",
    }
    assert agreement.signature_evidence == "ink"
    application.state = "submitted"
    application.save()
    client.force_login(ipcas_reviewer)
    page = client.get(reverse("agreements:review_detail", args=[application.reference]))
    html = page.content.decode()
    assert "Ink found where the signer signs." in html
    assert 'data-code="C1" data-status="ink"' in html and "ticked" in html
    assert 'data-code="C3" data-status="empty"' in html


def test_a_blank_agreement_printed_and_scanned_shows_signature_empty(
    client, student, casmemg, ipcas_reviewer
):
    application = draft(student, casmemg)
    template = agreement_template(application)
    agreement = signed_pdf.application_upload_agreement(
        application=application, actor=student, data=pdf_corpus.printed_blank(template.pdf)
    )
    # A scan is accepted (ink can be too faint to measure), but nobody is misled about it.
    assert regions_of(agreement) == dict.fromkeys(["signature", "date", "C1", "C3", "C6"], "empty")
    assert agreement.signature_evidence == "none"
    application.state = "submitted"
    application.save()
    client.force_login(ipcas_reviewer)
    html = client.get(reverse("agreements:review_detail", args=[application.reference])).content
    assert b"No signature found: the place where the signer signs is empty" in html


def test_the_applicant_is_told_when_no_signature_was_found(client, student, casmemg):
    application = draft(student, casmemg)
    client.force_login(student)
    blank = pdf_corpus.printed_blank(agreement_template(application).pdf)
    page = upload(client, application, blank).content.decode()
    assert "we found nothing written where the signer signs" in page


def test_without_a_qr_code_the_reviewer_is_told_to_check_by_eye(
    client, student, casmemg, ipcas_reviewer
):
    application = draft(student, casmemg)
    agreement = signed_pdf.application_upload_agreement(
        application=application, actor=student, data=pdf_corpus.plain_pdf(2)
    )
    assert agreement.signature_evidence == "unknown"
    application.state = "submitted"
    application.save()
    client.force_login(ipcas_reviewer)
    html = client.get(reverse("agreements:review_detail", args=[application.reference])).content
    assert b"Whether it is signed could not be checked automatically" in html


def _draw_on(pdf_bytes: bytes, region) -> bytes:
    """A signature drawn into the generated PDF itself (as "fill and sign" in a PDF viewer
    does), not printed and scanned."""
    left, top = qr_symbol_origin(region.qr_side)
    points = 72 / 25.4
    x = (left + region.x + 5) * points
    y = (297 - (top + region.y + 8)) * points
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    strokes = [(x, y), (x + 40, y + 14), (x + 70, y - 4), (x + 110, y + 10)]
    path = " ".join(f"{a:.1f} {b:.1f} {'m' if i == 0 else 'l'}" for i, (a, b) in enumerate(strokes))
    path = f"q 0 0 0 RG 1.2 w {path} S Q"
    pdf.pages[region.page].contents_add(pdf.make_stream(path.encode()), prepend=False)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_the_generated_pdf_with_a_signature_drawn_on_it_is_accepted_and_described(student, casmemg):
    application = draft(student, casmemg)
    template = agreement_template(application)
    signature = next(r for r in template.regions if r.kind == "signature")
    agreement = signed_pdf.application_upload_agreement(
        application=application, actor=student, data=_draw_on(template.pdf, signature)
    )
    assert regions_of(agreement)["signature"] == "ink"
    assert agreement.signing_findings["generated_text"] is True
