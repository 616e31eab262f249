"""The whole journey once in each language (English, Simplified Chinese, Finnish), in real
Chromium: the student applies, the professor confirms through the emailed link, the reviewer
approves, the member accepts the invitation and downloads a file. Every person reads Accord in
the language under test (their saved preference and their browser's). On every page visited:
a screenshot (ACCORD_E2E_ARTIFACTS/<language>/NN-step.png, default tests/e2e/artifacts/), no
serious or critical axe-core violation at desktop or phone width, no sideways scroll at 390 px,
and, in Chinese and Finnish, no English interface string left on the page (tests/e2e/a11y.py
says how that is decided)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from accord.agreements.models import Application
from accord.catalog.services import variant_ingest
from accord.licences.models import Licence, LicenceMember
from tests import factories
from tests.agreements.factories import policy_dataset, scan_of
from tests.e2e.a11y import (
    ARTIFACTS,
    PHONE,
    assert_fits_phone,
    axe_violations,
    describe_violations,
    untranslated_strings,
)
from tests.e2e.conftest import sign_in
from tests.e2e.test_casmemg_application import confirm_link, wait_for_images

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW = 60_000
# The browser's language (Accept-Language) for each of Accord's languages.
BROWSER_LOCALE = {"en": "en-GB", "zh-hans": "zh-CN", "fi": "fi-FI"}
FILES = {"EMG/s01/trial01.csv": b"t,emg\n0,0.1\n", "README.txt": b"CASMEMG test release\n"}


class Walk:
    """Screenshots and checks of every page one journey visits, in one language. Problems are
    collected so one run reports them all; ``finish`` fails with the list."""

    def __init__(self, language: str):
        self.language = language
        self.folder = ARTIFACTS / language
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.step = 0
        self.problems: list[str] = []

    def page(self, page, name: str) -> None:
        self.step += 1
        label = f"{self.step:02d}-{name}"
        page.screenshot(path=str(self.folder / f"{label}.png"), full_page=True)
        where = f"{self.language}/{label} ({page.url})"
        violations = axe_violations(page)
        if violations:
            self.problems.append(f"accessibility, {where}:\n{describe_violations(violations)}")
        # The same page on a phone: no sideways scroll, and still no violation.
        desktop = page.viewport_size
        page.set_viewport_size(PHONE)
        page.evaluate("() => window.dispatchEvent(new Event('resize'))")
        try:
            assert_fits_phone(page, where)
        except AssertionError as error:
            self.problems.append(str(error))
        violations = axe_violations(page)
        if violations:
            self.problems.append(f"at 390px, {where}:\n{describe_violations(violations)}")
        page.set_viewport_size(desktop)
        english = untranslated_strings(page, self.language)
        if english:
            self.problems.append(
                f"untranslated in {where}:\n" + "\n".join(f"    {t!r}" for t in english)
            )

    def finish(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def person(browser_as):
    """``person(language, user=None)``: a browser speaking ``language``; signed in as
    ``user`` (without the form) if given."""

    def open_page(language, user=None):
        return browser_as(
            user,
            locale=BROWSER_LOCALE[language],
            extra_http_headers={"Accept-Language": f"{language},{BROWSER_LOCALE[language]}"},
        )

    return open_page


def casmemg_with_files(tmp_path):
    ipcas = factories.CustodianFactory(slug="ipcas", short_name="IP-CAS", name="IP-CAS")
    dataset = policy_dataset(ipcas, slug="casmemg", short_name="CASMEMG")
    variant = dataset.variants.get()
    folder = tmp_path / "release"
    for rel, content in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    variant_ingest(variant=variant, folder=folder)
    return ipcas, dataset, variant


@pytest.mark.parametrize("language", ["en", "zh-hans", "fi"])
def test_the_whole_journey_in_each_language(language, person, tmp_path, signing_key_file):
    walk = Walk(language)
    ipcas, dataset, variant = casmemg_with_files(tmp_path)
    reviewer = factories.StaffFactory(custodian=ipcas, user__language=language).user
    student = factories.UserFactory(
        email="sam@uni-example.edu", full_name="Sam Student", language=language
    )
    professor = factories.UserFactory(
        email="prof.ada@uni-example.edu", full_name="Ada Lovelace", language=language
    )

    # 1. The student signs in and applies from the dataset page.
    page = person(language)
    page.goto("/accounts/login/", timeout=SLOW)
    walk.page(page, "student-signs-in")
    sign_in(page, student.email)
    page.goto(f"/datasets/{dataset.slug}/")
    walk.page(page, "student-dataset-page")
    page.click(f"#apply a[href='{reverse('agreements:application_start', args=[dataset.slug])}']")
    page.wait_for_selector("form.application")
    walk.page(page, "student-application-form")
    page.check(f"input[value='{variant.slug}']")
    page.fill("#id_signer_name", "Ada Lovelace")
    page.fill("#id_signer_title", "Professor")
    page.fill("#id_signer_affiliation", "University of Example, Psychology")
    page.fill("#id_signer_email", professor.email)
    page.fill("#id_signer_address", "1 Campus Road\nExample City")
    page.select_option("#id_organisation_type", "university")
    page.fill("#id_purpose", "Micro-expression spotting research with EMG.")
    page.fill("#id_answer_data_location", "Encrypted lab server, group only")
    page.check("#id_attest_C1")
    page.check("#id_attest_C3")
    page.fill("input[name='member-0-full_name']", "Sam Student")
    page.fill("input[name='member-0-email']", student.email)
    page.fill("input[name='member-0-registration_id']", "REG-0007")
    page.click("button[name='save']")
    page.wait_for_selector("#download-pdf", timeout=SLOW)
    application = Application.objects.get()
    walk.page(page, "student-draft-saved")

    # The agreement in the student's language: download, "print, sign, scan", upload, submit.
    with page.expect_download(timeout=SLOW) as download:
        page.click("#download-pdf")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_of(pdf))
    page.set_input_files("#id_file", str(scan))
    page.click("#step-upload button[type=submit]", timeout=SLOW)
    page.wait_for_selector("#uploaded", timeout=SLOW)
    walk.page(page, "student-scan-uploaded")
    page.click("#submit-application")
    page.wait_for_selector("#application-state", timeout=SLOW)
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED, application.state
    walk.page(page, "student-submitted")

    # 2. The professor, signed out, follows the emailed link, signs in and confirms.
    prof = person(language)
    prof.goto(confirm_link(application.reference), timeout=SLOW)
    walk.page(prof, "professor-opens-emailed-link")
    if "/accounts/login/" in prof.url:
        sign_in(prof, professor.email)
    prof.wait_for_selector("#confirm-signer")
    walk.page(prof, "professor-confirmation-page")
    prof.click("#confirm-signer")
    prof.wait_for_selector("#signer-confirmation")
    walk.page(prof, "professor-confirmed")

    # 3. The reviewer finds it in the queue, reads the pages and approves.
    rev = person(language, reviewer)
    rev.goto("/apply/review/", timeout=SLOW)
    rev.wait_for_selector(f"a:has-text('{application.reference}')")
    walk.page(rev, "reviewer-queue")
    rev.click(f"a:has-text('{application.reference}')")
    rev.wait_for_selector("img.page")
    wait_for_images(rev)
    walk.page(rev, "reviewer-reads-the-application")
    rev.click("#approve")
    rev.wait_for_load_state()
    licence = Licence.objects.get()
    assert licence.signer == professor
    walk.page(rev, "reviewer-approves")

    # 4. The student, now an invited member, accepts the terms and downloads a file.
    invitation = LicenceMember.objects.get(licence=licence, email=student.email)
    page.goto("/access/")
    walk.page(page, "member-sees-the-invitation")
    page.click(
        f"#invitations a[href='{reverse('agreements:member_accept', args=[invitation.pk])}']"
    )
    page.wait_for_selector("#accept-terms")
    assert page.input_value("#extra_registration_id") == "REG-0007"
    walk.page(page, "member-reads-the-terms")
    page.check("#accept-terms")
    page.click("#join-licence")
    page.wait_for_load_state()
    assert set(licence.active_members()) == {professor, student}
    walk.page(page, "member-joined")
    page.goto("/access/")
    walk.page(page, "member-data-access")
    page.click(f"a[href='{reverse('downloads:variant_files', args=[variant.slug])}']")
    page.wait_for_selector("#browser-names")
    walk.page(page, "member-files")
    row = page.locator("tr", has=page.locator("code", has_text="EMG/s01/trial01.csv"))
    with page.expect_download(timeout=SLOW) as download:
        row.locator("button").click()
    assert download.value.suggested_filename == "EMG__s01__trial01.csv"
    assert Path(download.value.path()).read_bytes() == FILES["EMG/s01/trial01.csv"]
    walk.page(page, "member-downloaded")

    walk.finish()


@pytest.fixture
def signing_key_file(tmp_path, settings):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing.pem"
    return settings.SIGNING_KEY_FILE


def test_reports_name_rule_target_and_help():
    """What a failing run prints: readable without opening the browser."""
    text = describe_violations(
        [
            {
                "id": "color-contrast",
                "impact": "serious",
                "help": "Elements must meet minimum color contrast ratio thresholds",
                "url": "https://dequeuniversity.com/rules/axe/4.14/color-contrast",
                "nodes": [{"target": "footer p", "impact": "serious", "summary": "Fix: 3.1:1"}],
            }
        ]
    )
    assert "[serious] color-contrast: Elements must meet minimum color contrast" in text
    assert "at footer p: Fix: 3.1:1" in text


def test_the_check_finds_english_interface_text_but_not_peoples_words(person, site):
    """The untranslated-string check itself: an English page read as if it were Finnish
    shows its interface strings, and none of the words marked translate="no"."""
    student = factories.UserFactory(email="sign.in@uni-example.edu", language="en")
    page = person("en", student)
    page.goto("/datasets/", timeout=SLOW)
    found = untranslated_strings(page, "fi")
    assert "Datasets" in found and "Sign out" in found and "Change language" in found
    assert student.email not in found  # header, translate="no"
    assert not any(t in ("English", "简体中文", "Suomi") for t in found)  # autonyms
