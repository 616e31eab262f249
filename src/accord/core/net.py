"""The client's address, for the audit trail and login throttling.

Behind our nginx (ACCORD_BEHIND_TLS_PROXY=true) gunicorn listens on a unix socket, so
REMOTE_ADDR is empty; nginx overwrites X-Real-IP with the address it saw, so that header is
trusted then, and only then. Directly exposed, a client could forge it, so it is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    candidates = []
    if settings.TRUST_X_REAL_IP:
        candidates.append(request.META.get("HTTP_X_REAL_IP", ""))
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for value in candidates:
        value = (value or "").strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            continue
    return None


def axes_client_ip(request, *args, **kwargs) -> str | None:
    return client_ip(request)
