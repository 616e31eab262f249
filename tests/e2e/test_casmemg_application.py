"""The whole CASMEMG flow in real Chromium: a student starts the application, downloads the
pre-filled agreement, uploads the signed scan and submits; the professor confirms through the
emailed link; an IP-CAS reviewer approves after looking at the rendered pages; the student
member accepts the terms. Each step is screenshotted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core import mail

from accord.agreements.models import Application
from accord.licences.models import Licence
from tests import factories
from tests.agreements.factories import policy_dataset, scan_of
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def confirm_link(reference: str) -> str:
    message = next(
        m for m in reversed(mail.outbox) if reference in m.subject and "/apply/confirm/" in m.body
    )
    line = next(x for x in message.body.splitlines() if "/apply/confirm/" in x)
    return line.strip()


def wait_for_images(page, seconds: float = 20) -> None:
    """Until every page image has loaded (polled from Python: the page's CSP forbids the
    string evaluation wait_for_function would use)."""
    script = (
        "() => [...document.querySelectorAll('img.page')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        assert time.monotonic() < deadline, "page images did not load"
        time.sleep(0.2)


def test_casmemg_student_professor_reviewer_member(browser_as, shots, tmp_path):
    ipcas = factories.CustodianFactory(slug="ipcas", short_name="IP-CAS", name="IP-CAS")
    dataset = policy_dataset(ipcas, slug="casmemg", short_name="CASMEMG")
    reviewer = factories.StaffFactory(custodian=ipcas).user
    student = factories.UserFactory(email="sam@uni-example.edu", full_name="Sam Student")
    professor = factories.UserFactory(email="prof.ada@uni-example.edu", full_name="Ada Lovelace")

    # 1. The student signs in and starts from the dataset page.
    page = browser_as()
    page.goto("/accounts/login/")
    sign_in(page, student.email)
    page.goto("/datasets/casmemg/")
    page.click("text=Apply for access")
    page.wait_for_selector("form.application")
    shots(page, "student-application-form")

    page.check(f"input[value='{dataset.variants.get().slug}']")
    page.fill("#id_signer_name", "Ada Lovelace")
    page.fill("#id_signer_title", "Professor")
    page.fill("#id_signer_affiliation", "University of Example, Psychology")
    page.fill("#id_signer_email", "prof.ada@uni-example.edu")
    page.fill("#id_signer_address", "1 Campus Road\nExample City")
    page.select_option("#id_organisation_type", "university")
    page.fill("#id_purpose", "Micro-expression spotting research with EMG.")
    page.fill("#id_answer_data_location", "Encrypted lab server, group only")
    page.check("#id_attest_C1")
    page.check("#id_attest_C3")
    page.fill("input[name='member-0-full_name']", "Sam Student")
    page.fill("input[name='member-0-email']", "sam@uni-example.edu")
    page.fill("input[name='member-0-registration_id']", "REG-0007")
    page.click("button[name='save']")
    page.wait_for_selector("#download-pdf")
    application = Application.objects.get()
    assert page.locator("#state").inner_text() == "Draft"
    shots(page, "student-draft-complete")

    # 2. Download the pre-filled agreement; "print, sign, scan" it; upload; submit.
    with page.expect_download() as download:
        page.click("#download-pdf")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_of(pdf))
    page.set_input_files("#id_file", str(scan))
    page.click("#step-upload button[type=submit]")
    page.wait_for_selector("#uploaded")
    assert "License Agreement for CASMEMG _Ada Lovelace.pdf" in page.inner_text("#uploaded")
    shots(page, "student-scan-uploaded")
    page.click("#submit-application")
    page.wait_for_selector("#application-state")
    assert "Waiting for the signer" in page.inner_text("#signer-confirmation")
    shots(page, "student-submitted")

    # 3. The professor follows the emailed link, signs in, confirms.
    link = confirm_link(application.reference)
    prof = browser_as()
    prof.goto(link)
    sign_in(prof, professor.email)
    prof.wait_for_selector("#confirm-signer")
    shots(prof, "professor-confirmation-page")
    prof.click("#confirm-signer")
    prof.wait_for_selector("#signer-confirmation")
    assert "Confirmed" in prof.inner_text("#signer-confirmation")
    shots(prof, "professor-confirmed")

    # 4. The IP-CAS reviewer looks at the rendered pages and approves.
    rev = browser_as(reviewer)
    rev.goto("/apply/review/")
    rev.wait_for_selector(f"text={application.reference}")
    shots(rev, "reviewer-queue")
    rev.click(f"text={application.reference}")
    rev.wait_for_selector("img.page")
    wait_for_images(rev)
    assert "matches" in rev.inner_text("#qr-status")
    shots(rev, "reviewer-detail-with-pages")
    rev.click("#approve")
    rev.wait_for_selector("text=is now approved")
    shots(rev, "reviewer-approved")
    licence = Licence.objects.get()
    assert licence.signer == professor

    # 5. The member (the student) accepts the terms with their registration ID.
    page.goto("/apply/")
    page.click("text=read and accept the terms")
    assert page.input_value("#extra_registration_id") == "REG-0007"
    page.check("#accept-terms")
    shots(page, "member-accepts-terms")
    page.click("#join-licence")
    page.wait_for_selector("text=You joined licence")
    shots(page, "member-joined")
    assert set(licence.active_members()) == {professor, student}
