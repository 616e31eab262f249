"""The client address for sign-in, the lockout and the audit trail: X-Real-IP only when the
request came straight from the proxy (the unix socket or ACCORD_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accord.audit.models import Event
from accord.audit.services import audit_record
from accord.core.net import client_ip


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_x_real_ip_from_a_client_that_is_not_a_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    request = _request(REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.0.0.1")
    assert client_ip(request) == "203.0.113.9"


def test_x_real_ip_is_used_over_the_unix_socket_where_remote_addr_is_empty(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7")) == "198.51.100.7"


def test_x_real_ip_is_used_from_a_listed_proxy_on_tcp(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = _request(REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    outside = _request(REMOTE_ADDR="10.0.1.5", HTTP_X_REAL_IP="198.51.100.7")
    assert client_ip(outside) == "10.0.1.5"


def test_a_listed_proxy_seen_as_an_ipv4_mapped_address_is_still_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    request = _request(REMOTE_ADDR="::ffff:127.0.0.1", HTTP_X_REAL_IP="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_the_proxy_itself_is_the_client_when_it_sends_no_x_real_ip(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request(REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"


def test_garbage_addresses_are_dropped(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(REMOTE_ADDR="", HTTP_X_REAL_IP="<script>")) is None
    assert client_ip(_request(REMOTE_ADDR="not-an-ip")) is None


def test_allauth_and_the_lockout_use_the_same_address(settings):
    """Sign-in (allauth's rate limits) and django-axes ask accord.core.net, not their own
    header logic: over the unix socket allauth would otherwise refuse every sign-in."""
    from allauth.account.adapter import get_adapter
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXIES = []
    request = _request(REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7"
    assert get_client_ip_address(request) == "198.51.100.7"
    spoofed = _request(REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="10.0.0.1")
    assert get_adapter(spoofed).get_client_ip(spoofed) == "203.0.113.9"
    assert get_client_ip_address(spoofed) == "203.0.113.9"


def test_sign_in_without_any_client_address_is_refused_with_a_reason(settings):
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import PermissionDenied

    request = _request(REMOTE_ADDR="")
    with pytest.raises(PermissionDenied, match="X-Real-IP"):
        get_adapter(request).get_client_ip(request)


@pytest.mark.parametrize("value", ["nginx", "10.0.0.300", "127.0.0.1:80"])
def test_a_bad_trusted_proxy_value_stops_start_up_naming_the_variable(value):
    from django.core.exceptions import ImproperlyConfigured

    from accord.core.net import parse_trusted_proxies

    with pytest.raises(ImproperlyConfigured, match="ACCORD_TRUSTED_PROXIES"):
        parse_trusted_proxies("ACCORD_TRUSTED_PROXIES", [value])


@pytest.mark.django_db
def test_audit_events_carry_the_proxied_client_address(client, settings):
    settings.TRUSTED_PROXIES = []
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
