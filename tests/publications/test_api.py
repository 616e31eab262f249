"""The papers API: check (and register) a paper with its PDF, read the verdict, list one's
papers; staff list their register; refusals as problem+json."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.publications.models import Publication
from tests.publications.conftest import INTRO, SMIC_REF, paper_pdf
from tests.roles import bearer

pytestmark = pytest.mark.django_db


def fields(**extra) -> dict:
    return {
        "title": "Spotting via API",
        "authors": "A. Author",
        "venue": "IEEE TAC",
        "year": "2026",
        "variants": "smic,smic-e",
        "subjects": "01 02",
        **extra,
    }


def pdf_file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("paper.pdf", data, content_type="application/pdf")


def test_check_gives_the_verdict_and_submit_registers(client, smic, licensee):
    auth = bearer(licensee)
    response = client.post(
        "/api/v1/datasets/smic/publications",
        {**fields(), "pdf": pdf_file(paper_pdf(INTRO, [SMIC_REF]))},
        **auth,
    )
    assert response.status_code == 200, response.content
    paper = response.json()
    assert paper["status"] == "draft"
    assert paper["state"] == "non_compliant"
    assert [m["key"] for m in paper["verdict"]["checks"]["citations"]["missing"]] == [
        "li2018towards"
    ]
    assert [r["subject"] for r in paper["verdict"]["checks"]["images"]["refused"]] == ["02"]

    submitted = client.post(f"/api/v1/publications/{paper['id']}/submit", **auth).json()
    assert submitted["status"] == "registered"
    assert client.get(f"/api/v1/publications/{paper['id']}", **auth).json()["verdict"]
    assert [p["id"] for p in client.get("/api/v1/publications", **auth).json()["items"]] == [
        paper["id"]
    ]


def test_hostile_file_is_a_problem_and_nothing_is_saved(client, smic, licensee):
    response = client.post(
        "/api/v1/datasets/smic/publications",
        {**fields(), "pdf": pdf_file(b"MZ\x90\x00 not a pdf")},
        **bearer(licensee),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "is not a PDF" in response.json()["detail"]
    assert not Publication.objects.exists()


def test_outsider_cannot_register_through_the_api(client, smic, outsider):
    response = client.post(
        "/api/v1/datasets/smic/publications",
        {**fields(), "pdf": pdf_file(paper_pdf(INTRO, [SMIC_REF]))},
        **bearer(outsider),
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_staff_list_only_their_custodians_papers(client, smic, licensee, staff, other_staff):
    created = client.post(
        "/api/v1/datasets/smic/publications",
        {**fields(submit="true"), "pdf": pdf_file(paper_pdf(INTRO, [SMIC_REF]))},
        **bearer(licensee),
    ).json()
    ours = client.get("/api/v1/review/publications?state=non_compliant", **bearer(staff)).json()
    assert [p["id"] for p in ours["items"]] == [created["id"]]
    theirs = client.get("/api/v1/review/publications", **bearer(other_staff)).json()
    assert theirs["items"] == []
    assert (
        client.get("/api/v1/review/publications?dataset=smic", **bearer(other_staff)).status_code
        == 404
    )
