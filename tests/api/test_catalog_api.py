"""The public catalogue API and the API's shared behaviour (schema, errors, tokens)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create, api_token_revoke, hash_token
from tests import factories


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # accord demo refuses to run on a production portal
    call_command("demo")


def test_openapi_schema_is_valid_openapi_3_and_lists_catalogue_endpoints(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/datasets",
        "/api/v1/datasets/{slug}",
        "/api/v1/datasets/{slug}/citations",
        "/api/v1/variants/{slug}/files",
    ):
        assert path in paths, path


def test_dataset_list_is_paginated(client, demo):
    body = client.get("/api/v1/datasets").json()
    assert body["count"] == 2
    assert {d["slug"] for d in body["items"]} == {"smic", "casmemg"}


def test_dataset_detail_carries_terms_citations_and_publishable_subjects(client, demo):
    body = client.get("/api/v1/datasets/casmemg").json()
    assert body["short_name"] == "CASMEMG"
    assert [c["code"] for c in body["license"]["clauses"]] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert body["citations"][0]["doi"] == "10.1109/TAFFC.2025.3575127"
    assert body["publication_rules"][0]["publishable_subjects"] == ["07"]
    assert body["variants"][0]["file_count"] > 0


def test_citations_for_a_variant_include_its_own_and_dataset_wide_ones(client, demo):
    keys = [c["key"] for c in client.get("/api/v1/datasets/smic/citations?variant=smic-e").json()]
    assert keys == ["li2013smic", "li2018towards"]
    keys = [c["key"] for c in client.get("/api/v1/datasets/smic/citations?variant=smic").json()]
    assert keys == ["li2013smic"]


def test_variant_files_give_metadata_not_data(client, demo):
    body = client.get("/api/v1/variants/casmemg/files").json()
    assert body["count"] == 18
    item = body["items"][0]
    assert set(item) == {"path", "size", "sha256", "media_type", "subject"}
    assert item["path"] == "CASMEMG_annotations.csv" and item["subject"] is None
    emg = next(i for i in body["items"] if i["path"].startswith("emg/sub07/"))
    assert emg["subject"] == "07"


def test_unknown_dataset_is_problem_json_404(client, db):
    response = client.get("/api/v1/datasets/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found" and "detail" in body


def test_invalid_query_is_problem_json_422(client, db):
    response = client.get("/api/v1/datasets?page=notanumber")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"]


def test_tokens_are_stored_hashed_and_shown_once(db):
    user = factories.UserFactory()
    issued = api_token_create(user=user, name="laptop")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in (stored.token_hash, stored.prefix)
    assert stored.token_hash == hash_token(issued.secret)
    assert issued.secret.startswith(stored.prefix)


def test_revoked_token_no_longer_authenticates(db):
    from accord.accounts.services import api_token_authenticate

    user = factories.UserFactory()
    issued = api_token_create(user=user, name="laptop")
    assert api_token_authenticate(issued.secret).user == user
    api_token_revoke(token=issued.token, actor=user)
    assert api_token_authenticate(issued.secret) is None
    assert api_token_authenticate("acc_" + "x" * 43) is None
    assert api_token_authenticate(None) is None
