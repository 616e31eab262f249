"""The API covers every step (in the OpenAPI schema) and answers problem+json."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create
from accord.licences.models import Licence
from tests.agreements.factories import scan_of

pytestmark = pytest.mark.django_db

STEPS = [
    ("post", "/api/v1/applications"),
    ("patch", "/api/v1/applications/{reference}"),
    ("get", "/api/v1/applications/{reference}/agreement.pdf"),
    ("post", "/api/v1/applications/{reference}/signed-agreement"),
    ("post", "/api/v1/applications/{reference}/submit"),
    ("post", "/api/v1/applications/{reference}/withdraw"),
    ("post", "/api/v1/applications/{reference}/signer-link"),
    ("post", "/api/v1/signer-confirmations/{token}"),
    ("get", "/api/v1/review/applications"),
    ("get", "/api/v1/review/applications/{reference}"),
    ("post", "/api/v1/review/applications/{reference}/approve"),
    ("post", "/api/v1/review/applications/{reference}/reject"),
    ("post", "/api/v1/review/applications/{reference}/return"),
    ("post", "/api/v1/review/intake"),
    ("get", "/api/v1/licences"),
    ("post", "/api/v1/licences/{reference}/members"),
    ("delete", "/api/v1/licences/{reference}/members/{member_id}"),
    ("get", "/api/v1/memberships"),
    ("post", "/api/v1/memberships/{member_id}/accept"),
]


def test_every_step_is_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    missing = [f"{m} {p}" for m, p in STEPS if m not in paths.get(p, {})]
    assert not missing


def bearer(user):
    token = api_token_create(user=user, name="t", scope=ApiToken.Scope.WRITE)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}


def test_whole_flow_through_the_api(
    client,
    student,
    professor,
    casmemg,
    ipcas_reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    auth = bearer(student)
    body = {
        "dataset": casmemg.slug,
        "variants": [v.slug for v in casmemg.variants.all()],
        "signer_name": "Ada Lovelace",
        "signer_title": "Professor",
        "signer_affiliation": "University of Example",
        "signer_email": "prof.ada@uni-example.edu",
        "signer_address": "1 Campus Road",
        "organisation_type": "university",
        "purpose": "Research",
        "answers": {"data_location": "lab server"},
        "attested_clauses": ["C1"],
        "members": [
            {"full_name": "Sam", "email": "sam@uni-example.edu", "extra": {"registration_id": "R1"}}
        ],
    }
    created = client.post("/api/v1/applications", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    ref = created.json()["reference"]
    assert "Attest clause C3 (Safe keeping)." in created.json()["missing"]
    pdf = client.get(f"/api/v1/applications/{ref}/agreement.pdf", **auth)
    assert pdf.status_code == 409 and pdf["Content-Type"] == "application/problem+json"
    patched = client.patch(
        f"/api/v1/applications/{ref}",
        {"attested_clauses": ["C1", "C3"]},
        content_type="application/json",
        **auth,
    )
    assert patched.json()["missing"] == [
        "Upload the signed agreement (the generated PDF, signed and scanned)."
    ]
    pdf = client.get(f"/api/v1/applications/{ref}/agreement.pdf", **auth)
    assert pdf["Content-Type"] == "application/pdf"
    uploaded = client.post(
        f"/api/v1/applications/{ref}/signed-agreement",
        {"file": SimpleUploadedFile("scan.pdf", scan_of(pdf.content))},
        **auth,
    )
    assert uploaded.status_code == 201 and uploaded.json()["qr_status"] == "match"
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(f"/api/v1/applications/{ref}/submit", **auth).json()
    assert submitted["state"] == "submitted" and not submitted["signer_confirmed"]

    client.force_login(ipcas_reviewer)
    early = client.post(f"/api/v1/review/applications/{ref}/approve")
    assert early.status_code == 409
    assert "has not confirmed" in early.json()["detail"]

    token = next(m.body for m in mailoutbox if "/apply/confirm/" in m.body)
    token = token.split("/apply/confirm/")[1].split("/")[0]
    confirmed = client.post(f"/api/v1/signer-confirmations/{token}", **bearer(professor))
    assert confirmed.json()["signer_confirmed"] is True

    approved = client.post(f"/api/v1/review/applications/{ref}/approve")
    assert approved.json()["state"] == "approved"
    again = client.post(f"/api/v1/review/applications/{ref}/approve")
    assert again.status_code == 200 and Licence.objects.count() == 1
    licence = client.get("/api/v1/licences", **bearer(professor)).json()[0]
    assert licence["members"][0]["status"] == "invited"


def test_reject_without_reason_is_problem_json(client, student, casmemg, ipcas_reviewer):
    from tests.agreements.factories import submitted

    ref = submitted(student, casmemg).reference
    client.force_login(ipcas_reviewer)
    response = client.post(
        f"/api/v1/review/applications/{ref}/reject",
        {"comment": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "comment"


def test_hostile_upload_through_the_api_is_422(client, student, casmemg):
    from tests.agreements import pdf_corpus
    from tests.agreements.factories import draft

    ref = draft(student, casmemg).reference
    response = client.post(
        f"/api/v1/applications/{ref}/signed-agreement",
        {"file": SimpleUploadedFile("x.pdf", pdf_corpus.encrypted())},
        **bearer(student),
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("pdf-encrypted")


def test_review_list_costs_the_same_queries_for_more_rows(client, student, casmemg, ipcas_reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.agreements.factories import submitted

    submitted(student, casmemg)
    client.force_login(ipcas_reviewer)
    client.get("/api/v1/review/applications")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/review/applications").json()) == 1
    submitted(student, casmemg)
    submitted(student, casmemg)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get("/api/v1/review/applications").json()) == 3
    assert len(three) == len(one)
