"""Staff decisions through the API need a recent, interactive (two-factor) sign-in: a standing
API token cannot approve, and a stale browser session must re-authenticate first."""

from __future__ import annotations

import time

from accord.accounts.models import ApiToken
from accord.accounts.services import api_token_create
from accord.agreements.models import Application
from tests.agreements.factories import submitted


def test_write_token_cannot_approve_reject_or_return(client, student, casmemg, ipcas_reviewer):
    ref = submitted(student, casmemg).reference
    token = api_token_create(user=ipcas_reviewer, name="bot", scope=ApiToken.Scope.WRITE)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}
    for action, body in (
        ("approve", None),
        ("reject", {"comment": "no"}),
        ("return", {"comment": "fix"}),
    ):
        response = client.post(
            f"/api/v1/review/applications/{ref}/{action}",
            body,
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 403, action
        assert response["Content-Type"] == "application/problem+json"
        assert "API token" in response.json()["detail"]
    assert Application.objects.get(reference=ref).state == "submitted"


def test_stale_session_must_reauthenticate_before_deciding(
    client, student, casmemg, ipcas_reviewer, settings
):
    ref = submitted(student, casmemg).reference
    client.force_login(ipcas_reviewer)
    session = client.session
    records = session.get("account_authentication_methods", [])
    assert records, "force_login is recorded as a sign-in by tests/conftest.py"
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 60
    session["account_authentication_methods"] = records
    session.save()
    response = client.post(
        f"/api/v1/review/applications/{ref}/reject",
        {"comment": "incomplete"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "reauthenticate" in response.json()["detail"]
    assert Application.objects.get(reference=ref).state == "submitted"


def test_fresh_session_may_decide(client, student, casmemg, ipcas_reviewer):
    ref = submitted(student, casmemg).reference
    client.force_login(ipcas_reviewer)
    response = client.post(
        f"/api/v1/review/applications/{ref}/reject",
        {"comment": "incomplete"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
