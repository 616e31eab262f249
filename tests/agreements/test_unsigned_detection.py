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
    assert regions_of(agreement) == dict.fromkeys(["signature", "date", "C1", "C3"], "empty")
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


# --- the signer sees what was uploaded under their name, and may decline it ------------------


def _signer_link(mail_outbox) -> str:
    body = next(m.body for m in mail_outbox if "/apply/confirm/" in m.body)
    return body.split("/apply/confirm/")[1].split("/")[0]


@pytest.fixture
def awaiting_signer(student, casmemg, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.agreements.factories import submitted

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(student, casmemg)
    token = _signer_link(mail.outbox)
    mail.outbox.clear()
    return application, token


def test_the_signer_sees_the_uploaded_pages_before_confirming(client, professor, awaiting_signer):
    application, token = awaiting_signer
    agreement = application.current_agreement()
    client.force_login(professor)
    page = client.get(reverse("agreements:signer_confirm", args=[token])).content.decode()
    image = reverse("agreements:signer_page_image", args=[application.reference, agreement.pk, 1])
    assert "The pages uploaded under your name" in page and image in page
    assert "This is not what I signed" in page
    response = client.get(image)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_only_the_named_signer_gets_the_uploaded_pages(
    client, student, outsider, ipcas_reviewer, awaiting_signer
):
    application, _ = awaiting_signer
    agreement = application.current_agreement()
    image = reverse("agreements:signer_page_image", args=[application.reference, agreement.pk, 1])
    for someone in (student, outsider, ipcas_reviewer):  # reviewers have their own page
        client.force_login(someone)
        assert client.get(image).status_code == 404
    client.logout()
    assert client.get(image).status_code == 302  # to the sign-in page


def test_the_signer_declines_and_the_application_returns_to_the_applicant_with_the_note(
    client, student, professor, awaiting_signer, django_capture_on_commit_callbacks
):
    from django.core import mail

    from accord.agreements.content import missing_items
    from accord.audit.models import Event

    application, token = awaiting_signer
    disputed = application.current_agreement()
    client.force_login(professor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agreements:signer_decline", args=[token]),
            {"note": "Page 2 is not the page I signed: the member list differs."},
            follow=True,
        )
    assert "is back with the applicant" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "returned"
    assert application.current_agreement() is None  # the disputed scan no longer counts
    assert "Upload the signed agreement" in " ".join(
        missing_items(application, for_submission=True)
    )
    transition = application.transitions.last()
    assert (transition.actor, transition.to_state) == (professor, "returned")
    assert transition.comment.startswith("Page 2 is not the page I signed")
    event = Event.objects.get(event_type="agreements:application:decline")
    assert event.details["declined_sha256"] == disputed.sha256
    (notice,) = mail.outbox
    assert notice.to == [student.email]
    assert "said they are not what they signed" in notice.body
    assert "the member list differs" in notice.body
    # The link has been answered: it neither confirms nor declines again.
    assert client.get(reverse("agreements:signer_confirm", args=[token])).status_code == 404


def test_declining_needs_a_note(client, professor, awaiting_signer):
    application, token = awaiting_signer
    client.force_login(professor)
    response = client.post(
        reverse("agreements:signer_decline", args=[token]), {"note": "  "}, follow=True
    )
    assert "Give what is wrong with the uploaded pages" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "submitted" and application.current_agreement() is not None


def test_nobody_else_can_decline_for_the_signer(awaiting_signer, outsider):
    from accord.agreements import services
    from accord.core.errors import NotAllowed

    application, token = awaiting_signer
    with pytest.raises(NotAllowed):
        services.signer_decline(raw_token=token, actor=outsider, note="not mine")
    application.refresh_from_db()
    assert application.state == "submitted"


def test_the_unsigned_original_is_refused_through_the_api_too(client, student, casmemg, settings):
    application = draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        f"/api/v1/applications/{application.reference}/signed-agreement",
        {
            "file": SimpleUploadedFile(
                "agreement.pdf", agreement_template(application).pdf, content_type="application/pdf"
            )
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/agreement-unsigned")
    assert "Print it, have the signer sign and date it" in problem["detail"]
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


def test_the_email_intake_refuses_an_unsigned_generated_agreement(
    client, student, casmemg, ipcas_reviewer, settings
):
    from tests.agreements.test_hostile_uploads import through_the_email_intake

    original = agreement_template(draft(student, casmemg)).pdf
    error, _ = through_the_email_intake(client, ipcas_reviewer, casmemg, original)
    # The intake makes a new application, so the original is another application's agreement.
    assert "it is the agreement of another application" in error
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


def test_the_api_shows_what_was_found_where_the_signer_writes(client, student, casmemg):
    application = draft(student, casmemg)
    template = agreement_template(application)
    scan = pdf_corpus.signed_by_hand(template.pdf, template.regions, tick=("C1", "C3"))
    client.force_login(student)
    response = client.post(
        f"/api/v1/applications/{application.reference}/signed-agreement",
        {"file": SimpleUploadedFile("scan.pdf", scan, content_type="application/pdf")},
    )
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert body["signature_evidence"] == "ink"
    assert {r["code"] or r["kind"]: r["status"] for r in body["signing"]["regions"]} == {
        "signature": "ink",
        "date": "ink",
        "C1": "ink",
        "C3": "ink",
    }
