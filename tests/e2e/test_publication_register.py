"""Registering a paper in real Chromium: a licensee fills in the paper's details, ticks the
variants, names a subject the rule refuses and uploads the PDF; the check's verdict (the
missing SMIC-E citation by name, subject 02 refused with the rule, the rule's notice) is shown
before anything is registered; the licensee registers it anyway, and the custodian's staff see
it flagged in their list. Each step is screenshotted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.publications.conftest import (  # noqa: F401
    INTRO,
    SMIC_REF,
    licensee,
    paper_pdf,
    signing_key_file,
    smic,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW = 60_000


def test_licensee_registers_a_paper_and_staff_see_it_flagged(
    browser_as,
    shots,
    smic,  # noqa: F811
    licensee,  # noqa: F811
    staff,
):
    page = browser_as(licensee)
    page.goto("/datasets/smic/", timeout=SLOW)
    page.get_by_role("link", name="Register your paper").click()
    page.fill('input[name="title"]', "Spotting micro-expressions in the wild")
    page.fill('textarea[name="authors"]', "A. Author, B. Author")
    page.fill('input[name="venue"]', "IEEE Trans. Affective Computing")
    page.fill('input[name="year"]', "2026")
    page.check('input[name="variants"][value="smic"]')
    page.check('input[name="variants"][value="smic-e"]')
    page.fill('input[name="subjects"]', "01, 02")
    page.set_input_files(
        'input[name="pdf"]',
        {
            "name": "paper.pdf",
            "mimeType": "application/pdf",
            "buffer": paper_pdf(INTRO, [SMIC_REF], columns=2),
        },
    )
    shots(page, "details")
    page.get_by_role("button", name="Check the paper").first.click(timeout=SLOW)
    page.wait_for_url("**/publications/*/", timeout=SLOW)
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("not compliant")
    expect(verdict).to_contain_text("Towards Reading Hidden Emotions")
    expect(verdict).to_contain_text("Images of subject 02 may not be published.")
    expect(verdict).to_contain_text("© University of Oulu, used with permission")
    shots(page, "verdict")

    page.get_by_role("button", name="Register this paper").click()
    expect(page.locator("body")).to_contain_text("Your paper is registered")
    shots(page, "registered")

    staff_page = browser_as(staff)
    staff_page.goto("/publications/staff/smic/", timeout=SLOW)
    row = staff_page.locator("tr.paper", has_text="Spotting micro-expressions in the wild")
    expect(row).to_contain_text("Not compliant")
    expect(row).to_contain_text("Images of subject 02 may not be published.")
    shots(staff_page, "staff-list")
