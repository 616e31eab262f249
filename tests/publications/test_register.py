"""A licensee registers a paper on the web: the check step shows the verdict, then submit;
who may register, which variants they may declare, and hostile PDFs refused with nothing
saved."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.audit.models import Event
from accord.publications.models import Publication
from tests import factories
from tests.access.factories import licence_for
from tests.publications.conftest import INTRO, SMIC_E_REF, SMIC_REF, paper_pdf

pytestmark = pytest.mark.django_db


def form(pdf: bytes | None = None, **extra) -> dict:
    data = {
        "title": "Spotting micro-expressions",
        "authors": "A. Author, B. Author",
        "venue": "IEEE Trans. Affective Computing",
        "year": "2026",
        "doi": "https://doi.org/10.1109/TAFFC.2026.1",
        "variants": ["smic", "smic-e"],
        "subjects": "01, 02",
    }
    if pdf is not None:
        data["pdf"] = SimpleUploadedFile("paper.pdf", pdf, content_type="application/pdf")
    data.update(extra)
    return data


def test_licensee_sees_the_verdict_before_registering(client, smic, licensee):
    client.force_login(licensee)
    response = client.post(
        "/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF]))
    )
    paper = Publication.objects.get()
    assert response["Location"] == f"/publications/{paper.pk}/"
    assert paper.status == Publication.Status.DRAFT
    assert paper.doi == "10.1109/TAFFC.2026.1"
    page = client.get(response["Location"]).content.decode()
    assert "Images of subject 02 may not be published." in page
    assert "© University of Oulu, used with permission" in page
    assert "Register this paper" in page


def test_a_flagged_paper_can_be_registered_and_staff_are_emailed(
    client, smic, licensee, staff, django_capture_on_commit_callbacks
):
    client.force_login(licensee)
    client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF])))
    paper = Publication.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/publications/{paper.pk}/submit")
    paper.refresh_from_db()
    assert paper.status == Publication.Status.REGISTERED
    assert paper.state == "non_compliant"
    [email] = [m for m in mail.outbox if "New paper using SMIC" in m.subject]
    assert email.to == [staff.email]
    assert "flagged by the check" in email.subject
    assert "does not cite X. Li et al., “Towards Reading Hidden Emotions”" in email.body
    assert Event.objects.filter(event_type="publications:paper:register").count() == 1


def test_submitting_twice_registers_once(
    client, smic, licensee, django_capture_on_commit_callbacks
):
    client.force_login(licensee)
    client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF])))
    paper = Publication.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/publications/{paper.pk}/submit")
        client.post(f"/publications/{paper.pk}/submit")
    assert Event.objects.filter(event_type="publications:paper:register").count() == 1
    assert len([m for m in mail.outbox if "New paper" in m.subject]) == 1


def test_smic_requires_the_pdf(client, smic, licensee):
    client.force_login(licensee)
    response = client.post("/publications/register/smic/", form())
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Publication.objects.exists()


def test_outsider_cannot_register(client, smic, outsider):
    client.force_login(outsider)
    response = client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF])))
    assert response.status_code == 404
    assert not Publication.objects.exists()


def test_member_of_a_licence_for_another_dataset_cannot_register(client, smic, casmemg_licensee):
    client.force_login(casmemg_licensee)
    response = client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF])))
    assert response.status_code == 404
    assert not Publication.objects.exists()


def test_a_variant_outside_the_licence_cannot_be_declared(client, smic, signing_key_file):
    user = factories.UserFactory()
    licence_for(variants=[smic.v["smic"]], members=[user])
    client.force_login(user)
    response = client.post(
        "/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF]), variants=["smic-e"])
    )
    assert response.status_code == 200
    assert "smic-e is not one of the available choices" in response.content.decode()
    assert not Publication.objects.exists()


def test_an_invalid_doi_is_refused(client, smic, licensee):
    client.force_login(licensee)
    response = client.post(
        "/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF]), doi="not a doi")
    )
    assert "is not a DOI" in response.content.decode()
    assert not Publication.objects.exists()


def _encrypted(pdf: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.save(out, encryption=pikepdf.Encryption(owner="o", user="secret"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"<html><body>not a paper</body></html>", "is not a PDF"),
        (lambda: _encrypted(paper_pdf(INTRO, [SMIC_REF])), "encrypted or password-protected"),
    ],
    ids=["not-a-pdf", "encrypted"],
)
def test_hostile_pdf_is_refused_with_a_clear_message_and_nothing_saved(
    client, smic, licensee, make, message, settings
):
    client.force_login(licensee)
    response = client.post("/publications/register/smic/", form(make()))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Publication.objects.exists()
    assert not list(settings.PROTECTED_ROOT.glob("publications/**/*"))


def test_someone_elses_draft_does_not_exist(client, smic, licensee, outsider):
    client.force_login(licensee)
    client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF])))
    paper = Publication.objects.get()
    client.force_login(outsider)
    assert client.get(f"/publications/{paper.pk}/").status_code == 404
    assert client.post(f"/publications/{paper.pk}/submit").status_code == 404


def test_paper_carrying_malware_is_refused_audited_and_not_saved(
    client, smic, licensee, settings, request
):
    from tests.agreements.pdf_corpus import eicar_in_stream
    from tests.clamav import SIGNATURE

    settings.CLAMD_ADDRESS = request.getfixturevalue("clamd")
    client.force_login(licensee)
    response = client.post("/publications/register/smic/", form(eicar_in_stream()))
    page = response.content.decode()
    assert "The virus scanner found malware in this file" in page
    assert SIGNATURE in page
    assert "export the paper to a new PDF" in page
    assert not Publication.objects.exists()
    [event] = Event.objects.filter(event_type="publications:paper:malware-refused")
    assert SIGNATURE in event.details["scanner"]


def test_author_corrects_the_details_and_checks_again_keeping_the_pdf(client, smic, licensee):
    client.force_login(licensee)
    client.post("/publications/register/smic/", form(paper_pdf(INTRO, [SMIC_REF, SMIC_E_REF])))
    paper = Publication.objects.get()
    assert paper.check_state == "non_compliant"  # subject 02
    response = client.post(f"/publications/{paper.pk}/", form(subjects="01"))
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.check_state == "compliant", paper.verdict["reasons"]
    assert paper.pdf_sha256
    assert Publication.objects.count() == 1


def test_a_paper_longer_than_the_limit_is_refused_saying_so(client, smic, licensee, monkeypatch):
    from accord.publications import extraction

    monkeypatch.setattr(extraction, "MAX_PAGES", 1)
    pdf = paper_pdf(INTRO * 40, [SMIC_REF])
    client.force_login(licensee)
    page = client.post("/publications/register/smic/", form(pdf)).content.decode()
    assert "a paper may have at most 1" in page
    assert not Publication.objects.exists()
