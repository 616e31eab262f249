"""Publishing new terms through the API: staff with the terms permission, signed in recently in
a browser, post the clauses and effective date; the version is drafted and published and every
licence told. Reviewers, data managers without the permission, another custodian's staff and
API tokens are refused; an effective date inside the notice period leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.audit.models import Event
from accord.catalog.models import LicenseVersion
from accord.licences.models import TermsChange
from tests import factories
from tests.access.factories import licence_for
from tests.downloads import conftest as downloads
from tests.roles import bearer

pytestmark = pytest.mark.django_db
variant = downloads.variant
signing_key_file = downloads.signing_key_file
_no_proxy_env = downloads._no_proxy_env


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def terms_admin(custodian):
    return factories.StaffFactory(custodian=custodian, role="admin").user


def _body(effective: dt.date) -> dict:
    return {
        "title": "Licence agreement",
        "effective_date": effective.isoformat(),
        "change_summary": "Papers must now be sent before submission.",
        "clauses": [
            {"code": "C1", "title": "No redistribution", "text": "Do not share the data."},
            {"code": "C2", "title": "Papers", "text": "Send every paper before you submit it."},
        ],
    }


def _post(client, dataset, body, **extra):
    return client.post(
        f"/api/v1/datasets/{dataset.slug}/terms", body, content_type="application/json", **extra
    )


def _versions(dataset) -> int:
    return LicenseVersion.objects.filter(dataset=dataset).count()


def test_staff_publish_new_terms_through_the_api_and_every_licence_is_told(
    client, clock, variant, terms_admin
):
    dataset = variant.dataset
    licence = licence_for(variants=[variant])
    client.force_login(terms_admin)
    effective = clock.localdate() + dt.timedelta(days=dataset.notice_days)

    response = _post(client, dataset, _body(effective))

    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "published" and out["effective_date"] == effective.isoformat()
    assert out["licences_notified"] == 1
    assert [c["code"] for c in out["clauses"]] == ["C1", "C2"]
    change = TermsChange.objects.get(licence=licence)
    assert change.license_version.version == out["version"] and change.status == "pending"
    assert Event.objects.filter(event_type="agreements:licence:terms_notice").exists()


def test_effective_date_inside_the_notice_period_is_refused_and_leaves_no_draft(
    client, clock, variant, terms_admin
):
    dataset = variant.dataset
    before = _versions(dataset)
    client.force_login(terms_admin)
    too_soon = clock.localdate() + dt.timedelta(days=dataset.notice_days - 1)

    response = _post(client, dataset, _body(too_soon))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "notice" in response.json()["detail"] and response.json()["field"] == "effective_date"
    assert _versions(dataset) == before


def test_invalid_body_is_a_422_problem(client, clock, variant, terms_admin):
    client.force_login(terms_admin)
    body = _body(clock.localdate() + dt.timedelta(days=60)) | {"clauses": [], "surprise": 1}

    response = _post(client, variant.dataset, body)

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_reviewers_data_managers_and_other_custodians_cannot_publish_terms(
    client, clock, variant, staff, other_custodian
):
    dataset = variant.dataset
    signer = licence_for(variants=[variant]).signer
    before = _versions(dataset)
    body = _body(clock.localdate() + dt.timedelta(days=60))
    for user in (
        staff,
        factories.StaffFactory(custodian=dataset.custodian, data_manager=True).user,
        factories.StaffFactory(custodian=other_custodian, role="admin").user,
        signer,
    ):
        client.force_login(user)
        assert _post(client, dataset, body).status_code == 404, user
    assert _versions(dataset) == before


def test_an_api_token_cannot_publish_terms(client, clock, variant, terms_admin):
    dataset = variant.dataset
    before = _versions(dataset)

    response = _post(
        client, dataset, _body(clock.localdate() + dt.timedelta(days=60)), **bearer(terms_admin)
    )

    assert response.status_code == 403 and "API token" in response.json()["detail"]
    assert _versions(dataset) == before


def test_an_api_token_is_told_to_publish_terms_in_the_portal_page_of_the_dataset(
    client, clock, variant, terms_admin, settings
):
    dataset = variant.dataset

    response = _post(
        client, dataset, _body(clock.localdate() + dt.timedelta(days=60)), **bearer(terms_admin)
    )

    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/problems/publish-in-portal")
    assert f"{settings.SITE_URL}/datasets/{dataset.slug}/manage/terms/" in problem["detail"]
    assert f"/api/v1/datasets/{dataset.slug}/terms/draft" in problem["detail"]
    assert not TermsChange.objects.exists()


def test_the_openapi_description_says_tokens_publish_terms_in_the_portal():
    from accord.api.main import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/datasets/{slug}/terms"]["post"]

    assert "API token is always refused" in operation["description"]
    assert "/datasets/{slug}/manage/terms/" in operation["description"]


def test_publishing_terms_is_in_the_openapi_schema():
    from accord.api.main import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/datasets/{slug}/terms"]["post"]

    assert operation["operationId"] == "accord_licences_api_publish_terms"
    assert {201, 400, 403, 404, 409, 422} <= {int(code) for code in operation["responses"]}


def _put_draft(client, dataset, body, **extra):
    return client.put(
        f"/api/v1/datasets/{dataset.slug}/terms/draft",
        body,
        content_type="application/json",
        **extra,
    )


def test_an_api_token_drafts_new_terms_and_reads_their_diff_without_telling_anyone(
    client, clock, variant, terms_admin, mailoutbox
):
    dataset = variant.dataset
    factories.ClauseFactory(
        license_version=factories.LicenseVersionFactory(dataset=dataset),
        code="C1",
        title="No redistribution",
        text="Do not share.",
    )
    licence_for(variants=[variant])
    token = bearer(terms_admin)

    response = _put_draft(client, dataset, _body(clock.localdate() + dt.timedelta(60)), **token)

    assert response.status_code == 200, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["current_version"] == draft["version"] - 1
    assert [(d["code"], d["change"]) for d in draft["diff"]] == [("C1", "changed"), ("C2", "added")]
    assert draft["publish_in_portal"].endswith(f"/datasets/{dataset.slug}/manage/terms/")
    again = client.get(f"/api/v1/datasets/{dataset.slug}/terms/draft", **token).json()
    assert again["version"] == draft["version"] and again["diff"] == draft["diff"]
    assert not TermsChange.objects.exists() and mailoutbox == []


def test_drafting_again_changes_the_same_draft(client, clock, variant, terms_admin):
    dataset = variant.dataset
    token = bearer(terms_admin)
    body = _body(clock.localdate() + dt.timedelta(days=60))
    first = _put_draft(client, dataset, body, **token).json()

    second = _put_draft(client, dataset, body | {"title": "Licence agreement v2"}, **token).json()

    assert second["version"] == first["version"] and second["title"] == "Licence agreement v2"
    assert LicenseVersion.objects.filter(dataset=dataset, status="draft").count() == 1


def test_no_draft_yet_is_a_404_problem(client, variant, terms_admin):
    response = client.get(
        f"/api/v1/datasets/{variant.dataset.slug}/terms/draft", **bearer(terms_admin)
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_people_without_the_terms_permission_cannot_draft_terms(
    client, clock, variant, staff, other_custodian
):
    dataset = variant.dataset
    before = _versions(dataset)
    body = _body(clock.localdate() + dt.timedelta(days=60))
    for user in (staff, factories.StaffFactory(custodian=other_custodian, role="admin").user):
        assert _put_draft(client, dataset, body, **bearer(user)).status_code == 404
    assert _versions(dataset) == before
