"""The custodian's register of papers: per dataset with compliance state and filters, CSV and
BibTeX, a verdict overridden with a reason (audited, recent sign-in), and nothing of it for
another custodian's staff."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.audit.models import Event
from accord.publications.models import Publication
from accord.publications.services import PaperDetails, publication_check, publication_submit
from tests.publications.conftest import INTRO, SMIC_REF, paper_pdf

pytestmark = pytest.mark.django_db


def register(dataset, user, pdf, *, title="Spotting", year=2026, variants=("smic",), **extra):
    paper = publication_check(
        dataset=dataset,
        actor=user,
        details=PaperDetails(
            title=title,
            authors="A. Author, B. Author",
            venue="Proc. IEEE Conf. on Face and Gesture",
            year=year,
            variants=variants,
            **extra,
        ),
        pdf=pdf,
    )
    return publication_submit(publication=paper, actor=user)


@pytest.fixture
def papers(smic, licensee):
    good = register(smic, licensee, paper_pdf(INTRO, [SMIC_REF]), title="Good paper")
    flagged = register(
        smic,
        licensee,
        paper_pdf(INTRO, [SMIC_REF]),
        title='=HYPERLINK("http://evil.example")',
        year=2025,
        variants=("smic", "smic-e"),
        subjects=("02",),
    )
    return good, flagged


def test_staff_see_papers_with_compliance_state(client, staff, papers):
    client.force_login(staff)
    page = client.get("/publications/staff/smic/").content.decode()
    assert "Good paper" in page
    assert "Compliant" in page and "Not compliant" in page
    assert "Images of subject 02 may not be published." in page


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("state=compliant", ["Good paper"]),
        ("state=non_compliant", ['=HYPERLINK("http://evil.example")']),
        ("year=2026", ["Good paper"]),
        ("variant=smic-e", ['=HYPERLINK("http://evil.example")']),
    ],
)
def test_staff_filter_papers(client, staff, papers, query, titles):
    client.force_login(staff)
    response = client.get(f"/publications/staff/smic/papers.csv?{query}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["title"].lstrip("'") for r in rows] == titles


def test_csv_export_cannot_inject_formulas(client, staff, papers):
    client.force_login(staff)
    response = client.get("/publications/staff/smic/papers.csv?variant=smic-e")
    assert response["Content-Type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert row["state"] == "non_compliant"
    assert "Images of subject 02 may not be published." in row["reasons"]


def test_bibtex_export_lists_the_papers(client, staff, papers):
    client.force_login(staff)
    body = client.get("/publications/staff/smic/papers.bib").content.decode()
    assert body.count("@inproceedings{accord-paper-") == 2
    assert "title = {Good paper}" in body


def test_staff_of_another_custodian_see_nothing(client, other_staff, papers):
    client.force_login(other_staff)
    paper = papers[0]
    for url in (
        "/publications/staff/smic/",
        "/publications/staff/smic/papers.csv",
        "/publications/staff/smic/papers.bib",
        f"/publications/staff/paper/{paper.pk}/",
        f"/publications/staff/paper/{paper.pk}/paper.pdf",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/publications/staff/paper/{paper.pk}/override",
        {"state": "non_compliant", "reason": "x"},
    )
    assert response.status_code == 404
    assert not Event.objects.filter(event_type="publications:paper:override").exists()


def test_a_draft_is_not_in_the_register(client, staff, smic, licensee):
    publication_check(
        dataset=smic,
        actor=licensee,
        details=PaperDetails(title="Draft", authors="A", venue="V", year=2026, variants=("smic",)),
        pdf=paper_pdf(INTRO, [SMIC_REF]),
    )
    client.force_login(staff)
    assert "Draft" not in client.get("/publications/staff/smic/").content.decode()


def test_override_is_audited_with_the_reason(client, staff, papers):
    _, flagged = papers
    client.force_login(staff)
    response = client.post(
        f"/publications/staff/paper/{flagged.pk}/override",
        {"state": "compliant", "reason": "Subject 02 gave written consent for this figure."},
    )
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.state == "compliant"
    assert flagged.check_state == "non_compliant"
    [event] = Event.objects.filter(event_type="publications:paper:override")
    assert event.details["reason"] == "Subject 02 gave written consent for this figure."
    assert event.details["before"] == "non_compliant"
    assert event.details["after"] == "compliant"


def test_override_needs_a_reason(client, staff, papers):
    client.force_login(staff)
    response = client.post(
        f"/publications/staff/paper/{papers[1].pk}/override", {"state": "compliant", "reason": ""}
    )
    assert response.status_code == 200
    assert Publication.objects.get(pk=papers[1].pk).override_state == ""


def test_override_needs_a_recent_sign_in(client, staff, papers, settings):
    client.force_login(staff)
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()
    response = client.post(
        f"/publications/staff/paper/{papers[1].pk}/override",
        {"state": "compliant", "reason": "ok"},
    )
    assert response.status_code == 302
    assert "/reauthenticate/" in response["Location"] or "/2fa/" in response["Location"]
    assert Publication.objects.get(pk=papers[1].pk).override_state == ""


def test_staff_download_the_papers_pdf(client, staff, papers):
    client.force_login(staff)
    response = client.get(f"/publications/staff/paper/{papers[0].pk}/paper.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_register_page_costs_the_same_queries_for_many_papers(
    client, other_staff, casmemg_ds, casmemg_licensee, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for i in range(n):
            paper = publication_check(
                dataset=casmemg_ds,
                actor=casmemg_licensee,
                details=PaperDetails(
                    title=f"P{i}", authors="A", venue="V", year=2026, variants=("casmemg",)
                ),
                pdf=None,
            )
            publication_submit(publication=paper, actor=casmemg_licensee)

    client.force_login(other_staff)  # a reviewer of IP-CAS, CASMEMG's custodian
    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/publications/staff/casmemg/").status_code == 200
    add(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/publications/staff/casmemg/").status_code == 200
