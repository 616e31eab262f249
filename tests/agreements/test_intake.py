"""Email intake: staff turn an emailed agreement (the PDF, an .eml or an mbox) into an
application on the signer's behalf, which then follows the same review path."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements import intake
from accord.agreements.models import Application
from tests.agreements import pdf_corpus

pytestmark = pytest.mark.django_db


def eml(pdf: bytes | None, *, sender="Prof. Ada <ada@uni-example.edu>", subject="Signed LA"):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "data@lab.example.edu"
    message["Subject"] = subject
    message.set_content("Please find the signed agreement attached.")
    if pdf is not None:
        message.add_attachment(
            pdf, maintype="application", subtype="pdf", filename="License Agreement.pdf"
        )
    return message


def test_eml_gives_sender_subject_and_pdf():
    pdf = pdf_corpus.plain_pdf()
    found = intake.extract(eml(pdf).as_bytes())
    assert (found.sender_name, found.sender_email, found.subject) == (
        "Prof. Ada",
        "ada@uni-example.edu",
        "Signed LA",
    )
    assert found.pdf == pdf and found.pdf_name == "License Agreement.pdf"


def test_mbox_uses_the_first_message_with_a_pdf(tmp_path):
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    box.add(eml(None, subject="Question"))
    box.add(eml(pdf_corpus.plain_pdf(), subject="Here it is"))
    box.flush()
    found = intake.extract((tmp_path / "inbox.mbox").read_bytes())
    assert found.subject == "Here it is"
    assert "message 2 was the first with a PDF attachment" in found.notes[0]


def test_email_without_pdf_and_random_bytes_are_refused():
    with pytest.raises(intake.IntakeRefused, match="has no PDF attachment"):
        intake.extract(eml(None).as_bytes())
    with pytest.raises(intake.IntakeRefused, match="neither a PDF nor an email"):
        intake.extract(b"\x00\x01binary junk")


def test_staff_create_an_application_from_an_eml(client, casmemg, ipcas_reviewer):
    client.force_login(ipcas_reviewer)
    upload = SimpleUploadedFile("mail.eml", eml(pdf_corpus.plain_pdf()).as_bytes())
    response = client.post(
        reverse("agreements:review_intake"),
        {"dataset": casmemg.pk, "file": upload, "signer_affiliation": "University of Example"},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("agreements:review_detail", args=[application.reference])
    assert application.origin == "email" and application.state == "submitted"
    assert application.signer_email == "ada@uni-example.edu"
    assert application.signer_name == "Prof. Ada"
    assert application.intake["subject"] == "Signed LA"
    assert application.current_agreement().qr_status == "absent"  # flagged for the reviewer
    assert not application.signer_confirmed  # the signer still confirms by the emailed link
    assert application.transitions.get().comment.startswith("Received by email from ada@")


def test_intake_needs_the_signer_details_it_cannot_read(client, casmemg, ipcas_reviewer, settings):
    client.force_login(ipcas_reviewer)
    upload = SimpleUploadedFile("a.pdf", pdf_corpus.plain_pdf())
    response = client.post(
        reverse("agreements:review_intake"), {"dataset": casmemg.pk, "file": upload}, follow=True
    )
    assert b"Give the signer&#x27;s name" in response.content
    assert not Application.objects.exists()


def test_intake_refuses_hostile_attachments(client, casmemg, ipcas_reviewer):
    client.force_login(ipcas_reviewer)
    upload = SimpleUploadedFile("mail.eml", eml(pdf_corpus.javascript_open_action()).as_bytes())
    response = client.post(
        reverse("agreements:review_intake"),
        {"dataset": casmemg.pk, "file": upload, "signer_affiliation": "Uni"},
        follow=True,
    )
    assert b"contains JavaScript" in response.content
    assert not Application.objects.exists()


def test_other_custodians_datasets_are_not_offered(client, casmemg, staff):
    client.force_login(staff)  # CMVS: casmemg belongs to IP-CAS
    upload = SimpleUploadedFile("a.pdf", pdf_corpus.plain_pdf())
    response = client.post(
        reverse("agreements:review_intake"),
        {"dataset": casmemg.pk, "file": upload, "signer_name": "A", "signer_email": "a@b.edu"},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Application.objects.exists()


def test_intake_through_the_api(client, casmemg, ipcas_reviewer):
    client.force_login(ipcas_reviewer)
    response = client.post(
        "/api/v1/review/intake",
        {
            "dataset": casmemg.slug,
            "signer_affiliation": "University of Example",
            "file": SimpleUploadedFile("m.eml", eml(pdf_corpus.plain_pdf()).as_bytes()),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["origin"] == "email" and body["state"] == "submitted"
    assert body["agreement"]["qr_status"] == "absent"


def test_absurdly_nested_email_is_refused_not_a_crash():
    boundary = b"b"
    body = b"From: a@b.edu\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    for _ in range(5000):
        body += b"--" + boundary + b"\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    try:
        intake.extract(body)
    except intake.IntakeRefused as exc:
        assert "PDF" in exc.message
