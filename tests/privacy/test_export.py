"""A person downloads everything Accord holds about them, and nothing about anyone else."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accord.audit.models import Event
from tests.privacy.conftest import GRETA_IP, TOMASZ_AGENT, TOMASZ_IP
from tests.roles import bearer

pytestmark = pytest.mark.django_db


def _export(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("accounts:personal_data_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode()


def test_export_holds_every_personal_value_of_the_person(client, world):
    text = _export(client, world.tomasz)
    missing = [v for v in world.tomasz_values() if v not in text]
    assert not missing


def test_export_names_nobody_else(client, world):
    text = _export(client, world.tomasz)
    leaked = [v for v in world.others_values() if v.lower() in text.lower()]
    assert not leaked


def test_export_lists_applications_licences_downloads_and_events(client, world):
    data = json.loads(_export(client, world.tomasz))
    references = {a["reference"] for a in data["applications"]}
    assert references == {world.licence.application.reference, world.refused.reference}
    assert [lic["reference"] for lic in data["licences"]] == [world.licence.reference]
    assert data["licences"][0]["signer"] == "another person"
    assert data["memberships"][0]["extra"] == {"registration_id": "REG-TQ-4242"}
    assert data["downloads"][0]["file"] == "s01/clip.bin" and data["downloads"][0]["bytes_served"]
    assert data["api_tokens"][0]["name"] == "tomasz laptop token"
    assert "token_hash" not in json.dumps(data["api_tokens"])
    assert any(e["you"]["ip_address"] == TOMASZ_IP for e in data["audit_events"] if "you" in e)
    assert any(d["user_agent"] == TOMASZ_AGENT for d in data["known_devices"])
    assert data["emails_sent_to_you"], "the invitation and the decisions were emailed to him"


def test_requesting_the_export_is_audited(client, world):
    _export(client, world.tomasz)
    event = Event.objects.filter(event_type="accounts:personal-data:export").get()
    assert event.actor_id == world.tomasz.pk and event.details == {"channel": "web"}


def test_api_export_is_the_callers_own(client, world):
    response = client.get("/api/v1/me/export", **bearer(world.greta))
    assert response.status_code == 200
    text = response.content.decode()
    assert world.greta.email in text and GRETA_IP in text
    assert world.tomasz.email not in text and TOMASZ_IP not in text


def test_export_needs_a_signed_in_person(client, world):
    response = client.get(reverse("accounts:personal_data_export"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/me/export").status_code == 401
