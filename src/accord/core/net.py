"""The client's address: the one answer for allauth (sign-in rate limits), django-axes (the
login lockout) and the audit trail, so all three count the same address.

nginx overwrites X-Real-IP with the address it saw. The header is believed only when the
request came straight from that proxy: over gunicorn's unix socket (REMOTE_ADDR is empty, and
only nginx may connect, deploy/systemd/accord.socket) or from an address listed in
ACCORD_TRUSTED_PROXIES (gunicorn on TCP). From any other peer it is ignored, so a client
cannot choose the address the lockout counts.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(name: str, values: list[str]) -> list[str]:
    """The addresses or networks in ``values``, checked at start-up (``name`` is the variable
    an operator fixes)."""
    parsed = []
    for value in values:
        try:
            parsed.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or network (e.g. 127.0.0.1, "
                "10.0.0.0/24, ::1)."
            ) from exc
    return parsed


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _address(value: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    # gunicorn bound to [::] reports IPv4 clients as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def peer_is_trusted_proxy(request) -> bool:
    """Did the request come straight from the proxy (the unix socket or a listed address)?"""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    if not remote:
        return True
    peer = _address(remote)
    return peer is not None and any(peer in network for network in trusted_networks())


_warned_untrusted = False


def client_ip(request) -> str | None:
    """The client's address, or None if there is none to be had (a unix-socket request
    without X-Real-IP)."""
    global _warned_untrusted
    peer = _address(request.META.get("REMOTE_ADDR"))
    forwarded = request.META.get("HTTP_X_REAL_IP")
    if peer_is_trusted_proxy(request):
        address = _address(forwarded)
        if address is not None:
            return str(address)
    elif forwarded and not _warned_untrusted:
        # Once per process: enough for an operator who forgot ACCORD_TRUSTED_PROXIES to learn
        # why every client has the proxy's address, without letting clients flood the log.
        _warned_untrusted = True
        log.warning(
            "X-Real-IP from %s ignored: that peer is not in ACCORD_TRUSTED_PROXIES. If it is "
            "your proxy, list its address there.",
            peer,
        )
    return str(peer) if peer is not None else None


def axes_client_ip(request, *args, **kwargs) -> str | None:
    return client_ip(request)
