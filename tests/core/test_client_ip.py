"""The address recorded in the audit trail: X-Real-IP only behind our proxy."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accord.audit.models import Event
from accord.audit.services import audit_record
from accord.core.net import client_ip


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_forged_x_real_ip_is_ignored_when_not_behind_the_proxy(settings):
    settings.TRUST_X_REAL_IP = False
    assert client_ip(_request(REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.0.0.1")) == (
        "203.0.113.9"
    )


def test_x_real_ip_is_used_behind_the_proxy_where_remote_addr_is_empty(settings):
    settings.TRUST_X_REAL_IP = True
    assert client_ip(_request(REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7")) == "198.51.100.7"


def test_garbage_addresses_are_dropped(settings):
    settings.TRUST_X_REAL_IP = True
    assert client_ip(_request(REMOTE_ADDR="not-an-ip", HTTP_X_REAL_IP="<script>")) is None


@pytest.mark.django_db
def test_audit_events_carry_the_proxied_client_address(client, settings):
    settings.TRUST_X_REAL_IP = True
    from accord.audit import services

    seen = {}

    def view_like_call():
        seen["event"] = audit_record(event_type="test:probe:record")

    # A request through the middleware stack sets the context the service reads.
    from accord.audit.middleware import AuditContextMiddleware

    def get_response(request):
        view_like_call()
        from django.http import HttpResponse

        return HttpResponse()

    AuditContextMiddleware(get_response)(
        _request(REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7", HTTP_USER_AGENT="probe/1")
    )
    event = Event.objects.get(pk=seen["event"].pk)
    assert event.ip_address == "198.51.100.7"
    assert event.user_agent == "probe/1"
    assert services.current_request.get() is None


@pytest.mark.django_db
def test_signing_key_is_published_at_the_well_known_url(client):
    response = client.get("/.well-known/accord-signing-key")
    assert response.status_code == 200
    assert b"PUBLIC KEY" in response.content or response.json()
