"""Every answer under /api/v1/ is problem+json, also for an address no endpoint serves (even
one shaped like a real resource) and for a method an endpoint does not take."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

UNKNOWN = [
    "/api/v1/",
    "/api/v1/nope",
    "/api/v1/datasets/",  # the list is /api/v1/datasets, without the slash
    "/api/v1/licences/ABC-123/members/7/extra",
    "/api/v1/downloads/files/12/link/again",
    "/api/v1/applications/A-1/nonsense",
]


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_api_address_is_a_problem_json_404_pointing_at_the_docs(client, path):
    body = _is_problem(client.get(path), 404)
    assert "/api/v1/docs" in body["detail"]


def test_unknown_api_address_is_a_404_for_a_signed_in_post_too(client, outsider):
    """Not a CSRF page or HTML: the client learns the address is wrong."""
    client.force_login(outsider)
    _is_problem(client.post("/api/v1/nope", data={"x": "1"}), 404)


def test_a_missing_resource_stays_a_problem_json_404(client):
    _is_problem(client.get("/api/v1/datasets/no-such-dataset"), 404)


def test_a_method_an_endpoint_does_not_take_is_a_problem_json_405(client):
    response = client.delete("/api/v1/datasets")
    body = _is_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "DELETE" in body["detail"] and "GET" in body["detail"]


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
