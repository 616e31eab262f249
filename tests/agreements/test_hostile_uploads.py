"""Hostile uploads through every way an agreement comes in: the applicant's API upload, the
applicant's web form and the staff email intake (.eml). Each file of the acceptance corpus
(``pdf_corpus.CORPUS``) has the same designed outcome through all three: stored exactly as
uploaded, with its malware scan shown to the reviewer, or refused with one message that says
what to do, never a 500, and nothing stored (no file in the protected storage, no
SignedAgreement, no application from the intake)."""

from __future__ import annotations

import re
import socket
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accord.agreements.models import Application, SignedAgreement
from accord.agreements.pdf.errors import MESSAGES
from accord.audit.models import Event
from accord.core.storage import protected_storage
from tests.agreements import pdf_corpus
from tests.agreements.factories import draft, scan_of
from tests.clamav import SIGNATURE, STREAM_MAX_LENGTH

pytestmark = pytest.mark.django_db

CASES = {
    "PNG renamed .pdf": (pdf_corpus.png_renamed, "not-pdf"),
    "HTML renamed .pdf": (pdf_corpus.html_renamed, "not-pdf"),
    "truncated in half": (pdf_corpus.truncated, "damaged"),
    "encrypted with a password": (pdf_corpus.encrypted, "encrypted"),
    "JavaScript OpenAction": (pdf_corpus.javascript_open_action, "javascript"),
    "Launch action": (pdf_corpus.launch_action, "launch-action"),
    "embedded file": (pdf_corpus.embedded_file, "embedded-file"),
    "AcroForm with a field": (pdf_corpus.acroform_with_field, "form"),
    "1,000 pages": (pdf_corpus.thousand_pages, "too-many-pages"),
    "2 GiB Flate bomb": (pdf_corpus.bomb_single, "too-complex"),
    "empty file": (lambda: b"", "empty"),
}


def stored_files(settings) -> list[Path]:
    root = Path(settings.PROTECTED_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _first_sentence(code: str) -> str:
    return MESSAGES[code].split("{")[0].split(".")[0]


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_upload_is_refused_with_its_own_message(client, student, casmemg, settings, case):
    build, code = CASES[case]
    application = draft(student, casmemg)
    client.force_login(student)
    upload = SimpleUploadedFile("agreement.pdf", build(), content_type="application/pdf")
    response = client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": upload},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="msg error"' in page
    assert _first_sentence(code).replace("'", "&#x27;") in page, page[:3000]
    assert not SignedAgreement.objects.exists()
    assert stored_files(settings) == []


def test_oversized_upload_is_refused_before_it_is_read(client, student, casmemg, settings):
    settings.AGREEMENT_MAX_BYTES = 2048
    application = draft(student, casmemg)
    client.force_login(student)
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.7\n" + b"0" * 4096)
    response = client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": upload},
        follow=True,
    )
    assert "larger than the 2 KB allowed" in response.content.decode()
    assert stored_files(settings) == []


def test_path_traversal_file_name_is_never_used(client, student, casmemg, settings, tmp_path):
    """The browser's file name is ignored: the scan is stored by its SHA-256 under the
    protected root, and a non-PDF with such a name is refused like any other."""
    from accord.agreements.documents import agreement_pdf

    application = draft(student, casmemg)
    client.force_login(student)
    url = reverse("agreements:application_upload", args=[application.reference])
    evil = "../../../../tmp/evil.pdf"
    response = client.post(
        url, {"file": SimpleUploadedFile(evil, b"#!/bin/sh\nrm -rf /\n")}, follow=True
    )
    assert _first_sentence("not-pdf") in response.content.decode()
    assert stored_files(settings) == []
    client.post(url, {"file": SimpleUploadedFile(evil, scan_of(agreement_pdf(application)))})
    agreement = SignedAgreement.objects.get()
    root = Path(settings.PROTECTED_ROOT).resolve()
    for path in stored_files(settings):
        assert path.resolve().is_relative_to(root)
        assert "evil" not in path.name
    assert agreement.display_name == "License Agreement for CASMEMG _Ada Lovelace.pdf"


def test_scan_of_another_application_is_refused(client, student, casmemg, settings):
    from accord.agreements.documents import agreement_pdf

    first = draft(student, casmemg)
    second = draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        reverse("agreements:application_upload", args=[second.reference]),
        {"file": SimpleUploadedFile("a.pdf", scan_of(agreement_pdf(first)))},
        follow=True,
    )
    page = response.content.decode()
    assert f"The QR code on this scan says {first.reference}, not {second.reference}" in page
    assert stored_files(settings) == []


def test_scan_without_qr_is_accepted_and_flagged(client, student, casmemg):
    application = draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": SimpleUploadedFile("a.pdf", pdf_corpus.plain_pdf(2))},
        follow=True,
    )
    assert "the reviewer will check the document by eye" in response.content.decode()
    agreement = SignedAgreement.objects.get()
    assert agreement.qr_status == "absent" and agreement.needs_attention


# --- the acceptance corpus, through all three ways in -----------------------------------------

# Every refusal says what to do next; one of these is how it says it.
WHAT_TO_DO = ("upload", "try again", "save", "scan", "print", "tell the")


def _eml(pdf: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "Prof. Ada <prof.ada@uni-example.edu>"
    message["To"] = "data@lab.example.edu"
    message["Subject"] = "Signed licence agreement"
    message.set_content("Please find the signed agreement attached.")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename="License Agreement.pdf"
    )
    return message.as_bytes()


def _error_on(page: str) -> str:
    errors = re.findall(r'class="msg error"[^>]*>(.*?)</', page, re.S)
    return " ".join(error.strip() for error in errors)


def through_the_api(client, student, casmemg, data: bytes) -> tuple[str, str, Application]:
    """(outcome, message, application): the outcome as the API reports it."""
    application = draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        f"/api/v1/applications/{application.reference}/signed-agreement",
        {"file": SimpleUploadedFile("agreement.pdf", data, content_type="application/pdf")},
    )
    if response.status_code == 201:
        assert response.json()["sha256"] == application.current_agreement().sha256
        return pdf_corpus.STORED, "", application
    assert response["Content-Type"] == "application/problem+json", response.content[:300]
    assert response.status_code in (422, 503), response.content[:300]
    body = response.json()
    return body["type"].rsplit("/", 1)[1], body["detail"], application


def through_the_web_form(client, student, casmemg, data: bytes) -> tuple[str, Application]:
    """(the error shown on the page, application)."""
    application = draft(student, casmemg)
    client.force_login(student)
    response = client.post(
        reverse("agreements:application_upload", args=[application.reference]),
        {"file": SimpleUploadedFile("agreement.pdf", data, content_type="application/pdf")},
        follow=True,
    )
    assert response.status_code == 200
    return _error_on(response.content.decode()), application


def through_the_email_intake(client, reviewer, casmemg, data: bytes) -> tuple[str, object]:
    """(the error shown on the page, the response)."""
    client.force_login(reviewer)
    response = client.post(
        reverse("agreements:review_intake"),
        {
            "dataset": casmemg.pk,
            "file": SimpleUploadedFile("message.eml", _eml(data), content_type="message/rfc822"),
            "signer_affiliation": "University of Example",
        },
        follow=True,
    )
    assert response.status_code == 200
    return _error_on(response.content.decode()), response


def _stored_bytes(agreement: SignedAgreement) -> bytes:
    with protected_storage().open(agreement.storage_name, "rb") as fh:
        return fh.read()


CLAMAV, NO_SCANNER = "ClamAV running", "no scanner"
RUNS = [
    *((case, NO_SCANNER) for case in pdf_corpus.CORPUS),
    # With ClamAV: the files whose outcome it changes, and one clean file.
    *((case, CLAMAV) for case in pdf_corpus.CORPUS if case.scanned or case.name == "plain PDF"),
]


@pytest.mark.parametrize(
    ("case", "scanner"), RUNS, ids=[f"{case.name} ({scanner})" for case, scanner in RUNS]
)
def test_corpus_file_has_its_designed_outcome_through_every_way_in(
    request, client, student, casmemg, ipcas_reviewer, settings, case, scanner
):
    settings.CLAMD_ADDRESS = request.getfixturevalue("clamd") if scanner == CLAMAV else ""
    expected = case.expected(scanner=scanner == CLAMAV)
    # Built once, for an application of the same dataset (the generated original is a
    # file of that kind); the API and the web form each upload it to a draft of their own.
    data = case.build(draft(student, casmemg))
    outcome, api_message, api_application = through_the_api(client, student, casmemg, data)
    web_error, web_application = through_the_web_form(client, student, casmemg, data)
    intake_error, intake_response = through_the_email_intake(client, ipcas_reviewer, casmemg, data)
    assert outcome == expected, f"API: {outcome} ({api_message})"

    if expected == pdf_corpus.STORED:
        assert web_error == "" and intake_error == "", (web_error, intake_error)
        intake_application = Application.objects.get(origin=Application.Origin.EMAIL)
        scan_status = "clean" if scanner == CLAMAV else "not-scanned"
        for application in (api_application, web_application, intake_application):
            agreement = application.current_agreement()
            # What is stored is exactly what was scanned and checked, byte for byte.
            assert _stored_bytes(agreement) == data
            assert agreement.scan_status == scan_status
        # The reviewer sees whether the file was scanned, on the page and through the API.
        page = intake_response.content.decode()
        shown = (
            "Scanned for malware: no threat found"
            if scanner == CLAMAV
            else ("Not scanned for malware: no virus scanner was configured")
        )
        assert shown in page, page[:2000]
        client.force_login(ipcas_reviewer)
        api = client.get(f"/api/v1/review/applications/{intake_application.reference}").json()
        assert api["agreement"]["scan_status"] == scan_status
        return

    # Refused the same way everywhere, with a message that says what to do ...
    assert api_message and any(verb in api_message.lower() for verb in WHAT_TO_DO), api_message
    assert escape(api_message) in web_error, web_error
    assert escape(api_message) in intake_error, intake_error
    # ... and nothing stored.
    assert not SignedAgreement.objects.exists()
    assert not Application.objects.filter(origin=Application.Origin.EMAIL).exists()
    assert stored_files(settings) == []
    if expected == "malware-found":
        assert SIGNATURE in api_message
        events = Event.objects.filter(event_type="agreements:agreement:malware-refused")
        assert events.count() == 3  # the custodian learns of each attempt


def _scanner_that_never_answers(tmp_path) -> tuple[str, socket.socket]:
    """A unix socket that takes connections and never replies, like a hung clamd."""
    path = tmp_path / "hung-clamd.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    return str(path), server


@pytest.mark.parametrize("failure", ["unreachable", "timeout", "too large for the scanner"])
def test_with_a_scanner_configured_an_unscanned_file_is_refused_everywhere(
    request, client, student, casmemg, ipcas_reviewer, settings, tmp_path, failure
):
    server = None
    data = pdf_corpus.plain_pdf()
    if failure == "unreachable":
        settings.CLAMD_ADDRESS = str(tmp_path / "no-clamd-here.sock")
    elif failure == "timeout":
        settings.CLAMD_ADDRESS, server = _scanner_that_never_answers(tmp_path)
        settings.CLAMD_TIMEOUT = 1
    else:
        # Allowed by Accord's limit, longer than clamd's StreamMaxLength: clamd gives no verdict.
        settings.CLAMD_ADDRESS = request.getfixturevalue("clamd")
        data += b"\0" * (STREAM_MAX_LENGTH + 1024)
        settings.AGREEMENT_MAX_BYTES = 2 * len(data)  # the email carries it in base64
    try:
        outcome, message, _ = through_the_api(client, student, casmemg, data)
        web_error, _ = through_the_web_form(client, student, casmemg, data)
        intake_error, _ = through_the_email_intake(client, ipcas_reviewer, casmemg, data)
    finally:
        if server is not None:
            server.close()
    assert outcome == "malware-scan-failed"
    assert "nothing was stored" in message
    assert ("Upload a smaller scan" if failure.startswith("too large") else "Try again") in message
    assert escape(message) in web_error and escape(message) in intake_error
    assert not SignedAgreement.objects.exists()
    assert not Application.objects.filter(origin=Application.Origin.EMAIL).exists()
    assert stored_files(settings) == []
