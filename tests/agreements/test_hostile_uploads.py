"""Hostile uploads through the real upload view: each gets its own clear refusal on the page,
never a 500, and nothing is stored (no file in the protected storage, no database row)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.agreements.models import SignedAgreement
from accord.agreements.pdf.errors import MESSAGES
from tests.agreements import pdf_corpus
from tests.agreements.factories import draft, scan_of

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
